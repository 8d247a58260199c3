//! Busylights end to end: two simulated lights from `devices.simulated` (a
//! kuando Busylight UC Omega and a Luxafor Flag, each on its own socket, as a
//! person without the hardware would configure them), a simulated Jabra to
//! answer with, and a real SIP peer (sipp). A call rings the lights, lifting
//! the headset turns them red, hanging up brings presence back, DND is
//! purple, away is yellow, and they go dark when the phone stops.

use std::path::Path;
use std::time::{Duration, Instant};

use hookswitch_phone::config::SimulatedDevice;
use hookswitch_phone::{Action, Availability, Passwords, PhoneEvent};
use hookswitch_tests::devices::{
    Headset, KUANDO_HEX, LUXAFOR_HEX, jabra, kuando_step, luxafor_colour,
};
use hookswitch_tests::{expect_event, free_port, sipp, start_engine, test_config};

const T: Duration = Duration::from_secs(15);

const GREEN: [u8; 3] = [0, 255, 0];
const RED: [u8; 3] = [255, 0, 0];
const YELLOW: [u8; 3] = [255, 160, 0];
const PURPLE: [u8; 3] = [160, 0, 255];
const DARK: [u8; 3] = [0, 0, 0];

/// kuando step 0: a colour (percent), steady or flashing by itself, the
/// ringtone silenced (update bit, no tune).
fn kuando(rgb_percent: [u8; 3], flashing: bool) -> [u8; 8] {
    let t = if flashing { 2 } else { 0 };
    let [r, g, b] = rgb_percent;
    [0x10, 0, r, g, b, t, t, 0x80]
}

fn light(dir: &Path, name: &str, hex: &str) -> SimulatedDevice {
    let descriptor = dir.join(format!("{name}.hex"));
    std::fs::write(&descriptor, hex).unwrap();
    SimulatedDevice {
        descriptor,
        socket: dir.join(format!("{name}.sock")),
        name: Some(name.into()),
        sound_device: None,
    }
}

fn kuando_shows(k: &mut Headset, what: &str, step: [u8; 8]) {
    tokio::task::block_in_place(|| {
        k.wait_shown(what, T, |r| kuando_step(r) == Some(step));
    });
}

fn luxafor_shows(l: &mut Headset, what: &str, rgb: [u8; 3]) {
    tokio::task::block_in_place(|| {
        l.wait_shown(what, T, |r| luxafor_colour(r) == Some(rgb));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lights_ring_turn_red_in_a_call_and_show_presence_dnd_and_away() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut config = test_config(port);
    let kuando_device = light(dir.path(), "Busylight UC Omega", KUANDO_HEX);
    let luxafor_device = light(dir.path(), "LUXAFOR FLAG", LUXAFOR_HEX);
    config.devices.simulated = vec![kuando_device.clone(), luxafor_device.clone()];
    let (engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let mut k = Headset::connect(&kuando_device.socket);
    let mut l = Headset::connect(&luxafor_device.socket);
    let headset = engine.devices().simulate(&jabra()).unwrap();

    // The phone's published state knows them as busylights (and the
    // headset as none).
    let kinds = |s: &hookswitch_phone::PhoneState| {
        let mut k: Vec<_> = s.devices.iter().map(|d| (d.kind, d.name.clone())).collect();
        k.sort_by(|a, b| a.1.cmp(&b.1));
        k
    };
    let mut watch = engine.watch_state();
    let state = tokio::time::timeout(T, watch.wait_for(|s| s.devices.len() == 3))
        .await
        .expect("three devices in the state in time")
        .expect("the engine runs")
        .clone();
    let busylight = hookswitch_devices::DeviceKind::Busylight;
    let telephony = hookswitch_devices::DeviceKind::Telephony;
    let kinds = kinds(&state);
    assert_eq!(
        kinds.iter().map(|k| k.0).collect::<Vec<_>>(),
        vec![busylight, telephony, busylight],
        "{kinds:?}"
    );

    // Idle, available: green. (Connected after they were plugged in, the
    // test sees the state again through the DND round trip below.)
    engine
        .act(Action::Dnd {
            on: true,
            account: None,
        })
        .await
        .unwrap();
    kuando_shows(&mut k, "DND purple", kuando([62, 0, 100], false));
    luxafor_shows(&mut l, "DND purple", PURPLE);
    engine
        .act(Action::Dnd {
            on: false,
            account: None,
        })
        .await
        .unwrap();
    kuando_shows(&mut k, "available green", kuando([0, 100, 0], false));
    luxafor_shows(&mut l, "available green", GREEN);

    // A call rings: the kuando flashes by itself, the Luxafor is flashed.
    let sipp = sipp::calls(dir.path(), port, "uac_device");
    kuando_shows(&mut k, "ringing: flashing red", kuando([100, 0, 0], true));
    luxafor_shows(&mut l, "ringing: red", RED);
    luxafor_shows(&mut l, "ringing: dark between flashes", DARK);
    luxafor_shows(&mut l, "ringing: red again", RED);

    // Lifted on the headset: answered, steady red.
    let lift_at = Instant::now();
    headset.input_at(&[0x02, 0x01, 0x00], lift_at);
    expect_event(&mut events, T, "answered", |e| match e {
        PhoneEvent::Established { .. } => Some(()),
        _ => None,
    })
    .await;
    kuando_shows(&mut k, "in a call: red", kuando([100, 0, 0], false));

    // Put down: hung up (sipp's scenario needs our BYE), back to green.
    headset.input_at(&[0x02, 0x00, 0x00], lift_at + Duration::from_millis(200));
    kuando_shows(&mut k, "after the call: green", kuando([0, 100, 0], false));
    luxafor_shows(&mut l, "after the call: green", GREEN);
    sipp::succeeds(sipp).await;

    // Away by choice: yellow.
    engine
        .act(Action::Presence {
            availability: Availability::Away,
            note: None,
        })
        .await
        .unwrap();
    kuando_shows(&mut k, "away: yellow", kuando([100, 62, 0], false));
    luxafor_shows(&mut l, "away: yellow", YELLOW);

    // The test button's action runs the light's test: every colour, then back.
    let luxafor_id = engine
        .devices()
        .devices()
        .into_iter()
        .find(|d| d.product == "LUXAFOR FLAG")
        .map(|d| d.id.0)
        .unwrap();
    engine
        .act(Action::TestDevice { device: luxafor_id })
        .await
        .unwrap();
    for colour in [GREEN, YELLOW, RED, PURPLE, [255, 255, 255], DARK] {
        luxafor_shows(&mut l, "the test", colour);
    }
    luxafor_shows(&mut l, "back to away", YELLOW);
    assert!(
        engine
            .act(Action::TestDevice { device: 999 })
            .await
            .is_err(),
        "no such device"
    );

    // The phone stops: dark.
    engine.shutdown().await;
    kuando_shows(&mut k, "dark at exit", kuando([0, 0, 0], false));
    luxafor_shows(&mut l, "dark at exit", DARK);
}
