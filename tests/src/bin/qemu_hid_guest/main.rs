//! Runs inside the QEMU guest of the real-kernel HID test (tests/tests/qemu_hid.rs)
//! as its init's last step. The guest's kernel presents a USB HID gadget with
//! the Jabra Evolve Link descriptor through dummy_hcd; this program drives the
//! project's hidraw backend and hotplug against it from both sides:
//! - binds the gadget and waits for the device to be found (hotplug add);
//! - sends Hook Switch reports from the gadget and measures the time until the
//!   backend delivers the `PhoneInput` (the latency figure);
//! - shows Off-Hook + Mute and reads the output report at the gadget;
//! - unbinds and rebinds the gadget: the device must be dropped, found again,
//!   and given the state again; then as many more times as `/etc/plug-cycles`
//!   asks (cycles.rs), with no descriptor or thread left behind.
//!
//! - then every descriptor of crates/hid/tests/fixtures and a busylight, each
//!   as a gadget of its own (fixtures.rs).
//!
//! Results go to the console as `HOOKSWITCH-RESULT key value` lines, then
//! `HOOKSWITCH-OK` or `HOOKSWITCH-FAIL reason`; the guest then powers off.

mod cycles;
mod fixtures;

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
    match wait_event(rx, WAIT, |e| {
        matches!(e, DeviceEvent::Added(_) | DeviceEvent::Unusable { .. })
    }) {
        Some(DeviceEvent::Added(info)) => Ok(*info),
        Some(DeviceEvent::Unusable { path, reason, .. }) => Err(format!("{path}: {reason}")),
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

/// A device manager with the shipped profiles, followed by hotplug with
/// `options`; its events arrive on the receiver.
fn watch(options: HotplugOptions) -> (DeviceManager, Hotplug, Receiver<DeviceEvent>) {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    let hotplug = Hotplug::start(manager.clone(), options);
    (manager, hotplug, rx)
}

/// The headset's sound card, as the pairing finds it from the hidraw node:
/// the host's USB audio card, not the gadget side's own (both exist here).
fn paired_sound_card(hidraw: &str) -> Result<(), String> {
    let cards = || std::fs::read_to_string("/proc/asound/cards").unwrap_or_default();
    wait_until("the host's USB audio card", || {
        cards().contains("USB-Audio")
    })?;
    let found = hookswitch_devices::pairing::sound_card_of(std::path::Path::new("/sys"), hidraw);
    println!("HOOKSWITCH-RESULT paired_sound_card {found:?}");
    let Some(card) = found else {
        return Err(format!(
            "no sound card paired with {hidraw}; cards:\n{}",
            cards()
        ));
    };
    // /proc/asound/cards: " 1 [MS             ]: USB-Audio - Jabra EVOLVE LINK MS".
    let all = cards();
    println!(
        "HOOKSWITCH-RESULT sound_cards {:?}",
        all.lines()
            .filter(|l| l.contains("]:"))
            .map(str::trim)
            .collect::<Vec<_>>()
    );
    let usb_audio = all
        .lines()
        .find(|l| l.contains("USB-Audio"))
        .unwrap_or_default();
    if !usb_audio.contains(&format!("[{card} ")) && !usb_audio.contains(&format!("[{card}]")) {
        return Err(format!("paired {card:?}, not the USB audio card:\n{all}"));
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let (manager, hotplug, rx) = watch(HotplugOptions::default());
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
    paired_sound_card(&info.path)?;

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
    no_access(&again.path)?;
    let (cycles, only) = cycles::wanted();
    if cycles > 0 {
        cycles::run(&udc, &manager, &rx, &mut gadget, again.id, cycles)?;
    }
    hotplug.stop();
    manager.close_all();
    unbind()?;
    if only {
        return Ok(());
    }
    cm109_phone(&udc)
}

/// Without the udev rule the node is root's alone: a user's scan reports the
/// device unusable for want of access, with the rule to install (what the
/// window turns into its udev help). The scan runs in a child process of
/// this program with the user `nobody`'s IDs.
fn no_access(node: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    std::fs::set_permissions(node, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| format!("chmod {node}: {e}"))?;
    let out = std::process::Command::new("/program")
        .arg("--scan-once")
        .uid(65534)
        .gid(65534)
        .output()
        .map_err(|e| format!("the unprivileged scan: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("HOOKSWITCH-RESULT no_access {}", text.trim());
    if !text.contains(&format!("unusable no-access {node}")) || !text.contains("udev rule") {
        return Err(format!(
            "a node without access must be reported so: {text:?}"
        ));
    }
    Ok(())
}

/// `--scan-once`: one hidraw scan, its unusable devices printed as
/// `unusable <problem> <path>: <reason>`.
fn scan_once() {
    let (sink, rx) = channel_sink();
    let manager = DeviceManager::new(builtin(), sink);
    match hookswitch_devices::hid::hidraw::HidrawScanner::new() {
        Ok(mut scanner) => scanner.scan(&manager),
        Err(e) => println!("no scanner: {e}"),
    }
    for e in rx.try_iter() {
        if let DeviceEvent::Unusable {
            path,
            reason,
            problem,
        } = e
        {
            let problem = serde_json::to_value(problem).unwrap_or_default();
            println!(
                "unusable {} {path}: {reason}",
                problem.as_str().unwrap_or("?")
            );
        }
    }
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

/// A gadget's folders in configfs and who it says it is.
fn make_gadget_device(
    g: &str,
    vendor_id: u16,
    product_id: u16,
    product: &str,
) -> Result<(), String> {
    for dir in [
        g.to_owned(),
        format!("{g}/strings/0x409"),
        format!("{g}/configs/c.1"),
    ] {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{dir}: {e}"))?;
    }
    write_attr(
        &format!("{g}/idVendor"),
        format!("0x{vendor_id:04x}").as_bytes(),
    )?;
    write_attr(
        &format!("{g}/idProduct"),
        format!("0x{product_id:04x}").as_bytes(),
    )?;
    write_attr(&format!("{g}/strings/0x409/product"), product.as_bytes())
}

/// HID function `name` of gadget `g` with `descriptor`, linked into its
/// configuration; its /dev/hidgN. Without an OUT endpoint, output reports
/// come as SET_REPORT (how the CM109 and the P1K take their commands).
fn add_hid_function(
    g: &str,
    name: &str,
    report_length: usize,
    out_endpoint: bool,
    descriptor: &[u8],
) -> Result<String, String> {
    let f = format!("{g}/functions/hid.{name}");
    std::fs::create_dir_all(&f).map_err(|e| format!("{f}: {e}"))?;
    write_attr(&format!("{f}/protocol"), b"0")?;
    write_attr(&format!("{f}/subclass"), b"0")?;
    write_attr(
        &format!("{f}/report_length"),
        report_length.to_string().as_bytes(),
    )?;
    if !out_endpoint {
        write_attr(&format!("{f}/no_out_endpoint"), b"1")?;
    }
    write_attr(&format!("{f}/report_desc"), descriptor)?;
    std::os::unix::fs::symlink(&f, format!("{g}/configs/c.1/hid.{name}"))
        .map_err(|e| format!("config link: {e}"))?;
    let dev = std::fs::read_to_string(format!("{f}/dev")).map_err(|e| e.to_string())?;
    let minor = dev.trim().rsplit(':').next().unwrap_or("0");
    Ok(format!("/dev/hidg{minor}"))
}

/// Builds the CM109 gadget in configfs (SET_REPORT data goes to read(), as
/// the chip takes its control packets), and returns its /dev/hidgN.
fn make_cm109_gadget() -> Result<String, String> {
    make_gadget_device(CM109_GADGET, 0x0d8c, 0x000e, "USB Audio Device")?;
    add_hid_function(CM109_GADGET, "cm109", 4, false, &CM109_DESCRIPTOR)
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

/// The kernel driver bound to a USB interface ("1-1:1.0"), if any.
fn driver_of(interface: &str) -> Option<String> {
    std::fs::read_link(format!("/sys/bus/usb/devices/{interface}/driver"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// The CM109's interface.
fn interface_driver() -> Option<String> {
    driver_of("1-1:1.0")
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
    // usbhid's probe shows for a moment (the driver link exists while a probe
    // runs, and usbhid then declines the CM109 as Linux's HID ignore list
    // says): wait for the driver that keeps it.
    wait_until("the cm109 driver on the CM109", || {
        interface_driver().as_deref() == Some("cm109")
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
    // Without the user's consent the kernel keeps its phone, and the user is
    // told how to give it to Hookswitch.
    {
        let (sink, rx) = channel_sink();
        let manager = DeviceManager::new(builtin(), sink);
        let mut scanner =
            hookswitch_devices::usb::UsbScanner::new(false).map_err(|e| e.to_string())?;
        scanner.scan(&manager);
        let refused = rx.try_iter().find_map(|e| match e {
            DeviceEvent::Unusable { reason, .. } => Some(reason),
            _ => None,
        });
        println!("HOOKSWITCH-RESULT cm109_without_consent {refused:?}");
        if !refused.is_some_and(|r| r.contains("--detach-kernel-driver"))
            || interface_driver().as_deref() != Some(kernel_driver.as_str())
        {
            return Err("without consent the phone must stay with its kernel driver".into());
        }
    }
    let (manager, hotplug, rx) = watch(HotplugOptions {
        usb_phones: true,
        detach_kernel_driver: true,
    });
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
    // What another Hookswitch (or `hookswitch devices`) sees now: the HID
    // interface taken from the kernel by an application.
    let claimed = hookswitch_devices::arbitration::claimed_hid_interfaces(&[0x0d8c]);
    println!("HOOKSWITCH-RESULT cm109_claimed {claimed:?}");
    if claimed.len() != 1 || claimed[0].interface != "1-1:1.0" {
        return Err(format!("the claim is not visible: {claimed:?}"));
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
    write_attr(&format!("{CM109_GADGET}/UDC"), b"\n")?;
    // f_hid has four minors: free the earlier gadgets' functions first.
    remove_gadget("/sys/kernel/config/usb_gadget/g1")?;
    remove_gadget(CM109_GADGET)?;
    yealink_phone(udc)
}

/// Takes an unbound gadget apart (configfs wants it in this order).
fn remove_gadget(g: &str) -> Result<(), String> {
    let rm = |p: String| std::fs::remove_dir(&p).map_err(|e| format!("rmdir {p}: {e}"));
    let config = format!("{g}/configs/c.1");
    for link in std::fs::read_dir(&config)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        if link.file_type().is_ok_and(|t| t.is_symlink()) {
            std::fs::remove_file(link.path()).map_err(|e| e.to_string())?;
        }
    }
    rm(config)?;
    for f in std::fs::read_dir(format!("{g}/functions"))
        .map_err(|e| e.to_string())?
        .flatten()
    {
        rm(f.path().to_string_lossy().into_owned())?;
    }
    rm(format!("{g}/strings/0x409"))?;
    rm(g.to_owned())
}

// ---- A Yealink USB-P1K over rusb ------------------------------------------

const YEALINK_GADGET: &str = "/sys/kernel/config/usb_gadget/g3";

/// The P1K talks on interface 3 (0-2 are its sound card): three placeholder
/// HID functions come with the phone's so that it has four interfaces. Which
/// function the gadget numbers 3 is its business: all four nodes are returned.
fn make_yealink_gadget() -> Result<Vec<String>, String> {
    make_gadget_device(YEALINK_GADGET, 0x6993, 0xb001, "USB-P1K")?;
    let mut desc = CM109_DESCRIPTOR;
    desc[15] = 16; // 16-byte reports
    desc[21] = 16;
    ["if0", "if1", "if2", "phone"]
        .iter()
        .map(|name| add_hid_function(YEALINK_GADGET, name, 16, false, &desc))
        .collect()
}

/// The phone's side: answers key scans, keeps the LED, ringer and LCD image.
struct P1k {
    keynum: std::sync::atomic::AtomicU8,
    scancode: std::sync::atomic::AtomicU8,
    led: std::sync::atomic::AtomicU8,
    ringtone: std::sync::atomic::AtomicU8,
    lcd: std::sync::Mutex<[u8; 24]>,
    bad_checksums: std::sync::atomic::AtomicUsize,
    inited: std::sync::atomic::AtomicBool,
    /// Set once the emulator listens: the phone exists from then on.
    ready: std::sync::atomic::AtomicBool,
    dropped_answers: std::sync::atomic::AtomicUsize,
    /// How many of each command the phone's node got (for diagnosis).
    seen: std::sync::Mutex<Vec<(usize, usize)>>,
    stop: std::sync::atomic::AtomicBool,
}

/// f_hid keeps only the latest SET_REPORT until it is read, where the real
/// phone handles every command: the emulator runs at real-time priority, so
/// it reads each command before the host (one CPU) can send the next.
fn realtime() -> Result<(), String> {
    let param = libc::sched_param { sched_priority: 50 };
    // SAFETY: changes this thread's own scheduling; `param` is valid.
    let rc = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("SCHED_FIFO: error {rc}"))
    }
}

fn emulate_p1k(phone: &P1k, nodes: &[String]) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    realtime()?;
    phone.ready.store(true, Relaxed);
    let mut files = Vec::new();
    for node in nodes {
        // Non-blocking: an answer nobody reads (asked by the kernel driver
        // before Hookswitch took the phone) is dropped instead of blocking the
        // emulator, as the real phone would simply answer the next request.
        use std::os::unix::fs::OpenOptionsExt;
        files.push(
            OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(node)
                .map_err(|e| format!("{node}: {e}"))?,
        );
    }
    while !phone.stop.load(Relaxed) {
        let mut pfds: Vec<libc::pollfd> = files
            .iter()
            .map(|f| libc::pollfd {
                fd: f.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `pfds` is a valid array of pollfds of the given length.
        if unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 100) } <= 0 {
            continue;
        }
        let Some(i) = pfds.iter().position(|p| p.revents & libc::POLLIN != 0) else {
            continue;
        };
        let (f, node) = (&mut files[i], &nodes[i]);
        let mut p = [0u8; 16];
        let n = match f.read(&mut p) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(format!("read {node}: {e}")),
        };
        if n != 16 || p.iter().fold(0u8, |a, b| a.wrapping_add(*b)) != 0 {
            phone.bad_checksums.fetch_add(1, Relaxed);
            continue;
        }
        {
            let key = p[0] as usize * 10 + i;
            let mut seen = phone.seen.lock().unwrap();
            match seen.iter_mut().find(|(c, _)| *c == key) {
                Some((_, n)) => *n += 1,
                None => seen.push((key, 1)),
            }
        }
        let offset = usize::from(u16::from_be_bytes([p[2], p[3]]));
        let size = usize::from(p[1]).min(11);
        let mut answer = [0u8; 16];
        match p[0] {
            0x8e => phone.inited.store(true, Relaxed),
            0x05 => phone.led.store(p[4], Relaxed),
            0x03 => phone.ringtone.store(p[4], Relaxed),
            0x04 => {
                let mut lcd = phone.lcd.lock().unwrap();
                for i in 0..size {
                    if let Some(b) = lcd.get_mut(offset + i) {
                        *b = p[4 + i];
                    }
                }
            }
            0x80 => {
                answer[0] = 0x80;
                answer[4] = phone.keynum.load(Relaxed);
            }
            0x81 => {
                answer[0] = 0x81;
                answer[4] = phone.scancode.load(Relaxed);
            }
            _ => {}
        }
        // Answer only Hookswitch: an answer to the kernel driver, bound until
        // Hookswitch takes the phone, would wait in the IN queue and be
        // taken for the answer to Hookswitch's first question.
        if answer[0] != 0 && yealink_interface_driver().as_deref() == Some("usbfs") {
            answer[1] = 1;
            answer[15] = answer[..15].iter().fold(0u8, |a, b| a.wrapping_sub(*b));
            // Give the host a moment to take the previous answer (and the
            // zero-length packet f_hid sends after a full one).
            let mut out = libc::pollfd {
                fd: f.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut out, 1, 300) };
            match f.write(&answer) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    phone.dropped_answers.fetch_add(1, Relaxed);
                }
                Err(e) => return Err(format!("write {node}: {e}")),
            }
        }
    }
    Ok(())
}

/// The P1K's phone interface.
fn yealink_interface_driver() -> Option<String> {
    driver_of("1-1:1.3")
}

fn yealink_phone(udc: &str) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    let nodes = make_yealink_gadget()?;
    write_attr(
        &format!("{YEALINK_GADGET}/UDC"),
        format!("{udc}\n").as_bytes(),
    )?;
    wait_until("the yealink driver on the P1K", || {
        yealink_interface_driver().as_deref() == Some("yealink")
    })?;
    println!(
        "HOOKSWITCH-RESULT p1k_kernel_driver {:?}",
        yealink_interface_driver()
    );
    // On the real phone interfaces 0-2 are its sound card; here they are HID
    // placeholders that the kernel's yealink driver also takes and floods with
    // key scans. Unbind them: only interface 3 is the phone.
    for i in 0..3 {
        let iface = format!("1-1:1.{i}");
        wait_until("a driver on the placeholder interfaces", || {
            driver_of(&iface).is_some()
        })?;
        let driver = driver_of(&iface).unwrap_or_default();
        write_attr(
            &format!("/sys/bus/usb/drivers/{driver}/unbind"),
            iface.as_bytes(),
        )?;
    }
    let phone = std::sync::Arc::new(P1k {
        keynum: 0.into(),
        scancode: 0.into(),
        led: 0.into(),
        ringtone: 0.into(),
        lcd: std::sync::Mutex::new([0; 24]),
        bad_checksums: 0.into(),
        inited: false.into(),
        ready: false.into(),
        dropped_answers: 0.into(),
        seen: Default::default(),
        stop: false.into(),
    });
    let emulator = {
        let p = phone.clone();
        std::thread::spawn(move || emulate_p1k(&p, &nodes))
    };
    wait_until("the P1K emulator", || {
        phone.ready.load(Relaxed) || emulator.is_finished()
    })?;
    let (manager, hotplug, rx) = watch(HotplugOptions {
        usb_phones: true,
        detach_kernel_driver: true,
    });
    let info = added(&rx)?;
    println!(
        "HOOKSWITCH-RESULT p1k {} backend={:?} interface={:?}",
        info.display_name(),
        info.backend,
        info.interface
    );
    if let Err(e) = wait_until("the P1K init packet", || phone.inited.load(Relaxed)) {
        let emulator = if emulator.is_finished() {
            format!("{:?}", emulator.join())
        } else {
            "running".into()
        };
        let dmesg = std::process::Command::new("/bin/dmesg")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let tail: Vec<&str> = dmesg.lines().rev().take(25).collect();
        let nodes: Vec<String> = std::fs::read_dir("/dev")
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("hidg"))
                    .collect()
            })
            .unwrap_or_default();
        return Err(format!(
            "{e} (emulator: {emulator}; packets with a bad checksum or length: {}; seen {:02x?}; nodes {nodes:?}; dmesg:\n{})",
            phone.bad_checksums.load(Relaxed),
            phone.seen.lock().unwrap(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    // Pickup, then 5: each press is a new key number, then its scan code.
    for (n, (scancode, want)) in [(0x03, PhoneInput::HookOff), (0x11, PhoneInput::Key('5'))]
        .into_iter()
        .enumerate()
    {
        phone.scancode.store(scancode, Relaxed);
        phone.keynum.store(n as u8 + 1, Relaxed);
        expect_input(&rx, want)?;
    }
    manager.show(DeviceState {
        ring: true,
        ..Default::default()
    });
    wait_until("the LED and ringer", || {
        phone.led.load(Relaxed) == 1 && phone.ringtone.load(Relaxed) == 0x24
    })?;
    manager.show_caller(Some("+49 30 1234567"));
    // The rightmost digit, 7, lights segments a b c of bytes 0 (masks 0x10 0x20 0x40).
    wait_until("the caller's number on the display", || {
        let lcd = phone.lcd.lock().unwrap();
        lcd[0] & 0xf0 == 0x70 && lcd[1] & 0xe0 == 0
    })?;
    manager.show(DeviceState::default());
    wait_until("the ringer to stop", || phone.ringtone.load(Relaxed) == 0)?;
    println!(
        "HOOKSWITCH-RESULT p1k_keys_led_ringer_display ok; bad checksums {}",
        phone.bad_checksums.load(Relaxed)
    );
    if phone.bad_checksums.load(Relaxed) != 0 {
        return Err("the phone saw packets with a bad checksum".into());
    }
    hotplug.stop();
    manager.close_all();
    wait_until("the P1K's kernel driver back", || {
        yealink_interface_driver().is_some_and(|d| d != "usbfs")
    })?;
    phone.stop.store(true, Relaxed);
    emulator
        .join()
        .map_err(|_| "the emulator panicked".to_string())??;
    write_attr(&format!("{YEALINK_GADGET}/UDC"), b"\n")?;
    // The P1K holds every f_hid minor: freed for the fixtures' gadgets.
    remove_gadget(YEALINK_GADGET)?;
    fixtures::every_fixture(udc)
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--scan-once") {
        scan_once();
        return;
    }
    // The backends' own log lines go to the console too (warnings and up).
    tracing_subscriber::fmt()
        .with_env_filter("warn,hookswitch_devices=info")
        .with_writer(std::io::stderr)
        .without_time()
        .init();
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
