//! ThingM blink(1), through feature report 1: `[1, command, ...]`, command
//! `'n'` sets a colour at once: `[1, 'n', red, green, blue, 0, 0, 0, 0]`.
//! It keeps its colour; effects are animated by the host.

use super::look::Rgb;
use super::{Family, LightReport, Model, Protocol, SoundCommand};

pub const FAMILY: Family = Family {
    name: "blink(1)",
    models: &[Model {
        vendor_id: 0x27b8,
        product_id: 0x01ed,
        name: "blink(1)",
    }],
    protocol: |_| Box::new(Blink1),
};

pub struct Blink1;

const SET_NOW: u8 = b'n';

impl Protocol for Blink1 {
    fn steady(&mut self, c: Rgb, _: SoundCommand) -> Vec<LightReport> {
        vec![LightReport::Feature(vec![
            1, SET_NOW, c.r, c.g, c.b, 0, 0, 0, 0,
        ])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_is_set_now() {
        assert_eq!(
            Blink1.steady(Rgb::new(9, 8, 7), SoundCommand::Keep),
            vec![LightReport::Feature(vec![1, 0x6e, 9, 8, 7, 0, 0, 0, 0])]
        );
    }
}
