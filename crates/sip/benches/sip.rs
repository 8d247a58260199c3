//! SIP micro-benchmarks: parse and serialise rates, and the in-process time from
//! an INVITE datagram arriving to our 180 Ringing being handed to the socket.
//! Run with `cargo xtask bench sip` (which also measures baresip for reference).

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hookswitch_sip::message::parse_datagram;
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{Config, Event, UserAgent};

/// A typical INVITE from a desk phone, with SDP.
fn invite(branch: u64) -> Vec<u8> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
    format!(
        "INVITE sip:bob@192.0.2.20:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK{branch:x};rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@example.com>;tag=9fxced76sl\r\nTo: <sip:bob@example.com>\r\nCall-ID: {branch:x}-3848276298220188511@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10:5060>\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\nUser-Agent: Bench/1.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

fn bench(c: &mut Criterion) {
    let wire = invite(1);
    let wsinv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/torture/wsinv.dat"
    ))
    .unwrap();
    let mut g = c.benchmark_group("message");
    g.throughput(Throughput::Elements(1));
    g.bench_function("parse_invite", |b| {
        b.iter(|| parse_datagram(black_box(&wire)).unwrap())
    });
    g.bench_function("parse_torture_wsinv", |b| {
        b.iter(|| parse_datagram(black_box(&wsinv)).unwrap())
    });
    let parsed = parse_datagram(&wire).unwrap();
    g.bench_function("serialise_invite", |b| {
        b.iter(|| black_box(&parsed).to_bytes())
    });
    g.finish();

    let mut g = c.benchmark_group("call_path");
    g.bench_function("invite_to_180", |b| {
        let source: SocketAddr = "192.0.2.10:5060".parse().unwrap();
        let mut ua = UserAgent::new(Config {
            local: "192.0.2.20:5060".parse().unwrap(),
            timers: TimerConfig::default(),
            accounts: Vec::new(),
            contact_user: "bob".into(),
            keepalive: hookswitch_sip::ua::Keepalive::Off,
            tls_port: None,
            local_v6: None,
            accept_messages: hookswitch_sip::ua::AcceptMessages::No,
        });
        let mut n = 0u64;
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let datagram = invite(n);
                let start = Instant::now();
                ua.handle_datagram(start, source, &datagram);
                let call = loop {
                    match ua.poll_event() {
                        Some(Event::IncomingCall { call, .. }) => break call,
                        Some(_) => {}
                        None => panic!("no incoming call"),
                    }
                };
                ua.ring(start, call).unwrap();
                let mut saw_180 = false;
                while let Some(t) = ua.poll_transmit() {
                    saw_180 |= t.payload.starts_with(b"SIP/2.0 180");
                }
                total += start.elapsed();
                assert!(saw_180);
                // Keep the UA small: end the call (not timed).
                ua.reject(start, call, 486).unwrap();
                while ua.poll_transmit().is_some() {}
                while ua.poll_event().is_some() {}
            }
            total
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
