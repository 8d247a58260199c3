//! A flood of requests costs what it sends, not memory and not time per
//! event: server transactions keep only their last response (a 60 kB
//! request is not kept for Timer J's 32 s), past 4 MiB of them (responses
//! and places in the table counted) a new request
//! is answered 503 at once and kept nowhere, every transaction goes when its
//! timer says, finding the next deadline does not scan them all, and the
//! table's room goes back once they are gone.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::message::{Message, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{
    AcceptMessages, Config, Keepalive, SERVER_BYTES_BUDGET, SERVER_TRANSACTION_COST, UserAgent,
};

fn ua() -> UserAgent {
    UserAgent::new(Config {
        local: "127.0.0.1:5060".parse().unwrap(),
        timers: TimerConfig::default(),
        accounts: Vec::new(),
        contact_user: "hs".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: AcceptMessages::Any,
    })
}

/// An OPTIONS of its own branch from `source`, padded with a header of
/// `pad` bytes.
fn options(n: u32, source: SocketAddr, pad: usize) -> Vec<u8> {
    format!(
        "OPTIONS sip:hs@127.0.0.1:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {source};branch=z9hG4bK-flood-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:flood@{source}>;tag=f{n}\r\n\
         To: <sip:hs@127.0.0.1:5060>\r\n\
         Call-ID: flood-{n}@{source}\r\n\
         CSeq: 1 OPTIONS\r\n\
         X-Pad: {}\r\n\
         Content-Length: 0\r\n\r\n",
        "x".repeat(pad)
    )
    .into_bytes()
}

fn statuses(ua: &mut UserAgent) -> Vec<u16> {
    let mut out = Vec::new();
    while let Some(t) = ua.poll_transmit() {
        if let Ok(Message::Response(r)) = parse_datagram(&t.payload) {
            out.push(r.status);
        }
    }
    out
}

#[test]
fn large_requests_are_answered_but_not_kept() {
    let mut ua = ua();
    let t0 = Instant::now();
    let source: SocketAddr = "192.0.2.7:5060".parse().unwrap();
    for n in 0..200 {
        ua.handle_datagram(t0, source, &options(n, source, 60_000));
    }
    assert_eq!(statuses(&mut ua), vec![200; 200]);
    let (open, bytes) = ua.transactions();
    assert_eq!(open, 200, "each in Timer J, to absorb retransmissions");
    // What is kept is the 200 (with its copied headers), not the request:
    // 200 requests of 60 kB would be 12 MB. Each is counted with its place
    // in the table.
    assert!(
        bytes < 200 * (1024 + SERVER_TRANSACTION_COST),
        "{bytes} bytes kept for 200 transactions"
    );
    // A retransmission is answered again from what was kept.
    ua.handle_datagram(t0, source, &options(7, source, 60_000));
    assert_eq!(statuses(&mut ua), vec![200]);
}

#[test]
fn past_the_budget_new_requests_get_503_and_timer_j_empties_the_table() {
    let mut ua = ua();
    let t0 = Instant::now();
    let source: SocketAddr = "192.0.2.8:5060".parse().unwrap();
    let mut answered = Vec::new();
    // Requests with a 2 kB header each: their 200s copy no more of them
    // than the headers a response must repeat, so it takes many to fill 4 MiB.
    let mut n = 0;
    while answered.last() != Some(&503) && n < 100_000 {
        ua.handle_datagram(t0, source, &options(n, source, 2_000));
        answered.extend(statuses(&mut ua));
        n += 1;
    }
    assert_eq!(answered.last(), Some(&503), "refused past the budget");
    let (open, bytes) = ua.transactions();
    assert!(
        (SERVER_BYTES_BUDGET..SERVER_BYTES_BUDGET + 4096).contains(&bytes),
        "{bytes}"
    );
    assert_eq!(ua.stats().refused_over_budget, 1);
    // More of them: all refused, nothing more kept.
    for m in 0..1000 {
        ua.handle_datagram(t0, source, &options(n + m, source, 2_000));
    }
    assert!(statuses(&mut ua).iter().all(|s| *s == 503));
    assert_eq!(ua.transactions(), (open, bytes));
    assert_eq!(ua.stats().refused_over_budget, 1001);

    let (map_room, heap_room) = ua.transaction_room();
    assert!(
        map_room >= open && heap_room >= open,
        "{map_room} {heap_room}"
    );

    // Timer J (64*T1 = 32 s) ends them all at once; the next deadline is
    // then none, the table gives its room back, and requests are taken
    // again.
    assert_eq!(ua.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    ua.handle_timeout(t0 + Duration::from_secs(31));
    assert_eq!(ua.transactions().0, open);
    ua.handle_timeout(t0 + Duration::from_secs(32));
    assert_eq!(ua.transactions(), (0, 0));
    assert_eq!(ua.poll_timeout(), None);
    let (map_room, heap_room) = ua.transaction_room();
    assert!(
        map_room <= 128 && heap_room <= 128,
        "room kept after the flood: map {map_room}, heap {heap_room} (of {open} transactions)"
    );
    ua.handle_datagram(
        t0 + Duration::from_secs(33),
        source,
        &options(999_999, source, 10),
    );
    assert_eq!(statuses(&mut ua), vec![200]);
}
