//! Our engine and baresip call each other over UDP and TCP, with G.711,
//! G.722 and Opus. Each side sends its own tone; each recording must hold the other
//! side's tone (within 1%); through G.722 the tones are above 4 kHz, through
//! Opus above 7 kHz. Over TLS with SRTP (baresip's libsrtp decrypting ours),
//! required and best effort, and a peer without SRTP refused when it is required.
//! Call features with baresip peers: hold and resume, call waiting with two
//! callers, and a blind transfer of one baresip to another.

use hookswitch_tests::Phone;
use std::path::Path;
use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{AudioSpec, CallId, Config, Engine, Passwords, PhoneEvent};
use hookswitch_tests::Process;
use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::tls::TestCa;
use hookswitch_tests::{
    assert_within_1pct, expect_event, free_port, recorded_tone, start_engine, test_account,
    test_config, wait_until, write_tone_channels,
};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

/// A codec and the tones each side plays through it.
struct Codec {
    /// baresip's `audio_codecs` entry.
    baresip: &'static str,
    /// The sample rate and channels of the tone file baresip plays.
    rate: u32,
    channels: u16,
    /// What baresip plays, and what we play.
    baresip_hz: f64,
    our_hz: f64,
}

/// Narrowband: tones below 4 kHz.
const PCMU: Codec = Codec {
    baresip: "PCMU/8000/1",
    rate: 8000,
    channels: 1,
    baresip_hz: 600.0,
    our_hz: 1000.0,
};

/// Full band: tones above 7 kHz, which G.722 could not carry.
const OPUS: Codec = Codec {
    baresip: "opus/48000/2",
    rate: 48000,
    channels: 2,
    baresip_hz: 9000.0,
    our_hz: 8000.0,
};

/// Wideband: tones above 4 kHz, which no narrowband codec could carry.
const G722: Codec = Codec {
    baresip: "G722/16000/1",
    rate: 16000,
    channels: 1,
    baresip_hz: 6000.0,
    our_hz: 5000.0,
};
/// How long the call carries audio.
const TALK: Duration = Duration::from_secs(3);

fn our_audio(dir: &Path, codec: &Codec) -> AudioSpec {
    AudioSpec {
        play: None,
        tone_hz: Some(codec.our_hz),
        record: Some(dir.join("ours.wav")),
        ..Default::default()
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

fn check_recordings(dir: &Path, baresip: &Baresip, codec: &Codec) {
    let (ours, secs) = recorded_tone(&dir.join("ours.wav"));
    assert_within_1pct(ours, codec.baresip_hz, "what we received from baresip");
    assert!(secs > 1.5, "only {secs:.1} s of baresip's tone reached us");
    let theirs = baresip
        .received_recording()
        .expect("baresip wrote what it received");
    let (f, secs) = recorded_tone(&theirs);
    assert_within_1pct(f, codec.our_hz, "what baresip received from us");
    assert!(secs > 1.5, "only {secs:.1} s of our tone reached baresip");
}

/// We hang up; once baresip has ended the call too (which closes its
/// recording), it is stopped.
async fn hang_up_and_stop(
    engine: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    call: CallId,
    process: &mut Process,
) {
    engine.hangup(Some(call)).await.unwrap();
    expect_event(events, T, "ended", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    wait_until(Duration::from_secs(10), "baresip to end the call", || {
        process.log().contains("terminated")
    });
    process.stop();
}

/// baresip listening for `seconds` (playing its tone), and our engine, started
/// with `config`, in an established call to it.
struct BaresipCall {
    dir: tempfile::TempDir,
    baresip: Baresip,
    process: Process,
    engine: Engine,
    events: broadcast::Receiver<PhoneEvent>,
    call: CallId,
}

async fn call_baresip(transport: &str, codec: &Codec, seconds: u32, config: Config) -> BaresipCall {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    let tone_secs = f64::from(seconds.saturating_sub(5));
    write_tone_channels(
        &tone,
        codec.baresip_hz,
        codec.rate,
        tone_secs,
        codec.channels,
    );
    let bport = free_port();
    let baresip = Baresip::configure(dir.path(), bport, &tone, codec.baresip, transport);
    let process = baresip.start(seconds, None);
    wait_until(Duration::from_secs(10), "baresip to listen", || {
        process.log().contains("baresip is ready")
    });
    let (engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let target = format!("sip:bob@127.0.0.1:{bport};transport={transport}");
    let call = engine
        .call(&target, None, our_audio(dir.path(), codec))
        .await
        .unwrap();
    expect_event(&mut events, T, "established", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    BaresipCall {
        dir,
        baresip,
        process,
        engine,
        events,
        call,
    }
}

async fn we_call_baresip(transport: &str, codec: &Codec) {
    let BaresipCall {
        dir,
        baresip,
        mut process,
        engine,
        mut events,
        call,
    } = call_baresip(transport, codec, 15, test_config(free_port())).await;
    // The call's length: this is how much audio the recordings get.
    tokio::time::sleep(TALK).await;
    hang_up_and_stop(&engine, &mut events, call, &mut process).await;
    check_transport(&process.log(), transport);
    check_recordings(dir.path(), &baresip, codec);
}

async fn baresip_calls_us(transport: &str, codec: &Codec) {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    // baresip hangs up when its file ends: the file sets the call's length.
    write_tone_channels(
        &tone,
        codec.baresip_hz,
        codec.rate,
        TALK.as_secs_f64(),
        codec.channels,
    );
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let baresip = Baresip::configure(dir.path(), free_port(), &tone, codec.baresip, transport);
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
    engine
        .answer(call, our_audio(dir.path(), codec))
        .await
        .unwrap();
    expect_event(&mut events, T, "established", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    let reason = expect_event(&mut events, T, "baresip's hang-up", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    assert_eq!(reason.as_str(), "remote");
    wait_until(Duration::from_secs(10), "baresip to close the call", || {
        baresip.received_recording().is_some()
    });
    process.stop();
    check_transport(&process.log(), transport);
    check_recordings(dir.path(), &baresip, codec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_udp() {
    we_call_baresip("udp", &PCMU).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_tcp() {
    we_call_baresip("tcp", &PCMU).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_over_udp() {
    baresip_calls_us("udp", &PCMU).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_over_tcp() {
    baresip_calls_us("tcp", &PCMU).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_with_g722_wideband() {
    we_call_baresip("udp", &G722).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_with_g722_wideband() {
    baresip_calls_us("udp", &G722).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_with_opus_full_band() {
    we_call_baresip("udp", &OPUS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_with_opus_full_band() {
    baresip_calls_us("udp", &OPUS).await;
}

/// RTCP both ways with baresip: its receiver reports about our stream give
/// the round trip; our own reception figures and the MOS estimate are those of
/// a clean loopback call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtcp_with_baresip_gives_round_trip_loss_jitter_and_mos() {
    let mut config = test_config(free_port());
    // Reports every 0.25-0.75 s, so baresip's (every ~5 s) names one of ours.
    config.audio.rtcp_interval_ms = 500;
    let BaresipCall {
        mut process,
        engine,
        mut events,
        call,
        // Kept until the end: baresip writes into it.
        dir: _dir,
        ..
    } = call_baresip("udp", &PCMU, 50, config).await;
    // Until baresip's receiver report has named one of ours: its first comes
    // 2.5-7.5 s in (RFC 3550's randomised 5 s), later on a loaded machine.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let so_far = engine.call_stats(call).await.unwrap();
        if so_far.rtt_ms.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "baresip sent no usable RTCP in 40 s: {so_far:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    engine.hangup(Some(call)).await.unwrap();
    let stats = expect_event(&mut events, T, "ended", |e| match e {
        PhoneEvent::Ended { stats, .. } => Some(stats.clone()),
        _ => None,
    })
    .await
    .expect("media figures");
    process.stop();
    let rtt = stats
        .rtt_ms
        .unwrap_or_else(|| panic!("no round trip from baresip's RTCP: {stats:?}"));
    assert!(rtt < 50.0, "loopback round trip {rtt:.1} ms");
    assert_eq!(stats.packets_lost, 0, "{stats:?}");
    assert!(stats.jitter_ms < 20.0, "{stats:?}");
    assert!(stats.mos > 4.2, "{stats:?}");
    // baresip does not offer RTCP-XR: no VoIP metrics either way.
    assert_eq!(stats.remote_mos, None, "{stats:?}");
    println!(
        "baresip RTCP: rtt {rtt:.2} ms, jitter {:.2} ms, MOS {:.2}",
        stats.jitter_ms, stats.mos
    );
}

/// RFC 4733 DTMF both ways with baresip: our keys end in its log, its keys
/// (sent with its `sndcode` command) come to us in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_round_trip_with_baresip() {
    let BaresipCall {
        baresip,
        mut process,
        engine,
        mut events,
        call,
        // Kept until the end: baresip writes into it.
        dir: _dir,
        ..
    } = call_baresip("udp", &PCMU, 25, test_config(free_port())).await;
    engine.send_dtmf(call, "159#").await.unwrap();
    // baresip 1.0 logs each RFC 4733 event as it starts and ends.
    wait_until(Duration::from_secs(10), "baresip to hear our keys", || {
        process.log().contains("received event: '#' (end=1)")
    });
    let heard = Baresip::dtmf_heard(&process.log());
    assert_eq!(heard, "159#");
    let answer = baresip.command("sndcode", "2580*").unwrap();
    assert!(!answer.contains("\"ok\":false"), "{answer}");
    let mut ours = String::new();
    while ours.len() < 5 {
        ours.push(
            expect_event(&mut events, T, "baresip's keys", |e| match e {
                PhoneEvent::DtmfReceived { key, .. } => Some(*key),
                _ => None,
            })
            .await,
        );
    }
    assert_eq!(ours, "2580*");
    engine.hangup(Some(call)).await.unwrap();
    process.stop();
}

/// baresip over TLS (its certificate signed by a test CA that our account
/// trusts), encrypting media as `mediaenc` says.
struct SecureBaresip {
    dir: tempfile::TempDir,
    baresip: Baresip,
    process: Process,
    engine: Engine,
    events: broadcast::Receiver<PhoneEvent>,
    target: String,
}

async fn secure_baresip(our_srtp: &str, mediaenc: Option<&str>) -> SecureBaresip {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    write_tone_channels(&tone, PCMU.baresip_hz, PCMU.rate, 10.0, PCMU.channels);
    let ca = TestCa::create(dir.path());
    // baresip wants its certificate and key in one file.
    let combined = dir.path().join("baresip-cert.pem");
    let pem = [&ca.certificate, &ca.private_key]
        .map(|p| std::fs::read_to_string(p).unwrap())
        .concat();
    std::fs::write(&combined, pem).unwrap();
    let baresip = Baresip::configure(dir.path(), free_port(), &tone, PCMU.baresip, "tls").with_tls(
        &combined,
        mediaenc,
        PCMU.baresip,
    );
    let process = baresip.start(20, None);
    wait_until(Duration::from_secs(10), "baresip to listen", || {
        process.log().contains("baresip is ready")
    });
    let mut config = test_config(free_port());
    config.accounts.push(AccountSettings {
        transport: "tls".into(),
        tls_ca_file: Some(ca.ca_file.clone()),
        srtp: our_srtp.parse().unwrap(),
        ..test_account("secure", "sip:alice@127.0.0.1", false)
    });
    let passwords = Passwords::from([("secure".to_string(), "unused".to_string())]);
    let (engine, events) = start_engine(&config, &passwords).await;
    let target = format!("sip:bob@127.0.0.1:{};transport=tls", baresip.tls_port());
    SecureBaresip {
        dir,
        baresip,
        process,
        engine,
        events,
        target,
    }
}

/// We call baresip over TLS with SRTP; each side must hear the other's tone
/// (baresip decrypts with libsrtp, so this checks our SRTP against it), and
/// the call must say it is encrypted.
async fn we_call_baresip_with_srtp(our_srtp: &str, mediaenc: &str) {
    let SecureBaresip {
        dir,
        baresip,
        mut process,
        engine,
        mut events,
        target,
    } = secure_baresip(our_srtp, Some(mediaenc)).await;
    let call = engine
        .call(&target, Some("secure"), our_audio(dir.path(), &PCMU))
        .await
        .unwrap();
    let encryption = expect_event(&mut events, T, "established", |e| match e {
        PhoneEvent::Established { encryption, .. } => Some(encryption.clone()),
        _ => None,
    })
    .await;
    assert_eq!(encryption.as_deref(), Some("AES_CM_128_HMAC_SHA1_80"));
    tokio::time::sleep(TALK).await;
    hang_up_and_stop(&engine, &mut events, call, &mut process).await;
    let log = process.log();
    assert!(log.contains("transport=tls"), "the call used TLS:\n{log}");
    assert!(
        log.contains("SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)"),
        "baresip used SRTP:\n{log}"
    );
    check_recordings(dir.path(), &baresip, &PCMU);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_tls_with_srtp_required() {
    we_call_baresip_with_srtp("required", "srtp-mand").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_call_baresip_over_tls_with_best_effort_srtp() {
    we_call_baresip_with_srtp("optional", "srtp").await;
}

/// With SRTP required, a peer that will not encrypt gets no call at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_srtp_refuses_a_peer_without_it() {
    let SecureBaresip {
        dir,
        mut process,
        engine,
        mut events,
        target,
        ..
    } = secure_baresip("required", None).await;
    engine
        .call(&target, Some("secure"), our_audio(dir.path(), &PCMU))
        .await
        .unwrap();
    let status = expect_event(&mut events, T, "the call to end", |e| match e {
        PhoneEvent::Established { encryption, .. } => {
            assert!(encryption.is_some(), "established without encryption");
            None
        }
        PhoneEvent::Ended { status, .. } => Some(*status),
        _ => None,
    })
    .await;
    process.stop();
    // baresip cannot take RTP/SAVP without SRTP: 488 Not Acceptable Here.
    assert_eq!(status, Some(488), "{}", process.log());
}

/// We hold baresip for 2 s and resume: what we hear is baresip's tone, a pause
/// of about the hold, then the tone again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_resume_stop_and_restart_the_audio() {
    let BaresipCall {
        dir,
        baresip,
        mut process,
        engine,
        mut events,
        call,
    } = call_baresip("udp", &PCMU, 20, test_config(free_port())).await;
    let direction = |e: &PhoneEvent| match e {
        PhoneEvent::MediaUpdated { direction, .. } => Some(direction.to_string()),
        PhoneEvent::HoldFailed { status, .. } => panic!("baresip refused ({status})"),
        _ => None,
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    engine.set_hold(call, true).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "held", direction).await,
        "sendonly"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    engine.set_hold(call, false).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "resumed", direction).await,
        "sendrecv"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    hang_up_and_stop(&engine, &mut events, call, &mut process).await;
    // baresip stopped sending while held (it answered recvonly) and started
    // again. (baresip 1.0's own recording stops at the first re-INVITE, so
    // what the held side hears of us is checked between two Hookswitches in
    // recording.rs.)
    let (samples, rate) = hookswitch_tests::read_wav(&dir.path().join("ours.wav"));
    hookswitch_tests::assert_one_pause(&samples, rate, 1.5..3.0, "we");
    drop(baresip);
}

/// Call waiting: baresip 1 calls and we answer; baresip 2 calls while we
/// talk; we hold the first, answer the second, and when baresip 2 hangs up we
/// resume the first. Each recording holds its own caller's tone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_waiting_with_two_baresip_callers() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let us = format!("sip:hookswitch@127.0.0.1:{port}");
    let caller = |name: &str, hz: f64, secs: f64| {
        let tone = dir.path().join(format!("{name}.wav"));
        write_tone_channels(&tone, hz, PCMU.rate, secs, PCMU.channels);
        Baresip::configure(dir.path(), free_port(), &tone, PCMU.baresip, "udp")
    };
    let incoming = |e: &PhoneEvent| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    };
    let up = |call: CallId| {
        move |e: &PhoneEvent| match e {
            PhoneEvent::Established { call: c, .. } if *c == call => Some(()),
            _ => None,
        }
    };
    let direction = |call: CallId| {
        move |e: &PhoneEvent| match e {
            PhoneEvent::MediaUpdated { call: c, direction } if *c == call => {
                Some(direction.to_string())
            }
            _ => None,
        }
    };
    let record = |name: &str| AudioSpec {
        record: Some(dir.path().join(name)),
        ..Default::default()
    };
    // baresip hangs up when its file ends.
    let first = caller("first", 600.0, 9.0);
    let mut first_process = first.start(20, Some(&us));
    let call1 = expect_event(&mut events, T, "the first call", incoming).await;
    engine.answer(call1, record("ours1.wav")).await.unwrap();
    expect_event(&mut events, T, "the first call is up", up(call1)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let second = caller("second", 900.0, 3.0);
    let mut second_process = second.start(20, Some(&us));
    let call2 = expect_event(&mut events, T, "the second call waits", incoming).await;
    assert_ne!(call1, call2);
    engine.set_hold(call1, true).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "held", direction(call1)).await,
        "sendonly"
    );
    engine.answer(call2, record("ours2.wav")).await.unwrap();
    expect_event(&mut events, T, "the second call is up", up(call2)).await;
    let calls = engine.state().calls;
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.phase == hookswitch_phone::state::CallPhase::Connected)
            .count(),
        2,
        "{calls:?}"
    );
    expect_event(&mut events, T, "the second caller hangs up", |e| match e {
        PhoneEvent::Ended { call, .. } if *call == call2 => Some(()),
        _ => None,
    })
    .await;
    engine.set_hold(call1, false).await.unwrap();
    assert_eq!(
        expect_event(&mut events, T, "resumed", direction(call1)).await,
        "sendrecv"
    );
    expect_event(&mut events, T, "the first caller hangs up", |e| match e {
        PhoneEvent::Ended { call, .. } if *call == call1 => Some(()),
        _ => None,
    })
    .await;
    first_process.stop();
    second_process.stop();
    let (f, secs) = recorded_tone(&dir.path().join("ours2.wav"));
    assert_within_1pct(f, 900.0, "the second call");
    assert!(secs > 1.5, "only {secs:.1} s of the second caller");
    let (samples, rate) = hookswitch_tests::read_wav(&dir.path().join("ours1.wav"));
    hookswitch_tests::assert_one_pause(&samples, rate, 2.0..6.0, "the first call");
    let (f, _) = recorded_tone(&dir.path().join("ours1.wav"));
    assert_within_1pct(f, 600.0, "the first call");
}

/// Call waiting through the phone API the window and the hot key use
/// (`control::handle`): answering the waiting call holds the one we talk on
/// first, so the two never share the microphone; the hot key's
/// answer-or-hang-up does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_a_waiting_call_holds_the_talking_one() {
    use hookswitch_phone::Action;
    use hookswitch_phone::state::CallPhase;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let us = format!("sip:hookswitch@127.0.0.1:{port}");
    let tone = dir.path().join("tone.wav");
    write_tone_channels(&tone, 600.0, PCMU.rate, 30.0, PCMU.channels);
    let incoming = |e: &PhoneEvent| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    };
    let held = |call: CallId| {
        move |e: &PhoneEvent| match e {
            PhoneEvent::MediaUpdated { call: c, direction } if *c == call => {
                Some(direction.to_string())
            }
            _ => None,
        }
    };
    let first = Baresip::configure(dir.path(), free_port(), &tone, PCMU.baresip, "udp");
    let _first = first.start(30, Some(&us));
    let call1 = expect_event(&mut events, T, "the first call", incoming).await;
    let reply = engine
        .act(Action::Answer {
            call: call1,
            audio: None,
        })
        .await;
    assert!(reply.is_ok(), "{reply:?}");
    expect_event(&mut events, T, "the first call is up", |e| match e {
        PhoneEvent::Established { call, .. } if *call == call1 => Some(()),
        _ => None,
    })
    .await;

    let second = Baresip::configure(dir.path(), free_port(), &tone, PCMU.baresip, "udp");
    let _second = second.start(30, Some(&us));
    let call2 = expect_event(&mut events, T, "the second call waits", incoming).await;
    // The hot key: the ringing call is answered, the talking one held. The
    // hold's re-INVITE and the answer leave together, so either may finish
    // first: wait for both, in whichever order they come.
    let reply = engine.act(Action::AnswerOrHangUp).await;
    assert!(reply.is_ok(), "{reply:?}");
    let (mut first_held_as, mut second_up) = (None, false);
    while first_held_as.is_none() || !second_up {
        let what = "the first call held and the second up";
        match expect_event(&mut events, T, what, |e| match e {
            PhoneEvent::Established { call, .. } if *call == call2 => Some(None),
            e => held(call1)(e).map(Some),
        })
        .await
        {
            Some(direction) => first_held_as = Some(direction),
            None => second_up = true,
        }
    }
    assert_eq!(first_held_as.as_deref(), Some("sendonly"));
    let calls = engine.state().calls;
    let state = |id: CallId| {
        calls
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.phase == CallPhase::Connected, c.held))
    };
    assert_eq!(state(call1), Some((true, true)), "{calls:?}");
    assert_eq!(state(call2), Some((true, false)), "{calls:?}");
    engine.hangup(None).await.ok();
}

/// Three parties, two of them baresip: baresip A calls us (B), we transfer A
/// to baresip C (blind). A follows our REFER by itself, reports C's answer,
/// our call ends, and C hears A's tone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_transfer_a_baresip_caller_to_another_baresip() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (engine, mut events) = start_engine(&test_config(port), &Passwords::new()).await;
    let tone = |name: &str, hz: f64, secs: f64| {
        let path = dir.path().join(format!("{name}.wav"));
        write_tone_channels(&path, hz, PCMU.rate, secs, PCMU.channels);
        path
    };
    let c = Baresip::configure(
        dir.path(),
        free_port(),
        &tone("c", 900.0, 30.0),
        PCMU.baresip,
        "udp",
    );
    let mut c_process = c.start(30, None);
    wait_until(Duration::from_secs(10), "baresip C to listen", || {
        c_process.log().contains("baresip is ready")
    });
    // A hangs up when its file ends, wherever it is by then.
    let a = Baresip::configure(
        dir.path(),
        free_port(),
        &tone("a", 600.0, 6.0),
        PCMU.baresip,
        "udp",
    );
    let mut a_process = a.start(30, Some(&format!("sip:hookswitch@127.0.0.1:{port}")));
    let call = expect_event(&mut events, T, "A calls us", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    engine.answer(call, AudioSpec::default()).await.unwrap();
    expect_event(&mut events, T, "established", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    engine
        .transfer(call, &format!("sip:bob@127.0.0.1:{}", c.port))
        .await
        .unwrap();
    let done = expect_event(&mut events, T, "A reports C's answer", |e| match e {
        PhoneEvent::TransferProgress {
            status, done: true, ..
        } => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(done, 200, "{}", a_process.log());
    let reason = expect_event(&mut events, T, "our call ends", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    assert_eq!(reason.as_str(), "local");
    // A's file ends and it hangs up on C, which closes C's recording.
    wait_until(Duration::from_secs(20), "C's call with A to end", || {
        c_process.log().contains("terminated")
    });
    a_process.stop();
    c_process.stop();
    let heard = c.received_recording().expect("C recorded its call");
    let (f, secs) = recorded_tone(&heard);
    assert_within_1pct(f, 600.0, "what C heard from A");
    assert!(
        secs > 1.0,
        "C heard A for only {secs:.1} s:\n{}",
        c_process.log()
    );
}

/// baresip calls us over TLS (we take TLS on the SIP port + 1 with a
/// certificate from the test CA) and requires SRTP; each side hears the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_us_over_tls_with_srtp() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let combined = dir.path().join("baresip-cert.pem");
    let pem = [&ca.certificate, &ca.private_key]
        .map(|p| std::fs::read_to_string(p).unwrap())
        .concat();
    std::fs::write(&combined, pem).unwrap();
    let tone = dir.path().join("tone.wav");
    // baresip hangs up when its file ends.
    write_tone_channels(
        &tone,
        PCMU.baresip_hz,
        PCMU.rate,
        TALK.as_secs_f64(),
        PCMU.channels,
    );
    let port = free_port();
    let mut config = test_config(port);
    config.sip.tls_certificate = Some(ca.certificate.clone());
    config.sip.tls_private_key = Some(ca.private_key.clone());
    let (engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let baresip = Baresip::configure(dir.path(), free_port(), &tone, PCMU.baresip, "tls").with_tls(
        &combined,
        Some("srtp-mand"),
        PCMU.baresip,
    );
    std::fs::write(
        baresip.dir.join("config"),
        std::fs::read_to_string(baresip.dir.join("config")).unwrap()
            + &format!("sip_cafile {}\n", ca.ca_file.display()),
    )
    .unwrap();
    let mut process = baresip.start(
        15,
        Some(&format!(
            "sip:hookswitch@127.0.0.1:{};transport=tls",
            port + 1
        )),
    );
    let call = expect_event(&mut events, T, "incoming call over TLS", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    engine
        .answer(call, our_audio(dir.path(), &PCMU))
        .await
        .unwrap();
    let encryption = expect_event(&mut events, T, "established", |e| match e {
        PhoneEvent::Established { encryption, .. } => Some(encryption.clone()),
        _ => None,
    })
    .await;
    assert_eq!(encryption.as_deref(), Some("AES_CM_128_HMAC_SHA1_80"));
    expect_event(&mut events, T, "baresip's hang-up", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    wait_until(Duration::from_secs(10), "baresip to close the call", || {
        baresip.received_recording().is_some()
    });
    process.stop();
    let log = process.log();
    assert!(log.contains("SRTP is Enabled"), "{log}");
    check_recordings(dir.path(), &baresip, &PCMU);
}
