//! BlinkStick (Agile Innovative), through feature reports. Report 1 `[1, red,
//! green, blue]` sets the first LED, which is all a BlinkStick or BlinkStick
//! Pro shows; the Square, Strip, Nano and Flex (serial `BS...-3.x`) chain
//! WS2812 LEDs and take report 6, eight LEDs as `[6, channel, (green, red,
//! blue) x 8]`. The light keeps its colour; effects are animated by the host.

use super::look::Rgb;
use super::{Family, LightReport, Model, Protocol, SoundCommand};

pub const FAMILY: Family = Family {
    name: "BlinkStick",
    models: &[Model {
        vendor_id: 0x20a0,
        product_id: 0x41e5,
        name: "BlinkStick",
    }],
    protocol: |serial| Box::new(BlinkStick::for_serial(serial)),
};

pub struct BlinkStick {
    /// LEDs in a chain (report 6), or 1 (report 1).
    leds: usize,
}

const CHAIN_LEDS: usize = 8;

impl BlinkStick {
    /// "BS012345-3.0": major version 3 has a chain of LEDs.
    pub fn for_serial(serial: &str) -> BlinkStick {
        let major = serial
            .rsplit_once('-')
            .and_then(|(_, v)| v.split('.').next())
            .and_then(|m| m.parse::<u8>().ok());
        BlinkStick {
            leds: if major == Some(3) { CHAIN_LEDS } else { 1 },
        }
    }
}

impl Protocol for BlinkStick {
    fn steady(&mut self, c: Rgb, _: SoundCommand) -> Vec<LightReport> {
        if self.leds == 1 {
            return vec![LightReport::Feature(vec![1, c.r, c.g, c.b])];
        }
        let mut report = vec![6, 0];
        for _ in 0..self.leds {
            report.extend_from_slice(&[c.g, c.r, c.b]);
        }
        vec![LightReport::Feature(report)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_led_takes_report_one_in_rgb_order() {
        let mut b = BlinkStick::for_serial("BS000123-1.1");
        assert_eq!(
            b.steady(Rgb::new(1, 2, 3), SoundCommand::Keep),
            vec![LightReport::Feature(vec![1, 1, 2, 3])]
        );
        assert_eq!(BlinkStick::for_serial("").leds, 1);
        assert_eq!(BlinkStick::for_serial("BS000123-2.0").leds, 1);
    }

    #[test]
    fn a_chain_takes_report_six_in_grb_order() {
        let mut b = BlinkStick::for_serial("BS031234-3.0");
        let r = b.steady(Rgb::new(1, 2, 3), SoundCommand::Keep);
        let LightReport::Feature(bytes) = &r[0] else {
            panic!("{r:?}")
        };
        assert_eq!(bytes.len(), 2 + 8 * 3);
        assert_eq!(&bytes[..5], &[6, 0, 2, 1, 3]);
        assert_eq!(&bytes[23..], &[2, 1, 3]);
    }
}
