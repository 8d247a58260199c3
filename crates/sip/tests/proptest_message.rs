//! Property tests of the message parser: no input panics it, and what it parses
//! serialises back to the same message.

use hookswitch_sip::message::{
    HeaderName, Message, Method, Request, Uri, error_response, parse_datagram, parse_stream,
};
use proptest::prelude::*;

fn torture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/torture/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const SEEDS: [&str; 8] = [
    "wsinv", "intmeth", "esc01", "longreq", "mpart01", "unreason", "badinv01", "multi01",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Err(e) = parse_datagram(&bytes) {
            let _ = error_response(&bytes, &e);
        }
        let _ = parse_stream(&bytes);
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = torture(SEEDS[seed]);
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        match parse_datagram(&bytes) {
            Ok(m) => {
                // Whatever parses must survive a round trip unchanged.
                let again = parse_datagram(&m.to_bytes());
                prop_assert_eq!(again.as_ref().ok(), Some(&m));
            }
            Err(e) => { let _ = error_response(&bytes, &e); }
        }
        let _ = parse_stream(&bytes);
    }
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,15}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,2}",
        "(25[0-5]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|1[0-9][0-9]|[1-9]?[0-9])){3}"
    ]
}

fn display() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[ -~]{0,20}")
}

prop_compose! {
    fn request()(
        method in prop_oneof![Just("INVITE".to_string()), Just("OPTIONS".to_string()), Just("BYE".to_string()), "[A-Z]{3,10}"],
        user in "[a-zA-Z0-9_.!~*'()&=+$,;?/-]{1,12}",
        host in host(),
        port in proptest::option::of(1u16..),
        from_display in display(),
        tag in token(),
        call_id in "[A-Za-z0-9.!%*_+`'~()<>:\\\\\"/\\[\\]?{}-]{1,30}(@[a-z0-9.]{1,10})?",
        seq in any::<u32>(),
        branch in "[a-zA-Z0-9]{1,20}",
        extra in proptest::collection::vec((token(), "[!-~]([ -~]{0,30}[!-~])?"), 0..4),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) -> Request {
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let uri: Uri = format!("sip:{user}@{host}{port}").parse().unwrap();
        let method = Method::from_wire(&method);
        let mut r = Request::new(method.clone(), uri.clone());
        r.headers.push(HeaderName::Via, format!("SIP/2.0/UDP {host}{port};branch=z9hG4bK{branch};rport"));
        let from = match from_display {
            Some(d) => format!("{} <{uri}>;tag={tag}", hookswitch_sip::message::lex::quote(&d)),
            None => format!("<{uri}>;tag={tag}"),
        };
        r.headers.push(HeaderName::From, from);
        r.headers.push(HeaderName::To, format!("<sip:{host}>"));
        r.headers.push(HeaderName::CallId, call_id);
        r.headers.push(HeaderName::CSeq, format!("{seq} {method}"));
        for (name, value) in extra {
            let name = HeaderName::from_wire(&name);
            // Only extension headers: known ones have grammar of their own.
            if matches!(name, HeaderName::Other(_)) {
                r.headers.push(name, value);
            }
        }
        r.body = body;
        r
    }
}

proptest! {
    #[test]
    fn generated_requests_round_trip(req in request()) {
        let parsed = parse_datagram(&req.to_bytes());
        prop_assert_eq!(parsed, Ok(Message::Request(req)));
    }
}
