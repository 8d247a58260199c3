//! Our engine and baresip call each other over UDP and TCP. Each side sends its
//! own tone; each recording must hold the other side's tone (within 1%).

use std::path::Path;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::{
    assert_within_1pct, expect_event, free_port, recorded_tone, start_engine, test_config,
    wait_until, write_tone,
};

const T: Duration = Duration::from_secs(20);
/// What baresip plays.
const BARESIP_HZ: f64 = 600.0;
/// What we play.
const OUR_HZ: f64 = 1000.0;
/// How long the call carries audio.
const TALK: Duration = Duration::from_secs(3);

fn our_audio(dir: &Path) -> AudioSpec {
    AudioSpec {
        play: None,
        tone_hz: Some(OUR_HZ),
        record: Some(dir.join("ours.wav")),
    }
}

/// baresip names the peer's transport in its log; make sure the call used ours.
fn check_transport(log: &str, transport: &str) {
    if transport == "tcp" {
        assert!(
            log.contains("transport=tcp"),
            "the call did not use TCP:\n{log}"
        );
    }
}

fn check_recordings(dir: &Path, baresip: &Baresip) {
    let (ours, secs) = recorded_tone(&dir.join("ours.wav"));
    assert_within_1pct(ours, BARESIP_HZ, "what we received from baresip");
    assert!(secs > 1.5, "only {secs:.1} s of baresip's tone reached us");
    let theirs = baresip
        .received_recording()
        .expect("baresip wrote what it received");
    let (f, secs) = recorded_tone(&theirs);
    assert_within_1pct(f, OUR_HZ, "what baresip received from us");
    assert!(secs > 1.5, "only {secs:.1} s of our tone reached baresip");
}

async fn we_call_baresip(transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    write_tone(&tone, BARESIP_HZ, 8000, 10.0);
    let bport = free_port();
    let baresip = Baresip::configure(dir.path(), bport, &tone, "PCMU/8000/1", transport);
    let mut process = baresip.start(15, None);
    wait_until(Duration::from_secs(10), "baresip to listen", || {
        process.log().contains("baresip is ready")
    });
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let target = format!("sip:bob@127.0.0.1:{bport};transport={transport}");
    let call = engine
        .call(&target, None, our_audio(dir.path()))
        .await
        .unwrap();
    expect_event(&mut events, T, "established", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    // The call's length: this is how much audio the recordings get.
    tokio::time::sleep(TALK).await;
    engine.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    // baresip closes its recording when the call ends.
    wait_until(Duration::from_secs(10), "baresip to end the call", || {
        process.log().contains("terminated")
    });
    process.stop();
    check_transport(&process.log(), transport);
    check_recordings(dir.path(), &baresip);
}

async fn baresip_calls_us(transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    // baresip hangs up when its file ends: the file sets the call's length.
    write_tone(&tone, BARESIP_HZ, 8000, TALK.as_secs_f64());
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let baresip = Baresip::configure(dir.path(), free_port(), &tone, "PCMU/8000/1", transport);
    let mut process = baresip.start(
        15,
        Some(&format!(
            "sip:hookswitch@127.0.0.1:{port};transport={transport}"
        )),
    );
    let call = expect_event(&mut events, T, "incoming call", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    engine.answer(call, our_audio(dir.path())).await.unwrap();
    expect_event(&mut events, T, "established", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    let reason = expect_event(&mut events, T, "baresip's hang-up", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert_eq!(reason, "remote");
    wait_until(Duration::from_secs(10), "baresip to close the call", || {
        baresip.received_recording().is_some()
    });
    process.stop();
    check_transport(&process.log(), transport);
    check_recordings(dir.path(), &baresip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_udp() {
    we_call_baresip("udp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_tcp() {
    we_call_baresip("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_over_udp() {
    baresip_calls_us("udp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_over_tcp() {
    baresip_calls_us("tcp").await;
}
