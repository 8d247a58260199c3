//! Session timers (RFC 4028) against a scripted peer, in virtual time: a 422
//! is retried once with the Min-SE it names (not taken as a rejection), the
//! Min-SE we keep to goes in every later request, refreshes go by UPDATE
//! when the peer allows it and by re-INVITE when not, a peer that refuses
//! UPDATE after all gets re-INVITEs, and a refresh's own 422 is retried.

mod support;

use std::time::Duration;

use hookswitch_sip::message::HeaderName;
use hookswitch_sip::ua::{EndReason, Event};
use support::{DESK, Rig};

const ALLOW_UPDATE: &str = "INVITE, ACK, CANCEL, BYE, UPDATE";
const ALLOW_NO_UPDATE: &str = "INVITE, ACK, CANCEL, BYE";

fn header(req: &hookswitch_sip::message::Request, name: HeaderName) -> String {
    req.headers.get(&name).unwrap_or_default().to_string()
}

/// How many requests of `method` the UA sent, retransmissions not counted.
fn sent(rig: &Rig, method: &str) -> usize {
    let mut seqs: Vec<u32> = rig
        .sent
        .iter()
        .filter_map(|(_, m)| match m {
            hookswitch_sip::message::Message::Request(r) if r.method.as_str() == method => {
                r.headers.cseq().map(|c| c.seq)
            }
            _ => None,
        })
        .collect();
    seqs.dedup();
    seqs.len()
}

fn ended(rig: &Rig) -> Option<EndReason> {
    rig.events.iter().find_map(|e| match e {
        Event::Ended { reason, .. } => Some(reason.clone()),
        _ => None,
    })
}

/// Our call answered with `Session-Expires: <se>;refresher=uac` and `allow`.
fn answered(se: &str, allow: &str) -> Rig {
    let mut rig = Rig::calling();
    rig.answer_with(
        200,
        "desk",
        DESK,
        Some("v=0 answer"),
        &[
            (HeaderName::SessionExpires, se),
            (HeaderName::Require, "timer"),
            (HeaderName::Allow, allow),
        ],
    );
    assert!(
        rig.events
            .iter()
            .any(|e| matches!(e, Event::Established { .. }))
    );
    rig
}

#[test]
fn a_422_is_retried_once_with_the_min_se_it_names() {
    let mut rig = Rig::calling();
    assert_eq!(header(&rig.invite, HeaderName::SessionExpires), "1800");
    assert_eq!(header(&rig.invite, HeaderName::MinSe), "90");
    let first_seq = rig.invite.headers.cseq().unwrap().seq;
    rig.answer_with(422, "proxy", DESK, None, &[(HeaderName::MinSe, "3600")]);
    assert_eq!(ended(&rig), None, "a 422 is not the end of the call");
    let again = rig.last_request("INVITE").unwrap();
    assert_eq!(header(&again, HeaderName::SessionExpires), "3600");
    assert_eq!(header(&again, HeaderName::MinSe), "3600");
    assert_eq!(again.headers.cseq().unwrap().seq, first_seq + 1);
    assert_eq!(
        again.headers.call_id(),
        rig.invite.headers.call_id(),
        "the same call"
    );
    assert_eq!(again.body, rig.invite.body, "the same offer");

    // The same 422 again asks for nothing new: now it is a rejection.
    rig.invite = again;
    rig.answer_with(422, "proxy", DESK, None, &[(HeaderName::MinSe, "3600")]);
    assert!(matches!(
        ended(&rig),
        Some(EndReason::Rejected { status: 422, .. })
    ));
    assert_eq!(
        sent(&rig, "INVITE"),
        1,
        "the retry only (the first was taken off)"
    );
}

#[test]
fn the_retried_interval_is_answered_and_kept_in_refreshes() {
    let mut rig = Rig::calling();
    rig.answer_with(422, "p", DESK, None, &[(HeaderName::MinSe, "600")]);
    rig.invite = rig.last_request("INVITE").unwrap();
    rig.answer_with(
        200,
        "desk",
        DESK,
        Some("v=0 answer"),
        &[
            (HeaderName::SessionExpires, "600;refresher=uac"),
            (HeaderName::Allow, ALLOW_UPDATE),
        ],
    );
    rig.advance(Duration::from_secs(301));
    let refresh = rig
        .last_request("UPDATE")
        .expect("a refresh at half of 600 s");
    assert_eq!(
        header(&refresh, HeaderName::SessionExpires),
        "600;refresher=uac"
    );
    assert_eq!(header(&refresh, HeaderName::MinSe), "600");
}

#[test]
fn refreshes_go_by_update_when_the_peer_allows_it() {
    let mut rig = answered("120;refresher=uac", ALLOW_UPDATE);
    rig.advance(Duration::from_secs(59));
    assert!(rig.last_request("UPDATE").is_none(), "not before half");
    rig.advance(Duration::from_secs(2));
    let refresh = rig.last_request("UPDATE").expect("a refresh at 60 s");
    assert!(refresh.body.is_empty(), "no offer in the refresh");
    assert_eq!(
        header(&refresh, HeaderName::SessionExpires),
        "120;refresher=uac"
    );
    assert_eq!(header(&refresh, HeaderName::Supported), "timer");
    rig.reply(
        &refresh,
        200,
        &[(HeaderName::SessionExpires, "120;refresher=uac")],
    );
    // Re-armed: the next one 60 s later, and never a re-INVITE.
    rig.advance(Duration::from_secs(61));
    assert_eq!(sent(&rig, "UPDATE"), 2);
    assert_eq!(sent(&rig, "INVITE"), 0, "no re-INVITE");
    assert_eq!(ended(&rig), None);
}

#[test]
fn refreshes_go_by_reinvite_when_the_peer_does_not_allow_update() {
    let mut rig = answered("120;refresher=uac", ALLOW_NO_UPDATE);
    rig.advance(Duration::from_secs(61));
    assert!(rig.last_request("UPDATE").is_none());
    let refresh = rig.last_request("INVITE").unwrap();
    assert_eq!(refresh.headers.cseq().unwrap().seq, 2);
    assert_eq!(
        refresh.body, b"v=0 offer",
        "the re-INVITE repeats our session"
    );
    assert_eq!(
        header(&refresh, HeaderName::SessionExpires),
        "120;refresher=uac"
    );
}

#[test]
fn a_peer_refusing_update_after_all_gets_a_reinvite() {
    let mut rig = answered("120;refresher=uac", ALLOW_UPDATE);
    rig.advance(Duration::from_secs(61));
    let update = rig.last_request("UPDATE").unwrap();
    rig.reply(&update, 501, &[]);
    let reinvite = rig.last_request("INVITE").unwrap();
    assert_eq!(
        reinvite.headers.cseq().unwrap().seq,
        3,
        "right after the 501"
    );
    assert_eq!(ended(&rig), None);
}

#[test]
fn a_refresh_answered_422_goes_again_with_the_longer_interval() {
    let mut rig = answered("120;refresher=uac", ALLOW_UPDATE);
    rig.advance(Duration::from_secs(61));
    let update = rig.last_request("UPDATE").unwrap();
    rig.reply(&update, 422, &[(HeaderName::MinSe, "300")]);
    let again = rig.last_request("UPDATE").unwrap();
    assert_ne!(again.headers.cseq(), update.headers.cseq());
    assert_eq!(
        header(&again, HeaderName::SessionExpires),
        "300;refresher=uac"
    );
    assert_eq!(header(&again, HeaderName::MinSe), "300");
}

#[test]
fn a_refresh_nobody_answers_ends_the_call() {
    let mut rig = answered("120;refresher=uac", ALLOW_UPDATE);
    // The UPDATE goes unanswered: Timer F, then a BYE (RFC 4028 10).
    rig.advance(Duration::from_secs(61 + 33));
    assert_eq!(ended(&rig), Some(EndReason::Timeout));
    assert!(rig.last_request("BYE").is_some());
}
