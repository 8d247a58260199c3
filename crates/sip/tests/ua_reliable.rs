//! Reliable provisional responses (RFC 3262) both ways, in virtual time:
//! as the caller we PRACK each reliable 18x once and in order (RAck, the
//! early dialog's own CSeq), drop repeats and gaps, and take the answer from
//! a reliable 183; as the called side we send 18x reliably when the INVITE
//! requires 100rel, repeat them until the PRACK, hold the 2xx until then,
//! and give the call up with 504 when no PRACK ever comes.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::message::{HeaderName, Message, Request, Response, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{Config, EndReason, Event, Keepalive, UserAgent, response_to};
use support::{DESK, Rig, addr};

fn reliable(rseq: &str) -> [(HeaderName, &str); 2] {
    [(HeaderName::Require, "100rel"), (HeaderName::RSeq, rseq)]
}

fn pracks(rig: &Rig) -> Vec<Request> {
    rig.sent
        .iter()
        .filter_map(|(_, m)| match m {
            Message::Request(r) if r.method.as_str() == "PRACK" => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn progress(rig: &Rig) -> Vec<(u16, Option<Vec<u8>>)> {
    rig.events
        .iter()
        .filter_map(|e| match e {
            Event::Progress { status, sdp, .. } => Some((*status, sdp.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn our_invite_supports_100rel_and_each_reliable_18x_is_pracked_once_in_order() {
    let mut rig = Rig::calling();
    assert_eq!(
        rig.invite.headers.get(&HeaderName::Supported),
        Some("100rel")
    );
    let invite_seq = rig.invite.headers.cseq().unwrap().seq;
    rig.answer_with(180, "desk", DESK, None, &reliable("5"));
    let first = pracks(&rig);
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].headers.get(&HeaderName::RAck),
        Some(format!("5 {invite_seq} INVITE").as_str())
    );
    assert_eq!(first[0].headers.cseq().unwrap().seq, invite_seq + 1);
    assert_eq!(first[0].uri.to_string(), format!("sip:bob@{DESK}"));
    // The same 180 again, and one that skips an RSeq: neither is taken.
    rig.answer_with(180, "desk", DESK, None, &reliable("5"));
    rig.answer_with(183, "desk", DESK, Some("v=0 gap"), &reliable("7"));
    assert_eq!(pracks(&rig).len(), 1);
    assert_eq!(progress(&rig), [(180, None)]);
    // The next one in order, with the answer in it.
    rig.answer_with(183, "desk", DESK, Some("v=0 early"), &reliable("6"));
    let all = pracks(&rig);
    assert_eq!(all.len(), 2);
    assert!(all[1].body.is_empty(), "our offer was in the INVITE");
    assert_eq!(all[1].headers.cseq().unwrap().seq, invite_seq + 2);
    assert_eq!(progress(&rig)[1], (183, Some(b"v=0 early".to_vec())));
    // The 2xx without SDP: the early answer stands; the dialog's numbering
    // goes on after the PRACKs.
    rig.answer(200, "desk", DESK, None);
    let call = rig.ua.active_calls()[0];
    rig.ua.hangup(rig.now, call).unwrap();
    rig.drain();
    let bye = rig.last_request("BYE").unwrap();
    assert_eq!(bye.headers.cseq().unwrap().seq, invite_seq + 3);
}

#[test]
fn each_forks_reliable_provisionals_are_pracked_in_its_own_dialog() {
    let mut rig = Rig::calling();
    rig.answer_with(180, "desk", DESK, None, &reliable("1"));
    rig.answer_with(180, "mobile", support::MOBILE, None, &reliable("900"));
    let all = pracks(&rig);
    assert_eq!(all.len(), 2);
    let to_tag = |r: &Request| r.headers.to_addr().unwrap().tag().unwrap().to_string();
    assert_eq!(
        (to_tag(&all[0]), to_tag(&all[1])),
        ("desk".into(), "mobile".into())
    );
    assert!(
        all[1]
            .headers
            .get(&HeaderName::RAck)
            .unwrap()
            .starts_with("900 ")
    );
}

// ---- the called side ----

const PEER: &str = "127.0.0.1:5099";

fn callee() -> (UserAgent, Instant) {
    let ua = UserAgent::new(Config {
        local: "127.0.0.1:5062".parse().unwrap(),
        timers: TimerConfig::default(),
        accounts: vec![],
        contact_user: "bob".into(),
        keepalive: Keepalive::Off,
        tls_port: None,
        local_v6: None,
        accept_messages: hookswitch_sip::ua::AcceptMessages::No,
    });
    (ua, Instant::now())
}

fn invite(require: &str) -> String {
    format!(
        "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PEER};branch=z9hG4bKrel1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{PEER}>;tag=a1\r\n\
         To: <sip:bob@127.0.0.1:5062>\r\n\
         Call-ID: reliable-1@{PEER}\r\n\
         CSeq: 10 INVITE\r\n\
         Contact: <sip:alice@{PEER}>\r\n\
         {require}\
         Supported: 100rel\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: 9\r\n\r\nv=0 offer"
    )
}

fn responses(ua: &mut UserAgent) -> Vec<Response> {
    std::iter::from_fn(|| ua.poll_transmit())
        .filter_map(|t| match parse_datagram(&t.payload) {
            Ok(Message::Response(r)) => Some(r),
            _ => None,
        })
        .collect()
}

fn prack(rack: &str, to_tag: &str, cseq: u32) -> String {
    format!(
        "PRACK sip:bob@127.0.0.1:5062 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {PEER};branch=z9hG4bKprack{rack_id}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:alice@{PEER}>;tag=a1\r\n\
         To: <sip:bob@127.0.0.1:5062>;tag={to_tag}\r\n\
         Call-ID: reliable-1@{PEER}\r\n\
         CSeq: {cseq} PRACK\r\n\
         RAck: {rack}\r\n\
         Content-Length: 0\r\n\r\n",
        rack_id = rack.replace(' ', "")
    )
}

fn incoming(ua: &mut UserAgent) -> hookswitch_sip::ua::CallId {
    std::iter::from_fn(|| ua.poll_event())
        .find_map(|e| match e {
            Event::IncomingCall { call, .. } => Some(call),
            _ => None,
        })
        .expect("a call")
}

#[test]
fn a_required_100rel_gets_reliable_provisionals_and_the_2xx_waits_for_the_prack() {
    let (mut ua, mut now) = callee();
    let peer: SocketAddr = addr(PEER);
    ua.handle_datagram(now, peer, invite("Require: 100rel\r\n").as_bytes());
    let call = incoming(&mut ua);
    responses(&mut ua); // 100 Trying
    ua.ring(now, call).unwrap();
    let ringing = responses(&mut ua);
    assert_eq!(ringing.len(), 1);
    let r = &ringing[0];
    assert_eq!(r.status, 180);
    assert_eq!(r.headers.get(&HeaderName::Require), Some("100rel"));
    let rseq: u32 = r.headers.get(&HeaderName::RSeq).unwrap().parse().unwrap();
    let tag = r.headers.to_addr().unwrap().tag().unwrap().to_string();
    // Answered before the PRACK: the 2xx waits.
    ua.answer(now, call, b"v=0 answer".to_vec()).unwrap();
    assert!(responses(&mut ua).is_empty(), "no 2xx before the PRACK");
    // Unacknowledged, the 180 is repeated after T1.
    now += Duration::from_millis(501);
    ua.handle_timeout(now);
    let again = responses(&mut ua);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].status, 180);
    assert_eq!(
        again[0].headers.get(&HeaderName::RSeq),
        r.headers.get(&HeaderName::RSeq)
    );
    // A PRACK for another RSeq is no match: 481, and the 2xx still waits.
    ua.handle_datagram(
        now,
        peer,
        prack(&format!("{} 10 INVITE", rseq + 1), &tag, 11).as_bytes(),
    );
    let wrong = responses(&mut ua);
    assert_eq!(wrong.iter().map(|r| r.status).collect::<Vec<_>>(), [481]);
    // The right one: its 200, then the INVITE's 200.
    ua.handle_datagram(
        now,
        peer,
        prack(&format!("{rseq} 10 INVITE"), &tag, 12).as_bytes(),
    );
    let after = responses(&mut ua);
    let statuses: Vec<(u16, String)> = after
        .iter()
        .map(|r| (r.status, r.headers.cseq().unwrap().method.to_string()))
        .collect();
    assert_eq!(
        statuses,
        [(200, "PRACK".to_string()), (200, "INVITE".to_string())]
    );
    // No more 180s.
    now += Duration::from_secs(5);
    ua.handle_timeout(now);
    assert!(responses(&mut ua).iter().all(|r| r.status != 180));
}

#[test]
fn no_prack_at_all_gives_the_call_up_with_504() {
    let (mut ua, mut now) = callee();
    ua.handle_datagram(now, addr(PEER), invite("Require: 100rel\r\n").as_bytes());
    let call = incoming(&mut ua);
    ua.ring(now, call).unwrap();
    responses(&mut ua);
    let mut ended = None;
    for _ in 0..200 {
        let Some(t) = ua.poll_timeout() else { break };
        now = now.max(t);
        ua.handle_timeout(now);
        if let Some(r) = responses(&mut ua).into_iter().find(|r| r.status >= 300) {
            ended = Some(r.status);
            break;
        }
    }
    assert_eq!(ended, Some(504));
    let reason = std::iter::from_fn(|| ua.poll_event()).find_map(|e| match e {
        Event::Ended { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, Some(EndReason::Timeout));
}

#[test]
fn only_supported_gets_plain_provisionals_and_unknown_requirements_get_420() {
    let (mut ua, now) = callee();
    ua.handle_datagram(now, addr(PEER), invite("").as_bytes());
    let call = incoming(&mut ua);
    responses(&mut ua);
    ua.ring(now, call).unwrap();
    let ringing = responses(&mut ua);
    assert_eq!(ringing[0].headers.get(&HeaderName::RSeq), None);

    let (mut ua, now) = callee();
    let text = invite("Require: 100rel, precondition\r\n").replace("rel1", "rel2");
    ua.handle_datagram(now, addr(PEER), text.as_bytes());
    let refused = responses(&mut ua);
    assert_eq!(refused[0].status, 420);
    assert_eq!(
        refused[0].headers.get(&HeaderName::Unsupported),
        Some("precondition")
    );
    let _ = response_to;
}
