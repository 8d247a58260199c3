//! A simulated device driven over its Unix socket, as the desktop app's
//! end-to-end test drives the headset inside the app.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use hookswitch_devices::hid::simulated::{SimulatedSpec, channel_sink, wait_event};
use hookswitch_devices::hid::simulated_socket;
use hookswitch_devices::{DeviceEvent, DeviceManager};
use hookswitch_hid::profile::builtin;
use hookswitch_hid::{DeviceState, PhoneInput};

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn a_client_lifts_the_headset_and_reads_the_leds_the_host_shows() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let spec = SimulatedSpec::telephony(
        include_str!("../../hid/tests/fixtures/Jabra-EvolveLinkMS.hex"),
        0x0b0e,
        0x0307,
        "Jabra EVOLVE LINK MS",
    )
    .unwrap();
    let handle = manager.simulate(&spec).unwrap();
    let first = handle.id;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jabra.sock");
    simulated_socket::serve(handle, &path, manager.replug(spec.clone())).unwrap();

    let mut client = UnixStream::connect(&path).unwrap();
    client.set_read_timeout(Some(WAIT)).unwrap();
    let mut lines = BufReader::new(client.try_clone().unwrap()).lines();
    let mut next_line = move || lines.next().unwrap().unwrap();
    // Listed for output reports before anything else is said.
    assert_eq!(next_line(), "ready");

    // The state on arrival (all off) may come before or after we connect.
    client.write_all(b"report 02 01 00\n").unwrap();
    while next_line() != "ok" {}
    // "ok" comes after the report is decoded: the event is already there.
    let got = rx
        .try_iter()
        .find(|e| matches!(e, DeviceEvent::Input { .. }));
    assert!(
        matches!(
            got,
            Some(DeviceEvent::Input {
                input: PhoneInput::HookOff,
                ..
            })
        ),
        "{got:?}"
    );

    manager.show(DeviceState {
        off_hook: true,
        mute: true,
        ..Default::default()
    });
    let shown = loop {
        let line = next_line();
        if line == "shown 02 03 00" {
            break line;
        }
    };
    assert_eq!(shown, "shown 02 03 00");

    client.write_all(b"press mute\n").unwrap();
    assert!(next_line().starts_with("error unknown command"));

    client.write_all(b"unplug\n").unwrap();
    assert_eq!(next_line(), "ok");
    // "ok" comes once the manager has dropped it.
    assert!(manager.devices().is_empty(), "{:?}", manager.devices());
    assert!(wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Removed(_))).is_some());
    client.write_all(b"report 02 00 00\n").unwrap();
    assert_eq!(next_line(), "error unplugged");
    client.write_all(b"unplug\n").unwrap();
    assert_eq!(next_line(), "error unplugged already");

    // Plugged back in: a new device to the phone, shown the state at once.
    client.write_all(b"plug\n").unwrap();
    let again = match wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Added(_))) {
        Some(DeviceEvent::Added(info)) => info,
        other => panic!("no device plugged in again: {other:?}"),
    };
    assert_ne!(again.id, first, "a replugged device is a new device");
    manager.show(DeviceState {
        off_hook: true,
        ..Default::default()
    });
    while next_line() != "shown 02 01 00" {}
    client.write_all(b"report 02 00 00\n").unwrap();
    while next_line() != "ok" {}
    client.write_all(b"plug\n").unwrap();
    assert_eq!(next_line(), "error plugged in already");
}
