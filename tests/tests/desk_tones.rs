//! The tones a lifted handset hears, on a real sound server (PulseAudio with a
//! null sink, recorded at its monitor): dial tone when it is lifted with no
//! call, busy tone when the other side hangs up while it is still lifted,
//! until it is put back. German tones (425 Hz: continuous dial, 480/480 ms
//! busy) so the two are told apart by their cadence.
//!
//! One test in its own binary: it points this process's sound at its own
//! server (environment variables, set before any thread starts).

use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::SimulatedSpec;
use hookswitch_hid::descriptor_from_hex;
use hookswitch_hid::profile::DeviceIdentity;
use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::pulse::Pulse;
use hookswitch_tests::{
    expect_event, free_port, loud_and_quiet_runs, read_wav, start_engine, test_config,
};

const T: Duration = Duration::from_secs(15);

#[test]
fn a_lifted_handset_hears_dial_tone_then_busy_tone_until_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let pulse = Pulse::start(dir.path(), &["earpiece"]);
    // SAFETY: no other thread exists yet in this test binary's only test.
    unsafe {
        std::env::set_var("XDG_RUNTIME_DIR", &pulse.runtime);
        std::env::set_var("PULSE_SINK", "earpiece");
    }
    let heard = dir.path().join("earpiece.wav");
    let mut recorder = pulse.record("earpiece.monitor", &heard);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(lift_dial_answer_and_be_hung_up_on(dir.path()));
    recorder.stop();

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
    assert!(bursts >= 3, "no busy cadence after it: {runs:?}");
    let (f, _) = hookswitch_tests::recorded_tone(&heard);
    hookswitch_tests::assert_within_1pct(f, 425.0, "the German dial tone");
}

async fn lift_dial_answer_and_be_hung_up_on(dir: &std::path::Path) {
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
    config.devices.speaker = "default".into();
    config.audio.tones = hookswitch_media::progress::Country::De;
    let b_port = config.sip.listen.port();
    let (b, mut b_events) = start_engine(&config, &Passwords::new()).await;
    let handset = b
        .devices()
        .simulate(&SimulatedSpec {
            descriptor: descriptor_from_hex(include_str!(
                "../../crates/hid/tests/fixtures/Jabra-EvolveLinkMS.hex"
            ))
            .unwrap(),
            identity: DeviceIdentity {
                vendor_id: 0x0b0e,
                product_id: 0x0307,
                interface: Some(3),
                usage_page: 0x0b,
            },
            product: "Handset".into(),
        })
        .unwrap();
    let mut at = Instant::now();
    let mut press = |report: &[u8]| {
        at = Instant::now().max(at + Duration::from_millis(100));
        handset.input_at(report, at);
    };
    // Lifted with no call: dial tone for as long as nobody types (2 s here:
    // the wait is the tone's length).
    press(&[0x02, 0x01, 0x00]);
    expect_event(&mut b_events, T, "dial tone", |e| {
        matches!(e, PhoneEvent::Dialing { done: false, .. }).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    press(&[0x02, 0x00, 0x00]);
    // A calls; lifting answers; A hangs up after a moment.
    let (a, mut a_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = a
        .call(
            &format!("sip:b@127.0.0.1:{b_port}"),
            None,
            AudioSpec::default(),
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
    tokio::time::sleep(Duration::from_millis(500)).await;
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
