//! What every device backend offers the phone.

use std::sync::Arc;
use std::time::Instant;

use hookswitch_hid::{Capabilities, DeviceState, PhoneInput};
use serde::Serialize;

/// A device for as long as it stays plugged in; a device plugged in again gets a
/// new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceId(pub u64);

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dev{}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Hidraw,
    Simulated,
    Cm109,
    Yealink,
}

/// What a device is for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// A headset, handset or speakerphone: buttons in, LEDs out.
    #[default]
    Telephony,
    /// A presence light: it only shows.
    Busylight,
}

/// Who a device is and what it can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub kind: DeviceKind,
    pub backend: Backend,
    /// The node or bus address it was opened by (`/dev/hidraw3`, `usb:1-4`).
    pub path: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub interface: Option<u8>,
    pub manufacturer: String,
    pub product: String,
    pub serial: String,
    /// The device profile applied, `None` for none.
    pub profile: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Value"))]
    pub capabilities: Capabilities,
    /// One line on what it offers, for people.
    pub summary: String,
    /// Its hook switch follows the host's Off-Hook LED (Jabra-class
    /// headsets): when we turn Off-Hook off, it is on its hook too.
    pub hook_follows_host: bool,
    /// Its own sound card (a headset's), as a sound device name: calls
    /// handled from it use it (`devices.microphone`/`speaker` = "auto").
    pub sound_device: Option<String>,
    /// What its profile says its programmable and vendor buttons do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(optional, as = "Option<Vec<hookswitch_hid::ButtonMapping>>")
    )]
    pub buttons: Vec<hookswitch_hid::ButtonMapping>,
}

impl DeviceInfo {
    /// "Jabra Evolve Link (0b0e:0307)".
    pub fn display_name(&self) -> String {
        let name = if self.product.is_empty() {
            "USB device"
        } else {
            &self.product
        };
        format!("{name} ({:04x}:{:04x})", self.vendor_id, self.product_id)
    }
}

/// What devices tell the phone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum DeviceEvent {
    /// A device is ready; the phone's current state has been shown on it.
    Added(Box<DeviceInfo>),
    Removed(DeviceId),
    /// A gesture, with the time its report was read.
    Input {
        id: DeviceId,
        input: PhoneInput,
        #[serde(skip)]
        at: Instant,
    },
    /// An output report written to a device (LEDs, ringer), for live views.
    Shown {
        id: DeviceId,
        report: Vec<u8>,
    },
    /// A telephony device that cannot be used, with what to do about it (no
    /// access: the udev rule; held exclusively by another application).
    Unusable {
        path: String,
        reason: String,
        problem: DeviceProblem,
    },
    /// A device reported `Unusable` has been unplugged.
    UnusableGone {
        path: String,
    },
}

/// Why a device that was found is not used: what the user can do differs
/// (a udev rule, closing another application, the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DeviceProblem {
    /// The node cannot be opened: the udev rule is missing.
    NoAccess,
    /// Another application holds it exclusively.
    Busy,
    /// The user turned it off (`devices.disabled`).
    Disabled,
    /// Anything else: a descriptor we cannot use, an I/O error, a USB phone
    /// its kernel driver keeps.
    Failed,
}

/// Called by a backend's reader when its device is gone.
pub type GoneHook = Arc<dyn Fn(DeviceId) + Send + Sync>;

/// Where backends deliver events; the user picks the channel behind it.
pub type EventSink = Arc<dyn Fn(DeviceEvent) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("{path}: permission denied; install the udev rule: cargo xtask setup --udev")]
    NoAccess { path: String },
    #[error("{path}: in use by another application{holders}; Hookswitch leaves it alone")]
    Busy { path: String, holders: String },
    #[error("{path}: the device is gone")]
    Gone { path: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: the report descriptor is not usable: {message}")]
    Descriptor { path: String, message: String },
}

impl DeviceError {
    pub fn problem(&self) -> DeviceProblem {
        match self {
            DeviceError::NoAccess { .. } => DeviceProblem::NoAccess,
            DeviceError::Busy { .. } => DeviceProblem::Busy,
            _ => DeviceProblem::Failed,
        }
    }
}

/// One device as the manager drives it. Input arrives on the backend's own
/// reader thread, which calls the [`EventSink`].
pub trait PhoneDevice: Send {
    fn info(&self) -> &DeviceInfo;
    /// Shows the phone's state: writes only the reports that change; true
    /// when something was written (or sent to the device's own thread).
    fn show(&mut self, state: &DeviceState, now: Instant) -> Result<bool, DeviceError>;
    /// Shows who is calling on devices with a display (Yealink's LCD);
    /// devices without one ignore it.
    fn show_caller(&mut self, _caller: Option<&str>) -> Result<(), DeviceError> {
        Ok(())
    }
    /// Runs the device's test (a busylight's colours); false when it has none.
    fn test(&mut self, _now: Instant) -> Result<bool, DeviceError> {
        Ok(false)
    }
    /// Stops the reader; the device is closed when dropped.
    fn close(&mut self);
}
