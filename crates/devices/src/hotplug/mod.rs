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
use netlink::{Source, UeventSocket, Waker};

/// Events come in bursts (usb, then hid, then hidraw); scan once it is quiet.
const SETTLE: Duration = Duration::from_millis(100);
/// Without a uevent socket (some sandboxes), poll this often instead.
const POLL: Duration = Duration::from_secs(2);
/// The pause after the socket failed, before reading it again.
const RETRY: Duration = Duration::from_millis(100);

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
    /// Wakes the thread to see `stop` (it sleeps until an event otherwise).
    waker: Option<Arc<Waker>>,
    thread: Option<JoinHandle<()>>,
}

impl Hotplug {
    pub fn start(manager: DeviceManager, options: HotplugOptions) -> Hotplug {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let waker = match Waker::new() {
            Ok(w) => Some(Arc::new(w)),
            Err(e) => {
                tracing::warn!("hotplug: no eventfd ({e}); stopping may wait for an event");
                None
            }
        };
        let woken = waker.clone();
        let thread = std::thread::Builder::new()
            .name("hotplug".into())
            .spawn(move || watch(&manager, &options, &flag, woken.as_deref()))
            .ok();
        Hotplug {
            stop,
            waker,
            thread,
        }
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(w) = &self.waker {
            w.wake();
        }
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

/// Scans, then sleeps until the kernel reports a change (a settle time
/// after the last one) or the watcher is stopped: no wake-up while nothing
/// happens (it woke every 100 ms, ten times a second, to look at `stop`).
fn watch(
    manager: &DeviceManager,
    options: &HotplugOptions,
    stop: &AtomicBool,
    waker: Option<&Waker>,
) {
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
            match waker {
                Some(w) => w.sleep(POLL.saturating_sub(last_poll.elapsed())),
                None => std::thread::sleep(RETRY),
            }
            if last_poll.elapsed() >= POLL {
                last_poll = Instant::now();
                scan(manager);
            }
            continue;
        };
        // Without a waker the stop flag must be looked at now and then.
        let timeout = match (dirty_since, waker) {
            (Some(t), _) => Some(SETTLE.saturating_sub(t.elapsed())),
            (None, Some(_)) => None,
            (None, None) => Some(RETRY),
        };
        match socket.recv_or_woken(&mut buf, timeout, waker) {
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
                std::thread::sleep(RETRY);
            }
        }
        if dirty_since.is_some_and(|t| t.elapsed() >= SETTLE) {
            dirty_since = None;
            scan(manager);
        }
    }
}
