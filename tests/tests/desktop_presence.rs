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
