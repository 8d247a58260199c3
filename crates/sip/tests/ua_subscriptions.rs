//! Subscriptions (RFC 6665) against a scripted notifier: the SUBSCRIBE and
//! its refresh in the dialog, NOTIFY before the 2xx, a refresh answered
//! 481 (a new dialog), `terminated;reason=deactivated` (at once, anew),
//! `rejected` (given up), no answer (back-off that grows), a NOTIFY for no
//! subscription (481), and unsubscribing (Expires: 0).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::message::{HeaderName, Message, Request, SipUri, Uri, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{
    AcceptMessages, AccountConfig, AccountId, Config, Event, Keepalive, SubscriptionState,
    Transport, UserAgent, response_to,
};

const US: &str = "127.0.0.1:5061";
const SERVER: &str = "127.0.0.1:5070";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ua() -> UserAgent {
    let account = AccountConfig {
        aor: SipUri::new(Some("alice"), "127.0.0.1", Some(5070)),
        display_name: None,
        credentials: None,
        registrar: None,
        outbound_proxy: None,
        transport: Some(Transport::Udp),
        expires: 600,
        register: false,
        subscribe_voicemail: false,
    };
    UserAgent::new(Config {
        local: addr(US),
        timers: TimerConfig::default(),
        accounts: vec![account],
        contact_user: "hs".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: AcceptMessages::ForAccounts,
    })
}

fn bob() -> Uri {
    "sip:bob@127.0.0.1:5070".parse().unwrap()
}

/// The next request the UA sent.
fn sent(u: &mut UserAgent) -> Request {
    let t = u.poll_transmit().expect("a request");
    match parse_datagram(&t.payload) {
        Ok(Message::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// Lets time pass (transaction timers included) until the UA sends a
/// SUBSCRIBE; when, and what.
fn next_subscribe(u: &mut UserAgent, mut now: Instant) -> (Instant, Request) {
    for _ in 0..1000 {
        while let Some(t) = u.poll_transmit() {
            if let Ok(Message::Request(r)) = parse_datagram(&t.payload)
                && r.method.as_str() == "SUBSCRIBE"
            {
                return (now, r);
            }
        }
        now = u.poll_timeout().expect("something due");
        u.handle_timeout(now);
    }
    panic!("no SUBSCRIBE");
}

fn events(u: &mut UserAgent) -> Vec<Event> {
    std::iter::from_fn(|| u.poll_event()).collect()
}

/// A NOTIFY in the dialog `subscribe` started (the notifier's tag `n`).
fn notify(subscribe: &Request, cseq: u32, state: &str, body: &str) -> Vec<u8> {
    let from_tag = subscribe
        .headers
        .from_addr()
        .unwrap()
        .tag()
        .unwrap()
        .to_string();
    let call_id = subscribe.headers.call_id().unwrap();
    format!(
        "NOTIFY sip:hs@{US} SIP/2.0\r\nVia: SIP/2.0/UDP {SERVER};branch=z9hG4bKn{cseq}{from_tag}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:bob@127.0.0.1:5070>;tag=n\r\nTo: <sip:alice@127.0.0.1:5070>;tag={from_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} NOTIFY\r\nContact: <sip:presence@{SERVER}>\r\nEvent: presence\r\n\
         Subscription-State: {state}\r\nContent-Type: application/pidf+xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The UA's answer to the NOTIFY just handed to it.
fn answered(u: &mut UserAgent) -> u16 {
    let t = u.poll_transmit().expect("an answer");
    match parse_datagram(&t.payload) {
        Ok(Message::Response(r)) => r.status,
        other => panic!("{other:?}"),
    }
}

fn accept(u: &mut UserAgent, now: Instant, subscribe: &Request, expires: u32) {
    let mut ok = response_to(subscribe, 202, Some("n"));
    ok.headers.push(HeaderName::Expires, expires.to_string());
    ok.headers
        .push(HeaderName::Contact, format!("<sip:presence@{SERVER}>"));
    u.handle_datagram(now, addr(SERVER), &ok.to_bytes());
}

#[test]
fn subscribe_notify_refresh_in_the_dialog_then_unsubscribe() {
    let mut u = ua();
    let now = Instant::now();
    let id = u
        .subscribe(
            now,
            AccountId(0),
            &bob(),
            "presence",
            "application/pidf+xml",
            600,
        )
        .unwrap();
    let first = sent(&mut u);
    assert_eq!(first.headers.get(&HeaderName::Event), Some("presence"));
    assert_eq!(
        first.headers.get(&HeaderName::Accept),
        Some("application/pidf+xml")
    );
    assert_eq!(first.headers.get(&HeaderName::Expires), Some("600"));
    assert_eq!(first.uri.to_string(), "sip:bob@127.0.0.1:5070");
    // The NOTIFY may come before the 2xx.
    u.handle_datagram(
        now,
        addr(SERVER),
        &notify(&first, 1, "pending;expires=600", ""),
    );
    assert_eq!(answered(&mut u), 200);
    accept(&mut u, now, &first, 600);
    let body = "<presence entity='sip:bob@h'/>";
    u.handle_datagram(
        now,
        addr(SERVER),
        &notify(&first, 2, "active;expires=599", body),
    );
    assert_eq!(answered(&mut u), 200);
    let got = events(&mut u);
    assert!(
        matches!(
            &got[..],
            [
                Event::Notified { id: a, state: SubscriptionState::Pending, .. },
                Event::Notified { id: b, state: SubscriptionState::Active, content_type: Some(t), body: bd },
            ] if *a == id && *b == id && t == "application/pidf+xml" && bd == body.as_bytes()
        ),
        "{got:?}"
    );

    // Refreshed before it lapses, in the dialog, at the notifier's Contact.
    let (due, refresh) = next_subscribe(&mut u, now);
    assert!(due > now + Duration::from_secs(500) && due < now + Duration::from_secs(600));
    assert_eq!(refresh.uri.to_string(), format!("sip:presence@{SERVER}"));
    assert_eq!(refresh.headers.to_addr().unwrap().tag(), Some("n"));
    assert_eq!(refresh.headers.call_id(), first.headers.call_id());
    assert_eq!(
        refresh.headers.cseq().unwrap().seq,
        first.headers.cseq().unwrap().seq + 1
    );
    accept(&mut u, due, &refresh, 600);

    u.unsubscribe(due, id);
    let end = sent(&mut u);
    assert_eq!(end.headers.get(&HeaderName::Expires), Some("0"));
    assert!(
        u.exchanges_pending(),
        "the unsubscribe waits for its answer"
    );
    accept(&mut u, due, &end, 0);
    assert!(!u.exchanges_pending());
    assert!(u.subscription(id).is_none());
}

#[test]
fn a_lost_dialog_and_a_deactivated_subscription_are_made_anew() {
    let mut u = ua();
    let now = Instant::now();
    let id = u
        .subscribe(
            now,
            AccountId(0),
            &bob(),
            "presence",
            "application/pidf+xml",
            600,
        )
        .unwrap();
    let first = sent(&mut u);
    accept(&mut u, now, &first, 600);
    let (due, refresh) = next_subscribe(&mut u, now);
    u.handle_datagram(
        due,
        addr(SERVER),
        &response_to(&refresh, 481, Some("n")).to_bytes(),
    );
    let anew = sent(&mut u);
    assert_ne!(
        anew.headers.call_id(),
        first.headers.call_id(),
        "a new dialog"
    );
    assert!(anew.headers.to_addr().unwrap().tag().is_none());
    accept(&mut u, due, &anew, 600);

    // The server is going away: terminated;reason=deactivated, at once anew.
    u.handle_datagram(
        due,
        addr(SERVER),
        &notify(&anew, 1, "terminated;reason=deactivated", ""),
    );
    assert_eq!(answered(&mut u), 200);
    let again = sent(&mut u);
    assert_ne!(again.headers.call_id(), anew.headers.call_id());
    let got = events(&mut u);
    assert!(
        got.iter().any(
            |e| matches!(e, Event::SubscriptionEnded { id: i, retrying: true, .. } if *i == id)
        ),
        "{got:?}"
    );
}

#[test]
fn rejected_is_given_up_and_silence_backs_off() {
    let mut u = ua();
    let mut now = Instant::now();
    let id = u
        .subscribe(
            now,
            AccountId(0),
            &bob(),
            "presence",
            "application/pidf+xml",
            600,
        )
        .unwrap();
    let first = sent(&mut u);
    accept(&mut u, now, &first, 600);
    u.handle_datagram(
        now,
        addr(SERVER),
        &notify(&first, 1, "terminated;reason=rejected", ""),
    );
    assert_eq!(answered(&mut u), 200);
    assert!(u.poll_transmit().is_none(), "not asked again");
    assert!(
        events(&mut u).iter().any(
            |e| matches!(e, Event::SubscriptionEnded { id: i, retrying: false, .. } if *i == id)
        )
    );
    assert!(u.subscription(id).is_none());

    // Nobody answers (each try ends after 64*T1 = 32 s): tried again 30 s
    // after the first failure, then 60 s after the second.
    let id = u
        .subscribe(
            now,
            AccountId(0),
            &bob(),
            "dialog",
            "application/dialog-info+xml",
            600,
        )
        .unwrap();
    let (started, first) = next_subscribe(&mut u, now);
    let mut tries = vec![started];
    let mut dialog = first.headers.call_id().map(str::to_string);
    now = started;
    while tries.len() < 3 {
        // Retransmissions keep the Call-ID; a new try is a new dialog.
        let (at, r) = next_subscribe(&mut u, now);
        now = at;
        let call_id = r.headers.call_id().map(str::to_string);
        if call_id != dialog {
            dialog = call_id;
            tries.push(now);
        }
    }
    assert!(
        events(&mut u).iter().any(
            |e| matches!(e, Event::SubscriptionEnded { id: i, retrying: true, .. } if *i == id)
        )
    );
    let gaps: Vec<Duration> = tries.windows(2).map(|w| w[1] - w[0]).collect();
    let t1_64 = Duration::from_secs(32);
    assert_eq!(
        gaps,
        [
            t1_64 + Duration::from_secs(30),
            t1_64 + Duration::from_secs(60)
        ]
    );
}

#[test]
fn a_notify_for_no_subscription_is_481() {
    let mut u = ua();
    let now = Instant::now();
    let _ = u
        .subscribe(
            now,
            AccountId(0),
            &bob(),
            "presence",
            "application/pidf+xml",
            600,
        )
        .unwrap();
    let first = sent(&mut u);
    let mut stranger = notify(&first, 1, "active", "");
    let text = String::from_utf8(stranger.clone())
        .unwrap()
        .replace("Call-ID: ", "Call-ID: other-");
    stranger = text.into_bytes();
    u.handle_datagram(now, addr(SERVER), &stranger);
    assert_eq!(answered(&mut u), 481);
    assert!(events(&mut u).is_empty());
}
