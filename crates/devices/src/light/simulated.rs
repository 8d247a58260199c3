//! A simulated busylight: a light's USB ID (from its descriptor file's
//! `# VID:PID:` line) with the reports it is written kept for the test, as
//! a simulated headset's are. It has no input; `unplug` pulls it out.

use std::sync::Mutex;
use std::sync::mpsc::{self, Sender};

use hookswitch_hid::busylight::{self, LightReport, LightSettings};

use super::{LightDevice, LightIdentity, LightPort};
use crate::device::{Backend, DeviceError, DeviceId, EventSink, GoneHook};
use crate::hid::simulated::{Feed, SimulatedHandle, SimulatedSpec};

struct SimulatedPort {
    written: Sender<Vec<u8>>,
    feed: Sender<Feed>,
}

impl LightPort for SimulatedPort {
    fn write(&mut self, report: &LightReport) -> Result<(), DeviceError> {
        // Nobody may be reading any more; the light still works.
        let _ = self.written.send(report.bytes().to_vec());
        Ok(())
    }
}

impl Drop for SimulatedPort {
    fn drop(&mut self) {
        let _ = self.feed.send(Feed::Stop);
    }
}

/// Whether `spec` stands for a light we drive.
pub fn is_light(spec: &SimulatedSpec) -> bool {
    busylight::model(spec.identity.vendor_id, spec.identity.product_id).is_some()
}

pub fn open(
    spec: &SimulatedSpec,
    settings: LightSettings,
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
) -> Result<(LightDevice, SimulatedHandle), DeviceError> {
    let path = format!("simulated:{}", spec.product);
    let (vendor_id, product_id) = (spec.identity.vendor_id, spec.identity.product_id);
    let Some((family, model)) = busylight::model(vendor_id, product_id) else {
        return Err(DeviceError::Descriptor {
            path,
            message: format!("{vendor_id:04x}:{product_id:04x} is not a busylight we know"),
        });
    };
    let (feed_tx, feed_rx) = mpsc::channel();
    let (written_tx, written_rx) = mpsc::channel();
    // The feed only carries unplug and sync for a light.
    std::thread::Builder::new()
        .name(format!("light-sim-{id}"))
        .spawn(move || {
            for feed in feed_rx {
                match feed {
                    Feed::Report(..) => {}
                    Feed::Sync(done) => {
                        let _ = done.send(());
                    }
                    Feed::Unplug => {
                        gone(id);
                        return;
                    }
                    Feed::Stop => return,
                }
            }
        })
        .map_err(|e| DeviceError::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
    let who = LightIdentity {
        backend: Backend::Simulated,
        path,
        identity: spec.identity,
        manufacturer: String::new(),
        product: spec.product.clone(),
        serial: String::new(),
    };
    let port = SimulatedPort {
        written: written_tx,
        feed: feed_tx.clone(),
    };
    // The device's own gone hook is not used: a simulated light only goes
    // when unplugged (above).
    let never: GoneHook = std::sync::Arc::new(|_| {});
    let device = LightDevice::start(
        id,
        who,
        family,
        model,
        Box::new(port),
        settings,
        sink,
        never,
    )?;
    let handle = SimulatedHandle {
        id,
        feed: feed_tx,
        written: Mutex::new(written_rx),
    };
    Ok((device, handle))
}
