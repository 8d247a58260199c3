//! Our engine against sipp: each side of a call, digest auth, CANCEL, BYE from
//! either side, a peer's hold re-INVITE, and retransmissions over a lossy path.
//! sipp's exit status says whether every message it expected arrived.

use hookswitch_tests::Phone;
use std::net::SocketAddr;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::relay::{DropRule, Relay};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{expect_event, free_port, start_engine, test_account, test_config};

const T: Duration = Duration::from_secs(15);

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn established(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::Established { call, .. } => Some(*call),
        _ => None,
    }
}

fn ended(e: &PhoneEvent) -> Option<(String, Option<u16>)> {
    match e {
        PhoneEvent::Ended { reason, status, .. } => Some((reason.to_string(), *status)),
        _ => None,
    }
}

/// sipp answering with a scenario file, and our engine in an established
/// call to it.
struct SippCall {
    _dir: tempfile::TempDir,
    sipp: hookswitch_tests::Process,
    engine: hookswitch_phone::Engine,
    events: tokio::sync::broadcast::Receiver<PhoneEvent>,
    call: u64,
}

async fn call_sipp(scenario: &'static str) -> SippCall {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::File(scenario), 1, &[]);
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let call = expect_event(&mut events, T, "established", established).await;
    SippCall {
        _dir: dir,
        sipp,
        engine,
        events,
        call,
    }
}

/// sipp calling us with a scenario file (`extra`: more sipp arguments), and
/// our engine having answered it.
async fn answer_sipp(scenario: &'static str, extra: &[&str]) -> SippCall {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let sipp = sipp::uac(
        dir.path(),
        free_port(),
        addr(port),
        Scenario::File(scenario),
        1,
        extra,
    );
    let call = expect_event(&mut events, T, "incoming call", incoming).await;
    engine.answer(call, AudioSpec::default()).await.unwrap();
    SippCall {
        _dir: dir,
        sipp,
        engine,
        events,
        call,
    }
}

fn incoming(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_uac_against_sipp_uas() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::Builtin("uas"), 1, &[]);
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec {
                tone_hz: Some(440.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let up = expect_event(&mut events, T, "established", established).await;
    assert_eq!(up, call);
    engine.hangup(Some(call)).await.unwrap();
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason.as_str(), "local");
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_uas_against_sipp_uac() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let sipp = sipp::uac(
        dir.path(),
        free_port(),
        addr(port),
        Scenario::Builtin("uac"),
        1,
        &["-d", "500"],
    );
    let call = expect_event(&mut events, T, "incoming call", incoming).await;
    engine.answer(call, AudioSpec::default()).await.unwrap();
    expect_event(&mut events, T, "established", established).await;
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason.as_str(), "remote", "sipp's BYE ends the call");
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_challenge_on_invite_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::File("uas_auth"), 1, &[]);
    let mut config = test_config(free_port());
    config.accounts.push(test_account(
        "lab",
        &format!("sip:alice@127.0.0.1:{sipp_port}"),
        false,
    ));
    let passwords = Passwords::from([("lab".to_string(), "secret".to_string())]);
    let (engine, mut events) = start_engine(&config, &passwords).await;
    let call = engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            Some("lab"),
            AudioSpec::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        expect_event(&mut events, T, "established", established).await,
        call
    );
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_cancels_while_we_ring() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let sipp = sipp::uac(
        dir.path(),
        free_port(),
        addr(port),
        Scenario::File("uac_cancel"),
        3,
        &["-r", "10"],
    );
    for _ in 0..3 {
        expect_event(&mut events, T, "incoming call", incoming).await;
        let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
        assert_eq!(reason.as_str(), "cancelled");
    }
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callee_hangs_up_with_bye() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::File("uas_bye"), 1, &[]);
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    expect_event(&mut events, T, "established", established).await;
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason.as_str(), "remote");
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_puts_us_on_hold_and_resumes() {
    // The engine and the call stay up until sipp hangs up.
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_reinvite_hold", &[]).await;
    let held = |e: &PhoneEvent| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(direction.to_string()),
        _ => None,
    };
    assert_eq!(expect_event(&mut events, T, "hold", held).await, "recvonly");
    assert_eq!(
        expect_event(&mut events, T, "resume", held).await,
        "sendrecv"
    );
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// A re-offer we cannot take (only AMR) is refused with 488 and the call
/// goes on as it was: sipp's hold after it works, and nothing told us the
/// media changed (RFC 3261 14.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reoffer_we_cannot_take_is_refused_and_the_call_goes_on() {
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_reoffer_unusable", &[]).await;
    let media = |e: &PhoneEvent| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(direction.to_string()),
        _ => None,
    };
    // The first change of media is the hold, not the refused AMR offer.
    assert_eq!(
        expect_event(&mut events, T, "hold", media).await,
        "recvonly"
    );
    assert_eq!(
        expect_event(&mut events, T, "resume", media).await,
        "sendrecv"
    );
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_invite_is_retransmitted() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::Builtin("uas"), 1, &[]);
    // The network loses our first two INVITEs: timer A must recover the call.
    let relay = Relay::start(
        addr(sipp_port),
        vec![DropRule {
            to_server: true,
            prefix: "INVITE ",
            count: 2,
        }],
    );
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:service@{}", relay.addr),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    expect_event(&mut events, T, "established", established).await;
    assert_eq!(relay.dropped(), 2);
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_200_is_retransmitted_until_acked() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    // The network loses our first two 200 OKs on the way back: we must repeat
    // the 200 (RFC 3261 13.3.1.4) until sipp's ACK arrives.
    let relay = Relay::start(
        addr(port),
        vec![DropRule {
            to_server: false,
            prefix: "SIP/2.0 200",
            count: 2,
        }],
    );
    let sipp = sipp::uac(
        dir.path(),
        free_port(),
        relay.addr,
        Scenario::File("uac_rport"),
        1,
        &[],
    );
    let call = expect_event(&mut events, T, "incoming call", incoming).await;
    engine.answer(call, AudioSpec::default()).await.unwrap();
    expect_event(&mut events, T, "established", established).await;
    assert_eq!(relay.dropped(), 2);
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_media_flows_before_any_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_early_media_busy"),
        1,
        &["-rtp_echo"],
    );
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec {
                tone_hz: Some(440.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let status = expect_event(&mut events, T, "183", |e| match e {
        PhoneEvent::Progress { status, .. } => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(status, 183);
    let (status, stats) = expect_event(&mut events, T, "the busy end", |e| match e {
        PhoneEvent::Ended {
            call: c,
            status,
            stats,
            ..
        } if *c == call => Some((*status, stats.clone())),
        _ => None,
    })
    .await;
    assert_eq!(status, Some(486));
    let stats = stats.expect("media ran");
    // sipp echoed our early RTP back: media flowed both ways with no 200 at all.
    assert!(
        stats.packets_sent > 30 && stats.packets_received > 30,
        "{stats:?}"
    );
    sipp::succeeds(sipp).await;
}

/// We put sipp on hold (its first refusal leaves the call as it was), then
/// resume; sipp checks each offer's direction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_put_the_peer_on_hold_and_resume() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_held_by_us").await;
    let media = |e: &PhoneEvent| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(Ok(direction.to_string())),
        PhoneEvent::HoldFailed { held, status, .. } => Some(Err((*held, *status))),
        _ => None,
    };
    engine.set_hold(call, true).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "the refused hold", media).await,
        Err((true, 488))
    );
    engine.set_hold(call, true).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "hold", media).await,
        Ok("sendonly".to_string())
    );
    engine.set_hold(call, false).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "resume", media).await,
        Ok("sendrecv".to_string())
    );
    engine.hangup(Some(call)).await.unwrap();
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason.as_str(), "local");
    sipp::succeeds(sipp).await;
}

/// sipp transfers us to carol (a second sipp): we accept the REFER, call carol,
/// and report "100 Trying" then "200 OK"; sipp then hangs up on us.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_are_transferred_blind() {
    we_are_transferred("uac_refer_blind", Scenario::Builtin("uas")).await;
}

/// As above, attended: the Refer-To carries Replaces, and carol (a sipp
/// checking for it) must find it, unescaped, in our INVITE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_are_transferred_attended() {
    we_are_transferred("uac_refer_attended", Scenario::File("uas_replaces_target")).await;
}

async fn we_are_transferred(scenario: &'static str, carol_scenario: Scenario<'static>) {
    let carol_dir = tempfile::tempdir().unwrap();
    let carol_port = free_port();
    let carol = sipp::uas(carol_dir.path(), carol_port, carol_scenario, 1, &[]);
    let target_port = carol_port.to_string();
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = answer_sipp(scenario, &["-key", "target_port", &target_port]).await;
    let (asked_in, new_call, target) = expect_event(&mut events, T, "transferring", |e| match e {
        PhoneEvent::Transferring {
            call,
            new_call,
            target,
        } => Some((*call, *new_call, target.clone())),
        _ => None,
    })
    .await;
    assert_eq!(asked_in, call);
    assert_eq!(target, format!("sip:carol@127.0.0.1:{carol_port}"));
    let up = expect_event(&mut events, T, "carol answers", established).await;
    assert_eq!(up, new_call);
    let (reason, _) = expect_event(&mut events, T, "the transferor hangs up", ended).await;
    assert_eq!(reason.as_str(), "remote");
    sipp::succeeds(sipp).await;
    engine.hangup(Some(new_call)).await.unwrap();
    sipp::succeeds(carol).await;
}

/// We transfer sipp to carol: REFER accepted, progress reported, and once
/// sipp says carol answered, our call ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_transfer_the_peer_blind() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_refer_target").await;
    engine
        .transfer(call, "sip:carol@127.0.0.1:5999")
        .await
        .unwrap();
    let progress = |e: &PhoneEvent| match e {
        PhoneEvent::TransferProgress { status, done, .. } => Some((*status, *done)),
        _ => None,
    };
    assert_eq!(
        expect_event(&mut events, T, "trying", progress).await,
        (100, false)
    );
    assert_eq!(
        expect_event(&mut events, T, "answered", progress).await,
        (200, true)
    );
    let (reason, _) = expect_event(&mut events, T, "our call ends", ended).await;
    assert_eq!(reason.as_str(), "local");
    sipp::succeeds(sipp).await;
}

/// Glare: our hold re-INVITE crosses sipp's. We answer sipp's with 491, sipp
/// answers ours with 491, and our retry (after the RFC's random wait) holds
/// the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crossed_reinvites_are_resolved() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_glare").await;
    engine.set_hold(call, true).await.unwrap();
    let direction = expect_event(&mut events, T, "held after the retry", |e| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(direction.to_string()),
        PhoneEvent::HoldFailed { status, .. } => panic!("hold failed with {status}"),
        _ => None,
    })
    .await;
    assert_eq!(direction, "sendonly");
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// DTMF by SIP INFO with a peer that has no telephone-event: our keys go as
/// INFO (application/dtmf-relay), and the peer's INFO is a key we report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_by_sip_info_both_ways() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_dtmf_info").await;
    engine.send_dtmf(call, "12").await.unwrap();
    let key = expect_event(&mut events, T, "the peer's key", |e| match e {
        PhoneEvent::DtmfReceived { key, .. } => Some(*key),
        _ => None,
    })
    .await;
    assert_eq!(key, '5');
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// Session timers as the peer asks for them: sipp (the refresher) asks for
/// 1800 s, our answers agree each time, and its refreshes are taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_timers_are_agreed_and_refreshes_taken() {
    // The engine and the call stay up until sipp hangs up.
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_session_timer", &[]).await;
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// Re-offers we cannot take (video only, T.38 only, every stream removed)
/// get 488 and change nothing; a body-less UPDATE gets a body-less 200; an
/// audio+video offer is taken with the video at port 0; a hold afterwards
/// works. sipp checks each answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reoffers_we_cannot_take_are_refused_and_a_bare_update_gets_a_bare_200() {
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_reoffers_refused", &[]).await;
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason, "remote", "the call lasted until sipp's BYE");
    sipp::succeeds(sipp).await;
}

/// A 2xx whose answer we cannot use ends the call at once with a BYE that
/// says why (sipp checks `Reason: SIP;cause=488`), and the user sees why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_answer_in_the_2xx_ends_the_call_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_unusable_answer"),
        1,
        &[],
    );
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let (reason, detail) = expect_event(&mut events, T, "ended", |e| match e {
        PhoneEvent::Established { .. } => panic!("a call without a usable answer is not up"),
        PhoneEvent::Ended { reason, detail, .. } => Some((reason.to_string(), detail.clone())),
        _ => None,
    })
    .await;
    assert_eq!(reason, "failed");
    assert!(
        detail.as_deref().is_some_and(|d| d.contains("answer")),
        "{detail:?}"
    );
    sipp::succeeds(sipp).await;
}

/// An offerless INVITE: our 200 offers; an ACK without the answer leaves no
/// session, so we end the call with a BYE and a Reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_without_the_answer_to_our_offer_ends_the_call() {
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_offerless_ack_without_answer", &[]).await;
    let (reason, _) = expect_event(&mut events, T, "ended", |e| match e {
        PhoneEvent::Established { .. } => panic!("no answer, no call"),
        e => ended(e),
    })
    .await;
    assert_eq!(reason, "failed");
    sipp::succeeds(sipp).await;
}

/// A UAS answering 422 with `Min-SE: 3600`: we ask again at once with an
/// hour (sipp checks Session-Expires and Min-SE), and the call is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_422_is_retried_with_the_min_se_it_asks_for() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_session_timer_422").await;
    engine.hangup(Some(call)).await.unwrap();
    let (reason, _) = expect_event(&mut events, T, "ended", ended).await;
    assert_eq!(reason, "local");
    sipp::succeeds(sipp).await;
}

/// Opus with telephone-event at 48 kHz and 8 kHz offered, and rtcp-xr at
/// session level: our answer keeps telephone-event/48000 only and asks
/// for VoIP metrics (sipp checks the SDP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telephone_event_is_answered_at_the_codecs_clock() {
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_opus_telephone_event", &[]).await;
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// RFC 3262 as a gateway does it: a reliable 183 with early media and a
/// reliable 180, each PRACKed in order (sipp checks RAck), then a 200
/// without SDP: the call is up on the 183's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliable_provisionals_are_pracked_and_their_answer_used() {
    let SippCall {
        _dir,
        sipp,
        engine,
        mut events,
        call,
    } = call_sipp("uas_reliable_183").await;
    let state = engine.state();
    let view = state.calls.iter().find(|c| c.id == call).unwrap();
    assert_eq!(view.codec.as_deref(), Some("PCMU"), "the 183's answer");
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// A caller requiring 100rel: our 180 is reliable, sipp PRACKs it, and our
/// 200 comes after the PRACK's (sipp checks each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_requiring_100rel_gets_a_reliable_180() {
    let SippCall {
        _dir,
        sipp,
        engine: _engine,
        mut events,
        ..
    } = answer_sipp("uac_require_100rel", &[]).await;
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}

/// An INVITE requiring an extension we lack gets 420 naming only that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_required_extension_gets_420() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_engine, _events) = start_engine(&test_config(port), &Passwords::new()).await;
    let sipp = sipp::calls(dir.path(), port, "uac_require_unknown");
    sipp::succeeds(sipp).await;
}

/// A caller asking for 60 s gets 422 with Min-SE: 90, asks again with 90,
/// and the call is agreed at 90 s (sipp checks each header).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_too_short_session_interval_is_refused_then_agreed_at_min_se() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let sipp = sipp::calls(dir.path(), port, "uac_session_timer_too_small");
    let call = expect_event(&mut events, T, "incoming call", incoming).await;
    engine.answer(call, AudioSpec::default()).await.unwrap();
    expect_event(&mut events, T, "ended", ended).await;
    sipp::succeeds(sipp).await;
}
