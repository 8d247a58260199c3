//! Busylights through the device manager: simulated lights (their USB IDs,
//! their protocols) shown the phone's state, several at once, tested,
//! unplugged, disabled, and dark when the phone closes them.

use std::time::Duration;

use hookswitch_devices::hid::simulated::{
    SimulatedHandle, SimulatedSpec, channel_sink, wait_event,
};
use hookswitch_devices::{DeviceEvent, DeviceKind, DeviceManager, DeviceProblem};
use hookswitch_hid::profile::builtin;
use hookswitch_hid::{DeviceState, Presence};

const WAIT: Duration = Duration::from_secs(5);

fn light(fixture: &str, name: &str) -> SimulatedSpec {
    SimulatedSpec::from_text(fixture, name).unwrap()
}

fn kuando() -> SimulatedSpec {
    light(
        include_str!("../../hid/tests/fixtures/lights/kuando-BusylightOmega.hex"),
        "Busylight UC Omega",
    )
}

fn luxafor() -> SimulatedSpec {
    light(
        include_str!("../../hid/tests/fixtures/lights/Luxafor-Flag.hex"),
        "LUXAFOR FLAG",
    )
}

fn blinkstick() -> SimulatedSpec {
    light(
        include_str!("../../hid/tests/fixtures/lights/BlinkStick.hex"),
        "BlinkStick",
    )
}

/// The next report whose colour (for Luxafor: bytes 3..6) is `rgb`.
fn luxafor_shows(handle: &SimulatedHandle, rgb: [u8; 3]) {
    let mut seen = Vec::new();
    while let Some(r) = handle.next_written(WAIT) {
        if r.len() == 9 && r[1] == 1 && r[3..6] == rgb {
            return;
        }
        seen.push(r);
    }
    panic!("never shown {rgb:?}; written: {seen:02x?}");
}

/// The next kuando program whose step 0 is `step`.
fn kuando_runs(handle: &SimulatedHandle, step: [u8; 8]) -> Vec<u8> {
    let mut seen = Vec::new();
    while let Some(r) = handle.next_written(WAIT) {
        if r.len() == 65 && r[1..9] == step {
            return r;
        }
        seen.push(r[1..9].to_vec());
    }
    panic!("never ran {step:02x?}; step 0 written: {seen:02x?}");
}

#[test]
fn several_lights_show_presence_calls_and_ringing_in_their_own_protocols() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let kuando = manager.simulate(&kuando()).unwrap();
    let luxafor = manager.simulate(&luxafor()).unwrap();
    let stick = manager.simulate(&blinkstick()).unwrap();
    for _ in 0..3 {
        let Some(DeviceEvent::Added(info)) =
            wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Added(_)))
        else {
            panic!("a light not announced");
        };
        assert_eq!(info.kind, DeviceKind::Busylight);
        assert!(info.summary.starts_with("busylight"), "{}", info.summary);
    }
    // Idle and available: green, at once on arrival.
    kuando_runs(&kuando, [0x10, 0, 0, 100, 0, 0, 0, 0x80]);
    luxafor_shows(&luxafor, [0, 255, 0]);
    assert_eq!(stick.next_written(WAIT), Some(vec![1, 0, 255, 0]));

    // A call rings: the kuando flashes by itself (0.2 s on, 0.2 s off), the
    // others are flashed by the host, on and off.
    let ringing = DeviceState {
        ring: true,
        ringer: true,
        ..Default::default()
    };
    manager.show(ringing);
    kuando_runs(&kuando, [0x10, 0, 100, 0, 0, 2, 2, 0x80]);
    luxafor_shows(&luxafor, [255, 0, 0]);
    luxafor_shows(&luxafor, [0, 0, 0]);
    luxafor_shows(&luxafor, [255, 0, 0]);

    // Answered: steady red.
    manager.show(DeviceState {
        off_hook: true,
        ..Default::default()
    });
    kuando_runs(&kuando, [0x10, 0, 100, 0, 0, 0, 0, 0x80]);
    luxafor_shows(&luxafor, [255, 0, 0]);

    // Hung up with DND on: purple; presence away: yellow.
    manager.show(DeviceState {
        dnd: true,
        ..Default::default()
    });
    kuando_runs(&kuando, [0x10, 0, 62, 0, 100, 0, 0, 0x80]);
    manager.show(DeviceState {
        presence: Presence::Away,
        ..Default::default()
    });
    luxafor_shows(&luxafor, [255, 160, 0]);

    // Closed (the phone quits): dark.
    manager.close_all();
    kuando_runs(&kuando, [0x10, 0, 0, 0, 0, 0, 0, 0x80]);
    luxafor_shows(&luxafor, [0, 0, 0]);
    assert_eq!(stick.take_written().last(), Some(&vec![1, 0, 0, 0]));
}

#[test]
fn the_test_runs_through_the_colours_and_comes_back() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let luxafor = manager.simulate(&luxafor()).unwrap();
    luxafor_shows(&luxafor, [0, 255, 0]);
    assert!(manager.test(luxafor.id).unwrap());
    for colour in [
        [0, 255, 0],
        [255, 160, 0],
        [255, 0, 0],
        [160, 0, 255],
        [255, 255, 255],
        [0, 0, 0],
    ] {
        luxafor_shows(&luxafor, colour);
    }
    // And back to what the phone shows.
    luxafor_shows(&luxafor, [0, 255, 0]);
    drop(rx);
}

#[test]
fn a_headset_has_no_test_and_an_unknown_device_is_an_error() {
    let (sink, _rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let jabra = manager
        .simulate(
            &SimulatedSpec::telephony(
                include_str!("../../hid/tests/fixtures/Jabra-EvolveLinkMS.hex"),
                0x0b0e,
                0x0307,
                "Jabra",
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(manager.test(jabra.id), Ok(false));
    assert!(manager.test(hookswitch_devices::DeviceId(999)).is_err());
}

#[test]
fn an_unplugged_light_is_removed_and_one_plugged_again_gets_the_state() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    manager.show(DeviceState {
        off_hook: true,
        ..Default::default()
    });
    let first = manager.simulate(&luxafor()).unwrap();
    luxafor_shows(&first, [255, 0, 0]);
    first.unplug();
    let id = first.id;
    assert!(
        wait_event(&rx, WAIT, |e| *e == DeviceEvent::Removed(id)).is_some(),
        "removed"
    );
    assert!(manager.devices().is_empty());
    let again = manager.simulate(&luxafor()).unwrap();
    luxafor_shows(&again, [255, 0, 0]);
}

#[test]
fn a_disabled_light_is_never_written() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    manager.set_disabled(vec!["04D8:F372".into()]);
    let luxafor = manager.simulate(&luxafor()).unwrap();
    let Some(DeviceEvent::Unusable { problem, .. }) =
        wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Unusable { .. }))
    else {
        panic!("not reported unusable");
    };
    assert_eq!(problem, DeviceProblem::Disabled);
    manager.show(DeviceState {
        ring: true,
        ..Default::default()
    });
    // Closed as it was opened: never written, not even dark.
    assert_eq!(luxafor.take_written(), Vec::<Vec<u8>>::new());
    assert!(manager.devices().is_empty());
}

#[test]
fn settings_change_what_a_light_shows() {
    let (sink, _rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    manager.set_light_settings(hookswitch_hid::busylight::LightSettings {
        available: "blue".parse().unwrap(),
        ring_sound: true,
        ringtone: 3,
        ring_volume: 100,
        ..Default::default()
    });
    let kuando = manager.simulate(&kuando()).unwrap();
    kuando_runs(&kuando, [0x10, 0, 0, 0, 100, 0, 0, 0x80]);
    manager.show(DeviceState {
        ring: true,
        ..Default::default()
    });
    // Funky (3) at full volume, with the update bit.
    kuando_runs(&kuando, [0x10, 0, 100, 0, 0, 2, 2, 0x80 | 3 << 3 | 7]);
}
