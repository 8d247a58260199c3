//! The device manager with simulated devices that replay real descriptors:
//! gestures out, state in, unplug and replug.

use std::time::Duration;

use hookswitch_devices::hid::simulated::{SimulatedSpec, channel_sink, wait_event};
use hookswitch_devices::{DeviceEvent, DeviceManager};
use hookswitch_hid::profile::builtin;
use hookswitch_hid::{DeviceState, PhoneInput};

const WAIT: Duration = Duration::from_secs(5);

fn spec(fixture: &str, vid: u16, pid: u16, product: &str) -> SimulatedSpec {
    SimulatedSpec::telephony(fixture, vid, pid, product).unwrap()
}

fn jabra() -> SimulatedSpec {
    spec(
        include_str!("../../hid/tests/fixtures/Jabra-EvolveLinkMS.hex"),
        0x0b0e,
        0x0307,
        "Jabra EVOLVE LINK MS",
    )
}

fn poly() -> SimulatedSpec {
    spec(
        include_str!("../../hid/tests/fixtures/Poly-BlackwireC5220.hex"),
        0x047f,
        0xc053,
        "Plantronics Blackwire 5220 Series",
    )
}

#[test]
fn a_plugged_device_is_announced_with_its_profile_and_gets_the_current_state() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    manager.show(DeviceState {
        off_hook: true,
        mute: true,
        ..Default::default()
    });
    let jabra = manager.simulate(&jabra()).unwrap();
    let Some(DeviceEvent::Added(info)) =
        wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Added(_)))
    else {
        panic!("no Added event");
    };
    assert_eq!(info.profile.as_deref(), Some("Jabra"));
    assert!(info.summary.contains("Hook Switch"), "{}", info.summary);
    // Off-Hook bit 0 and Mute bit 1 of report 2, written on arrival.
    assert_eq!(jabra.next_written(WAIT), Some(vec![0x02, 0x03, 0x00]));
}

#[test]
fn gestures_come_out_as_events_and_state_changes_are_written_once() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let jabra = manager.simulate(&jabra()).unwrap();
    assert_eq!(jabra.next_written(WAIT), Some(vec![0x02, 0x00, 0x00]));
    jabra.input(&[0x02, 0x01, 0x00]);
    let got = wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Input { .. }));
    assert!(
        matches!(got, Some(DeviceEvent::Input { input: PhoneInput::HookOff, id, .. }) if id == jabra.id),
        "{got:?}"
    );
    let ringing = DeviceState {
        ring: true,
        ringer: true,
        ..Default::default()
    };
    manager.show(ringing);
    manager.show(ringing);
    assert_eq!(jabra.next_written(WAIT), Some(vec![0x02, 0x24, 0x00]));
    assert_eq!(
        jabra.next_written(Duration::from_millis(50)),
        None,
        "the same state is not written twice"
    );
}

#[test]
fn every_device_shows_the_state_in_its_own_report_layout() {
    let (sink, _rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let jabra = manager.simulate(&jabra()).unwrap();
    let poly = manager.simulate(&poly()).unwrap();
    jabra.take_written();
    poly.take_written();
    manager.show(DeviceState {
        mute: true,
        ..Default::default()
    });
    assert_eq!(jabra.next_written(WAIT), Some(vec![0x02, 0x02, 0x00]));
    // Poly: one report per LED; Mute is report 0x09.
    let written = poly.next_written(WAIT).unwrap();
    assert_eq!(written[0], 0x09, "{written:02x?}");
    assert_eq!(written[1] & 1, 1);
    assert_eq!(manager.devices().len(), 2);
}

#[test]
fn unplugged_devices_are_dropped_and_a_replug_gets_the_full_state_again() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let first = manager.simulate(&jabra()).unwrap();
    manager.show(DeviceState {
        off_hook: true,
        ..Default::default()
    });
    first.unplug();
    let removed = wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Removed(_)));
    assert_eq!(removed, Some(DeviceEvent::Removed(first.id)));
    assert!(manager.devices().is_empty());
    // Still in a call while the device was away; plugged back in, it shows it.
    let again = manager.simulate(&jabra()).unwrap();
    assert_ne!(again.id, first.id, "a replugged device is a new device");
    assert_eq!(again.next_written(WAIT), Some(vec![0x02, 0x01, 0x00]));
    // Removing twice reports once.
    manager.remove(again.id);
    manager.remove(again.id);
    let removals = rx
        .try_iter()
        .filter(|e| matches!(e, DeviceEvent::Removed(id) if *id == again.id))
        .count();
    assert_eq!(removals, 1);
}

#[test]
fn a_descriptor_without_telephony_is_refused() {
    let (sink, _rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let logitech = spec(
        include_str!("../../hid/tests/fixtures/Logitech-G535.hex"),
        0x046d,
        0x0ac4,
        "G535",
    );
    let err = manager.simulate(&logitech).err().expect("refused");
    assert!(err.to_string().contains("Telephony"), "{err}");
}
