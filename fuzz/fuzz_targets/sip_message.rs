//! The SIP parser on any bytes: as a datagram, as a stream, and the error answer.
#![no_main]

use hookswitch_sip::message::{error_response, parse_datagram, parse_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match parse_datagram(data) {
        Ok(m) => {
            let again = parse_datagram(&m.to_bytes()).expect("what parsed must re-parse");
            assert_eq!(again, m);
        }
        Err(e) => {
            let _ = error_response(data, &e);
        }
    }
    let _ = parse_stream(data);
});
