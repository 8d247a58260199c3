//! PUBLISH (RFC 3903) against a scripted presence server: the first one
//! carries the document, refreshes only SIP-If-Match, a change the new
//! document (queued while one is in flight), 412 starts over whole, 423
//! takes Min-Expires, removal is Expires: 0, and 489 ends it with an event.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::message::{HeaderName, Message, Request, SipUri, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{
    AcceptMessages, AccountConfig, AccountId, Config, Event, Keepalive, Transport, UserAgent,
    response_to,
};

const US: &str = "127.0.0.1:5061";
const SERVER: &str = "127.0.0.1:5070";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ua() -> UserAgent {
    UserAgent::new(Config {
        local: addr(US),
        timers: TimerConfig::default(),
        accounts: vec![AccountConfig {
            aor: SipUri::new(Some("alice"), "127.0.0.1", Some(5070)),
            display_name: None,
            credentials: None,
            registrar: None,
            outbound_proxy: None,
            transport: Some(Transport::Udp),
            expires: 600,
            register: false,
            subscribe_voicemail: false,
        }],
        contact_user: "hs".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: AcceptMessages::ForAccounts,
    })
}

/// Lets time pass until the UA sends a PUBLISH.
fn next_publish(u: &mut UserAgent, mut now: Instant) -> (Instant, Request) {
    for _ in 0..1000 {
        while let Some(t) = u.poll_transmit() {
            if let Ok(Message::Request(r)) = parse_datagram(&t.payload)
                && r.method.as_str() == "PUBLISH"
            {
                return (now, r);
            }
        }
        now = u.poll_timeout().expect("something due");
        u.handle_timeout(now);
    }
    panic!("no PUBLISH");
}

fn ok(u: &mut UserAgent, now: Instant, req: &Request, etag: &str, expires: u32) {
    let mut r = response_to(req, 200, Some("s"));
    r.headers.push(HeaderName::SipEtag, etag);
    r.headers.push(HeaderName::Expires, expires.to_string());
    u.handle_datagram(now, addr(SERVER), &r.to_bytes());
}

fn events(u: &mut UserAgent) -> Vec<Event> {
    std::iter::from_fn(|| u.poll_event()).collect()
}

#[test]
fn publish_refresh_change_412_and_removal() {
    let mut u = ua();
    let now = Instant::now();
    let id = u
        .publish(
            now,
            AccountId(0),
            "presence",
            "application/pidf+xml",
            b"<v1/>".to_vec(),
            600,
        )
        .unwrap();
    let (_, first) = next_publish(&mut u, now);
    assert_eq!(first.uri.to_string(), "sip:alice@127.0.0.1:5070");
    assert_eq!(first.headers.get(&HeaderName::Event), Some("presence"));
    assert_eq!(first.headers.get(&HeaderName::SipIfMatch), None);
    assert_eq!(first.body, b"<v1/>");
    ok(&mut u, now, &first, "e1", 300);
    assert!(
        events(&mut u).iter().any(
            |e| matches!(e, Event::PublicationState { id: i, published: true, .. } if *i == id)
        )
    );

    // The refresh: before 300 s, the tag, no body.
    let (at, refresh) = next_publish(&mut u, now);
    assert!(at < now + Duration::from_secs(300) && at > now + Duration::from_secs(200));
    assert_eq!(refresh.headers.get(&HeaderName::SipIfMatch), Some("e1"));
    assert!(refresh.body.is_empty());
    // A change while the refresh is on its way waits for its answer.
    u.republish(at, id, b"<v2/>".to_vec());
    assert!(u.poll_transmit().is_none());
    ok(&mut u, at, &refresh, "e2", 300);
    let (_, change) = next_publish(&mut u, at);
    assert_eq!(change.headers.get(&HeaderName::SipIfMatch), Some("e2"));
    assert_eq!(change.body, b"<v2/>");
    // The server lost it: 412, and the whole document again, no tag.
    u.handle_datagram(
        at,
        addr(SERVER),
        &response_to(&change, 412, Some("s")).to_bytes(),
    );
    let (_, whole) = next_publish(&mut u, at);
    assert_eq!(whole.headers.get(&HeaderName::SipIfMatch), None);
    assert_eq!(whole.body, b"<v2/>");
    ok(&mut u, at, &whole, "e3", 300);

    u.unpublish(at, id);
    let (_, removal) = next_publish(&mut u, at);
    assert_eq!(removal.headers.get(&HeaderName::Expires), Some("0"));
    assert_eq!(removal.headers.get(&HeaderName::SipIfMatch), Some("e3"));
    assert!(u.exchanges_pending());
    ok(&mut u, at, &removal, "e3", 0);
    assert!(!u.exchanges_pending());
}

#[test]
fn a_short_interval_is_raised_and_a_server_without_publish_ends_it() {
    let mut u = ua();
    let now = Instant::now();
    let id = u
        .publish(
            now,
            AccountId(0),
            "presence",
            "application/pidf+xml",
            b"<v/>".to_vec(),
            60,
        )
        .unwrap();
    let (_, first) = next_publish(&mut u, now);
    let mut brief = response_to(&first, 423, Some("s"));
    brief.headers.push(HeaderName::MinExpires, "1800");
    u.handle_datagram(now, addr(SERVER), &brief.to_bytes());
    let (_, second) = next_publish(&mut u, now);
    assert_eq!(second.headers.get(&HeaderName::Expires), Some("1800"));
    assert_eq!(second.body, b"<v/>");
    u.handle_datagram(
        now,
        addr(SERVER),
        &response_to(&second, 489, Some("s")).to_bytes(),
    );
    assert!(events(&mut u).iter().any(
        |e| matches!(e, Event::PublicationState { id: i, published: false, detail } if *i == id && detail.starts_with("489"))
    ));
    // And it is not tried again, however long we wait.
    for _ in 0..100 {
        let Some(t) = u.poll_timeout() else { break };
        u.handle_timeout(t);
        while let Some(sent) = u.poll_transmit() {
            let text = String::from_utf8_lossy(&sent.payload).into_owned();
            assert!(!text.starts_with("PUBLISH"), "published again:\n{text}");
        }
    }
}
