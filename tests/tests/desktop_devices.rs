//! The desktop app's devices, settings and keyboard, in the real webview:
//! "Test my headset" hears a press of the simulated headset and calls the
//! echo test; a device disabled in the settings is listed as unusable without
//! the udev help, and forwarding typed into Settings sends a caller on (sipp
//! sees the 302); sound devices chosen on the Devices page carry a call with
//! a named caller through a private PulseAudio server, and both level meters
//! move; the phone is used with the keyboard alone (X key events); and a
//! simulated kuando busylight is listed with what it shows, its Test button
//! runs its colours on the light, and a look changed in the window (available
//! as blue) is saved and shown after the phone restarts with it.

use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};
use hookswitch_tests::devices::{Headset, KUANDO_HEX, kuando_step};
use hookswitch_tests::pulse::Pulse;
use hookswitch_tests::webdriver::by_test_id;
use hookswitch_tests::{Process, free_port, recorded_tone, sipp, write_tone};

const T: Duration = Duration::from_secs(20);

/// The Jabra's report 2: Phone Mute (bit 2) pressed, then released.
const MUTE_PRESSED: &str = "02 04 00";
const RELEASED: &str = "02 00 00";

#[test]
fn the_headset_test_hears_a_press_and_calls_the_echo_test() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    let mut headset = app.headset();

    d.wait_for("nav-devices", T).click().unwrap();
    d.wait_text("hid-devices", T, |t| t.contains("Jabra"));
    d.wait_for("test-headset", T).click().unwrap();
    headset.report(MUTE_PRESSED);
    headset.report(RELEASED);
    let heard = d.wait_text("test-heard", T, |t| t.starts_with("Heard it"));
    assert!(heard.contains("MuteToggle"), "{heard}");
    app.screenshot("devices-headset-test");

    d.wait_for("test-echo", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_text("call-remote", T, |t| t.contains("echo"));
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
}

#[test]
fn a_disabled_device_and_forwarding_from_settings() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    // The simulated Jabra, turned off by its IDs as a user would.
    let app = Desktop::start_configured(dir.path(), "disabled = [\"0b0e:0307\"]", "", &[]);
    let d = &app.driver;

    d.wait_for("nav-devices", T).click().unwrap();
    let listed = d.wait_text("unusable", T, |t| t.contains("disabled in the settings"));
    assert!(listed.contains("simulated:"), "{listed}");
    // Turned off on purpose: no udev rule would help.
    assert!(
        !listed.contains("udev"),
        "a disabled device gets no udev help:\n{listed}"
    );
    assert!(d.find(&by_test_id("udev-command")).is_err());

    // Forward every call to voicemail, typed and left (Tab) as a user does.
    d.wait_for("nav-settings", T).click().unwrap();
    d.type_into("forward-always", "sip:voicemail@127.0.0.1\u{E004}", T);
    hookswitch_tests::wait_until(T, "the forwarding saved", || {
        app.saved_config().contains("sip:voicemail@127.0.0.1")
    });
    // Media players pausing for calls: on by default, off with its switch.
    let pause = d.wait_for("pause-media", T);
    assert_eq!(pause.attribute("checked").unwrap().as_deref(), Some("true"));
    pause.click().unwrap();
    hookswitch_tests::wait_until(T, "pause_media saved", || {
        app.saved_config().contains("pause_media = false")
    });
    // A caller is sent on with 302 and voicemail's address (sipp checks it).
    let mut sipp = sipp::calls(dir.path(), app.sip_port, "uac_forwarded");
    let status = sipp.wait(T);
    assert!(status.success(), "sipp:\n{}", sipp.log());
}

#[test]
fn sound_devices_chosen_in_the_window_carry_a_named_callers_call() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let pulse = Pulse::start(dir.path(), &["mic", "spk"]);
    let server = format!("unix:{}", pulse.runtime.join("pulse/native").display());
    let app = Desktop::start_with(
        dir.path(),
        "",
        &[
            ("PULSE_SERVER", server.as_str()),
            ("PULSE_SINK", "spk"),
            ("PULSE_SOURCE", "mic.monitor"),
        ],
    );
    let d = &app.driver;

    // Microphone and speaker: "pulse" (PulseAudio), chosen from the lists.
    d.wait_for("nav-devices", T).click().unwrap();
    // Chosen one after the other, quickly: the second keeps the first (it
    // once did not: each save carried the other list's value as last loaded).
    for list in ["microphone", "speaker"] {
        d.wait_for_css(&format!("{} option[value=\"pulse\"]", by_test_id(list)), T)
            .click()
            .unwrap();
    }
    hookswitch_tests::wait_until(T, "both saved", || {
        let c = app.saved_config();
        c.contains("microphone = \"pulse\"") && c.contains("speaker = \"pulse\"")
    });
    // The engine restarts with them (it was idle): ready again.
    d.wait_for("status-ready", T);

    // Our microphone hears 1 kHz; bob sends 440 Hz and gives his name.
    let ours = dir.path().join("ours.wav");
    write_tone(&ours, 1000.0, 48000, 30.0);
    let mut play = pulse.command("paplay");
    play.args(["--device=mic"]).arg(&ours);
    let _microphone = Process::spawn("paplay-mic", play, dir.path());
    let bobs = dir.path().join("bobs.wav");
    write_tone(&bobs, 440.0, 8000, 30.0);
    let bob = Baresip::configure(dir.path(), free_port(), &bobs, "PCMU", "udp")
        .with_display_name("Bob Baresip");
    let speaker = dir.path().join("speaker.wav");
    let recorder = pulse.record("spk.monitor", &speaker);
    let bob_process = bob.start(60, Some(&format!("sip:alice@127.0.0.1:{}", app.sip_port)));

    d.wait_text("incoming-name", T, |t| t == "Bob Baresip");
    d.wait_text("incoming-number", T, |t| t.contains("bob@127.0.0.1"));
    d.wait_for("answer", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_text("call-remote", T, |t| t == "Bob Baresip");
    // Both meters rise above -40 dBFS (an empty meter reads -60).
    for meter in ["Speaker", "Microphone"] {
        let level = d.wait_css_attribute(
            &format!("[role=\"meter\"][aria-label=\"{meter}\"]"),
            "aria-valuenow",
            T,
            |v| v.parse::<f64>().is_ok_and(|db| db > -40.0),
        );
        eprintln!("{meter} meter: {level} dBFS");
    }
    app.screenshot("call-with-sound");
    // A couple of seconds of the call on the speaker's recording (stereo
    // 16-bit at 44.1 or 48 kHz: about 180 KB a second).
    hookswitch_tests::wait_until(T, "the speaker recorded", || {
        std::fs::metadata(&speaker).is_ok_and(|m| m.len() > 400_000)
    });
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
    drop(recorder);

    // The speaker chosen played bob's tone; bob heard our microphone.
    let (heard, seconds) = recorded_tone(&speaker);
    assert!(
        (heard - 440.0).abs() < 10.0,
        "the speaker played {heard:.0} Hz for {seconds:.1} s"
    );
    drop(bob_process);
    let bob_heard = bob.received_recording().expect("bob's recording");
    let (sent, _) = recorded_tone(&bob_heard);
    assert!(
        (sent - 1000.0).abs() < 15.0,
        "bob heard {sent:.0} Hz from our microphone"
    );
}

#[test]
fn the_phone_is_used_with_the_keyboard_alone() {
    if !desktop::can_run(&["xdotool"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let bob = Baresip::playing_tone(dir.path());
    let _bob = bob.start(60, None);
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    app.focus_window();

    // Tab reaches the dial pad's input; typing and Enter call.
    app.tab_to("dial-input", 20);
    app.type_text(&format!("sip:bob@127.0.0.1:{}", bob.port));
    app.press_keys("Return");
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    // Tab reaches Hang up; Enter presses it.
    app.tab_to("hangup", 30);
    app.press_keys("Return");
    d.wait_gone("call-panel", T);
    // Alt+2 opens the history, with the call in it.
    app.press_keys("alt+2");
    d.wait_text("history", T, |t| t.contains("bob@127.0.0.1"));
}

#[test]
fn a_busylight_is_listed_with_what_it_shows_and_its_test_button_works() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let descriptor = dir.path().join("kuando.hex");
    std::fs::write(&descriptor, KUANDO_HEX).unwrap();
    let socket = dir.path().join("kuando.sock");
    let light = format!(
        "[[devices.simulated]]\ndescriptor = \"{}\"\nsocket = \"{}\"\nname = \"Busylight UC Omega\"\n",
        descriptor.display(),
        socket.display()
    );
    let app = Desktop::start(dir.path(), &light);
    let d = &app.driver;
    let mut kuando = Headset::connect(&socket);

    d.wait_for("nav-devices", T).click().unwrap();
    let card = d.wait_text("busylights", T, |t| t.contains("Busylight UC Omega"));
    assert!(card.contains("27bb:3bcd"), "{card}");
    assert!(card.contains("kuando Busylight"), "{card}");
    // Listed as a light, not as a headset.
    let headsets = d.wait_text("hid-devices", T, |t| t.contains("Jabra"));
    assert!(!headsets.contains("Busylight"), "{headsets}");
    let shows = d.wait_text("busylights", T, |t| t.contains("Shows: available"));
    assert!(shows.contains("Test"), "{shows}");
    app.screenshot("devices-busylight");

    // Test: each presence colour (yellow is 100 % red, 62 % green on a
    // kuando), a white flash, then green again.
    d.wait_for_css("[data-testid^=\"test-light-\"]", T)
        .click()
        .unwrap();
    let step = |rgb: [u8; 3], t: u8| {
        let [r, g, b] = rgb;
        [0x10, 0, r, g, b, t, t, 0x80]
    };
    kuando.wait_shown("the test's yellow", T, |r| {
        kuando_step(r) == Some(step([100, 62, 0], 0))
    });
    kuando.wait_shown("the test's white flash", T, |r| {
        kuando_step(r) == Some(step([100, 100, 100], 2))
    });
    kuando.wait_shown("back to green", T, |r| {
        kuando_step(r) == Some(step([0, 100, 0], 0))
    });

    // What it shows is a setting: "available" typed as blue and saved, the
    // phone restarts with it (a new engine serves the light's socket anew),
    // and the light's test ends on blue.
    use std::os::unix::fs::MetadataExt;
    let served_by = || std::fs::metadata(&socket).map(|m| m.ino()).unwrap_or(0);
    let before = served_by();
    d.wait_for("busylight-looks", T).click().unwrap();
    let available = d.wait_for("look-available", T);
    available.clear().unwrap();
    available.send_keys("blue\t").unwrap();
    d.wait_for("save-looks", T).click().unwrap();
    d.wait_text("looks-saved", T, |t| t.starts_with("Saved"));
    assert!(
        app.saved_config().contains("available = \"blue\""),
        "{}",
        app.saved_config()
    );
    hookswitch_tests::wait_until(T, "the restarted phone's light socket", || {
        served_by() != before && served_by() != 0
    });
    let mut kuando = Headset::connect(&socket);
    // The new phone takes the light as it starts: until it has, a test asked
    // of it is refused. Asked again until the light runs it, back to blue.
    let blue = |r: &[u8]| kuando_step(r) == Some(step([0, 0, 100], 0));
    let deadline = std::time::Instant::now() + T;
    let mut seen = Vec::new();
    loop {
        d.wait_for_css("[data-testid^=\"test-light-\"]", T)
            .click()
            .unwrap();
        if kuando
            .shown_within(Duration::from_secs(5), blue, &mut seen)
            .is_some()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the light never showed blue; seen {seen:?}"
        );
    }
}
