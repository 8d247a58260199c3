//! STUN answers on any bytes: the parser, and a Binding transaction fed them
//! (as what arrives on the SIP and RTP sockets from anywhere).
#![no_main]

use std::time::{Duration, Instant};

use hookswitch_sip::stun::{Binding, Retransmission, is_stun, parse_binding_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse_binding_response(data);
    if parsed.is_ok() {
        assert!(is_stun(data), "only STUN parses");
    }
    let now = Instant::now();
    let server = "192.0.2.1:3478".parse().unwrap();
    let mut b = Binding::new(server, now, Retransmission::default());
    let _ = b.poll_transmit();
    b.handle_response(server, data);
    b.handle_timeout(now + Duration::from_secs(60));
    let _ = b.outcome();
});
