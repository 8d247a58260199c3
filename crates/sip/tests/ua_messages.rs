//! Instant messages (RFC 3428) between two UAs and against a scripted proxy:
//! delivered on a 2xx, failed with the status or 408, answered after a 407
//! with the account's credentials, sent over TCP above 1300 bytes (refused when UDP is named), and
//! taken in with a 200 (or 415 for a content type we do not read).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::auth::Credentials;
use hookswitch_sip::message::{HeaderName, Message, SipUri, Uri, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{
    AcceptMessages, AccountConfig, AccountId, Config, Event, Keepalive, Transport, UaError,
    UserAgent, response_to,
};

const A: &str = "127.0.0.1:5061";
const B: &str = "127.0.0.1:5062";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ua(local: &str, accounts: Vec<AccountConfig>) -> UserAgent {
    ua_taking(local, accounts, AcceptMessages::Any)
}

fn ua_taking(local: &str, accounts: Vec<AccountConfig>, accept: AcceptMessages) -> UserAgent {
    UserAgent::new(Config {
        local: addr(local),
        timers: TimerConfig::default(),
        accounts,
        contact_user: "hs".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: accept,
    })
}

/// Moves every datagram between `a` and `b` until both are quiet.
fn pump(now: Instant, a: &mut UserAgent, b: &mut UserAgent) {
    for _ in 0..100 {
        let mut moved = false;
        while let Some(t) = a.poll_transmit() {
            moved = true;
            b.handle_datagram(now, addr(A), &t.payload);
        }
        while let Some(t) = b.poll_transmit() {
            moved = true;
            a.handle_datagram(now, addr(B), &t.payload);
        }
        if !moved {
            return;
        }
    }
}

fn events(u: &mut UserAgent) -> Vec<Event> {
    std::iter::from_fn(|| u.poll_event()).collect()
}

#[test]
fn a_message_is_delivered_peer_to_peer_and_taken_in() {
    let (mut a, mut b) = (ua(A, vec![]), ua(B, vec![]));
    let now = Instant::now();
    let target: Uri = format!("sip:bob@{B}").parse().unwrap();
    let id = a
        .send_message(
            now,
            None,
            &target,
            "text/plain;charset=UTF-8",
            "Grüße 👋".as_bytes().to_vec(),
        )
        .unwrap();
    pump(now, &mut a, &mut b);
    let got = events(&mut b);
    match &got[..] {
        [
            Event::MessageReceived {
                from,
                content_type,
                body,
                ..
            },
        ] => {
            assert_eq!(content_type, "text/plain");
            assert_eq!(String::from_utf8_lossy(body), "Grüße 👋");
            assert_eq!(from.uri.to_string(), format!("sip:hs@{A}"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events(&mut a), [Event::MessageDelivered { id }]);
}

#[test]
fn other_content_types_get_415_and_the_sender_hears_why() {
    let (mut a, mut b) = (ua(A, vec![]), ua(B, vec![]));
    let now = Instant::now();
    let target: Uri = format!("sip:bob@{B}").parse().unwrap();
    let id = a
        .send_message(now, None, &target, "application/x-secret", b"x".to_vec())
        .unwrap();
    pump(now, &mut a, &mut b);
    assert!(events(&mut b).is_empty());
    assert!(matches!(
        &events(&mut a)[..],
        [Event::MessageFailed { id: i, status: 415, .. }] if *i == id
    ));
}

#[test]
fn nobody_answering_is_a_408_and_a_large_body_stays_off_udp() {
    let mut a = ua(A, vec![]);
    let mut now = Instant::now();
    let target: Uri = format!("sip:bob@{B}").parse().unwrap();
    let id = a
        .send_message(now, None, &target, "text/plain", b"hello?".to_vec())
        .unwrap();
    while let Some(t) = a.poll_timeout() {
        now = now.max(t);
        a.handle_timeout(now);
        while a.poll_transmit().is_some() {}
        if now.duration_since(Instant::now()) > Duration::from_secs(60) {
            break;
        }
    }
    assert!(matches!(
        &events(&mut a)[..],
        [Event::MessageFailed { id: i, status: 408, .. }] if *i == id
    ));
    // UDP named in the URI: refused, nothing cut and sent.
    let big = vec![b'x'; 1301];
    let over_udp: Uri = format!("sip:bob@{B};transport=udp").parse().unwrap();
    assert_eq!(
        a.send_message(now, None, &over_udp, "text/plain", big.clone()),
        Err(UaError::TooLargeForUdp)
    );
    assert!(a.poll_transmit().is_none(), "nothing cut and sent");
    // No transport named: the whole body goes over TCP to the same address.
    a.send_message(now, None, &target, "text/plain", big)
        .unwrap();
    let sent = a.poll_transmit().expect("sent over TCP");
    assert_eq!(sent.transport, Transport::Tcp);
    assert_eq!(
        sent.destination,
        hookswitch_sip::ua::Destination::Addr(addr(B))
    );
    let text = String::from_utf8_lossy(&sent.payload);
    assert!(text.contains("Via: SIP/2.0/TCP"), "{text}");
    assert!(text.ends_with(&"x".repeat(1301)), "the body whole");
}

#[test]
fn a_proxy_challenge_is_answered_with_the_accounts_credentials() {
    let account = AccountConfig {
        aor: "sip:alice@127.0.0.1"
            .parse::<Uri>()
            .unwrap()
            .as_sip()
            .unwrap()
            .clone(),
        display_name: None,
        credentials: Some(Credentials {
            username: "alice".into(),
            password: "secret".into(),
        }),
        registrar: None,
        outbound_proxy: Some(SipUri::new(None, "127.0.0.1", Some(5062))),
        transport: Some(Transport::Udp),
        expires: 600,
        register: false,
        subscribe_voicemail: false,
    };
    let mut a = ua(A, vec![account]);
    let now = Instant::now();
    let target: Uri = "sip:bob@127.0.0.1".parse().unwrap();
    let id = a
        .send_message(
            now,
            Some(AccountId(0)),
            &target,
            "text/plain",
            b"hi".to_vec(),
        )
        .unwrap();
    let next = |a: &mut UserAgent| match parse_datagram(&a.poll_transmit().unwrap().payload) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    };
    let first = next(&mut a);
    assert_eq!(
        first.headers.get(&HeaderName::Route),
        Some("<sip:127.0.0.1:5062;lr>")
    );
    let mut challenge = response_to(&first, 407, Some("p"));
    challenge.headers.push(
        HeaderName::ProxyAuthenticate,
        r#"Digest realm="pbx", nonce="n1", qop="auth""#,
    );
    a.handle_datagram(now, addr(B), &challenge.to_bytes());
    let second = next(&mut a);
    assert!(
        second
            .headers
            .get(&HeaderName::ProxyAuthorization)
            .is_some()
    );
    assert_eq!(
        second.headers.cseq().unwrap().seq,
        first.headers.cseq().unwrap().seq + 1
    );
    assert_eq!(second.body, b"hi");
    a.handle_datagram(
        now,
        addr(B),
        &response_to(&second, 202, Some("p")).to_bytes(),
    );
    assert_eq!(events(&mut a), [Event::MessageDelivered { id }]);
}

#[test]
fn a_phone_taking_only_its_accounts_messages_refuses_a_strangers_with_403() {
    let mut a = ua(A, vec![]);
    let mut b = ua_taking(B, vec![], AcceptMessages::ForAccounts);
    let now = Instant::now();
    let target: Uri = format!("sip:bob@{B}").parse().unwrap();
    let id = a
        .send_message(now, None, &target, "text/plain", b"hi".to_vec())
        .unwrap();
    pump(now, &mut a, &mut b);
    assert!(events(&mut b).is_empty());
    assert!(matches!(
        &events(&mut a)[..],
        [Event::MessageFailed { id: i, status: 403, .. }] if *i == id
    ));
    // With messages off altogether, MESSAGE is a method we do not have.
    let mut c = ua_taking(B, vec![], AcceptMessages::No);
    let id = a
        .send_message(now, None, &target, "text/plain", b"hi".to_vec())
        .unwrap();
    pump(now, &mut a, &mut c);
    assert!(matches!(
        &events(&mut a)[..],
        [Event::MessageFailed { id: i, status: 405, .. }] if *i == id
    ));
}
