//! Luxafor Flag, Orb and Mute (one USB ID for all). An 8-byte output report
//! without report ID: `[command, leds, red, green, blue, ...]`; command 1 sets
//! a colour at once, leds 0xff is every LED. The light keeps its colour by
//! itself; effects are animated by the host (its own strobe and wave commands
//! count repeats, they do not run until told to stop).

use super::look::Rgb;
use super::{Family, LightReport, Model, Protocol, SoundCommand};

pub const FAMILY: Family = Family {
    name: "Luxafor",
    models: &[Model {
        vendor_id: 0x04d8,
        product_id: 0xf372,
        name: "Luxafor Flag",
    }],
    protocol: |_| Box::new(Luxafor),
};

pub struct Luxafor;

const SET_COLOUR: u8 = 0x01;
const ALL_LEDS: u8 = 0xff;

impl Protocol for Luxafor {
    fn steady(&mut self, c: Rgb, _: SoundCommand) -> Vec<LightReport> {
        vec![LightReport::Output(vec![
            0, SET_COLOUR, ALL_LEDS, c.r, c.g, c.b, 0, 0, 0,
        ])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_colour_goes_to_every_led_at_once() {
        assert_eq!(
            Luxafor.steady(Rgb::new(0x12, 0x34, 0x56), SoundCommand::Keep),
            vec![LightReport::Output(vec![
                0, 1, 0xff, 0x12, 0x34, 0x56, 0, 0, 0
            ])]
        );
        assert_eq!(
            Luxafor.steady(Rgb::OFF, SoundCommand::Set(None)),
            vec![LightReport::Output(vec![0, 1, 0xff, 0, 0, 0, 0, 0, 0])]
        );
    }
}
