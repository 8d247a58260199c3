//! Runs inside the QEMU guest of the real-kernel HID test (tests/tests/qemu_hid.rs)
//! as its init's last step. The guest's kernel presents a USB HID gadget with
//! the Jabra Evolve Link descriptor through dummy_hcd; this program drives the
//! project's hidraw backend and hotplug against it from both sides:
//! - binds the gadget and waits for the device to be found (hotplug add);
//! - sends Hook Switch reports from the gadget and measures the time until the
//!   backend delivers the `PhoneInput` (the latency figure);
//! - shows Off-Hook + Mute and reads the output report at the gadget;
//! - unbinds and rebinds the gadget: the device must be dropped, found again,
//!   and given the state again.
//!
//! Results go to the console as `HOOKSWITCH-RESULT key value` lines, then
//! `HOOKSWITCH-OK` or `HOOKSWITCH-FAIL reason`; the guest then powers off.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::{channel_sink, wait_event};
use hookswitch_devices::hotplug::{Hotplug, HotplugOptions};
use hookswitch_devices::{DeviceEvent, DeviceManager};
use hookswitch_hid::profile::builtin;
use hookswitch_hid::{DeviceState, PhoneInput};

const UDC: &str = "/sys/kernel/config/usb_gadget/g1/UDC";
const GADGET: &str = "/dev/hidg0";
const PRESSES: usize = 200;
/// Longer than any profile's debounce, so every press counts.
const BETWEEN_PRESSES: Duration = Duration::from_millis(40);
const WAIT: Duration = Duration::from_secs(30);

fn udc_name() -> Result<String, String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/udc")
        .map_err(|e| format!("no /sys/class/udc: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().next().ok_or("no UDC".into())
}

fn bind(udc: &str) -> Result<(), String> {
    std::fs::write(UDC, format!("{udc}\n")).map_err(|e| format!("bind: {e}"))
}

fn unbind() -> Result<(), String> {
    std::fs::write(UDC, "\n").map_err(|e| format!("unbind: {e}"))
}

fn added(rx: &Receiver<DeviceEvent>) -> Result<hookswitch_devices::DeviceInfo, String> {
    match wait_event(rx, WAIT, |e| matches!(e, DeviceEvent::Added(_))) {
        Some(DeviceEvent::Added(info)) => Ok(info),
        _ => Err("the device was not found".into()),
    }
}

/// The next output report the host wrote to the gadget.
fn read_output(gadget: &mut std::fs::File, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut pfd = libc::pollfd {
        fd: gadget.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout.as_millis() as i32) };
    if rc <= 0 {
        return Err("no output report reached the gadget".into());
    }
    let mut buf = [0u8; 64];
    let n = gadget
        .read(&mut buf)
        .map_err(|e| format!("read {GADGET}: {e}"))?;
    Ok(buf[..n].to_vec())
}

fn expect_output(gadget: &mut std::fs::File, want: &[u8], what: &str) -> Result<(), String> {
    let out = read_output(gadget, Duration::from_secs(10))?;
    println!("HOOKSWITCH-RESULT {what} {out:02x?}");
    if out != want {
        return Err(format!("{what}: {out:02x?}, expected {want:02x?}"));
    }
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn run() -> Result<(), String> {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let hotplug = Hotplug::start(manager.clone(), HotplugOptions::default());
    let udc = udc_name()?;

    // Plug: the kernel enumerates the gadget, hotplug finds the hidraw node.
    let t = Instant::now();
    bind(&udc)?;
    let info = added(&rx)?;
    println!(
        "HOOKSWITCH-RESULT plug_to_added_ms {}",
        t.elapsed().as_millis()
    );
    println!(
        "HOOKSWITCH-RESULT device {} profile={:?} path={}",
        info.display_name(),
        info.profile,
        info.path
    );
    if info.profile.as_deref() != Some("Jabra") {
        return Err(format!("wrong profile {:?}", info.profile));
    }

    // Input: Hook Switch on and off from the gadget, timed to the PhoneInput.
    let mut gadget = OpenOptions::new()
        .read(true)
        .write(true)
        .open(GADGET)
        .map_err(|e| format!("{GADGET}: {e}"))?;
    // On arrival the device is shown the phone's state: idle, all LEDs off.
    expect_output(&mut gadget, &[0x02, 0x00, 0x00], "leds_on_arrival")?;
    let mut to_read = Vec::new();
    let mut to_event = Vec::new();
    for i in 0..PRESSES {
        let (report, want) = if i % 2 == 0 {
            ([0x02, 0x01, 0x00], PhoneInput::HookOff)
        } else {
            ([0x02, 0x00, 0x00], PhoneInput::HookOn)
        };
        let t0 = Instant::now();
        gadget
            .write_all(&report)
            .map_err(|e| format!("write {GADGET}: {e}"))?;
        let got = wait_event(&rx, Duration::from_secs(5), |e| {
            matches!(e, DeviceEvent::Input { .. })
        });
        let received = Instant::now();
        match got {
            Some(DeviceEvent::Input { input, at, .. }) if input == want => {
                to_read.push(at.saturating_duration_since(t0));
                to_event.push(received - t0);
            }
            other => return Err(format!("press {i}: expected {want:?}, got {other:?}")),
        }
        std::thread::sleep(BETWEEN_PRESSES);
    }
    to_event.sort();
    to_read.sort();
    for (name, v) in [
        ("report_to_read", &to_read),
        ("report_to_phoneinput", &to_event),
    ] {
        println!(
            "HOOKSWITCH-RESULT {name}_us p50 {} p99 {} max {} n {}",
            percentile(v, 0.5).as_micros(),
            percentile(v, 0.99).as_micros(),
            v.last().map(|d| d.as_micros()).unwrap_or(0),
            v.len()
        );
    }

    // Output: Off-Hook and Mute, as the gadget reads them.
    manager.show(DeviceState {
        off_hook: true,
        mute: true,
        ..Default::default()
    });
    expect_output(&mut gadget, &[0x02, 0x03, 0x00], "leds_off_hook_mute")?;

    // Unplug and replug: dropped, found again, state pushed again.
    unbind()?;
    match wait_event(&rx, WAIT, |e| matches!(e, DeviceEvent::Removed(_))) {
        Some(DeviceEvent::Removed(id)) if id == info.id => {}
        other => return Err(format!("unplug: expected Removed, got {other:?}")),
    }
    bind(&udc)?;
    let again = added(&rx)?;
    if again.id == info.id {
        return Err("a replugged device must be a new device".into());
    }
    // The state is pushed again to the device that came back.
    expect_output(&mut gadget, &[0x02, 0x03, 0x00], "leds_after_replug")?;
    hotplug.stop();
    manager.close_all();
    unbind()?;
    cm109_phone(&udc)
}

// ---- A CM109 handset over rusb -------------------------------------------

const CM109_GADGET: &str = "/sys/kernel/config/usb_gadget/g2";
/// A minimal vendor-page descriptor: 4-byte input and output reports, as the
/// CM109's interrupt and SET_REPORT packets are.
const CM109_DESCRIPTOR: [u8; 27] = [
    0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x04,
    0x09, 0x01, 0x81, 0x02, 0x95, 0x04, 0x09, 0x01, 0x91, 0x02, 0xc0,
];

fn write_attr(path: &str, value: &[u8]) -> Result<(), String> {
    std::fs::write(path, value).map_err(|e| format!("{path}: {e}"))
}

/// Builds the CM109 gadget in configfs (SET_REPORT data goes to read(), as
/// the chip takes its control packets), and returns its /dev/hidgN.
fn make_cm109_gadget() -> Result<String, String> {
    let g = CM109_GADGET;
    let f = format!("{g}/functions/hid.cm109");
    for dir in [
        g.to_owned(),
        format!("{g}/strings/0x409"),
        f.clone(),
        format!("{g}/configs/c.1"),
    ] {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{dir}: {e}"))?;
    }
    write_attr(&format!("{g}/idVendor"), b"0x0d8c")?;
    write_attr(&format!("{g}/idProduct"), b"0x000e")?;
    write_attr(&format!("{g}/strings/0x409/product"), b"USB Audio Device")?;
    write_attr(&format!("{f}/protocol"), b"0")?;
    write_attr(&format!("{f}/subclass"), b"0")?;
    write_attr(&format!("{f}/report_length"), b"4")?;
    write_attr(&format!("{f}/no_out_endpoint"), b"1")?;
    write_attr(&format!("{f}/report_desc"), &CM109_DESCRIPTOR)?;
    std::os::unix::fs::symlink(&f, format!("{g}/configs/c.1/hid.cm109"))
        .map_err(|e| format!("config link: {e}"))?;
    let dev = std::fs::read_to_string(format!("{f}/dev")).map_err(|e| e.to_string())?;
    let minor = dev.trim().rsplit(':').next().unwrap_or("1");
    Ok(format!("/dev/hidg{minor}"))
}

/// The handset's side: answers each control packet with the interrupt report
/// the chip would send for the key held down.
struct Handset {
    key: std::sync::Mutex<Option<u8>>,
    ir0: std::sync::atomic::AtomicU8,
    buzzer: std::sync::atomic::AtomicBool,
    packets: std::sync::atomic::AtomicUsize,
    stop: std::sync::atomic::AtomicBool,
}

fn emulate(handset: &Handset, node: &str) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(node)
        .map_err(|e| format!("{node}: {e}"))?;
    while !handset.stop.load(Relaxed) {
        let mut pfd = libc::pollfd {
            fd: f.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, 100) } <= 0 {
            continue;
        }
        let mut ctl = [0u8; 4];
        let n = f.read(&mut ctl).map_err(|e| format!("read {node}: {e}"))?;
        if n < 3 {
            continue;
        }
        handset.packets.fetch_add(1, Relaxed);
        handset.buzzer.store(ctl[0] & 0x20 != 0, Relaxed);
        let keybit = ctl[1];
        let key = *handset.key.lock().unwrap();
        let rows = key.map(|k| k & 0xf0).unwrap_or(0);
        let ir1 = match key {
            _ if keybit == 0x0f => rows | 0x0f,
            Some(k) if k & 0x0f == keybit => k,
            _ => keybit,
        };
        let report = [handset.ir0.load(Relaxed), ir1, 0, 0];
        f.write_all(&report)
            .map_err(|e| format!("write {node}: {e}"))?;
    }
    Ok(())
}

fn interface_driver() -> Option<String> {
    std::fs::read_link("/sys/bus/usb/devices/1-1:1.0/driver")
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

fn expect_input(rx: &Receiver<DeviceEvent>, want: PhoneInput) -> Result<(), String> {
    match wait_event(rx, Duration::from_secs(10), |e| {
        matches!(e, DeviceEvent::Input { .. })
    }) {
        Some(DeviceEvent::Input { input, .. }) if input == want => Ok(()),
        other => Err(format!("expected {want:?}, got {other:?}")),
    }
}

fn cm109_phone(udc: &str) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    let node = make_cm109_gadget()?;
    write_attr(
        &format!("{CM109_GADGET}/UDC"),
        format!("{udc}\n").as_bytes(),
    )?;
    wait_until("a kernel driver on the CM109", || {
        interface_driver().is_some()
    })?;
    let kernel_driver = interface_driver().unwrap_or_default();
    println!("HOOKSWITCH-RESULT cm109_kernel_driver {kernel_driver}");

    let handset = std::sync::Arc::new(Handset {
        key: std::sync::Mutex::new(None),
        ir0: 0.into(),
        buzzer: false.into(),
        packets: 0.into(),
        stop: false.into(),
    });
    let emulator = {
        let h = handset.clone();
        std::thread::spawn(move || emulate(&h, &node))
    };
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let hotplug = Hotplug::start(
        manager.clone(),
        HotplugOptions {
            usb_phones: true,
            detach_kernel_driver: true,
        },
    );
    let info = added(&rx)?;
    println!(
        "HOOKSWITCH-RESULT cm109 {} backend={:?} path={} driver_now={:?}",
        info.display_name(),
        info.backend,
        info.path,
        interface_driver()
    );
    if interface_driver().as_deref() != Some("usbfs") {
        return Err(format!(
            "not taken from the kernel: {:?}",
            interface_driver()
        ));
    }
    // Key 5 (row 0x20, column 0x02), released, then pickup, then mic mute.
    for (key, want) in [(0x22, PhoneInput::Key('5')), (0x88, PhoneInput::HookOff)] {
        *handset.key.lock().unwrap() = Some(key);
        expect_input(&rx, want)?;
        *handset.key.lock().unwrap() = None;
    }
    handset.ir0.store(0x08, Relaxed);
    expect_input(&rx, PhoneInput::MuteToggle)?;
    handset.ir0.store(0, Relaxed);
    manager.show(DeviceState {
        ring: true,
        ..Default::default()
    });
    wait_until("the buzzer", || handset.buzzer.load(Relaxed))?;
    manager.show(DeviceState::default());
    wait_until("the buzzer to stop", || !handset.buzzer.load(Relaxed))?;
    println!(
        "HOOKSWITCH-RESULT cm109_keys_mute_buzzer ok after {} control packets",
        handset.packets.load(Relaxed)
    );
    hotplug.stop();
    manager.close_all();
    // Closing gives the phone back to its kernel driver.
    wait_until("the kernel driver back", || {
        interface_driver().is_some_and(|d| d != "usbfs")
    })?;
    println!(
        "HOOKSWITCH-RESULT cm109_driver_after_close {:?}",
        interface_driver()
    );
    handset.stop.store(true, Relaxed);
    emulator
        .join()
        .map_err(|_| "the emulator panicked".to_string())??;
    Ok(())
}

fn main() {
    match run() {
        Ok(()) => println!("HOOKSWITCH-OK"),
        Err(e) => println!("HOOKSWITCH-FAIL {e}"),
    }
    let _ = std::io::stdout().flush();
    // SAFETY: sync and power off; this process is the guest's init.
    unsafe {
        libc::sync();
        libc::reboot(libc::RB_POWER_OFF);
    }
}
