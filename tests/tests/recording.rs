//! Whole-call recording: one stereo WAV, what we sent on the left and what we
//! heard on the right, at the codec's rate; muting shows as silence on the left.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, PhoneEvent};
use hookswitch_tests::{call_between, expect_event, free_port, test_config};

const T: Duration = Duration::from_secs(10);

fn channel(samples: &[i16], ch: usize) -> Vec<i16> {
    samples.iter().skip(ch).step_by(2).copied().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_recorded_in_stereo_one_side_per_channel() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("call.wav");
    let (a, _b, _) = call_between(
        test_config(free_port()),
        test_config(free_port()),
        AudioSpec {
            tone_hz: Some(1000.0),
            record_call: Some(file.clone()),
            ..Default::default()
        },
        AudioSpec {
            tone_hz: Some(600.0),
            ..Default::default()
        },
    )
    .await;
    let (call, mut a_events, a) = (a.call, a.events, a.engine);
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.set_mute(call, true).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.hangup(Some(call)).await.unwrap();
    expect_event(&mut a_events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;

    let reader = hound::WavReader::open(&file).unwrap();
    let spec = reader.spec();
    assert_eq!(spec.channels, 2);
    let rate = spec.sample_rate;
    let samples: Vec<i16> = reader.into_samples().map(|s| s.unwrap()).collect();
    let (sent, heard) = (channel(&samples, 0), channel(&samples, 1));
    let secs = sent.len() as f64 / f64::from(rate);
    assert!(secs > 2.5, "{secs:.1} s recorded");
    // The first second, both talking.
    let one = rate as usize;
    let f = hookswitch_media::tone::dominant_frequency(&sent[..one], rate, 100.0, 4000.0);
    assert!((f - 1000.0).abs() < 10.0, "left: {f} Hz");
    let f = hookswitch_media::tone::dominant_frequency(
        &heard[one / 2..one + one / 2],
        rate,
        100.0,
        4000.0,
    );
    assert!((f - 600.0).abs() < 6.0, "right: {f} Hz");
    // The last half second: muted, so the left is silent; the right still talks.
    let tail = sent.len() - one / 2;
    assert_eq!(hookswitch_media::tone::rms(&sent[tail..]), 0.0);
    assert!(hookswitch_media::tone::rms(&heard[tail..]) > 1000.0);
}

/// Per-call volume: the earpiece at 50 % halves what the user hears (not the
/// recording of the call), the microphone at 200 % doubles what is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_scales_the_earpiece_and_the_microphone() {
    let dir = tempfile::tempdir().unwrap();
    let (earpiece, whole) = (dir.path().join("heard.wav"), dir.path().join("call.wav"));
    let (a, _b, _) = call_between(
        test_config(free_port()),
        test_config(free_port()),
        AudioSpec {
            tone_hz: Some(1000.0),
            record: Some(earpiece.clone()),
            record_call: Some(whole.clone()),
            ..Default::default()
        },
        AudioSpec {
            tone_hz: Some(600.0),
            ..Default::default()
        },
    )
    .await;
    let (call, mut a_events, a) = (a.call, a.events, a.engine);
    assert!(a.set_volume(call, Some(401), None).await.is_err());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.set_volume(call, Some(50), Some(200)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.hangup(Some(call)).await.unwrap();
    expect_event(&mut a_events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;

    let rms = hookswitch_media::tone::rms;
    // Before: 0.5-1.2 s in; after: the last 0.7 s.
    let before_after = |x: &[i16], rate: usize| {
        let before = rms(&x[rate / 2..rate * 6 / 5]);
        let after = rms(&x[x.len() - rate * 7 / 10..]);
        after / before
    };
    let (heard, rate) = hookswitch_tests::read_wav(&earpiece);
    let ratio = before_after(&heard, rate as usize);
    assert!((ratio - 0.5).abs() < 0.05, "earpiece: {ratio:.2}");
    let reader = hound::WavReader::open(&whole).unwrap();
    let rate = reader.spec().sample_rate as usize;
    let samples: Vec<i16> = reader.into_samples().map(|s| s.unwrap()).collect();
    let ratio = before_after(&channel(&samples, 0), rate);
    assert!((ratio - 2.0).abs() < 0.1, "microphone: {ratio:.2}");
    let ratio = before_after(&channel(&samples, 1), rate);
    assert!(
        (ratio - 1.0).abs() < 0.05,
        "the call's own level: {ratio:.2}"
    );
}

/// A holds B for 2 s, then resumes: each hears the other, a pause of about the
/// hold, and the other again (A's microphone stops at once; B answers
/// recvonly, so B stops sending).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_resume_pause_both_directions() {
    let dir = tempfile::tempdir().unwrap();
    let (a_file, b_file) = (dir.path().join("a.wav"), dir.path().join("b.wav"));
    let (a, b, _) = call_between(
        test_config(free_port()),
        test_config(free_port()),
        AudioSpec {
            tone_hz: Some(1000.0),
            record_call: Some(a_file.clone()),
            ..Default::default()
        },
        AudioSpec {
            tone_hz: Some(600.0),
            record: Some(b_file.clone()),
            ..Default::default()
        },
    )
    .await;
    let (call, mut a_events, a) = (a.call, a.events, a.engine);
    let mut b_events = b.events;
    let direction = |e: &PhoneEvent| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(direction.to_string()),
        _ => None,
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.set_hold(call, true).await.unwrap();
    assert_eq!(
        expect_event(&mut a_events, T, "A holds", direction).await,
        "sendonly"
    );
    assert_eq!(
        expect_event(&mut b_events, T, "B is held", direction).await,
        "recvonly"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.set_hold(call, false).await.unwrap();
    assert_eq!(
        expect_event(&mut a_events, T, "A resumes", direction).await,
        "sendrecv"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.hangup(Some(call)).await.unwrap();
    // A's recording is complete once A's call has ended (after its last frame).
    expect_event(&mut a_events, T, "A's call ends", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    expect_event(&mut b_events, T, "B's call ends", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    let reader = hound::WavReader::open(&a_file).unwrap();
    let rate = reader.spec().sample_rate;
    let samples: Vec<i16> = reader.into_samples().map(|s| s.unwrap()).collect();
    hookswitch_tests::assert_one_pause(&channel(&samples, 1), rate, 1.5..3.0, "A");
    let (heard, rate) = hookswitch_tests::read_wav(&b_file);
    hookswitch_tests::assert_one_pause(&heard, rate, 1.5..3.0, "B");
}

/// Recording started and stopped during a call (the window's Record
/// button): the file goes in `[recording] folder`, named by the time and
/// the other party, and holds the part of the call between the two; a
/// second start while recording is refused; a call that is not up cannot
/// be recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_started_and_stopped_mid_call_goes_to_the_folder() {
    use hookswitch_phone::{Action, Reply};
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("recordings");
    let mut config = test_config(free_port());
    config.recording.folder = Some(folder.clone());
    let (a, _b, _) = call_between(
        config,
        test_config(free_port()),
        AudioSpec {
            tone_hz: Some(1000.0),
            ..Default::default()
        },
        AudioSpec {
            tone_hz: Some(600.0),
            ..Default::default()
        },
    )
    .await;
    let (call, mut events, a) = (a.call, a.events, a.engine);
    let recording = |e: &PhoneEvent| match e {
        PhoneEvent::Recording { path, error, .. } => Some((path.clone(), error.clone())),
        _ => None,
    };
    let reply = a.act(Action::Record { call, on: true }).await;
    assert_eq!(reply.ok(), Some(Reply::Done));
    let (path, error) = expect_event(&mut events, T, "the recording starts", recording).await;
    assert_eq!(error, None);
    let path = std::path::PathBuf::from(path.expect("a file"));
    assert_eq!(path.parent(), Some(folder.as_path()));
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.ends_with(".wav") && name.len() > "2026-12-06 14-05-09 .wav".len(),
        "{name}"
    );
    assert_eq!(
        a.state().calls[0].recording.as_deref(),
        Some(path.to_str().unwrap())
    );
    a.act(Action::Record { call, on: true }).await.unwrap();
    let (_, error) = expect_event(&mut events, T, "a second start refused", recording).await;
    assert!(error.is_some_and(|e| e.contains("already")));
    // 1.5 s of the call, counted in what arrives.
    let packets = |r: Result<Reply, _>| match r {
        Ok(Reply::Stats(s)) => s.packets_received,
        other => panic!("{other:?}"),
    };
    let from = packets(a.act(Action::Stats { call }).await);
    while packets(a.act(Action::Stats { call }).await) < from + 75 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    a.act(Action::Record { call, on: false }).await.unwrap();
    let (path_now, _) = expect_event(&mut events, T, "the recording stops", recording).await;
    assert_eq!(path_now, None);
    assert_eq!(a.state().calls[0].recording, None);

    let reader = hound::WavReader::open(&path).unwrap();
    let rate = reader.spec().sample_rate;
    let samples: Vec<i16> = reader.into_samples().map(|s| s.unwrap()).collect();
    let (sent, heard) = (channel(&samples, 0), channel(&samples, 1));
    let secs = sent.len() as f64 / f64::from(rate);
    assert!((1.4..10.0).contains(&secs), "{secs:.1} s recorded");
    let f = hookswitch_media::tone::dominant_frequency(&sent, rate, 100.0, 4000.0);
    assert!((f - 1000.0).abs() < 10.0, "left: {f} Hz");
    let tail = &heard[heard.len() / 2..];
    let f = hookswitch_media::tone::dominant_frequency(tail, rate, 100.0, 4000.0);
    assert!((f - 600.0).abs() < 6.0, "right: {f} Hz");

    a.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    let reply = a.act(Action::Record { call, on: true }).await;
    assert!(reply.is_err(), "{reply:?}");
}
