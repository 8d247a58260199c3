//! Attended transfer between three Hookswitches: A talks to B, consults C,
//! then hands B over to C (REFER with Replaces). B calls C with Replaces, C
//! answers it by itself in place of its call with A, A's calls both end, and
//! C hears B.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::{
    assert_within_1pct, call_between, expect_event, free_port, recorded_tone, start_engine,
    test_config,
};

const T: Duration = Duration::from_secs(15);

fn ended_call(e: &PhoneEvent) -> Option<(u64, String)> {
    match e {
        PhoneEvent::Ended { call, reason, .. } => Some((*call, reason.to_string())),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attended_transfer_hands_b_over_to_c() {
    let dir = tempfile::tempdir().unwrap();
    let c_heard = dir.path().join("c.wav");
    // A calls B; B plays a 700 Hz tone.
    let (a, b, _) = call_between(
        test_config(free_port()),
        test_config(free_port()),
        AudioSpec::default(),
        AudioSpec {
            tone_hz: Some(700.0),
            ..Default::default()
        },
    )
    .await;
    let (a_engine, mut a_events, ab) = (a.engine, a.events, a.call);
    let (b_engine, mut b_events, b_ab) = (b.engine, b.events, b.call);
    // A consults C; C records what it hears.
    let c_port = free_port();
    let (c_engine, mut c_events) = start_engine(&test_config(c_port), &Passwords::new()).await;
    let ac = a_engine
        .call(
            &format!("sip:carol@127.0.0.1:{c_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let c_ac = expect_event(&mut c_events, T, "C rings", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    c_engine
        .answer(
            c_ac,
            AudioSpec {
                record: Some(c_heard.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    expect_event(&mut a_events, T, "A talks to C", |e| match e {
        PhoneEvent::Established { call, .. } if *call == ac => Some(()),
        _ => None,
    })
    .await;

    a_engine.transfer_attended(ab, ac).await.unwrap();

    // B calls C in A's place.
    let b_bc = expect_event(&mut b_events, T, "B is transferred", |e| match e {
        PhoneEvent::Transferring { call, new_call, .. } if *call == b_ab => Some(*new_call),
        _ => None,
    })
    .await;
    // C takes it at once, in place of its call with A.
    let (c_bc, replaced) =
        expect_event(&mut c_events, T, "C gets the replacing call", |e| match e {
            PhoneEvent::IncomingCall {
                call,
                replaces: Some(old),
                ..
            } => Some((*call, *old)),
            _ => None,
        })
        .await;
    assert_eq!(replaced, c_ac);
    expect_event(&mut b_events, T, "B talks to C", |e| match e {
        PhoneEvent::Established { call, .. } if *call == b_bc => Some(()),
        _ => None,
    })
    .await;
    // A hears it worked and both its calls end: it hangs up on B, C on A.
    // C's BYE may come before or after B's final NOTIFY: take them as they come.
    let mut progress = Vec::new();
    let mut a_ended = Vec::new();
    while a_ended.len() < 2 || progress.last().is_none_or(|(_, done)| !done) {
        let e = expect_event(&mut a_events, T, "A's transfer to finish", |e| {
            matches!(
                e,
                PhoneEvent::TransferProgress { .. } | PhoneEvent::Ended { .. }
            )
            .then(|| e.clone())
        })
        .await;
        match e {
            PhoneEvent::TransferProgress { status, done, .. } => progress.push((status, done)),
            e => a_ended.extend(ended_call(&e)),
        }
    }
    assert_eq!(progress, vec![(100, false), (200, true)]);
    a_ended.sort();
    assert_eq!(a_ended, vec![(ab, "local".into()), (ac, "remote".into())]);
    assert_eq!(
        expect_event(&mut b_events, T, "B's call with A ends", ended_call).await,
        (b_ab, "remote".into())
    );
    // C hears B's tone on the new call.
    tokio::time::sleep(Duration::from_secs(2)).await;
    c_engine.hangup(Some(c_bc)).await.unwrap();
    expect_event(&mut c_events, T, "C's call with B ends", |e| match e {
        PhoneEvent::Ended { call, .. } if *call == c_bc => Some(()),
        _ => None,
    })
    .await;
    let (f, secs) = recorded_tone(&c_heard);
    assert_within_1pct(f, 700.0, "what C heard from B");
    assert!(secs > 1.0, "C heard B for only {secs:.1} s");
    drop(b_engine);
}
