//! PHONE-BEHAVIOUR.md end to end: simulated devices replaying real
//! descriptors (Jabra Evolve Link MS, Poly Blackwire C5220, EPOS IMPACT DW)
//! with the input report bytes each one sends, a real SIP peer (sipp) on the
//! other end. Assertions are on the wire (sipp's scenario passes only if our
//! 200, 486 or BYE arrives) and on the output report bytes written.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::{SimulatedHandle, SimulatedSpec};
use hookswitch_hid::descriptor_from_hex;
use hookswitch_hid::profile::DeviceIdentity;
use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, expect_event, free_port, start_engine, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(15);

fn spec(fixture: &str, vendor_id: u16, product_id: u16, product: &str) -> SimulatedSpec {
    SimulatedSpec {
        descriptor: descriptor_from_hex(fixture).expect("fixture"),
        identity: DeviceIdentity {
            vendor_id,
            product_id,
            interface: Some(3),
            usage_page: 0x0b,
        },
        product: product.into(),
    }
}

fn jabra() -> SimulatedSpec {
    spec(
        include_str!("../../crates/hid/tests/fixtures/Jabra-EvolveLinkMS.hex"),
        0x0b0e,
        0x0307,
        "Jabra EVOLVE LINK MS",
    )
}

fn poly() -> SimulatedSpec {
    spec(
        include_str!("../../crates/hid/tests/fixtures/Poly-BlackwireC5220.hex"),
        0x047f,
        0xc053,
        "Plantronics Blackwire 5220 Series",
    )
}

fn epos() -> SimulatedSpec {
    spec(
        include_str!("../../crates/hid/tests/fixtures/EPOS-ImpactDW.hex"),
        0x1395,
        0x00a2,
        "EPOS IMPACT DW",
    )
}

struct Desk {
    engine: Engine,
    events: broadcast::Receiver<PhoneEvent>,
    port: u16,
    device: SimulatedHandle,
    /// When the last report was read: a person's presses come at least
    /// `PRESS_GAP` apart (closer, the decoder takes them for contact bounce).
    pressed_at: Instant,
}

const PRESS_GAP: Duration = Duration::from_millis(100);

impl Desk {
    /// The device sends `report`, read a person's press after the last one.
    fn press(&mut self, report: &[u8]) {
        press(&self.device, &mut self.pressed_at, report);
    }
}

fn press(device: &SimulatedHandle, pressed_at: &mut Instant, report: &[u8]) {
    *pressed_at = Instant::now().max(*pressed_at + PRESS_GAP);
    device.input_at(report, *pressed_at);
}

async fn desk_with(device: SimulatedSpec, config: Config) -> Desk {
    let port = config.sip.listen.port();
    let (engine, events) = start_engine(&config, &Passwords::new()).await;
    let device = engine
        .devices()
        .simulate(&device)
        .expect("simulated device");
    Desk {
        engine,
        events,
        port,
        device,
        pressed_at: Instant::now(),
    }
}

async fn desk(device: SimulatedSpec) -> Desk {
    desk_with(device, test_config(free_port())).await
}

/// Waits until the device is written `want`, and returns what came before it.
fn written(device: &SimulatedHandle, want: &[u8]) -> Vec<Vec<u8>> {
    let mut before = Vec::new();
    tokio::task::block_in_place(|| {
        let deadline = std::time::Instant::now() + T;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match device.next_written(left) {
                Some(r) if r == want => return,
                Some(r) => before.push(r),
                None => panic!("never written {want:02x?}; written meanwhile: {before:02x?}"),
            }
        }
    });
    before
}

fn sipp_calls(dir: &std::path::Path, port: u16, scenario: &'static str) -> Process {
    sipp::uac(
        dir,
        free_port(),
        SocketAddr::from(([127, 0, 0, 1], port)),
        Scenario::File(scenario),
        1,
        &[],
    )
}

async fn sipp_succeeds(mut p: Process) {
    let (status, log) = tokio::task::spawn_blocking(move || {
        let s = p.wait(Duration::from_secs(40));
        (s, p.log())
    })
    .await
    .unwrap();
    assert!(status.success(), "sipp failed ({status}):\n{log}");
}

fn established(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::Established { call, .. } => Some(*call),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jabra_lifting_answers_and_putting_down_hangs_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(jabra()).await;
    // Report 2: Off-Hook bit 0, Mute 1, Ring 2, Hold 3, Ringer 5.
    written(&d.device, &[0x02, 0x00, 0x00]);
    let sipp = sipp_calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x02, 0x24, 0x00]);
    // Hook Switch = 1: answered (sipp's scenario needs our 200), the Ring
    // LED and ringer go off, Off-Hook on.
    d.press(&[0x02, 0x01, 0x00]);
    expect_event(&mut d.events, T, "answered from the headset", established).await;
    written(&d.device, &[0x02, 0x01, 0x00]);
    // Hook Switch = 0: hung up (sipp needs our BYE).
    d.press(&[0x02, 0x00, 0x00]);
    written(&d.device, &[0x02, 0x00, 0x00]);
    sipp_succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epos_drop_declines_a_ringing_call_with_486() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(epos()).await;
    // Report 3: Ringer bit 0, Off-Hook 1, Ring 3, Mute 4, On-Line 5, Hold 6.
    written(&d.device, &[0x03, 0x00]);
    let sipp = sipp_calls(dir.path(), d.port, "uac_declined");
    written(&d.device, &[0x03, 0x09]);
    // Drop (report 2 bit 6), the handset still on its hook.
    d.press(&[0x02, 0x40]);
    written(&d.device, &[0x03, 0x00]);
    sipp_succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poly_mute_from_the_headset_and_from_the_app_show_on_the_mute_led() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(poly()).await;
    // One report per LED: Mute 0x09, Off-Hook 0x17, Ring 0x18, On-Line 0x2A.
    written(&d.device, &[0x2A, 0x00]);
    let sipp = sipp_calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x18, 0x01]);
    d.press(&[0x08, 0x02]);
    let call = expect_event(&mut d.events, T, "answered", established).await;
    written(&d.device, &[0x2A, 0x01]);
    // Phone Mute (report 8 bit 0): each press (not the release) flips it.
    d.press(&[0x08, 0x03]);
    written(&d.device, &[0x09, 0x01]);
    d.press(&[0x08, 0x02]);
    d.press(&[0x08, 0x03]);
    written(&d.device, &[0x09, 0x00]);
    d.press(&[0x08, 0x02]);
    // Muted in the app: the LED agrees.
    d.engine.set_mute(call, true).await.unwrap();
    written(&d.device, &[0x09, 0x01]);
    d.press(&[0x08, 0x00]);
    written(&d.device, &[0x17, 0x00]);
    sipp_succeeds(sipp).await;
}

/// The Jabra Evolve Link's keypad: 4 bits from report 2 bit 7 (value 10 is
/// `*`, 11 `#`), with the hook bit kept.
fn jabra_key(value: u8) -> [u8; 3] {
    [0x02, 0x01 | ((value & 1) << 7), value >> 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jabra_off_hook_keypad_and_hash_place_a_call() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::Builtin("uas"), 1, &[]);
    let mut config = test_config(free_port());
    // Numbers typed on the keypad go to this account's domain: sipp.
    config.accounts.push(AccountSettings {
        name: "desk".into(),
        aor: format!("sip:alice@127.0.0.1:{sipp_port}"),
        display_name: None,
        auth_user: None,
        registrar: None,
        outbound_proxy: None,
        transport: "udp".into(),
        expires: 600,
        register: false,
        codecs: None,
        tls_ca_file: None,
        srtp: Default::default(),
        calls: None,
    });
    let mut d = desk_with(jabra(), config).await;
    written(&d.device, &[0x02, 0x00, 0x00]);
    d.press(&[0x02, 0x01, 0x00]);
    // Off-Hook lit while dialing.
    written(&d.device, &[0x02, 0x01, 0x00]);
    for value in [2, 5] {
        d.press(&jabra_key(value));
        d.press(&[0x02, 0x01, 0x00]);
    }
    d.press(&jabra_key(11));
    let to = expect_event(&mut d.events, T, "the call placed", |e| match e {
        PhoneEvent::Calling { to, .. } => Some(to.clone()),
        _ => None,
    })
    .await;
    assert_eq!(to, format!("sip:25@127.0.0.1:{sipp_port}"));
    expect_event(&mut d.events, T, "sipp answers", established).await;
    d.press(&[0x02, 0x01, 0x00]);
    d.press(&[0x02, 0x00, 0x00]);
    written(&d.device, &[0x02, 0x00, 0x00]);
    sipp_succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_unplugged_mid_call_loses_nothing_and_a_new_one_gets_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(jabra()).await;
    written(&d.device, &[0x02, 0x00, 0x00]);
    let sipp = sipp_calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x02, 0x24, 0x00]);
    d.press(&[0x02, 0x01, 0x00]);
    let call = expect_event(&mut d.events, T, "answered", established).await;
    written(&d.device, &[0x02, 0x01, 0x00]);
    d.device.unplug();
    expect_event(&mut d.events, T, "the device is gone", |e| match e {
        PhoneEvent::Device { change, .. } if change == "removed" => Some(()),
        PhoneEvent::Ended { .. } => panic!("unplugging ended the call"),
        _ => None,
    })
    .await;
    // Plugged back in (or another headset): it shows the call at once.
    let again = d.engine.devices().simulate(&jabra()).unwrap();
    written(&again, &[0x02, 0x01, 0x00]);
    d.engine.set_mute(call, true).await.unwrap();
    written(&again, &[0x02, 0x03, 0x00]);
    // It reports its hook as the Off-Hook LED set it, then is hung up.
    press(&again, &mut d.pressed_at, &[0x02, 0x01, 0x00]);
    press(&again, &mut d.pressed_at, &[0x02, 0x00, 0x00]);
    sipp_succeeds(sipp).await;
}
