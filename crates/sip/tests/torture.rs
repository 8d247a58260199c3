//! RFC 4475 torture messages through the parser: valid ones parse (with their key
//! facts checked), invalid ones are rejected with the status the RFC asks for.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hookswitch_sip::message::{
    Contact, HeaderName, Message, Method, ParseError, error_response, parse_datagram, parse_stream,
};
use sha2::{Digest, Sha256};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torture")
}

fn load(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(format!("{name}.dat"))).unwrap()
}

/// name -> expectation, from INDEX.tsv.
fn index() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(fixtures().join("INDEX.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_string(), cols[2].to_string())
        })
        .collect()
}

#[test]
fn fixtures_are_byte_exact() {
    let sums = std::fs::read_to_string(fixtures().join("SHA256SUMS")).unwrap();
    let mut checked = 0;
    for line in sums.lines() {
        let (hash, file) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(fixtures().join(file)).unwrap();
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, hash, "{file} changed (line endings?)");
        checked += 1;
    }
    assert_eq!(checked, 49);
}

#[test]
fn every_message_classified_as_the_rfc_says() {
    let idx = index();
    assert_eq!(idx.len(), 49);
    let mut failures = Vec::new();
    for (name, expectation) in &idx {
        let result = parse_datagram(&load(name));
        let ok = match expectation.as_str() {
            "valid" | "valid-but-unusual" => result.is_ok(),
            "invalid" => result.is_err(),
            other => panic!("unknown expectation {other}"),
        };
        if !ok {
            failures.push(format!("{name} ({expectation}): {result:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "misclassified:\n{}",
        failures.join("\n")
    );
}

fn request(name: &str) -> hookswitch_sip::message::Request {
    match parse_datagram(&load(name)).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("{name} is a response"),
    }
}

#[test]
fn key_facts_of_valid_messages() {
    let wsinv = request("wsinv");
    assert_eq!(wsinv.method, Method::Invite);
    assert_eq!(wsinv.headers.vias().len(), 3);
    assert_eq!(wsinv.headers.cseq().unwrap().seq, 9);
    assert_eq!(wsinv.headers.to_addr().unwrap().tag(), Some("1918181833n"));
    assert_eq!(
        wsinv.headers.from_addr().unwrap().display.as_deref(),
        Some("J Rosenberg \\\"")
    );
    assert_eq!(wsinv.body.len(), 150);
    assert_eq!(
        wsinv
            .headers
            .get(&HeaderName::Other("NewFangledHeader".into())),
        Some("newfangled value continued newfangled value")
    );

    let esc02 = request("esc02");
    assert_eq!(esc02.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(esc02.headers.contacts().len(), 2);

    let semiuri = request("semiuri");
    assert_eq!(
        semiuri.uri.as_sip().unwrap().user_unescaped().as_deref(),
        Some("user;par=u@example.net")
    );

    let dblreq = request("dblreq");
    assert_eq!(dblreq.method, Method::Register);
    assert!(dblreq.body.is_empty());

    let escnull = request("escnull");
    let contacts = escnull.headers.contacts();
    assert_eq!(contacts.len(), 2);
    let users: Vec<String> = contacts
        .iter()
        .map(|c| match c {
            Contact::Addr(a) => a.uri.as_sip().unwrap().user_unescaped().unwrap(),
            Contact::Star => panic!(),
        })
        .collect();
    assert_ne!(users[0], users[1], "unescaping must not truncate at NUL");

    let longreq = request("longreq");
    assert_eq!(longreq.headers.vias().len(), 34);

    let transports = request("transports");
    let t: Vec<String> = transports
        .headers
        .vias()
        .into_iter()
        .map(|v| v.transport)
        .collect();
    assert_eq!(t, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    let mpart = request("mpart01");
    assert!(mpart.body.contains(&0));

    let inv2543 = request("inv2543");
    assert!(!inv2543.body.is_empty(), "body is the rest of the datagram");

    let cparam01 = request("cparam01");
    match &cparam01.headers.contacts()[0] {
        Contact::Addr(a) => {
            assert!(a.params.contains("unknownparam"));
            assert!(a.uri.as_sip().unwrap().params.is_empty());
        }
        Contact::Star => panic!(),
    }

    for name in ["unreason", "noreason"] {
        assert!(
            matches!(parse_datagram(&load(name)), Ok(Message::Response(_))),
            "{name}"
        );
    }
}

#[test]
fn rejections_carry_the_right_status() {
    let status = |name: &str| parse_datagram(&load(name)).unwrap_err().status();
    assert_eq!(status("badvers"), 505);
    assert_eq!(status("mismatch02"), 501);
    assert_eq!(status("mismatch01"), 400);
    assert_eq!(status("insuf"), 400);
    assert_eq!(status("scalar02"), 400);
    assert_eq!(
        parse_datagram(&load("clerr")).unwrap_err(),
        ParseError::ContentLength
    );
    assert_eq!(
        parse_datagram(&load("ncl")).unwrap_err(),
        ParseError::ContentLength
    );
    assert_eq!(
        parse_datagram(&load("mcl01")).unwrap_err(),
        ParseError::ContentLength
    );
}

#[test]
fn stateless_error_answers() {
    // The answer copies the (here unusual) Via verbatim, so check it as text.
    let err = parse_datagram(&load("badvers")).unwrap_err();
    let answer = String::from_utf8(error_response(&load("badvers"), &err).unwrap()).unwrap();
    assert!(answer.starts_with("SIP/2.0 505 "), "{answer}");
    assert!(
        answer.contains("\r\nCall-ID: badvers.31417@c.example.com\r\n"),
        "{answer}"
    );

    let err = parse_datagram(&load("mismatch01")).unwrap_err();
    match parse_datagram(&error_response(&load("mismatch01"), &err).unwrap()).unwrap() {
        Message::Response(r) => {
            assert_eq!(r.status, 400);
            assert_eq!(r.headers.cseq().unwrap().method, "INVITE");
        }
        Message::Request(_) => panic!(),
    }
    // Responses are dropped, never answered.
    for name in ["scalarlg", "bigcode"] {
        let err = parse_datagram(&load(name)).unwrap_err();
        assert!(error_response(&load(name), &err).is_none(), "{name}");
    }
}

#[test]
fn stream_framing() {
    // Two messages back to back, fed a byte at a time, come out whole and in order.
    let mut wire = load("esc02");
    wire.extend_from_slice(&load("semiuri"));
    let mut buf = Vec::new();
    let mut got = Vec::new();
    for b in wire {
        buf.push(b);
        if let Some((m, used)) = parse_stream(&buf).unwrap() {
            buf.drain(..used);
            got.push(m);
        }
    }
    assert_eq!(got.len(), 2);
    assert!(buf.is_empty());
    // clerr on a stream waits for more data instead of failing.
    assert_eq!(parse_stream(&load("clerr")), Ok(None));
    // A negative length is unrecoverable on a stream.
    assert!(parse_stream(&load("ncl")).is_err());
}

#[test]
fn every_valid_message_round_trips() {
    for (name, expectation) in index() {
        if expectation == "invalid" {
            continue;
        }
        let first = parse_datagram(&load(&name)).unwrap();
        let again = parse_datagram(&first.to_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(first, again, "{name}");
    }
}

#[test]
fn oversized_messages_are_refused() {
    let small = load("esc02");
    let split = small.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    let mut big = small[..split].to_vec();
    big.extend_from_slice(format!("X-Pad: {}\r\n", "a".repeat(70_000)).as_bytes());
    big.extend_from_slice(&small[split..]);
    let err = parse_datagram(&big).unwrap_err();
    assert_eq!(err, ParseError::TooLarge);
    let answer = String::from_utf8(error_response(&big, &err).unwrap()).unwrap();
    assert!(
        answer.starts_with("SIP/2.0 513 Message Too Large\r\n"),
        "{answer}"
    );
    // On a stream, a head that never ends is refused once it passes the limit.
    assert_eq!(parse_stream(&big[..66_000]), Err(ParseError::TooLarge));
}
