//! USB phones that do not speak the HID Telephony page, driven through rusb:
//! CM109-based handsets and the Yealink USB-P1K. Each runs one thread that owns
//! the USB handle and alternates the chip's control writes and interrupt reads;
//! the protocols themselves are sans-IO ([`cm109`], [`yealink`]).
//!
//! Both have Linux kernel drivers (cm109, yealink, or usbhid). Hookswitch
//! detaches the kernel driver only when the user allows it
//! (`detach_kernel_driver`), and gives it back when done.

pub mod cm109;
pub mod yealink;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use hookswitch_hid::{Capabilities, DeviceState, PhoneInput};
use rusb::{Context, Direction, TransferType, UsbContext};

use crate::device::GoneHook;
use crate::device::{
    Backend, DeviceError, DeviceEvent, DeviceId, DeviceInfo, EventSink, PhoneDevice,
};
use crate::manager::DeviceManager;

/// HID class SET_REPORT (the drivers spell it USB_REQ_SET_CONFIGURATION, 0x09).
const SET_REPORT: u8 = 0x09;
const OUTPUT_REPORT: u16 = 0x200;
const TIMEOUT: Duration = Duration::from_millis(200);
/// Key scans on the Yealink are polled; 50 per second keeps keys snappy.
const YEALINK_POLL: Duration = Duration::from_millis(20);
/// Other commands are spaced this much: a whole start-up (15 packets) still
/// takes under 0.1 s, and a slow receiver (the test rig's gadget keeps only the
/// latest SET_REPORT) sees each one.
const YEALINK_GAP: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Cm109,
    YealinkP1k,
}

impl Model {
    pub fn of(vendor_id: u16, product_id: u16) -> Option<Model> {
        match (vendor_id, product_id) {
            (cm109::VENDOR_ID, cm109::PRODUCT_ID) => Some(Model::Cm109),
            (yealink::VENDOR_ID, yealink::PRODUCT_ID) => Some(Model::YealinkP1k),
            _ => None,
        }
    }

    fn backend(self) -> Backend {
        match self {
            Model::Cm109 => Backend::Cm109,
            Model::YealinkP1k => Backend::Yealink,
        }
    }
}

enum Protocol {
    Cm109(cm109::Cm109),
    Yealink(yealink::Yealink),
}

enum Command {
    Show(DeviceState),
    Caller(Option<String>),
    Stop,
}

/// What a model offers, for `hookswitch devices` (these phones have no
/// descriptor to read: their abilities are fixed by the chip and the driver).
fn summary_of(model: Model) -> &'static str {
    match model {
        Model::Cm109 => "keypad 0-9 * #, pickup/hangup keys, mute and volume buttons, buzzer",
        Model::YealinkP1k => {
            "keypad 0-9 * #, pickup/hangup keys, volume keys, LED, ringer, 12-digit caller display"
        }
    }
}

pub struct UsbPhone {
    info: DeviceInfo,
    commands: Sender<Command>,
}

impl PhoneDevice for UsbPhone {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn show(&mut self, state: &DeviceState, _now: Instant) -> Result<bool, DeviceError> {
        self.commands
            .send(Command::Show(*state))
            .map(|()| true)
            .map_err(|_| DeviceError::Gone {
                path: self.info.path.clone(),
            })
    }

    fn show_caller(&mut self, caller: Option<&str>) -> Result<(), DeviceError> {
        self.commands
            .send(Command::Caller(caller.map(str::to_owned)))
            .map_err(|_| DeviceError::Gone {
                path: self.info.path.clone(),
            })
    }

    fn close(&mut self) {
        let _ = self.commands.send(Command::Stop);
    }
}

fn usb_error(path: &str, e: rusb::Error, holders: &str) -> DeviceError {
    match e {
        rusb::Error::Access => DeviceError::NoAccess { path: path.into() },
        rusb::Error::Busy => DeviceError::Busy {
            path: path.into(),
            holders: holders.into(),
        },
        rusb::Error::NoDevice => DeviceError::Gone { path: path.into() },
        e => DeviceError::Io {
            path: path.into(),
            message: e.to_string(),
        },
    }
}

/// The HID interface to claim and its interrupt IN endpoint.
fn find_interface(device: &rusb::Device<Context>, model: Model) -> Option<(u8, u8)> {
    let config = device.active_config_descriptor().ok()?;
    for interface in config.interfaces() {
        for d in interface.descriptors() {
            let wanted = match model {
                Model::YealinkP1k => d.interface_number() == yealink::INTERFACE,
                Model::Cm109 => d.class_code() == 0x03,
            };
            if !wanted {
                continue;
            }
            let endpoint = d.endpoint_descriptors().find(|e| {
                e.direction() == Direction::In && e.transfer_type() == TransferType::Interrupt
            })?;
            return Some((d.interface_number(), endpoint.address()));
        }
    }
    None
}

struct Link {
    handle: rusb::DeviceHandle<Context>,
    interface: u8,
    endpoint: u8,
    detached: bool,
}

impl Link {
    fn write(&self, packet: &[u8]) -> rusb::Result<usize> {
        let request_type = rusb::request_type(
            Direction::Out,
            rusb::RequestType::Class,
            rusb::Recipient::Interface,
        );
        self.handle.write_control(
            request_type,
            SET_REPORT,
            OUTPUT_REPORT,
            u16::from(self.interface),
            packet,
            TIMEOUT,
        )
    }

    fn read(&self, buf: &mut [u8]) -> rusb::Result<usize> {
        self.handle.read_interrupt(self.endpoint, buf, TIMEOUT)
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.handle.release_interface(self.interface);
        if self.detached {
            // Give the kernel its driver back.
            let _ = self.handle.attach_kernel_driver(self.interface);
        }
    }
}

fn open(
    device: &rusb::Device<Context>,
    model: Model,
    path: &str,
    detach: bool,
) -> Result<(Link, String), DeviceError> {
    let node = format!(
        "/dev/bus/usb/{:03}/{:03}",
        device.bus_number(),
        device.address()
    );
    let holders = crate::arbitration::describe(&crate::arbitration::holders(&node));
    let (interface, endpoint) = find_interface(device, model).ok_or(DeviceError::Io {
        path: path.into(),
        message: "no HID interface with an interrupt IN endpoint".into(),
    })?;
    let handle = device.open().map_err(|e| usb_error(path, e, &holders))?;
    let product = device
        .device_descriptor()
        .ok()
        .and_then(|d| handle.read_product_string_ascii(&d).ok())
        .unwrap_or_default();
    let mut detached = false;
    if handle.kernel_driver_active(interface).unwrap_or(false) {
        if !detach {
            return Err(DeviceError::Io {
                path: path.into(),
                message: "a kernel driver drives this phone; to let Hookswitch take it (and \
                          give it back on exit), add --detach-kernel-driver"
                    .into(),
            });
        }
        handle
            .detach_kernel_driver(interface)
            .map_err(|e| usb_error(path, e, &holders))?;
        detached = true;
    }
    let link = Link {
        handle,
        interface,
        endpoint,
        detached,
    };
    link.handle
        .claim_interface(interface)
        .map_err(|e| usb_error(path, e, &holders))?;
    Ok((link, product))
}

fn run(
    link: Link,
    mut protocol: Protocol,
    commands: Receiver<Command>,
    id: DeviceId,
    sink: EventSink,
    gone: GoneHook,
) {
    let emit = |inputs: Vec<PhoneInput>| {
        let at = Instant::now();
        for input in inputs {
            sink(DeviceEvent::Input { id, input, at });
        }
    };
    let mut buf = [0u8; 64];
    // A Yealink command whose write failed, sent again before anything else.
    let mut unsent: Option<yealink::Step> = None;
    loop {
        loop {
            match commands.try_recv() {
                Ok(Command::Show(state)) => match &mut protocol {
                    Protocol::Cm109(c) => c.show(&state),
                    Protocol::Yealink(y) => y.show(&state),
                },
                Ok(Command::Caller(caller)) => {
                    if let Protocol::Yealink(y) = &mut protocol {
                        y.show_text(caller.as_deref().unwrap_or(""));
                    }
                }
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return,
                Err(TryRecvError::Empty) => break,
            }
        }
        let result = match &mut protocol {
            Protocol::Cm109(c) => link.write(&c.control_packet()).and_then(|_| {
                match link.read(&mut buf[..cm109::PACKET_LEN]) {
                    Ok(n) => {
                        emit(c.on_report(&buf[..n]));
                        Ok(())
                    }
                    Err(rusb::Error::Timeout) => Ok(()),
                    Err(e) => Err(e),
                }
            }),
            Protocol::Yealink(y) => yealink_round(&link, y, &mut unsent, &mut buf).map(emit),
        };
        match result {
            Ok(()) => {}
            Err(rusb::Error::NoDevice) => {
                gone(id);
                return;
            }
            Err(e) => {
                tracing::debug!(device = %id, "USB transfer failed: {e}");
                std::thread::sleep(TIMEOUT);
            }
        }
    }
}

/// One Yealink command and, for key scans, its answer. A command whose write
/// fails is kept for the next round; answers to an earlier command (late after a
/// timeout) and zero-length packets are skipped.
fn yealink_round(
    link: &Link,
    y: &mut yealink::Yealink,
    unsent: &mut Option<yealink::Step>,
    buf: &mut [u8],
) -> rusb::Result<Vec<PhoneInput>> {
    let step = unsent.take().unwrap_or_else(|| y.next_step());
    let written = link.write(&step.packet);
    tracing::trace!("command {:02x?}: {written:?}", &step.packet[..5]);
    if let Err(e) = written {
        *unsent = Some(step);
        return Err(e);
    }
    let command = step.packet[0];
    if step.is_key_scan() {
        // Key scans are polled; pace them.
        std::thread::sleep(YEALINK_POLL);
    }
    if !step.expects_answer {
        std::thread::sleep(YEALINK_GAP);
        return Ok(Vec::new());
    }
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        let n = match link.read(&mut buf[..yealink::PACKET_LEN]) {
            Ok(n) => n,
            Err(rusb::Error::Timeout) => break,
            Err(e) => return Err(e),
        };
        if n > 0 && buf[0] == command {
            return Ok(y.on_answer(&buf[..n]));
        }
        tracing::trace!("skipped answer {:02x?} to {command:#04x}", &buf[..n.min(5)]);
    }
    y.on_no_answer(&step);
    Ok(Vec::new())
}

/// Keeps the manager's USB phones in step with the bus.
pub struct UsbScanner {
    detach_kernel_driver: bool,
    open: BTreeMap<String, DeviceId>,
    unusable: BTreeSet<String>,
}

impl UsbScanner {
    pub fn new(detach_kernel_driver: bool) -> Result<UsbScanner, DeviceError> {
        // Fails early on systems without usbfs access at all.
        Context::new()
            .and_then(|c| c.devices())
            .map_err(|e| usb_error("usb", e, ""))?;
        Ok(UsbScanner {
            detach_kernel_driver,
            open: BTreeMap::new(),
            unusable: BTreeSet::new(),
        })
    }

    pub fn scan(&mut self, manager: &DeviceManager) {
        // A fresh libusb context per scan: a long-lived one only learns of new
        // devices through udev's events, which systems without udevd lack.
        let Ok(list) = Context::new().and_then(|c| c.devices()) else {
            return;
        };
        let mut present = BTreeSet::new();
        for device in list.iter() {
            let Ok(desc) = device.device_descriptor() else {
                continue;
            };
            let Some(model) = Model::of(desc.vendor_id(), desc.product_id()) else {
                continue;
            };
            let path = format!("usb:{}-{}", device.bus_number(), device.address());
            present.insert(path.clone());
            if self.open.contains_key(&path) || self.unusable.contains(&path) {
                continue;
            }
            match open(&device, model, &path, self.detach_kernel_driver) {
                Ok((link, product)) => {
                    let id = manager.next_id();
                    let (tx, rx) = mpsc::channel();
                    let protocol = match model {
                        Model::Cm109 => {
                            Protocol::Cm109(cm109::Cm109::new(cm109::Keymap::default()))
                        }
                        Model::YealinkP1k => Protocol::Yealink(yealink::Yealink::new()),
                    };
                    let info = DeviceInfo {
                        id,
                        kind: crate::device::DeviceKind::Telephony,
                        backend: model.backend(),
                        path: path.clone(),
                        vendor_id: desc.vendor_id(),
                        product_id: desc.product_id(),
                        interface: Some(link.interface),
                        manufacturer: String::new(),
                        product,
                        serial: String::new(),
                        profile: None,
                        capabilities: Capabilities {
                            telephony: true,
                            ..Capabilities::default()
                        },
                        summary: summary_of(model).into(),
                        // A handset's hook is a real switch.
                        hook_follows_host: false,
                        sound_device: crate::pairing::paired_sound_device(&path),
                        buttons: Vec::new(),
                    };
                    let sink = manager.sink();
                    let gone = manager.gone_hook();
                    let spawned = std::thread::Builder::new()
                        .name(format!("usb-{id}"))
                        .spawn(move || run(link, protocol, rx, id, sink, gone));
                    if spawned.is_ok() {
                        if manager.insert(Box::new(UsbPhone { info, commands: tx })) {
                            self.open.insert(path, id);
                        } else {
                            self.unusable.insert(path);
                        }
                    }
                }
                Err(DeviceError::Gone { .. }) => {}
                Err(e) => {
                    self.unusable.insert(path.clone());
                    (manager.sink())(DeviceEvent::Unusable {
                        path,
                        reason: e.to_string(),
                        problem: e.problem(),
                    });
                }
            }
        }
        let stale: Vec<(String, DeviceId)> = self
            .open
            .iter()
            .filter(|(p, id)| !present.contains(*p) || !manager.contains(**id))
            .map(|(p, id)| (p.clone(), *id))
            .collect();
        for (path, id) in stale {
            self.open.remove(&path);
            manager.remove(id);
        }
        crate::manager::forget_unplugged(&mut self.unusable, |p| present.contains(p), manager);
    }
}
