//! A forking proxy's answers to one INVITE (RFC 3261 12.1.2, 13.2.2.4): early
//! dialogs per To tag, the first 2xx confirms the call, every other 2xx is
//! ACKed and ended with a BYE, a repeated 2xx gets its own ACK again. The
//! proxy is scripted here: each response is what a forking proxy relays
//! from one of its branches (its own To tag and Contact).

mod support;

use hookswitch_sip::message::{HeaderName, Message};
use hookswitch_sip::ua::{Event, response_to};
use std::time::Duration;
use support::{DESK, MOBILE, Rig, addr};

#[test]
fn two_forks_answer_the_first_is_kept_the_second_acked_and_ended() {
    let mut rig = Rig::calling();
    rig.answer(180, "desk", DESK, None);
    rig.answer(180, "mobile", MOBILE, None);
    rig.answer(200, "mobile", MOBILE, Some("v=0 mobile"));
    let mark = rig.sent.len();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));

    assert_eq!(rig.established(), [Some(b"v=0 mobile".to_vec())]);
    // The desk phone's 2xx: its own ACK to its own Contact, then a BYE.
    assert_eq!(rig.requests(mark, "ACK"), [(addr(DESK), "desk".into())]);
    assert_eq!(rig.requests(mark, "BYE"), [(addr(DESK), "desk".into())]);

    // Each 2xx again: only its ACK again, to the same place; no new BYE.
    let mark = rig.sent.len();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));
    rig.answer(200, "mobile", MOBILE, Some("v=0 mobile"));
    assert_eq!(
        rig.requests(mark, "ACK"),
        [(addr(DESK), "desk".into()), (addr(MOBILE), "mobile".into())]
    );
    assert!(rig.requests(mark, "BYE").is_empty());
    assert_eq!(rig.established().len(), 1, "one call, established once");

    // The ACK for a repeat is the same message (RFC 3261 13.2.2.4).
    let acks: Vec<String> = rig
        .sent
        .iter()
        .filter_map(|(to, m)| match m {
            Message::Request(r) if r.method.as_str() == "ACK" && *to == addr(MOBILE) => {
                Some(String::from_utf8_lossy(&r.to_bytes()).to_string())
            }
            _ => None,
        })
        .collect();
    assert_eq!(acks.len(), 2);
    assert_eq!(acks[0], acks[1]);

    // The BYE of the extra dialog is in that dialog: CSeq above the INVITE's.
    let bye = rig.sent.iter().find_map(|(_, m)| match m {
        Message::Request(r) if r.method.as_str() == "BYE" => Some(r.clone()),
        _ => None,
    });
    let invite_seq = rig.invite.headers.cseq().unwrap().seq;
    assert!(bye.unwrap().headers.cseq().unwrap().seq > invite_seq);
}

#[test]
fn a_fork_answering_after_timer_m_is_still_acked_and_ended() {
    let mut rig = Rig::calling();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));
    // Long after the INVITE transaction is gone (Timer M, 64*T1).
    rig.advance(Duration::from_secs(40));
    let mark = rig.sent.len();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));
    assert_eq!(rig.requests(mark, "ACK"), [(addr(DESK), "desk".into())]);
    assert!(rig.requests(mark, "BYE").is_empty());

    let mark = rig.sent.len();
    rig.answer(200, "late", MOBILE, Some("v=0 late"));
    assert_eq!(rig.requests(mark, "ACK"), [(addr(MOBILE), "late".into())]);
    assert_eq!(rig.requests(mark, "BYE"), [(addr(MOBILE), "late".into())]);
    assert_eq!(rig.established().len(), 1);
}

#[test]
fn early_media_of_the_latest_fork_plays_and_the_confirmed_dialogs_takes_over() {
    let mut rig = Rig::calling();
    rig.answer(183, "desk", DESK, Some("v=0 desk early"));
    rig.answer(183, "annc", MOBILE, Some("v=0 announcement"));
    let progress: Vec<Option<Vec<u8>>> = rig
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Progress { sdp, .. } => Some(sdp.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        progress,
        [
            Some(b"v=0 desk early".to_vec()),
            Some(b"v=0 announcement".to_vec())
        ]
    );
    // The desk phone answers with no SDP in its 2xx (its answer came in its
    // 183): its early answer is the call's, as the announcement played last.
    rig.answer(200, "desk", DESK, None);
    assert_eq!(rig.established(), [Some(b"v=0 desk early".to_vec())]);
    // In-dialog requests now go to the desk phone.
    let mark = rig.sent.len();
    let call = rig.ua.active_calls()[0];
    rig.ua.hangup(rig.now, call).unwrap();
    rig.drain();
    assert_eq!(rig.requests(mark, "BYE"), [(addr(DESK), "desk".into())]);
}

#[test]
fn a_fork_answering_after_we_hung_up_is_acked_and_ended_each() {
    let mut rig = Rig::calling();
    rig.answer(180, "desk", DESK, None);
    let call = rig.ua.active_calls()[0];
    rig.ua.hangup(rig.now, call).unwrap();
    rig.drain();
    // Both branches answered before the CANCEL reached them.
    let mark = rig.sent.len();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));
    rig.answer(200, "mobile", MOBILE, Some("v=0 mobile"));
    assert_eq!(
        rig.requests(mark, "ACK"),
        [(addr(DESK), "desk".into()), (addr(MOBILE), "mobile".into())]
    );
    assert_eq!(
        rig.requests(mark, "BYE"),
        [(addr(DESK), "desk".into()), (addr(MOBILE), "mobile".into())]
    );
    assert!(rig.established().is_empty());
}

#[test]
fn a_retransmitted_reinvite_2xx_is_acked_again_without_a_second_answer() {
    let mut rig = Rig::calling();
    rig.answer(200, "desk", DESK, Some("v=0 desk"));
    let call = rig.ua.active_calls()[0];
    rig.ua
        .reinvite(rig.now, call, b"v=0 hold".to_vec())
        .unwrap();
    rig.drain();
    let reinvite = rig
        .sent
        .iter()
        .rev()
        .find_map(|(_, m)| match m {
            Message::Request(r) if r.method.as_str() == "INVITE" => Some(r.clone()),
            _ => None,
        })
        .unwrap();
    let mut ok = response_to(&reinvite, 200, None);
    ok.headers
        .push(HeaderName::Contact, format!("<sip:bob@{DESK}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = b"v=0 held".to_vec();
    let mark = rig.sent.len();
    rig.deliver(ok.clone());
    rig.deliver(ok.clone());
    assert_eq!(rig.requests(mark, "ACK").len(), 2);
    let answered = rig
        .events
        .iter()
        .filter(|e| matches!(e, Event::OfferAnswered { .. }))
        .count();
    assert_eq!(answered, 1, "the repeat is not a second answer");
}
