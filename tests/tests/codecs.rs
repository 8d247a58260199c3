//! Codec preferences: the global list decides what two Hookswitches talk, and
//! an account's own list (a provider that only carries G.711) overrides it for
//! calls from that account.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::{expect_event, free_port, start_engine, test_account, test_config};

const T: Duration = Duration::from_secs(10);

async fn established_codec(account: Option<&str>) -> String {
    let b_port = free_port();
    let (b, mut b_events) = start_engine(&test_config(b_port), &Passwords::new()).await;
    let a_port = free_port();
    let mut config = test_config(a_port);
    config.accounts.push(AccountSettings {
        codecs: Some(vec!["PCMA".into()]),
        ..test_account("pstn", &format!("sip:alice@127.0.0.1:{a_port}"), false)
    });
    let passwords = Passwords::from([("pstn".to_string(), "unused".to_string())]);
    let (a, mut a_events) = start_engine(&config, &passwords).await;
    let call = a
        .call(
            &format!("sip:bob@127.0.0.1:{b_port}"),
            account,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let incoming = expect_event(&mut b_events, T, "incoming call", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    b.answer(incoming, AudioSpec::default()).await.unwrap();
    let codec = expect_event(&mut a_events, T, "established", |e| match e {
        PhoneEvent::Established { codec, .. } => Some(codec.clone()),
        _ => None,
    })
    .await;
    a.hangup(Some(call)).await.unwrap();
    codec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_preference_gives_opus_between_two_hookswitches() {
    assert_eq!(established_codec(None).await, "opus");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_own_codecs_override_the_global_list() {
    assert_eq!(established_codec(Some("pstn")).await, "PCMA");
}

/// G.729 (with the `g729` feature): two Hookswitches that only have it talk
/// in it, and a tone crosses.
#[cfg(feature = "g729")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g729_carries_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let g729 = |port| {
        let mut c = test_config(port);
        c.audio.codecs = vec!["G729".into()];
        c
    };
    let heard = dir.path().join("heard.wav");
    let (a, mut b, codec) = hookswitch_tests::call_between(
        g729(free_port()),
        g729(free_port()),
        AudioSpec {
            tone_hz: Some(700.0),
            ..Default::default()
        },
        AudioSpec {
            record: Some(heard.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(codec, "G729");
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.engine.hangup(Some(a.call)).await.unwrap();
    expect_event(&mut b.events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    let (frequency, seconds) = hookswitch_tests::recorded_tone(&heard);
    assert!((frequency - 700.0).abs() < 10.0, "{frequency} Hz");
    assert!(seconds > 1.5, "{seconds:.2} s of tone");
}
