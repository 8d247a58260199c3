//! The desktop app end to end, in its real webview: Xvfb, WebKitWebDriver and
//! tauri-driver drive the built `hookswitch-app`, with baresip as the far end
//! and a simulated Jabra headset inside the app (its LED reports read back
//! through the headset's socket). Screenshots of each main screen are saved as
//! artifacts (`target/debug/desktop-screenshots/`; `cargo xtask screenshots`
//! refreshes docs/screenshots from them).

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};
use hookswitch_tests::free_port;

const T: Duration = Duration::from_secs(20);

/// Jabra Evolve Link report 2, byte 1: Off-Hook bit 0, Mute bit 1, Ring bit 2.
const OFF_HOOK: u8 = 0x01;
const MUTE: u8 = 0x02;
const RING: u8 = 0x04;

fn leds(report: &[u8]) -> Option<u8> {
    (report.first() == Some(&0x02)).then(|| report.get(1).copied())?
}

#[test]
fn a_call_from_the_dial_pad_is_muted_on_the_headset_and_hung_up() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let bob = Baresip::playing_tone(dir.path());
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
    // Its Call button calls bob again.
    d.wait_for("redial", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
    headset.wait_shown("all LEDs off again", T, |r| leds(r) == Some(0));

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
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let bob = Baresip::playing_tone(dir.path());
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

/// Call waiting in the window: during a call to bob, carol calls; the panel
/// says "Call waiting", "Hold and answer" holds bob and takes carol; Swap
/// goes back to bob; keys typed on the call's keypad reach bob as DTMF.
/// DND from Settings then shows in the status bar and is saved.
#[test]
fn call_waiting_swap_dtmf_and_dnd_from_the_window() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let bob = Baresip::playing_tone(dir.path());
    let carol = Baresip::playing_tone(dir.path());
    let bob_process = bob.start(90, None);
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;

    d.wait_for("dial-input", T)
        .send_keys(&format!("sip:bob@127.0.0.1:{}", bob.port))
        .unwrap();
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_for("keypad", T).click().unwrap();
    d.wait_for("dtmf-5", T).click().unwrap();
    d.wait_for("dtmf-#", T).click().unwrap();
    hookswitch_tests::wait_until(T, "bob to hear 5#", || {
        Baresip::dtmf_heard(&bob_process.log()) == "5#"
    });

    let _carol = carol.start(90, Some(&format!("sip:alice@127.0.0.1:{}", app.sip_port)));
    d.wait_text("incoming", T, |t| {
        // The eyebrow is upper-cased by CSS; innerText shows it so.
        let t = t.to_lowercase();
        t.contains("call waiting") && t.contains("hold and answer")
    });
    d.wait_for("answer", T).click().unwrap();
    d.wait_gone("incoming", T);
    d.wait_text("call-remote", T, |t| {
        t.contains("127.0.0.1") && !t.contains(&bob.port.to_string())
    });
    d.wait_text("call-state", T, |t| t.contains(':'));
    // Carol's panel is her own: bob's keypad and digits are not on it.
    d.wait_gone("dtmf-sent", T);
    app.screenshot("call-waiting");
    // Back to bob: carol is held, bob resumed.
    d.wait_for("swap", T).click().unwrap();
    d.wait_text("call-remote", T, |t| t.contains(&bob.port.to_string()));
    d.wait_attribute("hold", "aria-pressed", "false", T);
    d.wait_for("hangup", T).click().unwrap();
    // Carol's call is left, on hold: resume and end it.
    d.wait_attribute("hold", "aria-pressed", "true", T);
    d.wait_for("hold", T).click().unwrap();
    d.wait_attribute("hold", "aria-pressed", "false", T);
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);

    d.wait_for("nav-settings", T).click().unwrap();
    d.wait_for("dnd", T).click().unwrap();
    d.wait_for("status-dnd", T);
    let config = app.saved_config();
    assert!(config.contains("dnd = true"), "DND is saved:\n{config}");
}

/// Attended transfer from the window: we talk to B, "New call…" to C holds
/// B (two live calls never share the microphone) and consults C; in C's
/// panel, Transfer > "Connect with" B connects the two (C is referred to B
/// with Replaces). B and C are headless Hookswitches in this test; C calls B
/// in our place, B takes it in place of our call, and both of ours end.
#[test]
fn attended_transfer_from_the_window() {
    use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
    use hookswitch_tests::{expect_event, start_engine, test_config};
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (b_port, c_port) = (free_port(), free_port());
    let (b, mut b_events) = rt.block_on(start_engine(&test_config(b_port), &Passwords::new()));
    let (c, mut c_events) = rt.block_on(start_engine(&test_config(c_port), &Passwords::new()));
    let rings = |e: &PhoneEvent| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    };
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;

    d.type_into("dial-input", &format!("sip:bob@127.0.0.1:{b_port}"), T);
    d.wait_for("dial-call", T).click().unwrap();
    let b_call = rt.block_on(expect_event(&mut b_events, T, "B rings", rings));
    rt.block_on(b.answer(b_call, AudioSpec::default())).unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);

    d.wait_for("add-call", T).click().unwrap();
    d.type_into("dial-input", &format!("sip:carol@127.0.0.1:{c_port}"), T);
    d.wait_for("dial-call", T).click().unwrap();
    let c_call = rt.block_on(expect_event(&mut c_events, T, "C rings", rings));
    rt.block_on(c.answer(c_call, AudioSpec::default())).unwrap();
    d.wait_text("call-remote", T, |t| t.contains("carol@"));
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    // B was held before C was called: B sees our hold.
    rt.block_on(expect_event(&mut b_events, T, "B held", |e| match e {
        PhoneEvent::MediaUpdated { call, direction } if *call == b_call => {
            (direction.as_str() == "recvonly" || direction.as_str() == "inactive").then_some(())
        }
        _ => None,
    }));
    d.wait_text("other-calls", T, |t| {
        t.contains("bob@") && t.contains("(on hold)")
    });

    d.wait_for("transfer", T).click().unwrap();
    d.wait_for("transfer-connect", T).click().unwrap();
    // From C's panel: C is referred to B (REFER with Replaces); B takes
    // C's call in place of ours, C talks to B, and our calls end.
    let replaced = rt.block_on(expect_event(&mut b_events, T, "B gets C", |e| match e {
        PhoneEvent::IncomingCall { replaces, .. } => *replaces,
        _ => None,
    }));
    assert_eq!(replaced, b_call);
    rt.block_on(expect_event(
        &mut c_events,
        T,
        "C talks to B",
        |e| match e {
            PhoneEvent::Established { call, .. } if *call != c_call => Some(()),
            _ => None,
        },
    ));
    d.wait_gone("call-panel", T);
    d.wait_for("nav-history", T).click().unwrap();
    d.wait_text("history", T, |t| t.contains("carol@") && t.contains("bob@"));
}
