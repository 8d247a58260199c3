//! Device back ends as a list: each finds its kind of device on the bus and
//! keeps the manager's devices in step with what is plugged in. A new back
//! end is one file implementing [`Scanner`] and one line in [`scanners`].

use crate::hid::hidraw::HidrawScanner;
use crate::hotplug::HotplugOptions;
use crate::manager::DeviceManager;
use crate::usb::UsbScanner;

pub trait Scanner: Send {
    /// Opens what is new, drops what has gone.
    fn scan(&mut self, manager: &DeviceManager);
}

impl Scanner for HidrawScanner {
    fn scan(&mut self, manager: &DeviceManager) {
        HidrawScanner::scan(self, manager);
    }
}

impl Scanner for UsbScanner {
    fn scan(&mut self, manager: &DeviceManager) {
        UsbScanner::scan(self, manager);
    }
}

/// The back ends `options` ask for; one that cannot start (no hidraw, no
/// usbfs) says why and is left out.
pub fn scanners(options: &HotplugOptions) -> Vec<Box<dyn Scanner>> {
    let mut out: Vec<Box<dyn Scanner>> = Vec::new();
    match HidrawScanner::new() {
        Ok(s) => out.push(Box::new(s)),
        Err(e) => tracing::warn!("HID devices unavailable: {e}"),
    }
    if options.usb_phones {
        match UsbScanner::new(options.detach_kernel_driver) {
            Ok(s) => out.push(Box::new(s)),
            Err(e) => tracing::warn!("USB phones unavailable: {e}"),
        }
    }
    out
}
