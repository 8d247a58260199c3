//! Busy lamps in the window through kamailio (D69): extension 2000's lamp
//! shows idle, then ringing with bob as the caller when bob calls 2000;
//! clicking it picks the call up: the window talks to bob and 2000 stops
//! ringing.

use std::time::Duration;

use hookswitch_phone::{Action, Engine, PhoneEvent};
use hookswitch_tests::desktop;
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn user(name: &str, kport: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let (engine, mut events) =
        kamailio::phone(account(name, kport, 600), test_config(free_port())).await;
    registered(&mut events).await;
    (engine, events)
}

#[test]
fn a_ringing_lamp_clicked_picks_the_call_up() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = desktop::runtime();
    let server = Kamailio::configure_blf(dir.path(), free_port());
    let kport = server.port;
    let _k = server.start();
    let (_ext, mut ext_events) = rt.block_on(user("2000", kport));
    let (bob, mut bob_events) = rt.block_on(user("bob", kport));
    let (app, _bus, _) = desktop::alice_at_pbx(dir.path(), kport, "blf = [\"2000\"]\n");
    let d = &app.driver;
    let lamp = "[data-testid=\"lamp\"][data-extension=\"2000\"]";
    d.wait_css_attribute(lamp, "data-lamp", T, |v| v == "idle");

    rt.block_on(bob.act(Action::Call {
        target: "2000".into(),
        account: None,
        audio: None,
    }))
    .unwrap();
    rt.block_on(expect_event(&mut ext_events, T, "2000 rings", |e| {
        matches!(e, PhoneEvent::IncomingCall { .. }).then_some(())
    }));
    d.wait_css_attribute(lamp, "data-lamp", T, |v| v == "ringing");
    let label = d.wait_css_attribute(lamp, "aria-label", T, |v| v.contains("bob@127.0.0.1"));
    assert!(label.contains("pick up"), "{label}");

    d.wait_for_css(lamp, T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    rt.block_on(expect_event(
        &mut bob_events,
        T,
        "bob talks to alice",
        |e| matches!(e, PhoneEvent::Established { .. }).then_some(()),
    ));
    rt.block_on(expect_event(
        &mut ext_events,
        T,
        "2000 stops ringing",
        |e| matches!(e, PhoneEvent::Ended { .. }).then_some(()),
    ));
}
