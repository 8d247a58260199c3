//! Every RFC 3261 transaction timer (A B D E F G H I J K, and RFC 6026's L and M),
//! driven by an injected clock: no test sleeps.

use std::time::{Duration, Instant};

use hookswitch_sip::message::{Message, Request, Response, parse_datagram};
use hookswitch_sip::transaction::{
    ClientInvite, ClientNonInvite, Reliability, ServerInvite, ServerNonInvite, TimerConfig,
    TxOutput,
};

const T1: Duration = Duration::from_millis(500);

fn msg(text: &str) -> Message {
    parse_datagram(text.replace('\n', "\r\n").as_bytes()).unwrap()
}

fn request(method: &str) -> Request {
    match msg(&format!(
        "{method} sip:bob@192.0.2.2 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKt1\nFrom: <sip:alice@192.0.2.1>;tag=a\nTo: <sip:bob@192.0.2.2>\nCall-ID: timers@192.0.2.1\nCSeq: 1 {method}\nMax-Forwards: 70\n\n"
    )) {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

fn response(status: u16, method: &str) -> Response {
    match msg(&format!(
        "SIP/2.0 {status} Whatever\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKt1\nFrom: <sip:alice@192.0.2.1>;tag=a\nTo: <sip:bob@192.0.2.2>;tag=b\nCall-ID: timers@192.0.2.1\nCSeq: 1 {method}\n\n"
    )) {
        Message::Response(r) => r,
        Message::Request(_) => unreachable!(),
    }
}

fn sends(out: &[TxOutput]) -> usize {
    out.iter()
        .filter(|o| matches!(o, TxOutput::Send(_)))
        .count()
}

/// Runs the transaction's timers up to `until`, returning the instants at which
/// something was sent and whether it timed out.
macro_rules! run_until {
    ($tx:expr, $until:expr) => {{
        let mut sent_at = Vec::new();
        let mut timed_out = false;
        while let Some(t) = $tx.poll_timeout() {
            if t > $until {
                break;
            }
            let mut out = Vec::new();
            $tx.on_timeout(t, &mut out);
            for _ in 0..sends(&out) {
                sent_at.push(t);
            }
            timed_out |= out.contains(&TxOutput::Timeout);
        }
        (sent_at, timed_out)
    }};
}

#[test]
fn timer_a_doubles_and_timer_b_times_out_invite() {
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut tx = ClientInvite::start(
        request("INVITE"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut out,
    );
    assert_eq!(sends(&out), 1);
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(40));
    let offsets: Vec<u128> = sent.iter().map(|t| (*t - t0).as_millis()).collect();
    // A fires at T1, 3T1, 7T1, ... until B at 64*T1 = 32 s.
    assert_eq!(offsets, [500, 1500, 3500, 7500, 15500, 31500]);
    assert!(timed_out);
    assert!(tx.is_terminated());
}

#[test]
fn no_timer_a_over_reliable_transport() {
    let t0 = Instant::now();
    let mut tx = ClientInvite::start(
        request("INVITE"),
        Reliability::Reliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    assert_eq!(tx.poll_timeout(), Some(t0 + 64 * T1));
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(40));
    assert!(sent.is_empty());
    assert!(timed_out);
}

#[test]
fn provisional_stops_a_and_b() {
    let t0 = Instant::now();
    let mut tx = ClientInvite::start(
        request("INVITE"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    tx.on_response(response(180, "INVITE"), t0 + T1 / 2, &mut out);
    assert!(matches!(&out[..], [TxOutput::Response(r)] if r.status == 180));
    assert_eq!(tx.poll_timeout(), None, "a ringing call may ring for ever");
}

#[test]
fn timer_d_absorbs_final_retransmissions_then_ends() {
    let t0 = Instant::now();
    let mut tx = ClientInvite::start(
        request("INVITE"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    tx.on_response(response(486, "INVITE"), t0, &mut out);
    // ACK sent, response delivered once.
    assert_eq!(sends(&out), 1);
    let ack = match &out[0] {
        TxOutput::Send(b) => String::from_utf8(b.clone()).unwrap(),
        _ => unreachable!(),
    };
    assert!(ack.starts_with("ACK sip:bob@192.0.2.2 SIP/2.0\r\n"));
    assert!(ack.contains("branch=z9hG4bKt1"));
    assert!(ack.contains("To: <sip:bob@192.0.2.2>;tag=b"));
    assert!(ack.contains("CSeq: 1 ACK"));
    // A retransmitted 486 gets the ACK again and is not delivered.
    let mut out = Vec::new();
    tx.on_response(response(486, "INVITE"), t0 + T1, &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(sends(&out), 1);
    assert_eq!(tx.poll_timeout(), Some(t0 + Duration::from_secs(32)));
    run_until!(tx, t0 + Duration::from_secs(32));
    assert!(tx.is_terminated());
}

#[test]
fn timer_m_keeps_accepted_for_2xx_retransmissions() {
    let t0 = Instant::now();
    let mut tx = ClientInvite::start(
        request("INVITE"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    tx.on_response(response(200, "INVITE"), t0, &mut out);
    tx.on_response(response(200, "INVITE"), t0 + T1, &mut out);
    // Both 2xx reach the TU (it ACKs each); the transaction sends nothing itself.
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, TxOutput::Response(_)))
            .count(),
        2
    );
    assert_eq!(sends(&out), 0);
    assert_eq!(tx.poll_timeout(), Some(t0 + 64 * T1));
    run_until!(tx, t0 + 64 * T1);
    assert!(tx.is_terminated());
}

#[test]
fn timer_e_caps_at_t2_and_timer_f_times_out() {
    let t0 = Instant::now();
    let mut tx = ClientNonInvite::start(
        request("OPTIONS"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(40));
    let offsets: Vec<u128> = sent.iter().map(|t| (*t - t0).as_millis()).collect();
    // 0.5, 1.5, 3.5, 7.5 (interval capped at T2 = 4 s), then every 4 s until F at 32 s.
    assert_eq!(
        offsets,
        [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert!(timed_out);
}

#[test]
fn timer_e_runs_at_t2_once_proceeding() {
    let t0 = Instant::now();
    let mut tx = ClientNonInvite::start(
        request("REGISTER"),
        Reliability::Unreliable,
        TimerConfig::default(),
        t0,
        &mut Vec::new(),
    );
    tx.on_response(
        response(100, "REGISTER"),
        t0 + Duration::from_millis(100),
        &mut Vec::new(),
    );
    let (sent, _) = run_until!(tx, t0 + Duration::from_secs(10));
    let offsets: Vec<u128> = sent.iter().map(|t| (*t - t0).as_millis()).collect();
    assert_eq!(offsets, [500, 4500, 8500]);
}

#[test]
fn timer_k_absorbs_then_ends() {
    let t0 = Instant::now();
    let cfg = TimerConfig::default();
    let mut tx = ClientNonInvite::start(
        request("BYE"),
        Reliability::Unreliable,
        cfg,
        t0,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    tx.on_response(response(200, "BYE"), t0, &mut out);
    tx.on_response(response(200, "BYE"), t0 + T1, &mut out);
    assert_eq!(out.len(), 1, "the retransmitted 200 is absorbed");
    assert_eq!(tx.poll_timeout(), Some(t0 + cfg.t4));
    run_until!(tx, t0 + cfg.t4);
    assert!(tx.is_terminated());
    // Over TCP, K is zero.
    let mut tx = ClientNonInvite::start(
        request("BYE"),
        Reliability::Reliable,
        cfg,
        t0,
        &mut Vec::new(),
    );
    tx.on_response(response(200, "BYE"), t0, &mut Vec::new());
    assert_eq!(tx.poll_timeout(), Some(t0));
}

#[test]
fn timers_g_h_retransmit_final_until_ack_or_give_up() {
    let t0 = Instant::now();
    let mut tx = ServerInvite::new(Reliability::Unreliable, TimerConfig::default());
    let mut out = Vec::new();
    tx.send_response(&response(180, "INVITE"), t0, &mut out);
    // An INVITE retransmission gets the last provisional again.
    tx.on_request(&request("INVITE"), t0, &mut out);
    assert_eq!(sends(&out), 2);
    tx.send_response(&response(486, "INVITE"), t0, &mut Vec::new());
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(40));
    let offsets: Vec<u128> = sent.iter().map(|t| (*t - t0).as_millis()).collect();
    // G: 0.5, 1.5, 3.5, 7.5, then every T2; H at 32 s.
    assert_eq!(
        offsets,
        [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert!(timed_out, "H fires without an ACK");
    assert!(tx.is_terminated());
}

#[test]
fn timer_i_after_ack() {
    let t0 = Instant::now();
    let cfg = TimerConfig::default();
    let mut tx = ServerInvite::new(Reliability::Unreliable, cfg);
    tx.send_response(&response(603, "INVITE"), t0, &mut Vec::new());
    let mut out = Vec::new();
    tx.on_request(&request("ACK"), t0 + T1 / 2, &mut out);
    assert!(out.is_empty());
    assert_eq!(tx.poll_timeout(), Some(t0 + T1 / 2 + cfg.t4));
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(40));
    assert!(sent.is_empty() && !timed_out);
    assert!(tx.is_terminated());
}

#[test]
fn timer_l_absorbs_invite_retransmissions_after_2xx() {
    let t0 = Instant::now();
    let mut tx = ServerInvite::new(Reliability::Unreliable, TimerConfig::default());
    tx.send_response(&response(200, "INVITE"), t0, &mut Vec::new());
    let mut out = Vec::new();
    tx.on_request(&request("INVITE"), t0 + T1, &mut out);
    assert!(
        out.is_empty(),
        "the TU, not the transaction, retransmits the 2xx"
    );
    assert_eq!(tx.poll_timeout(), Some(t0 + 64 * T1));
    run_until!(tx, t0 + 64 * T1);
    assert!(tx.is_terminated());
}

#[test]
fn timer_j_answers_retransmissions_then_ends() {
    let t0 = Instant::now();
    let mut tx = ServerNonInvite::new(Reliability::Unreliable, TimerConfig::default());
    let mut out = Vec::new();
    tx.on_request(&mut out);
    assert!(out.is_empty(), "nothing to repeat before the TU answers");
    tx.send_response(&response(200, "OPTIONS"), t0, &mut out);
    tx.on_request(&mut out);
    assert_eq!(sends(&out), 2);
    assert_eq!(tx.poll_timeout(), Some(t0 + 64 * T1));
    run_until!(tx, t0 + 64 * T1);
    assert!(tx.is_terminated());
    let mut tx = ServerNonInvite::new(Reliability::Reliable, TimerConfig::default());
    tx.send_response(&response(200, "OPTIONS"), t0, &mut Vec::new());
    assert_eq!(tx.poll_timeout(), Some(t0));
}

#[test]
fn configurable_t1_scales_every_timer() {
    let cfg = TimerConfig {
        t1: Duration::from_millis(100),
        t2: Duration::from_millis(400),
        t4: Duration::from_millis(500),
    };
    let t0 = Instant::now();
    let mut tx = ClientNonInvite::start(
        request("OPTIONS"),
        Reliability::Unreliable,
        cfg,
        t0,
        &mut Vec::new(),
    );
    let (sent, timed_out) = run_until!(tx, t0 + Duration::from_secs(10));
    assert!(timed_out);
    assert_eq!(*sent.last().unwrap() - t0, Duration::from_millis(6300));
    assert!(sent.len() > 10);
}
