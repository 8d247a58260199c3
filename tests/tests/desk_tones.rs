//! What a lifted handset hears, on a real sound server (PulseAudio with null
//! sinks, recorded at their monitors): dial tone when it is lifted with no
//! call, the call it answered, then busy tone when the other side hangs up
//! while it is still lifted, until it is put back. All of it on the
//! handset's own sound device (its `sound_device`, as USB topology would pair
//! it), none on the system's default output. German tones (425 Hz:
//! continuous dial, 480/480 ms busy) so the two are told apart by cadence.
//!
//! One test in its own binary: it points this process's sound at its own
//! server (environment variables, set before any thread starts).

use hookswitch_tests::Phone;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::SimulatedSpec;
use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::pulse::Pulse;
use hookswitch_tests::{
    expect_event, free_port, loud_and_quiet_runs, read_wav, start_engine, test_config,
};

const T: Duration = Duration::from_secs(15);

#[test]
fn a_lifted_handset_hears_dial_tone_its_call_and_busy_tone_on_its_own_sound_device() {
    let dir = tempfile::tempdir().unwrap();
    // "desk": the system's default output; "handset": the handset's own card.
    let pulse = Pulse::start(dir.path(), &["desk", "handset"]);
    // The handset's card as an ALSA device, as its USB sound card would be.
    std::fs::write(
        dir.path().join(".asoundrc"),
        "pcm.handset { type pulse\n device \"handset\"\n }\n",
    )
    .unwrap();
    // SAFETY: no other thread exists yet in this test binary's only test.
    unsafe {
        std::env::set_var("XDG_RUNTIME_DIR", &pulse.runtime);
        std::env::set_var("PULSE_SINK", "desk");
        std::env::set_var("HOME", dir.path());
    }
    let heard = dir.path().join("handset.wav");
    let elsewhere = dir.path().join("desk.wav");
    let mut recorder = pulse.record("handset.monitor", &heard);
    let mut other = pulse.record("desk.monitor", &elsewhere);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(lift_dial_answer_and_be_hung_up_on(dir.path(), &heard));
    recorder.stop();
    other.stop();

    // The first channel of the recording.
    let (mono, rate) = read_wav(&heard);
    let runs = loud_and_quiet_runs(&mono, rate);
    let loud: Vec<f64> = runs.iter().filter(|r| r.0).map(|r| r.1).collect();
    // Dial tone: one long run (about 2 s); then busy: 0.48 s on, 0.48 s off.
    assert!(
        loud.first().is_some_and(|d| (1.5..3.0).contains(d)),
        "no dial tone first: {runs:?}"
    );
    let bursts = loud[1..]
        .iter()
        .filter(|d| (0.38..0.58).contains(*d))
        .count();
    assert!(bursts >= 2, "no busy cadence after it: {runs:?}");
    let (f, _) = hookswitch_tests::recorded_tone(&heard);
    hookswitch_tests::assert_within_1pct(f, 425.0, "the German dial tone");
    // The call itself (600 Hz from the caller), the loud run after the dial
    // tone's (the busy tone follows it without a gap).
    let call_starts: f64 = runs
        .iter()
        .scan((0.0, 0), |(t, loud_seen), r| {
            let start = *t;
            *t += r.1;
            if r.0 {
                *loud_seen += 1;
            }
            Some((start, r.0, *loud_seen))
        })
        .find(|(_, loud, n)| *loud && *n == 2)
        .map(|(start, ..)| start)
        .expect("a loud run after the dial tone");
    let at = |t: f64| ((t * f64::from(rate)) as usize).min(mono.len());
    let call = &mono[at(call_starts + 0.2)..at(call_starts + 1.0)];
    let f = hookswitch_media::tone::dominant_frequency(call, rate, 300.0, 3000.0);
    hookswitch_tests::assert_within_1pct(f, 600.0, "the answered call, on the handset");
    // Nothing on the system's default output.
    let (desk, desk_rate) = read_wav(&elsewhere);
    assert!(
        loud_and_quiet_runs(&desk, desk_rate).iter().all(|r| !r.0),
        "sound went to the default output"
    );
}

async fn lift_dial_answer_and_be_hung_up_on(dir: &std::path::Path, heard: &std::path::Path) {
    // A handset: a hook that is a real switch (the profile gives no echo
    // window), so it stays lifted after the other side hangs up.
    let profiles = dir.join("device-profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("handset.toml"),
        "name = \"Handset\"\n[match]\nvendor_id = \"0x0b0e\"\n[quirks]\nhook = \"absolute\"\n",
    )
    .unwrap();
    let mut config = test_config(free_port());
    config.devices.profiles_dir = Some(profiles);
    config.devices.speaker = "auto".into();
    config.audio.tones = hookswitch_media::progress::Country::De;
    let b_port = config.sip.listen.port();
    let (b, mut b_events) = start_engine(&config, &Passwords::new()).await;
    let handset = b
        .devices()
        .simulate(&SimulatedSpec {
            product: "Handset".into(),
            sound_device: Some("handset".into()),
            ..hookswitch_tests::devices::jabra()
        })
        .unwrap();
    let mut at = Instant::now();
    let mut press = |report: &[u8]| {
        at = Instant::now().max(at + Duration::from_millis(100));
        handset.input_at(report, at);
    };
    // Lifted with no call: dial tone for as long as nobody types (2 s here,
    // from when it is heard: the wait is the tone's length).
    let lifted = Instant::now();
    press(&[0x02, 0x01, 0x00]);
    expect_event(&mut b_events, T, "dial tone", |e| {
        matches!(e, PhoneEvent::Dialing { done: false, .. }).then_some(())
    })
    .await;
    let heard_at = tokio::task::block_in_place(|| Pulse::wait_for_sound(heard, 0.0, T));
    // Reported, not asserted (a duration on a loaded machine is no test):
    // how long after the lift the handset heard the tone.
    eprintln!(
        "dial tone heard {heard_at:.2} s into the recording, {:.0} ms after lifting",
        lifted.elapsed().as_secs_f64() * 1000.0
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    press(&[0x02, 0x00, 0x00]);
    // A moment of quiet between the dial tone and the call, so the recording
    // tells them apart.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A calls; lifting answers; A hangs up after a moment.
    let (a, mut a_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = a
        .call(
            &format!("sip:b@127.0.0.1:{b_port}"),
            None,
            AudioSpec {
                tone_hz: Some(600.0),
                ..AudioSpec::default()
            },
        )
        .await
        .unwrap();
    expect_event(&mut b_events, T, "A rings", |e| {
        matches!(e, PhoneEvent::IncomingCall { .. }).then_some(())
    })
    .await;
    press(&[0x02, 0x01, 0x00]);
    expect_event(&mut a_events, T, "answered", |e| {
        matches!(e, PhoneEvent::Established { .. }).then_some(())
    })
    .await;
    // The call's length is the wait.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.hangup(Some(call)).await.unwrap();
    expect_event(&mut b_events, T, "A hung up", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    // Busy tone while the handset stays lifted (3 s: the wait is the tone).
    tokio::time::sleep(Duration::from_secs(3)).await;
    press(&[0x02, 0x00, 0x00]);
    // Put back: silence (a little of it, then the recording ends).
    tokio::time::sleep(Duration::from_millis(800)).await;
    b.shutdown().await;
    a.shutdown().await;
}
