//! Busylights as devices: the sans-IO [`LightDriver`] of `hookswitch_hid`,
//! a port that writes its reports (hidraw, or a simulated light), and a
//! thread that wakes the driver for the frames of an effect and for
//! keep-alives. The phone's state becomes a look through the user's
//! [`LightSettings`].

pub mod hidraw;
pub mod simulated;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use hookswitch_hid::busylight::{Family, LightDriver, LightReport, LightSettings, Model};
use hookswitch_hid::{Capabilities, DeviceState};

use crate::device::{
    DeviceError, DeviceEvent, DeviceId, DeviceInfo, EventSink, GoneHook, PhoneDevice,
};

/// Where a light's reports go.
pub trait LightPort: Send {
    fn write(&mut self, report: &LightReport) -> Result<(), DeviceError>;
}

struct Inner {
    driver: LightDriver,
    port: Box<dyn LightPort>,
    settings: LightSettings,
    closed: bool,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Woken when the driver's next deadline may have moved, or at close.
    changed: Condvar,
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes each report; those of a new look are told to live views
    /// (`announce`), the frames of an effect and keep-alives are not.
    fn write(
        &self,
        inner: &mut Inner,
        reports: Vec<LightReport>,
        announce: bool,
    ) -> Result<(), DeviceError> {
        for report in reports {
            if announce {
                (self.sink)(DeviceEvent::Shown {
                    id: self.id,
                    report: report.bytes().to_vec(),
                });
            }
            inner.port.write(&report)?;
        }
        Ok(())
    }
}

/// Who a light is, as `hookswitch devices` and the window list it.
pub struct LightIdentity {
    pub backend: crate::device::Backend,
    pub path: String,
    pub identity: hookswitch_hid::DeviceIdentity,
    pub manufacturer: String,
    pub product: String,
    pub serial: String,
}

impl LightIdentity {
    fn info(self, id: DeviceId) -> DeviceInfo {
        DeviceInfo {
            id,
            kind: crate::device::DeviceKind::Busylight,
            backend: self.backend,
            path: self.path,
            vendor_id: self.identity.vendor_id,
            product_id: self.identity.product_id,
            interface: self.identity.interface,
            manufacturer: self.manufacturer,
            product: self.product,
            serial: self.serial,
            profile: None,
            capabilities: Capabilities::default(),
            summary: String::new(),
            hook_follows_host: false,
            sound_device: None,
            buttons: Vec::new(),
        }
    }
}

pub struct LightDevice {
    info: DeviceInfo,
    shared: Arc<Shared>,
}

impl LightDevice {
    /// A light ready to show the phone's state; its timer thread runs until
    /// it is closed.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        id: DeviceId,
        who: LightIdentity,
        family: &'static Family,
        model: &'static Model,
        port: Box<dyn LightPort>,
        settings: LightSettings,
        sink: EventSink,
        gone: GoneHook,
    ) -> Result<LightDevice, DeviceError> {
        let mut info = who.info(id);
        if info.product.is_empty() {
            info.product = model.name.into();
        }
        info.summary = format!(
            "busylight ({}): presence, ringing, calls, hold, voicemail",
            family.name
        );
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                driver: LightDriver::new((family.protocol)(&info.serial)),
                port,
                settings,
                closed: false,
            }),
            changed: Condvar::new(),
            id: info.id,
            sink,
            gone,
        });
        let ticker = shared.clone();
        std::thread::Builder::new()
            .name(format!("light-{}", info.id))
            .spawn(move || tick(&ticker))
            .map_err(|e| DeviceError::Io {
                path: info.path.clone(),
                message: e.to_string(),
            })?;
        Ok(LightDevice { info, shared })
    }
}

/// Runs the driver's timers: effect frames, keep-alives, the test.
fn tick(shared: &Shared) {
    let mut inner = shared.lock();
    loop {
        if inner.closed {
            return;
        }
        let now = Instant::now();
        match inner.driver.poll_timeout() {
            Some(at) if at <= now => {
                let reports = inner.driver.handle_timeout(now);
                if let Err(e) = shared.write(&mut inner, reports, false) {
                    tracing::info!(device = %shared.id, "{e}");
                    inner.closed = true;
                    drop(inner);
                    (shared.gone)(shared.id);
                    return;
                }
            }
            Some(at) => {
                inner = shared
                    .changed
                    .wait_timeout(inner, at - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            None => {
                inner = shared
                    .changed
                    .wait(inner)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }
}

impl PhoneDevice for LightDevice {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn show(&mut self, state: &DeviceState, now: Instant) -> Result<bool, DeviceError> {
        let mut inner = self.shared.lock();
        if inner.closed {
            return Ok(false);
        }
        let look = inner.settings.look_for(state);
        let reports = inner.driver.show(look, now);
        let wrote = !reports.is_empty();
        let written = self.shared.write(&mut inner, reports, true);
        drop(inner);
        self.shared.changed.notify_all();
        written.map(|()| wrote)
    }

    fn test(&mut self, now: Instant) -> Result<bool, DeviceError> {
        let mut inner = self.shared.lock();
        let reports = inner.driver.test(now);
        let written = self.shared.write(&mut inner, reports, true);
        drop(inner);
        self.shared.changed.notify_all();
        written.map(|()| true)
    }

    fn close(&mut self) {
        let mut inner = self.shared.lock();
        if !inner.closed {
            inner.closed = true;
            // Dark when we stop driving it; a light already gone cannot be,
            // and one never written (disabled) is not written now either.
            let was_written = inner.driver.written > 0;
            let reports = inner.driver.off();
            if was_written {
                let _ = self.shared.write(&mut inner, reports, true);
            }
        }
        drop(inner);
        self.shared.changed.notify_all();
    }
}

impl Drop for LightDevice {
    fn drop(&mut self) {
        self.close();
    }
}
