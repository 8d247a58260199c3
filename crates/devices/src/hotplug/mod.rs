//! Hotplug: a thread that scans once, then rescans whenever the kernel (or
//! udev) reports a HID or USB change: plug, unplug, and the re-enumeration a
//! suspend/resume brings. Rescanning compares with what is open, so a device
//! that vanished is dropped and one that came back is opened afresh (and gets
//! the phone's state from the manager).

pub mod netlink;
pub mod uevent;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::manager::DeviceManager;
use netlink::{Source, UeventSocket};

/// Events come in bursts (usb, then hid, then hidraw); scan once it is quiet.
const SETTLE: Duration = Duration::from_millis(100);
/// Without a uevent socket (some sandboxes), poll this often instead.
const POLL: Duration = Duration::from_secs(2);
const TICK: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Default)]
pub struct HotplugOptions {
    /// Also drive USB phones through rusb (CM109, Yealink).
    pub usb_phones: bool,
    /// Detach the kernel driver from those phones (the user said yes).
    pub detach_kernel_driver: bool,
}

/// The running watcher; stops when dropped.
pub struct Hotplug {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hotplug {
    pub fn start(manager: DeviceManager, options: HotplugOptions) -> Hotplug {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("hotplug".into())
            .spawn(move || watch(&manager, &options, &flag))
            .ok();
        Hotplug { stop, thread }
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Hotplug {
    fn drop(&mut self) {
        self.halt();
    }
}

fn watch(manager: &DeviceManager, options: &HotplugOptions, stop: &AtomicBool) {
    let mut scanners = crate::scanner::scanners(options);
    let mut scan = |manager: &DeviceManager| {
        for s in &mut scanners {
            s.scan(manager);
        }
    };
    scan(manager);
    let socket = match UeventSocket::open(Source::preferred()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("no hotplug events ({e}); polling every {POLL:?}");
            None
        }
    };
    let mut buf = vec![0u8; 16 * 1024];
    let mut dirty_since: Option<Instant> = None;
    let mut last_poll = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let Some(socket) = &socket else {
            std::thread::sleep(TICK);
            if last_poll.elapsed() >= POLL {
                last_poll = Instant::now();
                scan(manager);
            }
            continue;
        };
        match socket.recv(&mut buf, TICK) {
            Ok(Some(0)) => dirty_since = Some(Instant::now()),
            Ok(Some(n)) => {
                if let Some(e) = uevent::parse(&buf[..n])
                    && uevent::concerns_devices(&e)
                {
                    tracing::debug!("uevent {} {} {}", e.action, e.subsystem, e.devpath);
                    dirty_since = Some(Instant::now());
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!("hotplug socket failed: {e}");
                std::thread::sleep(TICK);
            }
        }
        if dirty_since.is_some_and(|t| t.elapsed() >= SETTLE) {
            dirty_since = None;
            scan(manager);
        }
    }
}
