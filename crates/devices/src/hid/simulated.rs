//! A simulated HID device: a real report descriptor, input reports fed by a
//! test (or a script), output reports recorded. It runs the same core and the
//! same reader-thread shape as the hidraw backend.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hookswitch_hid::profile::DeviceIdentity;
use hookswitch_hid::{DeviceState, Profile};

use crate::device::GoneHook;
use crate::device::{
    Backend, DeviceError, DeviceEvent, DeviceId, DeviceInfo, EventSink, PhoneDevice,
};
use crate::hid::HidCore;

pub(crate) enum Feed {
    Report(Vec<u8>, Instant),
    /// Answered once every report before it has been decoded.
    Sync(Sender<()>),
    /// Pulled out: the manager is told.
    Unplug,
    /// Closed by the host.
    Stop,
}

/// The test's side of a simulated device.
pub struct SimulatedHandle {
    pub id: DeviceId,
    pub(crate) feed: Sender<Feed>,
    pub(crate) written: Mutex<Receiver<Vec<u8>>>,
}

impl SimulatedHandle {
    /// The device sends an input report (report ID first when it uses IDs).
    pub fn input(&self, report: &[u8]) {
        self.input_at(report, Instant::now());
    }

    /// As `input`, read at `at` (debounce and echo windows use it).
    pub fn input_at(&self, report: &[u8], at: Instant) {
        let _ = self.feed.send(Feed::Report(report.to_vec(), at));
    }

    /// Returns once every report fed so far has been decoded and its events
    /// delivered (no waiting on a clock).
    pub fn sync(&self) {
        let (tx, rx) = mpsc::channel();
        if self.feed.send(Feed::Sync(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// The next output report the host wrote, waiting up to `timeout`.
    pub fn next_written(&self, timeout: Duration) -> Option<Vec<u8>> {
        let rx = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        rx.recv_timeout(timeout).ok()
    }

    /// Every output report written so far and not yet taken.
    pub fn take_written(&self) -> Vec<Vec<u8>> {
        let rx = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        rx.try_iter().collect()
    }

    /// The device is pulled out: its reader ends and the manager drops it.
    pub fn unplug(&self) {
        let _ = self.feed.send(Feed::Unplug);
    }
}

pub struct SimulatedDevice {
    info: DeviceInfo,
    core: HidCore,
    written: Sender<Vec<u8>>,
    feed: Sender<Feed>,
    sink: EventSink,
    reader: Option<JoinHandle<()>>,
}

/// What a simulated device says it is.
#[derive(Debug, Clone)]
pub struct SimulatedSpec {
    pub descriptor: Vec<u8>,
    pub identity: DeviceIdentity,
    pub product: String,
    /// The sound device it stands for, as a headset's own card would be
    /// found by USB topology (`None`: it has none).
    pub sound_device: Option<String>,
}

impl SimulatedSpec {
    /// A telephony device (usage page 0x0B, interface 3) with the report
    /// descriptor in `hex` (the fixtures' format: hex bytes on the first line).
    pub fn telephony(
        hex: &str,
        vendor_id: u16,
        product_id: u16,
        product: &str,
    ) -> Result<SimulatedSpec, String> {
        Ok(SimulatedSpec {
            descriptor: hookswitch_hid::descriptor_from_hex(hex)?,
            identity: DeviceIdentity {
                vendor_id,
                product_id,
                interface: Some(3),
                usage_page: 0x0b,
            },
            product: product.into(),
            sound_device: None,
        })
    }
}

/// `VID:PID` from a `# VID:PID: 0b0e:0307` line of a descriptor file.
fn identity_line(text: &str) -> Option<(u16, u16)> {
    let line = text.lines().find_map(|l| l.strip_prefix("# VID:PID:"))?;
    let (vid, pid) = line.split_whitespace().next()?.split_once(':')?;
    Some((
        u16::from_str_radix(vid, 16).ok()?,
        u16::from_str_radix(pid, 16).ok()?,
    ))
}

impl SimulatedSpec {
    /// A descriptor file (hex bytes, `# VID:PID: 0b0e:0307` when known) as a
    /// device named after the file.
    pub fn from_file(path: &std::path::Path) -> Result<SimulatedSpec, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        SimulatedSpec::from_text(&text, &name).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The text of a descriptor file as a device called `product`.
    pub fn from_text(text: &str, product: &str) -> Result<SimulatedSpec, String> {
        let descriptor = hookswitch_hid::descriptor_from_hex(text)?;
        if descriptor.is_empty() {
            return Err("no report descriptor in it (hex bytes, as hid-learn saves)".into());
        }
        let parsed = hookswitch_hid::parse(&descriptor)
            .map_err(|e| format!("not a valid HID report descriptor: {e}"))?;
        if parsed.collections.is_empty() {
            return Err(
                "the report descriptor describes no collection: no device to simulate".into(),
            );
        }
        let usage_page = if hookswitch_hid::capabilities(&parsed).telephony {
            hookswitch_hid::usage::PAGE_TELEPHONY
        } else {
            parsed
                .collections
                .first()
                .map(|c| c.usage.page)
                .unwrap_or(0)
        };
        let ids = identity_line(text);
        Ok(SimulatedSpec {
            descriptor,
            identity: DeviceIdentity {
                vendor_id: ids.map(|i| i.0).unwrap_or(0),
                product_id: ids.map(|i| i.1).unwrap_or(0),
                interface: None,
                usage_page,
            },
            product: product.into(),
            sound_device: None,
        })
    }
}

pub fn open(
    spec: &SimulatedSpec,
    profiles: &[Profile],
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
) -> Result<(SimulatedDevice, SimulatedHandle), DeviceError> {
    let path = format!("simulated:{}", spec.product);
    let core = HidCore::new(&spec.descriptor, &spec.identity, profiles).map_err(|message| {
        DeviceError::Descriptor {
            path: path.clone(),
            message,
        }
    })?;
    let info = DeviceInfo {
        id,
        kind: crate::device::DeviceKind::Telephony,
        backend: Backend::Simulated,
        path,
        vendor_id: spec.identity.vendor_id,
        product_id: spec.identity.product_id,
        interface: spec.identity.interface,
        manufacturer: String::new(),
        product: spec.product.clone(),
        serial: String::new(),
        profile: core.profile_name(),
        capabilities: core.capabilities.clone(),
        summary: core.summary(),
        hook_follows_host: core.hook_follows_host(),
        sound_device: spec.sound_device.clone(),
        buttons: core.buttons(),
    };
    let (feed_tx, feed_rx) = mpsc::channel();
    let (written_tx, written_rx) = mpsc::channel();
    let reader = core.reader();
    let events = sink.clone();
    let thread = std::thread::Builder::new()
        .name(format!("hid-sim-{id}"))
        .spawn(move || {
            for feed in feed_rx {
                match feed {
                    Feed::Report(report, at) => {
                        for input in reader.decode(&report, at) {
                            sink(DeviceEvent::Input { id, input, at });
                        }
                    }
                    Feed::Unplug => {
                        gone(id);
                        return;
                    }
                    Feed::Stop => return,
                    Feed::Sync(done) => {
                        let _ = done.send(());
                    }
                }
            }
        })
        .map_err(|e| DeviceError::Io {
            path: info.path.clone(),
            message: e.to_string(),
        })?;
    let handle = SimulatedHandle {
        id,
        feed: feed_tx.clone(),
        written: Mutex::new(written_rx),
    };
    Ok((
        SimulatedDevice {
            info,
            core,
            written: written_tx,
            feed: feed_tx,
            sink: events,
            reader: Some(thread),
        },
        handle,
    ))
}

impl PhoneDevice for SimulatedDevice {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn show(&mut self, state: &DeviceState, now: Instant) -> Result<bool, DeviceError> {
        let reports = self.core.reports_for(state, now);
        let wrote = !reports.is_empty();
        for report in reports {
            (self.sink)(DeviceEvent::Shown {
                id: self.info.id,
                report: report.clone(),
            });
            // Nobody may be looking at the written reports any more; the
            // device itself still works.
            let _ = self.written.send(report);
        }
        Ok(wrote)
    }

    fn close(&mut self) {
        // Ending the feed ends the reader; it is not joined here because the
        // reader may be the one removing this device.
        let _ = self.feed.send(Feed::Stop);
        self.reader.take();
    }
}

/// Convenience for tests: waits for the first event that `want` accepts.
pub fn wait_event(
    rx: &Receiver<DeviceEvent>,
    timeout: Duration,
    mut want: impl FnMut(&DeviceEvent) -> bool,
) -> Option<DeviceEvent> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match rx.recv_timeout(left) {
            Ok(e) if want(&e) => return Some(e),
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
        }
    }
}

/// Keeps `Arc` in the public signature simple for callers building sinks.
pub fn channel_sink() -> (EventSink, Receiver<DeviceEvent>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let sink: EventSink = Arc::new(move |e| {
        let _ = tx.lock().unwrap_or_else(PoisonError::into_inner).send(e);
    });
    (sink, rx)
}
