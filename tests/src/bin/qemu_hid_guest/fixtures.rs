//! Every report descriptor in crates/hid/tests/fixtures (the real captures,
//! the constructed Teams headset) and a kuando busylight, each presented by
//! the guest's kernel as a USB HID gadget of its own, one after the other on
//! the one dummy UDC (f_hid has four minors: each gadget is taken apart
//! before the next). For each: plugged in, it must be found by hotplug (the
//! time to `Added` is its plug-to-ready figure), read (a hook and a mute
//! press written by the gadget reach the phone as the gestures its
//! descriptor promises) and written (its LEDs, or the light's colour, read
//! back at the gadget as the bytes the encoder makes); unplugged, dropped.
//! A descriptor without a Telephony collection (the Logitech G535, a gaming
//! headset) must be left alone.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use hookswitch_devices::DeviceEvent;
use hookswitch_devices::hid::simulated::{SimulatedSpec, wait_event};
use hookswitch_devices::hotplug::HotplugOptions;
use hookswitch_hid::busylight::{self, LightReport, LightSettings, Protocol, SoundCommand};
use hookswitch_hid::capabilities::Behaviour;
use hookswitch_hid::descriptor::{ReportDescriptor, ReportKind};
use hookswitch_hid::usage::PAGE_CONSUMER;
use hookswitch_hid::{Capabilities, DeviceState, Encoder, InputControl, PhoneInput, Usage};

use super::{
    WAIT, add_hid_function, added, make_gadget_device, remove_gadget, wait_until, watch, write_attr,
};

const GADGET: &str = "/sys/kernel/config/usb_gadget/g4";
/// A person's presses are this far apart (more than any debounce).
const PRESS_GAP: Duration = Duration::from_millis(40);

/// (name, descriptor file) of every fixture, and the light.
const FIXTURES: &[(&str, &str)] = &[
    (
        "EPOS-ImpactDW",
        include_str!("../../../../crates/hid/tests/fixtures/EPOS-ImpactDW.hex"),
    ),
    (
        "Jabra-BIZ2400II",
        include_str!("../../../../crates/hid/tests/fixtures/Jabra-BIZ2400II.hex"),
    ),
    (
        "Jabra-EvolveLinkMS",
        include_str!("../../../../crates/hid/tests/fixtures/Jabra-EvolveLinkMS.hex"),
    ),
    (
        "Jabra-Speak810",
        include_str!("../../../../crates/hid/tests/fixtures/Jabra-Speak810.hex"),
    ),
    (
        "Logitech-G535",
        include_str!("../../../../crates/hid/tests/fixtures/Logitech-G535.hex"),
    ),
    (
        "Poly-BT700",
        include_str!("../../../../crates/hid/tests/fixtures/Poly-BT700.hex"),
    ),
    (
        "Poly-BlackwireC5220",
        include_str!("../../../../crates/hid/tests/fixtures/Poly-BlackwireC5220.hex"),
    ),
    (
        "Teams-Headset",
        include_str!("../../../../crates/hid/tests/fixtures/constructed/Teams-Headset.hex"),
    ),
    (
        "kuando-BusylightOmega",
        include_str!("../../../../crates/hid/tests/fixtures/lights/kuando-BusylightOmega.hex"),
    ),
];

pub fn every_fixture(udc: &str) -> Result<(), String> {
    let mut ready = Vec::new();
    for (name, text) in FIXTURES {
        let spec = SimulatedSpec::from_text(text, name).map_err(|e| format!("{name}: {e}"))?;
        let ms = one(udc, name, &spec).map_err(|e| format!("{name}: {e}"))?;
        if let Some(ms) = ms {
            ready.push(format!("{name} {ms}"));
        }
    }
    println!("HOOKSWITCH-RESULT plug_to_ready_ms {}", ready.join(", "));
    Ok(())
}

/// The gadget for `spec`, its /dev/hidgN.
fn make_gadget(name: &str, spec: &SimulatedSpec) -> Result<String, String> {
    let (vendor_id, product_id) = (spec.identity.vendor_id, spec.identity.product_id);
    make_gadget_device(GADGET, vendor_id, product_id, name)?;
    write_attr(
        &format!("{GADGET}/strings/0x409/serialnumber"),
        b"BS000001-1.0",
    )?;
    add_hid_function(GADGET, "fixture", 64, true, &spec.descriptor)
}

fn hidraw_nodes() -> usize {
    std::fs::read_dir("/sys/class/hidraw")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// One fixture from plug to unplug; its plug-to-ready milliseconds when it
/// is a device we drive.
fn one(udc: &str, name: &str, spec: &SimulatedSpec) -> Result<Option<u128>, String> {
    let desc = hookswitch_hid::parse(&spec.descriptor).map_err(|e| e.to_string())?;
    let caps = hookswitch_hid::capabilities_with(
        &desc,
        &hookswitch_hid::input::known_vendor_gestures()
            .iter()
            .map(|(u, _)| *u)
            .collect::<Vec<_>>(),
    );
    let light = busylight::model(spec.identity.vendor_id, spec.identity.product_id);
    let node = make_gadget(name, spec)?;
    let before = hidraw_nodes();
    let (manager, hotplug, rx) = watch(HotplugOptions::default());
    let t = Instant::now();
    write_attr(&format!("{GADGET}/UDC"), format!("{udc}\n").as_bytes())?;
    // Opened as soon as it exists (at bind; the host takes longer to
    // enumerate it) and read all along: f_hid holds only four output
    // reports unread, and a device with one report per LED is written five
    // on arrival.
    wait_until("the gadget's node", || std::path::Path::new(&node).exists())?;
    let mut gadget = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&node)
        .map_err(|e| format!("{node}: {e}"))?;
    let outputs = outputs_of(&gadget)?;
    if light.is_none() && !caps.telephony {
        // Not ours: the node appears, and a scan leaves it alone.
        wait_until("its hidraw node", || hidraw_nodes() > before)?;
        let mut scanner =
            hookswitch_devices::hid::hidraw::HidrawScanner::new().map_err(|e| e.to_string())?;
        scanner.scan(&manager);
        let taken: Vec<DeviceEvent> = rx
            .try_iter()
            .filter(|e| matches!(e, DeviceEvent::Added(_) | DeviceEvent::Unusable { .. }))
            .collect();
        println!("HOOKSWITCH-RESULT {name} left_alone {}", taken.is_empty());
        if !taken.is_empty() {
            return Err(format!("a device without telephony was taken: {taken:?}"));
        }
        hotplug.stop();
        write_attr(&format!("{GADGET}/UDC"), b"\n")?;
        outputs.finish();
        drop(gadget);
        remove_gadget(GADGET)?;
        return Ok(None);
    }
    let info = added(&rx).inspect_err(|_| diagnose())?;
    let ready_ms = t.elapsed().as_millis();
    match light {
        Some(_) => light_checks(name, &manager, &outputs)?,
        None => telephony_checks(name, &desc, &caps, &manager, &rx, &mut gadget, &outputs)?,
    }
    // Unplugged: dropped.
    write_attr(&format!("{GADGET}/UDC"), b"\n")?;
    match wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Removed(_))) {
        Some(DeviceEvent::Removed(id)) if id == info.id => {}
        other => return Err(format!("unplug: expected Removed, got {other:?}")),
    }
    hotplug.stop();
    manager.close_all();
    outputs.finish();
    drop(gadget);
    remove_gadget(GADGET)?;
    println!("HOOKSWITCH-RESULT {name} found_read_written ok; plug_to_ready_ms {ready_ms}");
    Ok(Some(ready_ms))
}

/// Every output report the host writes to the gadget, as it comes, read by
/// a thread until `finish` (so the gadget's node is closed before it is
/// taken apart).
struct Outputs {
    rx: Receiver<Vec<u8>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Outputs {
    fn finish(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

fn outputs_of(gadget: &File) -> Result<Outputs, String> {
    use std::os::fd::AsRawFd;
    let mut reader = gadget.try_clone().map_err(|e| e.to_string())?;
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let mut pfd = libc::pollfd {
                fd: reader.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, 200) } <= 0 {
                continue;
            }
            match reader.read(&mut buf) {
                Ok(n) => {
                    let _ = tx.send(buf[..n].to_vec());
                }
                Err(_) => return,
            }
        }
    });
    Ok(Outputs {
        rx,
        stop,
        reader: Some(thread),
    })
}

fn next_output(outputs: &Outputs, timeout: Duration) -> Result<Vec<u8>, String> {
    outputs
        .rx
        .recv_timeout(timeout)
        .map_err(|_| "no output report reached the gadget".to_string())
}

/// Output reports the gadget reads, `n` of them, in any order.
fn read_reports(outputs: &Outputs, n: usize) -> Result<Vec<Vec<u8>>, String> {
    (0..n)
        .map(|_| next_output(outputs, Duration::from_secs(10)))
        .collect()
}

fn same_reports(mut got: Vec<Vec<u8>>, mut want: Vec<Vec<u8>>, what: &str) -> Result<(), String> {
    got.sort();
    want.sort();
    if got != want {
        return Err(format!("{what}: read {got:02x?}, expected {want:02x?}"));
    }
    Ok(())
}

/// An input report with `control` set to `value`, everything else 0.
fn input_report(desc: &ReportDescriptor, control: &InputControl, value: i64) -> Vec<u8> {
    let len = desc.report_len(ReportKind::Input, control.report_id);
    let mut report = vec![0u8; len];
    let start = usize::from(desc.uses_report_ids);
    if desc.uses_report_ids {
        report[0] = control.report_id;
    }
    let raw = (value as u64) & ((1u64 << control.bit_size) - 1);
    for b in 0..control.bit_size {
        if raw >> b & 1 == 1 {
            let bit = (control.bit_offset + b) as usize;
            report[start + bit / 8] |= 1 << (bit % 8);
        }
    }
    report
}

/// What pressing (then releasing) `control` must give, by its behaviour.
fn press_and_release(
    control: &InputControl,
    usage: Usage,
) -> (Vec<(i64, Option<PhoneInput>)>, &'static str) {
    let hook = usage == Usage::telephony(0x20);
    match (control.behaviour, hook) {
        (Behaviour::AbsoluteSwitch, true) => (
            vec![
                (1, Some(PhoneInput::HookOff)),
                (0, Some(PhoneInput::HookOn)),
            ],
            "hook lifted and put down",
        ),
        (Behaviour::TwoButtons, true) => (
            vec![
                (1, Some(PhoneInput::HookOff)),
                (0, None),
                (-1, Some(PhoneInput::HookOn)),
                (0, None),
            ],
            "hook on and off buttons",
        ),
        (_, true) => (
            vec![(1, Some(PhoneInput::HookToggle)), (0, None)],
            "hook button",
        ),
        (Behaviour::AbsoluteSwitch, false) => (
            vec![
                (1, Some(PhoneInput::Mute(true))),
                (0, Some(PhoneInput::Mute(false))),
            ],
            "mute switch",
        ),
        (Behaviour::TwoButtons, false) => (
            vec![
                (1, Some(PhoneInput::Mute(true))),
                (0, None),
                (-1, Some(PhoneInput::Mute(false))),
                (0, None),
            ],
            "mute on and off buttons",
        ),
        (_, false) => (
            vec![(1, Some(PhoneInput::MuteToggle)), (0, None)],
            "mute button",
        ),
    }
}

fn telephony_checks(
    name: &str,
    desc: &ReportDescriptor,
    caps: &Capabilities,
    manager: &hookswitch_devices::DeviceManager,
    rx: &Receiver<DeviceEvent>,
    gadget: &mut File,
    outputs: &Outputs,
) -> Result<(), String> {
    // On arrival it is shown the idle phone: every report with an LED, dark.
    let mut encoder = Encoder::new(desc, caps);
    let idle = encoder.encode(&DeviceState::default());
    same_reports(read_reports(outputs, idle.len())?, idle, "LEDs on arrival")?;

    // Read: a hook and a mute press from the gadget.
    let hook = caps
        .input(Usage::telephony(0x20))
        .ok_or("no Hook Switch")?
        .clone();
    let mute = caps
        .input(Usage::telephony(0x2F))
        .or_else(|| caps.input(Usage::new(PAGE_CONSUMER, 0xE2)))
        .ok_or("no mute control")?
        .clone();
    // And the Teams button, on a headset that has one.
    let teams = caps.input(hookswitch_hid::input::TEAMS_BUTTON).cloned();
    for control in [Some(&hook), Some(&mute), teams.as_ref()]
        .into_iter()
        .flatten()
    {
        let (steps, what) = if control.usage == hookswitch_hid::input::TEAMS_BUTTON {
            (
                vec![(1, Some(PhoneInput::Teams)), (0, None)],
                "Teams button",
            )
        } else {
            press_and_release(control, control.usage)
        };
        for (value, want) in steps {
            gadget
                .write_all(&input_report(desc, control, value))
                .map_err(|e| format!("write: {e}"))?;
            if let Some(want) = want {
                match wait_event(rx, Duration::from_secs(10), |e| {
                    matches!(e, DeviceEvent::Input { .. })
                }) {
                    Some(DeviceEvent::Input { input, .. }) if input == want => {}
                    other => {
                        return Err(format!("{what}: expected {want:?}, got {other:?}"));
                    }
                }
            }
            std::thread::sleep(PRESS_GAP);
        }
        println!("HOOKSWITCH-RESULT {name} read {what} ({})", control.name);
    }

    // Written: Off-Hook and Mute lit, as the encoder makes them.
    let lit = DeviceState {
        off_hook: true,
        mute: true,
        ..DeviceState::default()
    };
    let want = encoder.encode(&lit);
    manager.show(lit);
    let got = read_reports(outputs, want.len())?;
    println!("HOOKSWITCH-RESULT {name} written {got:02x?}");
    same_reports(got, want, "Off-Hook and Mute")?;
    Ok(())
}

/// The kuando's 64-byte program as the gadget reads it (hidapi's report ID
/// 0 is not sent).
fn program(report: &LightReport) -> Vec<u8> {
    report.bytes()[1..].to_vec()
}

fn light_checks(
    name: &str,
    manager: &hookswitch_devices::DeviceManager,
    outputs: &Outputs,
) -> Result<(), String> {
    let settings = LightSettings::default();
    let mut kuando = busylight::kuando::Kuando;
    // On arrival: our presence, green.
    let green = settings.look_for(&DeviceState::default());
    let want = kuando.steady(green.colour, SoundCommand::Set(None));
    let got = next_output(outputs, Duration::from_secs(10))?;
    if got != program(&want[0]) {
        return Err(format!("on arrival: read {got:02x?}"));
    }
    // A call rings: it flashes red by itself.
    let ringing = DeviceState {
        ring: true,
        ..DeviceState::default()
    };
    let look = settings.look_for(&ringing);
    let want = kuando
        .native(look.colour, look.effect, SoundCommand::Set(None))
        .ok_or("the kuando flashes by itself")?;
    manager.show(ringing);
    let got = next_output(outputs, Duration::from_secs(10))?;
    println!(
        "HOOKSWITCH-RESULT {name} written step0 {:02x?}",
        &got[..8.min(got.len())]
    );
    if got != program(&want[0]) {
        return Err(format!("ringing: read {got:02x?}"));
    }
    // The keep-alive comes by itself within its period.
    let keep_alive = kuando.keep_alive().ok_or("a kuando keeps alive")?;
    let got = next_output(outputs, keep_alive.0 + Duration::from_secs(5))?;
    if got != program(&keep_alive.1) {
        return Err(format!("keep-alive: read {got:02x?}"));
    }
    println!("HOOKSWITCH-RESULT {name} keep_alive ok");
    Ok(())
}

/// What the kernel made of a gadget that was not found: its hidraw nodes
/// and the kernel's last words.
fn diagnose() {
    for node in std::fs::read_dir("/sys/class/hidraw")
        .into_iter()
        .flatten()
        .flatten()
    {
        let uevent = std::fs::read_to_string(node.path().join("device/uevent")).unwrap_or_default();
        println!(
            "HOOKSWITCH-RESULT diagnose {} {}",
            node.file_name().to_string_lossy(),
            uevent.replace('\n', " ")
        );
    }
    if let Ok(out) = std::process::Command::new("/bin/busybox")
        .arg("dmesg")
        .output()
    {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines[lines.len().saturating_sub(25)..] {
            println!("HOOKSWITCH-RESULT dmesg {l}");
        }
    }
}
