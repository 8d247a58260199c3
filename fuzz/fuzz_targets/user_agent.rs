//! The whole user agent on a sequence of datagrams: whatever arrives, it answers
//! or drops, and never panics. It has placed a call to the sender first (a
//! seeded one: its branch, tags and Call-ID are the same every run, so the
//! fuzzer can answer it with forked, reliable, 422 or odd responses), and
//! it answers what rings.
#![no_main]

use std::time::{Duration, Instant};

use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{Config, UserAgent};
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let mut ua = UserAgent::with_rng(Config {
        local: "127.0.0.1:5060".parse().unwrap(),
        timers: TimerConfig::default(),
        accounts: Vec::new(),
        contact_user: "fuzz".into(),
        keepalive: hookswitch_sip::ua::Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: hookswitch_sip::ua::AcceptMessages::Any,
    }, rand::rngs::StdRng::seed_from_u64(1));
    let mut now = Instant::now();
    let peer = "sip:peer@127.0.0.1:5070".parse().unwrap();
    let _ = ua.call(now, None, &peer, b"v=0\r\n".to_vec());
    while ua.poll_transmit().is_some() {}
    // Datagrams separated by a NUL; time moves 1 s between them.
    for datagram in data.split(|&b| b == 0) {
        ua.handle_datagram(now, "127.0.0.1:5070".parse().unwrap(), datagram);
        while ua.poll_transmit().is_some() {}
        while let Some(e) = ua.poll_event() {
            if let hookswitch_sip::ua::Event::IncomingCall { call, .. } = e {
                let _ = ua.answer(now, call, b"v=0\r\n".to_vec());
            }
        }
        now += Duration::from_secs(1);
        ua.handle_timeout(now);
    }
});
