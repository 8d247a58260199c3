//! What happens to incoming calls before anyone picks up, against sipp: DND
//! answers 486 without ringing, forwarding answers 302 (always, busy, when
//! unanswered, and when the user refuses as busy), and an intercom call that
//! asks with `Call-Info: answer-after` is answered by itself when allowed.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::call_handling::{CallHandling, ForwardReason};
use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent};
use hookswitch_tests::sipp;
use hookswitch_tests::{expect_event, free_port, start_engine, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(15);

async fn engine_with(calls: CallHandling) -> (Engine, broadcast::Receiver<PhoneEvent>, u16) {
    let port = free_port();
    let config = Config {
        calls,
        ..test_config(port)
    };
    let (engine, events) = start_engine(&config, &Passwords::new()).await;
    (engine, events, port)
}

/// The Deflected event: (reason, forwarded to, status).
fn deflected(e: &PhoneEvent) -> Option<(String, Option<String>, u16)> {
    match e {
        PhoneEvent::IncomingCall { .. } => panic!("the call rang"),
        PhoneEvent::Deflected {
            reason,
            forwarded_to,
            status,
            ..
        } => Some((reason.to_string(), forwarded_to.clone(), *status)),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnd_answers_486_without_ringing() {
    let dir = tempfile::tempdir().unwrap();
    let (_engine, mut events, port) = engine_with(CallHandling {
        dnd: true,
        ..Default::default()
    })
    .await;
    let sipp = sipp::calls(dir.path(), port, "uac_refused_busy");
    assert_eq!(
        expect_event(&mut events, T, "refused", deflected).await,
        ("dnd".into(), None, 486)
    );
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnd_turned_on_at_run_time_with_busy_forwarding() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut events, port) = engine_with(CallHandling::default()).await;
    engine.set_dnd(None, true).await.unwrap();
    engine
        .set_forward(
            None,
            ForwardReason::Busy,
            Some("sip:voicemail@127.0.0.1:5999".into()),
        )
        .await
        .unwrap();
    let sipp = sipp::calls(dir.path(), port, "uac_forwarded");
    assert_eq!(
        expect_event(&mut events, T, "forwarded", deflected).await,
        (
            "busy".into(),
            Some("sip:voicemail@127.0.0.1:5999".into()),
            302
        )
    );
    sipp::succeeds(sipp).await;
    // A target that cannot be dialled is refused when it is set.
    assert!(
        engine
            .set_forward(None, ForwardReason::Always, Some("not a uri <>".into()))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forward_always_answers_302_without_ringing() {
    let dir = tempfile::tempdir().unwrap();
    let (_engine, mut events, port) = engine_with(CallHandling {
        forward_always: Some("sip:voicemail@127.0.0.1:5999".into()),
        ..Default::default()
    })
    .await;
    let sipp = sipp::calls(dir.path(), port, "uac_forwarded");
    let (reason, _, status) = expect_event(&mut events, T, "forwarded", deflected).await;
    assert_eq!((reason.as_str(), status), ("always", 302));
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_call_is_forwarded_after_ringing() {
    let dir = tempfile::tempdir().unwrap();
    let (_engine, mut events, port) = engine_with(CallHandling {
        forward_no_answer: Some("sip:voicemail@127.0.0.1:5999".into()),
        forward_no_answer_after: 1,
        ..Default::default()
    })
    .await;
    let sipp = sipp::calls(dir.path(), port, "uac_forwarded");
    expect_event(&mut events, T, "ringing", |e| {
        matches!(e, PhoneEvent::IncomingCall { .. }).then_some(())
    })
    .await;
    let (reason, to, status) = expect_event(&mut events, T, "forwarded", |e| match e {
        PhoneEvent::Deflected {
            reason,
            forwarded_to,
            status,
            ..
        } => Some((reason.to_string(), forwarded_to.clone(), *status)),
        _ => None,
    })
    .await;
    assert_eq!((reason.as_str(), status), ("no-answer", 302));
    assert_eq!(to.as_deref(), Some("sip:voicemail@127.0.0.1:5999"));
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_as_busy_forwards_when_busy_forwarding_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut events, port) = engine_with(CallHandling {
        forward_busy: Some("sip:voicemail@127.0.0.1:5999".into()),
        ..Default::default()
    })
    .await;
    let sipp = sipp::calls(dir.path(), port, "uac_forwarded");
    let call = expect_event(&mut events, T, "ringing", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    engine.reject(call, 486).await.unwrap();
    let (reason, _, status) = expect_event(&mut events, T, "forwarded", |e| match e {
        PhoneEvent::Deflected { reason, status, .. } => Some((*reason, (), *status)),
        _ => None,
    })
    .await;
    assert_eq!((reason.as_str(), status), ("busy", 302));
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intercom_call_is_answered_by_itself_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (_engine, mut events, port) = engine_with(CallHandling {
        auto_answer_when_asked: true,
        ..Default::default()
    })
    .await;
    let sipp = sipp::calls(dir.path(), port, "uac_answer_after");
    let asked = expect_event(&mut events, T, "ringing", |e| match e {
        PhoneEvent::IncomingCall { answer_after, .. } => Some(*answer_after),
        _ => None,
    })
    .await;
    assert_eq!(asked, Some(0));
    expect_event(&mut events, T, "answered by itself", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    let reason = expect_event(&mut events, T, "sipp hangs up", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    assert_eq!(reason.as_str(), "remote");
    sipp::succeeds(sipp).await;
}
