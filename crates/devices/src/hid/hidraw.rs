//! HID telephony devices through hidapi's hidraw backend (Linux): the libusb
//! backends cannot report usage pages, and hidraw leaves the kernel's own
//! drivers in place, so other applications can share the device.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::io::ErrorKind;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hidapi::{HidApi, HidDevice};
use hookswitch_hid::profile::DeviceIdentity;
use hookswitch_hid::usage::PAGE_TELEPHONY;
use hookswitch_hid::{DeviceState, Profile};

use crate::arbitration;
use crate::device::GoneHook;
use crate::device::{
    Backend, DeviceError, DeviceEvent, DeviceId, DeviceInfo, EventSink, PhoneDevice,
};
use crate::hid::{HidCore, wanted};
use crate::manager::DeviceManager;

/// The biggest HID report (with its ID byte) we read.
const MAX_REPORT: usize = 4096;
/// How often a reader looks at its stop flag.
const READ_TIMEOUT_MS: i32 = 200;

/// A telephony collection found by enumeration.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: String,
    pub identity: DeviceIdentity,
    pub manufacturer: String,
    pub product: String,
    pub serial: String,
}

/// Lists the HID nodes worth opening: one per node, its telephony collection
/// preferred over its other collections.
pub fn candidates(api: &HidApi, profiles: &[Profile]) -> Vec<Candidate> {
    let mut by_path: BTreeMap<String, Candidate> = BTreeMap::new();
    for d in api.device_list() {
        let identity = DeviceIdentity {
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            interface: u8::try_from(d.interface_number()).ok(),
            usage_page: d.usage_page(),
        };
        let light = hookswitch_hid::busylight::model(identity.vendor_id, identity.product_id);
        if !wanted(&identity, profiles) && light.is_none() {
            continue;
        }
        let path = d.path().to_string_lossy().into_owned();
        let better = by_path
            .get(&path)
            .is_none_or(|c| c.identity.usage_page != PAGE_TELEPHONY);
        if better {
            by_path.insert(
                path.clone(),
                Candidate {
                    path,
                    identity,
                    manufacturer: d.manufacturer_string().unwrap_or_default().to_owned(),
                    product: d.product_string().unwrap_or_default().to_owned(),
                    serial: d.serial_number().unwrap_or_default().to_owned(),
                },
            );
        }
    }
    by_path.into_values().collect()
}

/// Checks access the way the kernel will, to give a useful error instead of
/// hidapi's generic one.
pub(crate) fn check_access(path: &str) -> Result<(), DeviceError> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            Err(DeviceError::NoAccess { path: path.into() })
        }
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Err(DeviceError::Busy {
            path: path.into(),
            holders: arbitration::describe(&arbitration::holders(path)),
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(DeviceError::Gone { path: path.into() }),
        Err(e) => Err(DeviceError::Io {
            path: path.into(),
            message: e.to_string(),
        }),
    }
}

pub(crate) fn hid_error(path: &str, e: hidapi::HidError) -> DeviceError {
    DeviceError::Io {
        path: path.into(),
        message: e.to_string(),
    }
}

pub struct HidrawDevice {
    info: DeviceInfo,
    core: HidCore,
    /// The writing handle; the reader thread has its own.
    writer: HidDevice,
    stop: Arc<AtomicBool>,
    sink: EventSink,
}

/// Opens a candidate: one handle for writing here, one for the reader thread.
pub fn open(
    api: &HidApi,
    candidate: &Candidate,
    profiles: &[Profile],
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
) -> Result<HidrawDevice, DeviceError> {
    let path = candidate.path.as_str();
    check_access(path)?;
    let cpath = CString::new(path).map_err(|_| DeviceError::Gone { path: path.into() })?;
    let writer = api.open_path(&cpath).map_err(|e| hid_error(path, e))?;
    let reader = api.open_path(&cpath).map_err(|e| hid_error(path, e))?;
    let mut descriptor = vec![0u8; hidapi::MAX_REPORT_DESCRIPTOR_SIZE];
    let len = writer
        .get_report_descriptor(&mut descriptor)
        .map_err(|e| hid_error(path, e))?;
    descriptor.truncate(len);
    let core = HidCore::new(&descriptor, &candidate.identity, profiles).map_err(|message| {
        DeviceError::Descriptor {
            path: path.into(),
            message,
        }
    })?;
    let info = DeviceInfo {
        id,
        kind: crate::device::DeviceKind::Telephony,
        backend: Backend::Hidraw,
        path: path.into(),
        vendor_id: candidate.identity.vendor_id,
        product_id: candidate.identity.product_id,
        interface: candidate.identity.interface,
        manufacturer: candidate.manufacturer.clone(),
        product: candidate.product.clone(),
        serial: candidate.serial.clone(),
        profile: core.profile_name(),
        capabilities: core.capabilities.clone(),
        summary: core.summary(),
        hook_follows_host: core.hook_follows_host(),
        sound_device: crate::pairing::paired_sound_device(path),
        buttons: core.buttons(),
    };
    let stop = Arc::new(AtomicBool::new(false));
    spawn_reader(
        reader,
        core.reader(),
        id,
        path.into(),
        sink.clone(),
        gone,
        stop.clone(),
    )?;
    Ok(HidrawDevice {
        info,
        core,
        writer,
        stop,
        sink,
    })
}

fn spawn_reader(
    device: HidDevice,
    decoder: crate::hid::HidReader,
    id: DeviceId,
    path: String,
    sink: EventSink,
    gone: GoneHook,
    stop: Arc<AtomicBool>,
) -> Result<(), DeviceError> {
    std::thread::Builder::new()
        .name(format!("hidraw-{id}"))
        .spawn(move || {
            let mut buf = vec![0u8; MAX_REPORT];
            while !stop.load(Ordering::Relaxed) {
                match device.read_timeout(&mut buf, READ_TIMEOUT_MS) {
                    Ok(0) => continue,
                    Ok(n) => {
                        let at = Instant::now();
                        for input in decoder.decode(&buf[..n], at) {
                            sink(DeviceEvent::Input { id, input, at });
                        }
                    }
                    Err(e) => {
                        if !stop.load(Ordering::Relaxed) {
                            tracing::info!(device = %id, "{path}: read ended: {e}");
                            gone(id);
                        }
                        return;
                    }
                }
            }
        })
        .map(|_| ())
        .map_err(|e| DeviceError::Io {
            path: String::new(),
            message: e.to_string(),
        })
}

impl PhoneDevice for HidrawDevice {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn show(&mut self, state: &DeviceState, now: Instant) -> Result<bool, DeviceError> {
        let reports = self.core.reports_for(state, now);
        let wrote = !reports.is_empty();
        for report in reports {
            // hidapi wants the report ID first, 0 for devices without IDs.
            (self.sink)(DeviceEvent::Shown {
                id: self.info.id,
                report: report.clone(),
            });
            let framed = if self.core.uses_report_ids {
                report
            } else {
                let mut r = Vec::with_capacity(report.len() + 1);
                r.push(0);
                r.extend_from_slice(&report);
                r
            };
            if let Err(e) = self.writer.write(&framed) {
                self.core.forget_shown();
                let gone = !std::path::Path::new(&self.info.path).exists();
                return Err(if gone {
                    DeviceError::Gone {
                        path: self.info.path.clone(),
                    }
                } else {
                    hid_error(&self.info.path, e)
                });
            }
        }
        Ok(wrote)
    }

    fn close(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for HidrawDevice {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A device opened only to watch its raw input reports (`hookswitch hid-learn`).
pub struct RawHid {
    device: HidDevice,
    pub descriptor: Vec<u8>,
    pub candidate: Candidate,
}

impl RawHid {
    /// The next input report, `None` after `timeout_ms` without one.
    pub fn read(&self, timeout_ms: i32) -> Result<Option<Vec<u8>>, DeviceError> {
        let mut buf = vec![0u8; MAX_REPORT];
        match self.device.read_timeout(&mut buf, timeout_ms) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(buf[..n].to_vec())),
            Err(e) => Err(hid_error(&self.candidate.path, e)),
        }
    }
}

/// Every HID telephony node present now (hidapi enumeration).
pub fn list(profiles: &[Profile]) -> Result<Vec<Candidate>, DeviceError> {
    let api = HidApi::new().map_err(|e| hid_error("hidapi", e))?;
    Ok(candidates(&api, profiles))
}

pub fn open_raw(candidate: &Candidate) -> Result<RawHid, DeviceError> {
    let path = candidate.path.as_str();
    check_access(path)?;
    let api = HidApi::new().map_err(|e| hid_error("hidapi", e))?;
    let cpath = CString::new(path).map_err(|_| DeviceError::Gone { path: path.into() })?;
    let device = api.open_path(&cpath).map_err(|e| hid_error(path, e))?;
    let mut descriptor = vec![0u8; hidapi::MAX_REPORT_DESCRIPTOR_SIZE];
    let len = device
        .get_report_descriptor(&mut descriptor)
        .map_err(|e| hid_error(path, e))?;
    descriptor.truncate(len);
    Ok(RawHid {
        device,
        descriptor,
        candidate: candidate.clone(),
    })
}

/// Keeps the manager's HID devices in step with what is plugged in.
pub struct HidrawScanner {
    api: HidApi,
    open: BTreeMap<String, DeviceId>,
    /// Nodes already reported as unusable (reported once until they change).
    unusable: BTreeSet<String>,
}

impl HidrawScanner {
    pub fn new() -> Result<HidrawScanner, DeviceError> {
        let api = HidApi::new().map_err(|e| hid_error("hidapi", e))?;
        Ok(HidrawScanner {
            api,
            open: BTreeMap::new(),
            unusable: BTreeSet::new(),
        })
    }

    /// Opens what is new, drops what has gone.
    pub fn scan(&mut self, manager: &DeviceManager) {
        if let Err(e) = self.api.refresh_devices() {
            tracing::warn!("HID enumeration failed: {e}");
            return;
        }
        let found = candidates(&self.api, manager.profiles());
        let present: BTreeSet<&str> = found.iter().map(|c| c.path.as_str()).collect();
        // Gone from the bus, or dropped by the manager after an error.
        let stale: Vec<(String, DeviceId)> = self
            .open
            .iter()
            .filter(|(path, id)| !present.contains(path.as_str()) || !manager.contains(**id))
            .map(|(p, id)| (p.clone(), *id))
            .collect();
        for (path, id) in stale {
            self.open.remove(&path);
            manager.remove(id);
        }
        crate::manager::forget_unplugged(&mut self.unusable, |p| present.contains(p), manager);
        for c in &found {
            if self.open.contains_key(&c.path) || self.unusable.contains(&c.path) {
                continue;
            }
            let id = manager.next_id();
            let opened: Result<Box<dyn PhoneDevice>, DeviceError> =
                if crate::light::hidraw::is_light(c) {
                    crate::light::hidraw::open(
                        &self.api,
                        c,
                        manager.light_settings(),
                        id,
                        manager.sink(),
                        manager.gone_hook(),
                    )
                    .map(|d| Box::new(d) as Box<dyn PhoneDevice>)
                } else {
                    open(
                        &self.api,
                        c,
                        manager.profiles(),
                        id,
                        manager.sink(),
                        manager.gone_hook(),
                    )
                    .map(|d| Box::new(d) as Box<dyn PhoneDevice>)
                };
            match opened {
                Ok(device) => {
                    if manager.insert(device) {
                        self.open.insert(c.path.clone(), id);
                    } else {
                        self.unusable.insert(c.path.clone());
                    }
                }
                Err(DeviceError::Gone { .. }) => {}
                Err(e) => {
                    tracing::warn!("{e}");
                    self.unusable.insert(c.path.clone());
                    (manager.sink())(DeviceEvent::Unusable {
                        path: c.path.clone(),
                        reason: e.to_string(),
                        problem: e.problem(),
                    });
                }
            }
        }
    }
}
