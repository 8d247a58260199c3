//! Busylights: USB presence lights that are not telephony devices (they
//! have no Telephony page, only a vendor protocol). Each vendor's protocol is
//! one file that turns a colour (and, where the light can, an effect or a
//! sound) into the reports it takes; [`LightDriver`] runs the rest without IO:
//! the effects the light cannot run itself, keep-alives, the test sequence.
//!
//! Sources of each protocol are in docs/decisions.md (D80).

pub mod blink1;
pub mod blinkstick;
pub mod blynclight;
mod driver;
pub mod kuando;
pub mod look;
pub mod luxafor;

use std::time::Duration;

pub use driver::LightDriver;
pub use look::{Appearance, Effect, LightSettings, Look, Paint, Rgb, Sound};

/// A report for the light, as hidapi takes it: the report ID first (0 for a
/// light without report IDs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LightReport {
    /// An output report (interrupt OUT or SET_REPORT(Output)).
    Output(Vec<u8>),
    /// A feature report (SET_REPORT(Feature)).
    Feature(Vec<u8>),
}

impl LightReport {
    pub fn bytes(&self) -> &[u8] {
        match self {
            LightReport::Output(b) | LightReport::Feature(b) => b,
        }
    }
}

/// What happens to the light's own sound with a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoundCommand {
    /// Leave it as it is (frames of an effect the host animates).
    Keep,
    /// Play this (`None`: be silent).
    Set(Option<Sound>),
}

/// One vendor's protocol, without IO.
pub trait Protocol: Send {
    /// The reports that show `colour` steadily (black: off), and start, keep
    /// or stop the light's sound.
    fn steady(&mut self, colour: Rgb, sound: SoundCommand) -> Vec<LightReport>;

    /// The reports that make the light run `effect` by itself; `None` when
    /// it cannot, and the host animates it with `steady` frames.
    fn native(
        &mut self,
        _colour: Rgb,
        _effect: Effect,
        _sound: SoundCommand,
    ) -> Option<Vec<LightReport>> {
        None
    }

    /// A report the light needs this often, or it goes dark by itself.
    fn keep_alive(&self) -> Option<(Duration, LightReport)> {
        None
    }
}

/// A product of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    pub vendor_id: u16,
    pub product_id: u16,
    pub name: &'static str,
}

/// Lights that speak one protocol.
pub struct Family {
    /// "kuando Busylight".
    pub name: &'static str,
    pub models: &'static [Model],
    /// The protocol for one light (some families differ by serial number).
    pub protocol: fn(serial: &str) -> Box<dyn Protocol>,
}

/// Every family we drive: a new one is a file and a line here.
pub const FAMILIES: &[&Family] = &[
    &kuando::FAMILY,
    &luxafor::FAMILY,
    &blynclight::FAMILY,
    &blinkstick::FAMILY,
    &blink1::FAMILY,
];

/// The light with this USB ID, if it is one.
pub fn model(vendor_id: u16, product_id: u16) -> Option<(&'static Family, &'static Model)> {
    FAMILIES.iter().find_map(|f| {
        f.models
            .iter()
            .find(|m| m.vendor_id == vendor_id && m.product_id == product_id)
            .map(|m| (*f, m))
    })
}

/// Every USB vendor ID a light of ours has (for udev rules and tests).
pub fn vendor_ids() -> Vec<u16> {
    let mut ids: Vec<u16> = FAMILIES
        .iter()
        .flat_map(|f| f.models.iter().map(|m| m.vendor_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_found_by_usb_id_and_never_twice() {
        let (family, model) = model(0x27bb, 0x3bcd).unwrap();
        assert_eq!(
            (family.name, model.name),
            ("kuando Busylight", "Busylight UC Omega")
        );
        assert_eq!(super::model(0x04d8, 0xf372).unwrap().0.name, "Luxafor");
        assert_eq!(super::model(0x20a0, 0x41e5).unwrap().0.name, "BlinkStick");
        assert_eq!(
            super::model(0x2c0d, 0x0001).unwrap().0.name,
            "Embrava Blynclight"
        );
        assert!(super::model(0x0b0e, 0x0307).is_none());
        let mut all: Vec<(u16, u16)> = FAMILIES
            .iter()
            .flat_map(|f| f.models.iter().map(|m| (m.vendor_id, m.product_id)))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a USB ID in two families");
    }
}
