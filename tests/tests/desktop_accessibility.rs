//! The window as a screen reader meets it: the accessibility tree read over
//! AT-SPI (at-spi2-core's bus on the test's D-Bus session, python3-pyatspi,
//! as Orca reads it) names the dial pad's keys, Call, and in a call Hang up
//! and Mute, and an incoming call's Answer; the incoming call is said by an
//! assertive live region.

use std::process::Command;
use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};

const T: Duration = Duration::from_secs(20);

/// The app's tree as `tests/atspi_tree.py` prints it: (role, name, live
/// attributes and a live region's text) per object.
fn tree(bus: &str) -> Vec<(String, String, String)> {
    let out = Command::new("/usr/bin/python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/atspi_tree.py"))
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut cols = l.trim_start().split('\t');
            let mut col = || cols.next().unwrap_or_default().to_owned();
            let (role, name, live) = (col(), col(), col());
            (role, name, format!("{live}\t{}", col()))
        })
        .collect()
}

/// Waits until the tree has an object of `role` named `name`; on a
/// timeout, says what the tree held.
fn wait_for_object(bus: &str, role: &str, name: &str) -> Vec<(String, String, String)> {
    let deadline = std::time::Instant::now() + T;
    loop {
        let objects = tree(bus);
        if objects.iter().any(|(r, n, _)| r == role && n == name) {
            return objects;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {role} named {name:?} in the accessibility tree:\n{}",
            objects
                .iter()
                .map(|(r, n, a)| format!("{r}\t{n}\t{a}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_screen_reader_finds_the_dial_pad_the_call_controls_and_hears_a_call_ring() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let have_pyatspi = Command::new("/usr/bin/python3")
        .args(["-c", "import pyatspi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_pyatspi {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3-pyatspi is missing (cargo xtask setup installs it)"
        );
        eprintln!("skipped: python3-pyatspi is missing");
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let (app, _bus, address) = Desktop::start_on_bus(dir.path());
    let d = &app.driver;

    // The dial pad: each key and Call by name, the number field by its label.
    let objects = wait_for_object(&address, "push button", "Call");
    for key in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"] {
        assert!(
            objects
                .iter()
                .any(|(r, n, _)| r == "push button" && n == key),
            "no key {key}"
        );
    }
    assert!(
        objects
            .iter()
            .any(|(r, n, _)| r == "entry" && n == "Number or SIP address"),
        "the number field"
    );
    // The announcer is there before anything rings, so a ringing call is said.
    assert!(
        objects.iter().any(|(_, _, a)| a.contains("live:assertive")),
        "an assertive live region"
    );

    // Every control of every page has a name (a screen reader says what it
    // is for, not "button").
    let controls = [
        "push button",
        "toggle button",
        "check box",
        "radio button",
        "combo box",
        "entry",
        "password text",
        "spin button",
        "slider",
        "link",
    ];
    for page in [
        "phone", "history", "contacts", "messages", "devices", "settings",
    ] {
        d.wait_for(&format!("nav-{page}"), T).click().unwrap();
        d.wait_attribute(&format!("nav-{page}"), "aria-current", "page", T);
        let found: Vec<(String, String, String)> = tree(&address)
            .into_iter()
            .filter(|(role, _, _)| controls.contains(&role.as_str()))
            .collect();
        let unnamed: Vec<&String> = found
            .iter()
            .filter(|(_, name, _)| name.trim().is_empty())
            .map(|(role, _, _)| role)
            .collect();
        assert!(unnamed.is_empty(), "{page}: unnamed controls: {unnamed:?}");
        // The six page tabs at least: the tree was read.
        assert!(found.len() > 6, "{page}: {found:?}");
    }
    d.wait_for("nav-phone", T).click().unwrap();

    // In a call: Hang up and Mute.
    d.wait_for("echo-test", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    let objects = wait_for_object(&address, "push button", "Hang up");
    assert!(
        objects
            .iter()
            .any(|(r, n, _)| (r == "push button" || r == "toggle button") && n.starts_with("Mute")),
        "no Mute button"
    );
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);

    // An incoming call: its Answer, and the live region says who calls.
    let bob = Baresip::playing_tone(dir.path());
    let _bob = bob.start(60, Some(&format!("sip:alice@127.0.0.1:{}", app.sip_port)));
    d.wait_for("incoming", T);
    wait_for_object(&address, "push button", "Answer");
    // The assertive live region says who calls.
    let deadline = std::time::Instant::now() + T;
    loop {
        let said: Vec<String> = tree(&address)
            .into_iter()
            .filter(|(_, _, live)| live.contains("live:assertive"))
            .map(|(_, _, live)| live)
            .collect();
        if said.iter().any(|l| l.contains("\tIncoming call from ")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the live region said: {said:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
