//! The set of connected devices: each gets the phone's state when it arrives
//! and whenever it changes; a device that fails or vanishes is dropped and
//! reported once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Instant;

use hookswitch_hid::busylight::LightSettings;
use hookswitch_hid::{DeviceState, Profile};

use crate::device::{
    DeviceError, DeviceEvent, DeviceId, DeviceInfo, DeviceProblem, EventSink, PhoneDevice,
};
use crate::hid::simulated::{self, SimulatedHandle, SimulatedSpec};

use crate::device::GoneHook;

struct Inner {
    devices: Mutex<BTreeMap<DeviceId, Box<dyn PhoneDevice>>>,
    state: Mutex<(DeviceState, Option<String>)>,
    sink: EventSink,
    next_id: AtomicU64,
    profiles: Vec<Profile>,
    /// Devices the user turned off ("VID:PID" in hex, or a path).
    disabled: Mutex<Vec<String>>,
    /// What busylights show for each state.
    light_settings: Mutex<LightSettings>,
}

/// Cheap to clone; every clone drives the same devices.
#[derive(Clone)]
pub struct DeviceManager {
    inner: Arc<Inner>,
}

impl DeviceManager {
    pub fn new(profiles: Vec<Profile>, sink: EventSink) -> DeviceManager {
        DeviceManager {
            inner: Arc::new(Inner {
                devices: Mutex::new(BTreeMap::new()),
                state: Mutex::new((DeviceState::default(), None)),
                sink,
                next_id: AtomicU64::new(1),
                profiles,
                disabled: Mutex::new(Vec::new()),
                light_settings: Mutex::new(LightSettings::default()),
            }),
        }
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.inner.profiles
    }

    pub fn sink(&self) -> EventSink {
        self.inner.sink.clone()
    }

    pub fn next_id(&self) -> DeviceId {
        DeviceId(self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// What a reader calls when its device is gone; holds no strong reference,
    /// so readers never keep the manager alive.
    pub fn gone_hook(&self) -> GoneHook {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        Arc::new(move |id| {
            if let Some(inner) = weak.upgrade() {
                DeviceManager { inner }.remove(id);
            }
        })
    }

    /// Devices the user does not want used: "VID:PID" (hex, e.g.
    /// "0b0e:0307") or a path ("/dev/hidraw3"). They are closed as soon as
    /// they are opened: never read, never written.
    pub fn set_disabled(&self, disabled: Vec<String>) {
        *self
            .inner
            .disabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = disabled;
    }

    /// What busylights opened from now on show (`[devices.busylight]`).
    pub fn set_light_settings(&self, settings: LightSettings) {
        *self
            .inner
            .light_settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = settings;
    }

    pub fn light_settings(&self) -> LightSettings {
        self.inner
            .light_settings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Runs a device's test (a busylight's colour sequence). False: it has
    /// no test.
    pub fn test(&self, id: DeviceId) -> Result<bool, String> {
        match self.lock_devices().get_mut(&id) {
            Some(device) => device.test(Instant::now()).map_err(|e| e.to_string()),
            None => Err(format!("no device {id}")),
        }
    }

    fn is_disabled(&self, info: &DeviceInfo) -> bool {
        let id = format!("{:04x}:{:04x}", info.vendor_id, info.product_id);
        self.inner
            .disabled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&id) || *d == info.path)
    }

    /// Adds an opened device: shows it the current state, then reports it.
    /// False when the user disabled it: it is closed and reported unusable
    /// (a scanner keeps it as such until it is unplugged).
    pub fn insert(&self, mut device: Box<dyn PhoneDevice>) -> bool {
        let info = device.info().clone();
        if self.is_disabled(&info) {
            device.close();
            tracing::info!(device = %info.id, "{} is disabled in the settings: not used", info.display_name());
            (self.inner.sink)(DeviceEvent::Unusable {
                path: info.path.clone(),
                reason: format!(
                    "{} is disabled in the settings (devices.disabled)",
                    info.display_name()
                ),
                problem: DeviceProblem::Disabled,
            });
            return false;
        }
        let (state, caller) = self.state();
        if let Err(e) = device
            .show(&state, Instant::now())
            .and_then(|_| device.show_caller(caller.as_deref()))
        {
            tracing::warn!(device = %info.id, "{e}");
        }
        self.lock_devices().insert(info.id, device);
        tracing::info!(device = %info.id, "{} ready", info.display_name());
        (self.inner.sink)(DeviceEvent::Added(Box::new(info)));
        true
    }

    /// Drops a device (idempotent: reported once).
    pub fn remove(&self, id: DeviceId) {
        let removed = self.lock_devices().remove(&id);
        if let Some(mut device) = removed {
            device.close();
            tracing::info!(device = %id, "{} removed", device.info().display_name());
            (self.inner.sink)(DeviceEvent::Removed(id));
        }
    }

    pub fn contains(&self, id: DeviceId) -> bool {
        self.lock_devices().contains_key(&id)
    }

    /// Shows `state` on every device; devices whose writes fail are dropped.
    /// Returns when the last busylight that wrote something had written
    /// (none wrote: `None`), for the latency figures.
    pub fn show(&self, state: DeviceState) -> Option<Instant> {
        self.lock_state().0 = state;
        let now = Instant::now();
        let mut light_written = None;
        let failed: Vec<DeviceId> = self
            .lock_devices()
            .iter_mut()
            .filter_map(|(id, d)| match d.show(&state, now) {
                Ok(wrote) => {
                    if wrote && d.info().kind == crate::device::DeviceKind::Busylight {
                        light_written = Some(Instant::now());
                    }
                    None
                }
                Err(e) => {
                    tracing::warn!(device = %id, "{e}");
                    matches!(e, DeviceError::Gone { .. }).then_some(*id)
                }
            })
            .collect();
        for id in failed {
            self.remove(id);
        }
        light_written
    }

    /// Shows who is calling on devices with a display (`None` clears it).
    pub fn show_caller(&self, caller: Option<&str>) {
        self.lock_state().1 = caller.map(str::to_owned);
        for (id, d) in self.lock_devices().iter_mut() {
            if let Err(e) = d.show_caller(caller) {
                tracing::warn!(device = %id, "{e}");
            }
        }
    }

    pub fn state(&self) -> (DeviceState, Option<String>) {
        self.lock_state().clone()
    }

    pub fn devices(&self) -> Vec<DeviceInfo> {
        self.lock_devices()
            .values()
            .map(|d| d.info().clone())
            .collect()
    }

    /// Plugs in a simulated device; the handle feeds it and reads what it shows.
    pub fn simulate(&self, spec: &SimulatedSpec) -> Result<SimulatedHandle, DeviceError> {
        let id = self.next_id();
        if crate::light::simulated::is_light(spec) {
            let (device, handle) = crate::light::simulated::open(
                spec,
                self.light_settings(),
                id,
                self.sink(),
                self.gone_hook(),
            )?;
            let _ = self.insert(Box::new(device));
            return Ok(handle);
        }
        let (device, handle) = simulated::open(
            spec,
            &self.inner.profiles,
            id,
            self.sink(),
            self.gone_hook(),
        )?;
        let _ = self.insert(Box::new(device));
        Ok(handle)
    }

    /// Plugs `spec` in again each time it is called (a simulated device's
    /// `plug`); holds no strong reference, so a socket that outlives its
    /// engine does not keep the manager alive.
    pub fn replug(&self, spec: SimulatedSpec) -> crate::hid::simulated_socket::Replug {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        Box::new(move || {
            let inner = weak.upgrade().ok_or("the phone has stopped")?;
            DeviceManager { inner }
                .simulate(&spec)
                .map_err(|e| e.to_string())
        })
    }

    /// Closes every device (at exit).
    pub fn close_all(&self) {
        let ids: Vec<DeviceId> = self.lock_devices().keys().copied().collect();
        for id in ids {
            self.remove(id);
        }
    }

    fn lock_devices(&self) -> std::sync::MutexGuard<'_, BTreeMap<DeviceId, Box<dyn PhoneDevice>>> {
        self.inner
            .devices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, (DeviceState, Option<String>)> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drops the unusable nodes no longer present and says so, once each.
pub(crate) fn forget_unplugged(
    unusable: &mut BTreeSet<String>,
    present: impl Fn(&str) -> bool,
    manager: &DeviceManager,
) {
    let gone: Vec<String> = unusable.iter().filter(|p| !present(p)).cloned().collect();
    for path in gone {
        unusable.remove(&path);
        (manager.sink())(DeviceEvent::UnusableGone { path });
    }
}
