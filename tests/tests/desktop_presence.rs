//! Presence in the window through kamailio as the presence server (D68):
//! watching bob from the Contacts list shows his dot and note as he changes
//! them; the status chosen in the window (with a note) is what bob, who
//! watches alice, sees.

use std::time::Duration;

use hookswitch_phone::{Action, Availability, Engine, PhoneEvent};
use hookswitch_tests::desktop;
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn bob(kport: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut config = test_config(free_port());
    config.presence.watch = vec!["alice".into()];
    let mut acct = account("bob", kport, 600);
    acct.presence = true;
    let (engine, mut events) = kamailio::phone(acct, config).await;
    registered(&mut events).await;
    (engine, events)
}

#[test]
fn contacts_dots_follow_bob_and_bob_sees_the_status_chosen_here() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = desktop::runtime();
    let kamailio = Kamailio::configure_presence(dir.path(), free_port());
    let kport = kamailio.port;
    let _k = kamailio.start();
    let (bob, mut bob_events) = rt.block_on(bob(kport));
    let (app, _bus, _) = desktop::alice_at_pbx(dir.path(), kport, "presence = true\n");
    let d = &app.driver;

    d.type_into("watch-input", "bob", T);
    d.wait_for("watch-add", T).click().unwrap();
    let bob_row = "[data-testid=\"contact\"][data-target=\"bob\"]";
    d.wait_css_attribute(bob_row, "data-availability", T, |v| v == "available");
    // The contact is kept in the settings file for the next start.
    hookswitch_tests::wait_until(T, "bob in [presence] watch", || {
        hookswitch_phone::Config::load(&app.config_path)
            .is_ok_and(|saved| saved.presence.watch == ["bob"])
    });
    rt.block_on(bob.act(Action::Presence {
        availability: Availability::Away,
        note: Some("lunch".into()),
    }))
    .unwrap();
    d.wait_css_attribute(bob_row, "data-availability", T, |v| v == "away");
    let row = d
        .execute(&format!(
            "return document.querySelector('{}').textContent",
            bob_row.replace('"', "\\\"")
        ))
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(row.contains("lunch"), "{row}");

    // Alice says she is busy, with a note: bob sees it.
    let choose = "document.querySelector('[data-testid=\"presence-choice\"]')";
    d.execute(&format!(
        "const s = {choose}; s.value = 'busy'; s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value"
    ))
    .unwrap();
    d.type_into("presence-note", "in a workshop", T);
    d.wait_for("presence-set", T).click().unwrap();
    let note = rt.block_on(expect_event(
        &mut bob_events,
        T,
        "alice busy",
        |e| match e {
            PhoneEvent::Presence {
                target,
                availability: Availability::Busy,
                note,
                ..
            } if target == "alice" => Some(note.clone()),
            _ => None,
        },
    ));
    assert_eq!(note.as_deref(), Some("in a workshop"));
    d.wait_attribute("presence-shown", "data-availability", "busy", T);
}

/// The screen locks (a screen saver on the session bus says so): alice
/// shows away to bob until it unlocks.
#[test]
fn a_locked_screen_shows_away_until_unlocked() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = desktop::runtime();
    let kamailio = Kamailio::configure_presence(dir.path(), free_port());
    let kport = kamailio.port;
    let _k = kamailio.start();
    let (_bob, mut bob_events) = rt.block_on(bob(kport));
    let locked = dir.path().join("screen-locked");
    std::fs::write(&locked, "0").unwrap();
    let (app, _bus, bus) = desktop::alice_at_pbx(dir.path(), kport, "presence = true\n");
    let saver = {
        // Debian's Python, where python3-gi is.
        let mut cmd = std::process::Command::new("/usr/bin/python3");
        cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/screensaver.py"))
            .arg(&locked)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus);
        hookswitch_tests::Process::spawn("screensaver", cmd, dir.path())
    };
    saver.wait_for_log("ready", T);
    let shows = |want: Availability, events: &mut broadcast::Receiver<PhoneEvent>| {
        rt.block_on(expect_event(events, T, want.as_str(), |e| match e {
            PhoneEvent::Presence {
                target,
                availability,
                ..
            } if target == "alice" && *availability == want => Some(()),
            _ => None,
        }))
    };
    shows(Availability::Available, &mut bob_events);
    std::fs::write(&locked, "1").unwrap();
    shows(Availability::Away, &mut bob_events);
    app.driver
        .wait_attribute("presence-shown", "data-availability", "away", T);
    std::fs::write(&locked, "0").unwrap();
    shows(Availability::Available, &mut bob_events);
}
