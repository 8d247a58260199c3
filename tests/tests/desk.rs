//! PHONE-BEHAVIOUR.md end to end: simulated devices replaying real
//! descriptors (Jabra Evolve Link MS, Poly Blackwire C5220, EPOS IMPACT DW)
//! with the input report bytes each one sends, a real SIP peer (sipp) on the
//! other end. Assertions are on the wire (sipp's scenario passes only if our
//! 200, 486 or BYE arrives) and on the output report bytes written.

use hookswitch_tests::Phone;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::{SimulatedHandle, SimulatedSpec};
use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent, StartOptions};
use hookswitch_tests::devices::{epos, jabra, poly};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{expect_event, free_port, start_engine, test_account, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(15);

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
    /// The DND button (button 7, mapped by the "Dnd" profile), pressed and
    /// released; the phone says DND is `on`.
    async fn press_dnd(&mut self, on: bool) {
        self.press(&[0x02, BUTTON_7, 0x00]);
        self.press(&[0x02, 0x00, 0x00]);
        expect_event(&mut self.events, T, "DND changes", |e| match e {
            PhoneEvent::Dnd {
                on: o,
                account: None,
            } if *o == on => Some(()),
            _ => None,
        })
        .await;
    }

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
    let sipp = sipp::calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x02, 0x24, 0x00]);
    // Hook Switch = 1: answered (sipp's scenario needs our 200), the Ring
    // LED and ringer go off, Off-Hook on.
    d.press(&[0x02, 0x01, 0x00]);
    expect_event(&mut d.events, T, "answered from the headset", established).await;
    written(&d.device, &[0x02, 0x01, 0x00]);
    // Hook Switch = 0: hung up (sipp needs our BYE).
    d.press(&[0x02, 0x00, 0x00]);
    written(&d.device, &[0x02, 0x00, 0x00]);
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epos_drop_declines_a_ringing_call_with_486() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(epos()).await;
    // Report 3: Ringer bit 0, Off-Hook 1, Ring 3, Mute 4, On-Line 5, Hold 6.
    written(&d.device, &[0x03, 0x00]);
    let sipp = sipp::calls(dir.path(), d.port, "uac_declined");
    written(&d.device, &[0x03, 0x09]);
    // Drop (report 2 bit 6), the handset still on its hook.
    d.press(&[0x02, 0x40]);
    written(&d.device, &[0x03, 0x00]);
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poly_mute_from_the_headset_and_from_the_app_show_on_the_mute_led() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(poly()).await;
    // One report per LED: Mute 0x09, Off-Hook 0x17, Ring 0x18, On-Line 0x2A.
    written(&d.device, &[0x2A, 0x00]);
    let sipp = sipp::calls(dir.path(), d.port, "uac_device");
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
    sipp::succeeds(sipp).await;
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
    config.accounts.push(test_account(
        "desk",
        &format!("sip:alice@127.0.0.1:{sipp_port}"),
        false,
    ));
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
    sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_unplugged_mid_call_loses_nothing_and_a_new_one_gets_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(jabra()).await;
    written(&d.device, &[0x02, 0x00, 0x00]);
    let sipp = sipp::calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x02, 0x24, 0x00]);
    d.press(&[0x02, 0x01, 0x00]);
    let call = expect_event(&mut d.events, T, "answered", established).await;
    written(&d.device, &[0x02, 0x01, 0x00]);
    d.device.unplug();
    expect_event(&mut d.events, T, "the device is gone", |e| match e {
        PhoneEvent::Device { change, .. } if change.as_str() == "removed" => Some(()),
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
    sipp::succeeds(sipp).await;
}

/// A user profile for the Evolve Link whose Button 7 (report 2 bit 6) is
/// `gesture`: the device has no such usage, a profile says what it means.
fn profile_dir(dir: &std::path::Path, gesture: &str) -> std::path::PathBuf {
    let profiles = dir.join("device-profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("0b0e-0307.toml"),
        format!(
            "name = \"Evolve Link with {gesture}\"\n\n[match]\nvendor_id = \"0x0b0e\"\nproduct_ids = [\"0x0307\"]\n\n\
             [quirks]\nhook = \"absolute\"\nhook_echo_window_ms = 1000\nuse_ringer = true\n\n\
             [[vendor_inputs]]\nusage = \"0x0009:0x0007\"\ngesture = \"{gesture}\"\n"
        ),
    )
    .unwrap();
    profiles
}

/// B: a desk with the Evolve Link whose Button 7 is `gesture`, an account
/// whose domain numbers typed on it go to (`numbers_to`), and `ring_back_secs`.
async fn desk_b(dir: &std::path::Path, gesture: &str, numbers_to: u16) -> Desk {
    let mut config = test_config(free_port());
    config.devices.profiles_dir = Some(profile_dir(dir, gesture));
    config.devices.ring_back_secs = 0;
    config.accounts.push(test_account(
        "desk",
        &format!("sip:b@127.0.0.1:{numbers_to}"),
        false,
    ));
    let b = desk_with(jabra(), config).await;
    written(&b.device, &[0x02, 0x00, 0x00]);
    b
}

fn incoming(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    }
}

/// A (another engine) calls B; B's user lifts the headset. Returns A.
async fn a_calls_b(b: &mut Desk) -> (Engine, broadcast::Receiver<PhoneEvent>, u64) {
    let (a, mut a_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    a.call(
        &format!("sip:b@127.0.0.1:{}", b.port),
        None,
        Default::default(),
    )
    .await
    .unwrap();
    let call = expect_event(&mut b.events, T, "A rings at B", incoming).await;
    b.press(&lifted(0));
    expect_event(&mut a_events, T, "A is answered", established).await;
    written(&b.device, &[0x02, 0x01, 0x00]);
    (a, a_events, call)
}

/// Jabra Evolve Link report 2 with the hook lifted plus `bits`.
fn lifted(bits: u8) -> [u8; 3] {
    [0x02, 0x01 | bits, 0x00]
}
const FLASH: u8 = 0x08;
const BUTTON_7: u8 = 0x40;

/// Two calls, call waiting, Flash to take the waiting call and to swap, and
/// an attended transfer, all from the headset's buttons: A and C (two more
/// engines, real SIP) call B; B's user answers A by lifting, takes C with
/// Flash (A held), swaps back and forth, then presses Transfer: A is asked
/// to call C with Replaces, C's call with B is replaced by A's, and B is
/// left with nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_waiting_flash_swap_and_attended_transfer_from_the_buttons() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk_b(dir.path(), "Transfer", free_port()).await;
    let info = b.engine.devices().devices();
    assert_eq!(
        info[0].profile.as_deref(),
        Some("Evolve Link with Transfer")
    );
    let b_uri = format!("sip:b@127.0.0.1:{}", b.port);
    let (c, mut c_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let held = |call: u64, on: bool| {
        move |e: &PhoneEvent| match e {
            PhoneEvent::MediaUpdated { call: c, direction } if *c == call => {
                (direction.as_str() == if on { "sendonly" } else { "sendrecv" }).then_some(())
            }
            PhoneEvent::HoldFailed { .. } => panic!("hold refused: {e:?}"),
            _ => None,
        }
    };

    let (_a, mut a_events, b_a) = a_calls_b(&mut b).await;

    c.call(&b_uri, None, Default::default()).await.unwrap();
    let b_c = expect_event(&mut b.events, T, "C waits at B", incoming).await;
    // Call waiting: the Ring LED comes on beside Off-Hook.
    written(&b.device, &[0x02, 0x25, 0x00]);
    b.press(&lifted(FLASH));
    b.press(&lifted(0));
    expect_event(&mut b.events, T, "A held", held(b_a, true)).await;
    expect_event(&mut c_events, T, "C is answered", established).await;
    written(&b.device, &[0x02, 0x01, 0x00]);

    // Flash again: swap (C held, A back), and again (A held, C back).
    b.press(&lifted(FLASH));
    b.press(&lifted(0));
    let swapped = |hold: u64, resume: u64| {
        let (mut on, mut off) = (false, false);
        move |e: &PhoneEvent| {
            on |= held(hold, true)(e).is_some();
            off |= held(resume, false)(e).is_some();
            (on && off).then_some(())
        }
    };
    expect_event(&mut b.events, T, "C held, A resumed", swapped(b_c, b_a)).await;
    b.press(&lifted(FLASH));
    b.press(&lifted(0));
    expect_event(&mut b.events, T, "A held, C resumed", swapped(b_a, b_c)).await;

    // Transfer: A (held) takes B's place in the call with C.
    b.press(&lifted(BUTTON_7));
    b.press(&lifted(0));
    let a_to_c = expect_event(&mut a_events, T, "A is asked to call C", |e| match e {
        PhoneEvent::Transferring { new_call, .. } => Some(*new_call),
        _ => None,
    })
    .await;
    let replaces = expect_event(
        &mut c_events,
        T,
        "A's call replaces B's at C",
        |e| match e {
            PhoneEvent::IncomingCall { replaces, .. } => Some(*replaces),
            _ => None,
        },
    )
    .await;
    assert!(
        replaces.is_some(),
        "C's new call names the call it replaces"
    );
    expect_event(&mut a_events, T, "A and C talk", |e| match e {
        PhoneEvent::Established { call, .. } if *call == a_to_c => Some(()),
        _ => None,
    })
    .await;
    let mut ended = std::collections::BTreeSet::new();
    while ended.len() < 2 {
        let call = expect_event(&mut b.events, T, "both of B's calls end", |e| match e {
            PhoneEvent::Ended { call, .. } => Some(*call),
            _ => None,
        })
        .await;
        ended.insert(call);
    }
    assert_eq!(ended, [b_a, b_c].into());
    // B is idle: every LED off (the handset still lifted hears nothing).
    assert!(b.engine.state().calls.is_empty());
}

/// Transfer, digits, `#`: a blind transfer (REFER) to the number at the
/// account's domain; A is asked to call it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_digits_and_hash_refer_the_caller_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let numbers_to = free_port();
    let mut b = desk_b(dir.path(), "Transfer", numbers_to).await;
    let (_a, mut a_events, _) = a_calls_b(&mut b).await;
    b.press(&lifted(BUTTON_7));
    b.press(&lifted(0));
    for value in [3, 1, 11] {
        b.press(&jabra_key(value));
        b.press(&lifted(0));
    }
    let target = expect_event(&mut a_events, T, "A is referred", |e| match e {
        PhoneEvent::Transferring { target, .. } => Some(target.clone()),
        _ => None,
    })
    .await;
    assert_eq!(target, format!("sip:31@127.0.0.1:{numbers_to}"));
}

/// A held call left alone rings back: A is held while B talks to C (call
/// waiting, Flash); B hangs up C by putting the headset down; the Ring and
/// Hold LEDs and the ringer come on; lifting takes A back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_rings_back_and_lifting_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk_b(dir.path(), "Transfer", free_port()).await;
    let (_a, mut a_events, b_a) = a_calls_b(&mut b).await;
    let (c, mut c_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    c.call(
        &format!("sip:b@127.0.0.1:{}", b.port),
        None,
        Default::default(),
    )
    .await
    .unwrap();
    expect_event(&mut b.events, T, "C waits at B", incoming).await;
    b.press(&lifted(FLASH));
    b.press(&lifted(0));
    expect_event(&mut c_events, T, "C is answered", established).await;
    written(&b.device, &[0x02, 0x01, 0x00]);
    b.press(&[0x02, 0x00, 0x00]);
    expect_event(&mut c_events, T, "C is hung up", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    // Ring (bit 2), Hold (bit 3) and the ringer (bit 5): A rings back.
    written(&b.device, &[0x02, 0x2C, 0x00]);
    b.press(&lifted(0));
    expect_event(&mut a_events, T, "A hears B again", |e| match e {
        PhoneEvent::MediaUpdated { direction, .. } if direction.as_str() == "sendrecv" => Some(()),
        _ => None,
    })
    .await;
    written(&b.device, &[0x02, 0x01, 0x00]);
    let calls = b.engine.state().calls;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, b_a);
}

/// DND from a button: the next call is refused 486 without ringing, the DND
/// state is the engine's (an event), and the button turns it off again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnd_from_a_button_refuses_calls_without_ringing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk_b(dir.path(), "Dnd", free_port()).await;
    b.press_dnd(true).await;
    assert_eq!(a_call_to(b.port).await, Some(486));
    assert!(
        b.device.take_written().iter().all(|r| r[1] & 0x04 == 0),
        "the Ring LED never came on"
    );
    b.press(&[0x02, BUTTON_7, 0x00]);
    expect_event(&mut b.events, T, "DND off", |e| match e {
        PhoneEvent::Dnd {
            on: false,
            account: None,
        } => Some(()),
        _ => None,
    })
    .await;
}

/// DND set with a headset's button is saved like DND set in the window: the
/// engine writes it to the configuration file it was started from, and a
/// phone started again from that file has it on (and refuses a call).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dnd_from_a_button_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let mut config = test_config(free_port());
    config.devices.profiles_dir = Some(profile_dir(dir.path(), "Dnd"));
    config.save(&path).unwrap();
    let options = StartOptions {
        persist_to: Some(path.clone()),
        ..StartOptions::default()
    };
    let (engine, events) = Engine::start_with(&config, &Passwords::new(), options)
        .await
        .unwrap();
    let device = engine
        .devices()
        .simulate(&jabra())
        .expect("simulated device");
    let mut b = Desk {
        engine,
        events,
        port: config.sip.listen.port(),
        device,
        pressed_at: Instant::now(),
    };
    written(&b.device, &[0x02, 0x00, 0x00]);
    b.press_dnd(true).await;
    b.engine.shutdown().await;
    let saved = Config::load(&path).unwrap();
    assert!(
        saved.calls.dnd,
        "DND was saved:\n{}",
        std::fs::read_to_string(&path).unwrap()
    );
    // Started again from the file: DND is on before anyone presses anything.
    let (again, _) = start_engine(&saved, &Passwords::new()).await;
    assert!(again.state().dnd && again.state().handling_of(None).dnd);
    assert_eq!(a_call_to(saved.sip.listen.port()).await, Some(486));
}

/// Another engine calls B at `port`: the status its call ended with.
async fn a_call_to(port: u16) -> Option<u16> {
    let (a, mut a_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    a.call(&format!("sip:b@127.0.0.1:{port}"), None, Default::default())
        .await
        .unwrap();
    expect_event(&mut a_events, T, "A's call ends", |e| match e {
        PhoneEvent::Ended { status, .. } => Some(*status),
        _ => None,
    })
    .await
}

/// Redial calls the last number again; Volume + raises the call's earpiece.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redial_calls_the_last_number_and_volume_steps_the_earpiece() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(dir.path(), sipp_port, Scenario::Builtin("uas"), 2, &[]);
    let mut b = desk_b(dir.path(), "Transfer", sipp_port).await;
    let calling = |e: &PhoneEvent| match e {
        PhoneEvent::Calling { to, .. } => Some(to.clone()),
        _ => None,
    };
    b.press(&lifted(0));
    b.press(&jabra_key(7));
    b.press(&lifted(0));
    b.press(&jabra_key(11));
    let first = expect_event(&mut b.events, T, "7 dialed", calling).await;
    let call = expect_event(&mut b.events, T, "sipp answers", established).await;
    // Volume + (report 1 bit 1).
    b.press(&[0x01, 0x02]);
    b.press(&[0x01, 0x00]);
    let level = expect_event(&mut b.events, T, "louder", |e| match e {
        PhoneEvent::Volume {
            call: c,
            speaker_percent,
            ..
        } if *c == call => *speaker_percent,
        _ => None,
    })
    .await;
    assert_eq!(level, 110);
    b.press(&[0x02, 0x00, 0x00]);
    expect_event(&mut b.events, T, "hung up", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    // Redial (report 2 bit 4) with the headset on its hook.
    b.press(&[0x02, 0x10, 0x00]);
    let again = expect_event(&mut b.events, T, "redialed", calling).await;
    assert_eq!(again, first);
    expect_event(&mut b.events, T, "sipp answers again", established).await;
    b.press(&[0x02, 0x00, 0x00]);
    b.press(&lifted(0));
    b.press(&[0x02, 0x00, 0x00]);
    sipp::succeeds(sipp).await;
}

/// Dialing, then calling: putting the headset down while the callee rings
/// sends CANCEL (sipp's scenario needs it) and the Off-Hook LED goes off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn putting_down_while_it_rings_cancels_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_cancelled"),
        1,
        &[],
    );
    let mut b = desk_b(dir.path(), "Transfer", sipp_port).await;
    b.press(&lifted(0));
    written(&b.device, &[0x02, 0x01, 0x00]);
    b.press(&jabra_key(9));
    b.press(&lifted(0));
    b.press(&jabra_key(11));
    expect_event(&mut b.events, T, "sipp rings", |e| match e {
        PhoneEvent::Progress { status: 180, .. } => Some(()),
        _ => None,
    })
    .await;
    b.press(&[0x02, 0x00, 0x00]);
    let reason = expect_event(&mut b.events, T, "the call ends", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    assert_eq!(
        reason.as_str(),
        "local",
        "we gave up (sipp checks it was by CANCEL)"
    );
    written(&b.device, &[0x02, 0x00, 0x00]);
    sipp::succeeds(sipp).await;
}

/// baresip, the reference softphone, calls; the Jabra answers; keys typed on
/// its keypad reach baresip as RFC 4733 events; baresip hangs up and the
/// headset's Off-Hook LED goes off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_the_keypad_sends_it_dtmf_and_its_hangup_clears_the_leds() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk(jabra()).await;
    written(&b.device, &[0x02, 0x00, 0x00]);
    let tone = dir.path().join("tone.wav");
    hookswitch_tests::write_tone(&tone, 600.0, 8000, 30.0);
    let baresip = hookswitch_tests::baresip::Baresip::configure(
        dir.path(),
        free_port(),
        &tone,
        "pcmu",
        "udp",
    );
    let mut process = baresip.start(30, Some(&format!("sip:b@127.0.0.1:{}", b.port)));
    written(&b.device, &[0x02, 0x24, 0x00]);
    b.press(&lifted(0));
    expect_event(&mut b.events, T, "answered", established).await;
    written(&b.device, &[0x02, 0x01, 0x00]);
    for value in [4, 2, 10] {
        b.press(&jabra_key(value));
        b.press(&lifted(0));
    }
    hookswitch_tests::wait_until(T, "baresip to hear our keys", || {
        process.log().contains("received event: '*' (end=1)")
    });
    let heard = hookswitch_tests::baresip::Baresip::dtmf_heard(&process.log());
    assert_eq!(heard, "42*");
    baresip.command("hangup", "").unwrap();
    expect_event(&mut b.events, T, "baresip hangs up", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    // The headset's hook follows the LED: off, and no busy tone.
    written(&b.device, &[0x02, 0x00, 0x00]);
    process.stop();
}

/// A device the user disabled is neither read nor written: no LED report
/// ever reaches it, and its hook does nothing to a ringing call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_device_is_neither_read_nor_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(free_port());
    config.devices.disabled = vec!["0B0E:0307".into()];
    let mut b = desk_with(jabra(), config).await;
    let reason = expect_event(&mut b.events, T, "the device is refused", |e| match e {
        PhoneEvent::Device { change, detail, .. } if change.as_str() == "unusable" => {
            detail.clone()
        }
        _ => None,
    })
    .await;
    assert!(reason.contains("disabled"), "{reason}");
    let sipp = sipp::calls(dir.path(), b.port, "uac_declined");
    let call = expect_event(&mut b.events, T, "a call rings", incoming).await;
    b.press(&lifted(0));
    // Declined from the API instead; the lifted hook answered nothing.
    b.engine.reject(call, 486).await.unwrap();
    sipp::succeeds(sipp).await;
    assert!(b.device.take_written().is_empty(), "nothing written");
}

/// Voicemail news from the PBX (an unsolicited RFC 3842 NOTIFY from sipp,
/// answered 200): the event names the account and the counts, and the
/// state every device mirrors has Message Waiting on, then off again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voicemail_notify_lights_message_waiting_on_the_devices() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(free_port());
    config
        .accounts
        .push(test_account("work", "sip:alice@127.0.0.1", false));
    let mut b = desk_with(jabra(), config).await;
    let sipp = hookswitch_tests::sipp::uac(
        dir.path(),
        free_port(),
        std::net::SocketAddr::from(([127, 0, 0, 1], b.port)),
        Scenario::File("uac_mwi_notify"),
        1,
        &["-s", "alice"],
    );
    let mwi = |e: &PhoneEvent| match e {
        PhoneEvent::MessageWaiting {
            account,
            waiting,
            new,
            old,
        } => Some((account.clone(), *waiting, *new, *old)),
        _ => None,
    };
    let first = expect_event(&mut b.events, T, "voicemail", mwi).await;
    assert_eq!(first, (Some("work".into()), true, Some(2), Some(8)));
    let devices = b.engine.devices().clone();
    let shows = |on: bool| {
        tokio::task::block_in_place(|| {
            hookswitch_tests::wait_until(T, "the devices' Message Waiting", || {
                devices.state().0.message_waiting == on
            })
        })
    };
    shows(true);
    let second = expect_event(&mut b.events, T, "no more voicemail", mwi).await;
    assert!(!second.1);
    shows(false);
    sipp::succeeds(sipp).await;
}

/// Hold (a profile maps the Evolve Link's Button 7 to it): the call is held
/// (re-INVITE sendonly, the Hold LED on, Off-Hook off) and resumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hold_button_holds_and_resumes_with_the_hold_led() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk_b(dir.path(), "Hold", free_port()).await;
    let (_a, mut a_events, _) = a_calls_b(&mut b).await;
    let direction = |want: &'static str| {
        move |e: &PhoneEvent| match e {
            PhoneEvent::MediaUpdated { direction, .. } if direction.as_str() == want => Some(()),
            _ => None,
        }
    };
    b.press(&lifted(BUTTON_7));
    b.press(&lifted(0));
    expect_event(&mut a_events, T, "A is held", direction("recvonly")).await;
    written(&b.device, &[0x02, 0x08, 0x00]);
    // The headset followed the LED to its hook; the next Hold resumes (at
    // once: if the hold's re-INVITE is still out, the resume waits for it).
    b.press(&[0x02, BUTTON_7, 0x00]);
    b.press(&[0x02, 0x00, 0x00]);
    expect_event(&mut a_events, T, "A is resumed", direction("sendrecv")).await;
    written(&b.device, &[0x02, 0x01, 0x00]);
}

/// Two devices on the desk: both show a ringing call, either answers it,
/// and both then show it connected; mute from one lights both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_device_mirrors_the_state_and_any_acts_on_the_focused_call() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = desk(jabra()).await;
    let poly = d.engine.devices().simulate(&poly()).unwrap();
    written(&d.device, &[0x02, 0x00, 0x00]);
    written(&poly, &[0x2A, 0x00]);
    let sipp = sipp::calls(dir.path(), d.port, "uac_device");
    written(&d.device, &[0x02, 0x24, 0x00]);
    written(&poly, &[0x18, 0x01]);
    // Answered on the Poly: the Jabra shows it too.
    press(&poly, &mut d.pressed_at, &[0x08, 0x02]);
    expect_event(&mut d.events, T, "answered", established).await;
    written(&d.device, &[0x02, 0x01, 0x00]);
    written(&poly, &[0x2A, 0x01]);
    // Muted on the Jabra: the Poly's Mute LED too.
    d.press(&[0x02, 0x05, 0x00]);
    written(&poly, &[0x09, 0x01]);
    written(&d.device, &[0x02, 0x03, 0x00]);
    // Hung up on the Poly.
    press(&poly, &mut d.pressed_at, &[0x08, 0x00]);
    written(&d.device, &[0x02, 0x00, 0x00]);
    sipp::succeeds(sipp).await;
}

/// Flash with nothing waiting holds the call, and again resumes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flash_alone_holds_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = desk_b(dir.path(), "Transfer", free_port()).await;
    let (_a, mut a_events, _) = a_calls_b(&mut b).await;
    for want in ["recvonly", "sendrecv"] {
        b.press(&lifted(FLASH));
        b.press(&lifted(0));
        expect_event(&mut a_events, T, want, |e| match e {
            PhoneEvent::MediaUpdated { direction, .. } if direction.as_str() == want => Some(()),
            _ => None,
        })
        .await;
    }
    written(&b.device, &[0x02, 0x08, 0x00]);
    written(&b.device, &[0x02, 0x01, 0x00]);
}

/// The families whose profiles only state quirks (Yealink and Logitech
/// business headsets) and any other compliant device (the generic profile)
/// behave as their descriptor says: a standard Telephony layout (the EPOS
/// IMPACT DW's) under each vendor ID answers with its hook and hangs up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yealink_logitech_and_unknown_headsets_work_from_their_descriptor() {
    for (vendor_id, profile) in [
        (0x6993, "Yealink"),
        (0x046d, "Logitech"),
        (0x1234, "Generic HID telephony device"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let headset = hookswitch_devices::hid::simulated::SimulatedSpec {
            product: format!("{profile} headset"),
            identity: hookswitch_hid::profile::DeviceIdentity {
                vendor_id,
                ..epos().identity
            },
            ..epos()
        };
        let mut d = desk(headset).await;
        assert_eq!(
            d.engine.devices().devices()[0].profile.as_deref(),
            Some(profile)
        );
        written(&d.device, &[0x03, 0x00]);
        let sipp = sipp::calls(dir.path(), d.port, "uac_device");
        written(&d.device, &[0x03, 0x09]);
        d.press(&[0x02, 0x04]);
        expect_event(&mut d.events, T, "answered", established).await;
        written(&d.device, &[0x03, 0x22]);
        d.press(&[0x02, 0x00]);
        written(&d.device, &[0x03, 0x00]);
        sipp::succeeds(sipp).await;
    }
}

/// An account that subscribes to its voicemail box (for PBXs that tell only
/// subscribers): registered by sipp, it sends SUBSCRIBE message-summary,
/// sipp accepts and notifies 3 new messages, and the devices show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voicemail_subscription_brings_the_news_to_the_devices() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_voicemail"),
        2,
        &[],
    );
    let mut config = test_config(free_port());
    config
        .accounts
        .push(hookswitch_phone::config::AccountSettings {
            subscribe_voicemail: true,
            default: false,
            ..test_account("vm", &format!("sip:alice@127.0.0.1:{sipp_port}"), true)
        });
    let mut b = desk_with(jabra(), config).await;
    let news = expect_event(&mut b.events, T, "the voicemail news", |e| match e {
        PhoneEvent::MessageWaiting {
            account,
            waiting,
            new,
            ..
        } => Some((account.clone(), *waiting, *new)),
        _ => None,
    })
    .await;
    assert_eq!(news, (Some("vm".into()), true, Some(3)));
    sipp::succeeds(sipp).await;
    let devices = b.engine.devices().clone();
    tokio::task::block_in_place(|| {
        hookswitch_tests::wait_until(T, "Message Waiting on the devices", || {
            devices.state().0.message_waiting
        })
    });
}
