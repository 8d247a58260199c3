//! The desktop app end to end, in its real webview: Xvfb, WebKitWebDriver and
//! tauri-driver drive the built `hookswitch-app`, with baresip as the far end
//! and a simulated Jabra headset inside the app (its LED reports read back
//! through the headset's socket). Screenshots of each main screen are saved as
//! artifacts (`target/debug/desktop-screenshots/`; `cargo xtask screenshots`
//! refreshes docs/screenshots from them).

use std::sync::Mutex;
use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};
use hookswitch_tests::{free_port, write_tone};

const T: Duration = Duration::from_secs(20);

/// One window at a time: each brings up a webview (several processes) on a
/// 2-core machine.
static ONE_WINDOW: Mutex<()> = Mutex::new(());

/// Jabra Evolve Link report 2, byte 1: Off-Hook bit 0, Mute bit 1, Ring bit 2.
const OFF_HOOK: u8 = 0x01;
const MUTE: u8 = 0x02;
const RING: u8 = 0x04;

fn leds(report: &[u8]) -> Option<u8> {
    (report.first() == Some(&0x02)).then(|| report.get(1).copied())?
}

/// Whether this machine can run the window; in CI it must.
fn can_run() -> bool {
    match desktop::missing() {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("desktop test cannot run: {why}"),
        Some(why) => {
            eprintln!("desktop test skipped: {why}");
            false
        }
    }
}

fn baresip(dir: &std::path::Path) -> Baresip {
    let tone = dir.join("tone.wav");
    write_tone(&tone, 440.0, 8000, 30.0);
    Baresip::configure(dir, free_port(), &tone, "PCMU", "udp")
}

#[test]
fn a_call_from_the_dial_pad_is_muted_on_the_headset_and_hung_up() {
    if !can_run() {
        return;
    }
    let _one = ONE_WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let bob = baresip(dir.path());
    let _bob = bob.start(90, None);
    let app = Desktop::start(dir.path(), "");
    eprintln!(
        "window ready {:?} after the session was asked for",
        app.started_in
    );
    let d = &app.driver;
    let mut headset = app.headset();
    app.screenshot("phone");

    // Dial from the keyboard into the dial pad, then press Call.
    d.wait_for("dial-input", T)
        .send_keys(&format!("sip:bob@127.0.0.1:{}", bob.port))
        .unwrap();
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    let shown = headset.wait_shown("Off-Hook for the call", T, |r| {
        leds(r).is_some_and(|l| l & OFF_HOOK != 0)
    });
    assert_eq!(leds(&shown).unwrap() & MUTE, 0, "not muted yet");

    // Mute in the window: the headset's Mute LED comes on.
    d.wait_for("mute", T).click().unwrap();
    d.wait_attribute("mute", "aria-pressed", "true", T);
    headset.wait_shown("the Mute LED", T, |r| {
        leds(r).is_some_and(|l| l & (OFF_HOOK | MUTE) == OFF_HOOK | MUTE)
    });
    d.wait_for("stats-toggle", T).click().unwrap();
    d.wait_text("stats", T, |t| t.contains("MOS"));
    app.screenshot("call");

    // Hang up: the panel goes, the LEDs go out.
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
    headset.wait_shown("all LEDs off", T, |r| leds(r) == Some(0));

    // The call is in the history, with a redial button.
    d.wait_for("nav-history", T).click().unwrap();
    d.wait_text("history", T, |t| {
        t.contains(&format!("bob@127.0.0.1:{}", bob.port))
    });
    app.screenshot("history");

    // The headset is listed with what it can do, and the live view saw its LEDs.
    d.wait_for("nav-devices", T).click().unwrap();
    d.wait_text("hid-devices", T, |t| t.contains("Jabra Evolve Link"));
    headset.report("02 00 00");
    d.wait_text("activity", T, |t| {
        t.contains("LEDs") || t.contains("pressed")
    });
    app.screenshot("devices");

    d.wait_for("nav-settings", T).click().unwrap();
    d.wait_for("add-account", T).click().unwrap();
    d.wait_for("account-wizard", T);
    app.screenshot("settings");
}

#[test]
fn a_ringing_call_is_answered_by_lifting_the_headset_and_the_window_follows() {
    if !can_run() {
        return;
    }
    let _one = ONE_WINDOW.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let bob = baresip(dir.path());
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    let mut headset = app.headset();
    let _bob = bob.start(90, Some(&format!("sip:alice@127.0.0.1:{}", app.sip_port)));

    // The window shows who calls; the headset rings.
    d.wait_text("incoming-name", T, |t| t.contains("bob@127.0.0.1"));
    headset.wait_shown("the Ring LED", T, |r| {
        leds(r).is_some_and(|l| l & RING != 0)
    });
    app.screenshot("incoming");

    // Lift the headset (Hook Switch on): the call is answered, the window follows.
    headset.report("02 01 00");
    d.wait_gone("incoming", T);
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    headset.wait_shown("Off-Hook, no ring", T, |r| {
        leds(r).is_some_and(|l| l & (OFF_HOOK | RING) == OFF_HOOK)
    });

    // bob hangs up: the window and the LEDs go back to idle.
    bob.command("hangup", "").expect("baresip hangup");
    d.wait_gone("call-panel", T);
    headset.wait_shown("all LEDs off", T, |r| leds(r) == Some(0));
    d.wait_for("dial-input", T);
}
