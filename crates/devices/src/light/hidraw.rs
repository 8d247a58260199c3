//! Busylights through hidapi's hidraw backend: output reports with `write`,
//! feature reports with `send_feature_report`. Nothing is read from them.

use std::ffi::CString;

use hidapi::{HidApi, HidDevice};
use hookswitch_hid::busylight::{self, LightReport, LightSettings};

use super::{LightDevice, LightIdentity, LightPort};
use crate::device::{Backend, DeviceError, DeviceId, EventSink, GoneHook};
use crate::hid::hidraw::{Candidate, check_access, hid_error};

struct HidrawPort {
    device: HidDevice,
    path: String,
}

impl LightPort for HidrawPort {
    fn write(&mut self, report: &LightReport) -> Result<(), DeviceError> {
        let result = match report {
            LightReport::Output(bytes) => self.device.write(bytes).map(|_| ()),
            LightReport::Feature(bytes) => self.device.send_feature_report(bytes),
        };
        result.map_err(|e| {
            if std::path::Path::new(&self.path).exists() {
                hid_error(&self.path, e)
            } else {
                DeviceError::Gone {
                    path: self.path.clone(),
                }
            }
        })
    }
}

/// Whether a candidate is a light we drive.
pub fn is_light(candidate: &Candidate) -> bool {
    busylight::model(candidate.identity.vendor_id, candidate.identity.product_id).is_some()
}

pub fn open(
    api: &HidApi,
    candidate: &Candidate,
    settings: LightSettings,
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
) -> Result<LightDevice, DeviceError> {
    let path = candidate.path.as_str();
    let identity = &candidate.identity;
    let Some((family, model)) = busylight::model(identity.vendor_id, identity.product_id) else {
        return Err(DeviceError::Descriptor {
            path: path.into(),
            message: "not a busylight we know".into(),
        });
    };
    check_access(path)?;
    let cpath = CString::new(path).map_err(|_| DeviceError::Gone { path: path.into() })?;
    let device = api.open_path(&cpath).map_err(|e| hid_error(path, e))?;
    let who = LightIdentity {
        backend: Backend::Hidraw,
        path: path.into(),
        identity: *identity,
        manufacturer: candidate.manufacturer.clone(),
        product: candidate.product.clone(),
        serial: candidate.serial.clone(),
    };
    let port = HidrawPort {
        device,
        path: path.into(),
    };
    LightDevice::start(id, who, family, model, Box::new(port), settings, sink, gone)
}
