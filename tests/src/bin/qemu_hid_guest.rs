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
