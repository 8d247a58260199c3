//! DNS responses on any bytes: the parser, and the RFC 3263 locator fed the
//! records of whatever parses.
#![no_main]

use hookswitch_sip::dns::message::parse;
use hookswitch_sip::dns::{Answer, Locator, Request};
use hookswitch_sip::ua::Transport;
use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let Ok(response) = parse(data) else { return };
    let mut l = Locator::new(
        Request {
            host: "example.com".into(),
            port: None,
            transport: None,
            secure: false,
        },
        &[Transport::Udp, Transport::Tcp, Transport::Tls],
        true,
    );
    let mut steps = 0;
    while let Some((name, rtype)) = l.poll_query() {
        steps += 1;
        assert!(steps < 100, "the locator keeps asking");
        l.handle(&name, rtype, Answer::Records(response.records.clone()));
    }
    let _ = l.candidates(&mut rand::rngs::StdRng::seed_from_u64(1));
});
