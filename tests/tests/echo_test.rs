//! The built-in echo test (`call echo`): a real SIP call to the engine's own
//! echo service, which plays back what it hears a second later.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::{
    assert_within_1pct, expect_event, free_port, loud_and_quiet_runs, read_wav, recorded_tone,
    start_engine, test_config,
};

const T: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_test_plays_back_what_it_hears_a_second_later() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let heard = dir.path().join("heard.wav");
    let audio = AudioSpec {
        tone_hz: Some(440.0),
        record: Some(heard.clone()),
        ..AudioSpec::default()
    };
    let call = engine.call("echo", None, audio).await.unwrap();
    let codec = expect_event(&mut events, T, "the echo answers", |e| match e {
        PhoneEvent::Established { call: c, codec, .. } if *c == call => Some(codec.clone()),
        _ => None,
    })
    .await;
    assert_eq!(codec, "opus", "our first choice, which the echo takes");
    // The call's length is the wait: 3 s of tone, the last 2 s echoed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "the call ends", |e| {
        matches!(e, PhoneEvent::Ended { call: c, .. } if *c == call).then_some(())
    })
    .await;
    let (f, seconds) = recorded_tone(&heard);
    assert_within_1pct(f, 440.0, "the echo of our tone");
    assert!(seconds > 1.5, "only {seconds:.1} s echoed");
    let (samples, rate) = read_wav(&heard);
    let runs = loud_and_quiet_runs(&samples, rate);
    let (loud, silence) = runs[0];
    assert!(!loud, "the echo starts with silence: {runs:?}");
    assert!(
        (0.95..1.4).contains(&silence),
        "the echo came {silence:.2} s late, not about 1 s (plus the jitter buffer): {runs:?}"
    );
}
