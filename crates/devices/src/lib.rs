//! The hardware edge: telephony devices found, opened, read and written.
//!
//! Every device, whatever its backend, sits behind [`PhoneDevice`]: gestures go
//! out as [`DeviceEvent`]s through one [`EventSink`], and the phone's state comes
//! in through [`DeviceManager::show`]. Backends:
//! - [`hid::hidraw`]: HID telephony devices through hidapi's hidraw backend;
//! - [`hid::simulated`]: a real descriptor with scripted reports, for tests and
//!   for people without hardware;
//! - [`light`]: busylights (kuando, Luxafor, Embrava, BlinkStick, blink(1)),
//!   over hidraw or simulated;
//! - [`usb`]: USB phones that do not speak the Telephony page (CM109 handsets,
//!   Yealink USB-P1K) through rusb.
//!
//! Hotplug ([`hotplug`]) listens to the kernel's (or udev's) uevents and rescans.

pub mod arbitration;
pub mod device;
pub mod hid;
pub mod hotplug;
pub mod light;
pub mod manager;
pub mod pairing;
pub mod profiles;
pub mod scanner;
pub mod sound;
pub mod usb;

pub use device::{
    Backend, DeviceError, DeviceEvent, DeviceId, DeviceInfo, DeviceKind, DeviceProblem, EventSink,
    PhoneDevice,
};
pub use manager::DeviceManager;
