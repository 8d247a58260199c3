//! Embrava Blynclight, Blynclight Mini and Plus (and Plantronics' rebadged
//! Status Indicator). A 9-byte output report: `[0, red, blue, green, control,
//! music, volume, 0xff, 0x22]` (blue before green). Control: bit 0 off, bit 1
//! dim, bit 2 flash, bits 3–5 flash speed (1 slow, 2 medium, 4 fast). Music:
//! bits 0–3 the tune, bit 4 play, bit 5 repeat. Volume: bits 0–3, bit 4 mute.
//! The light keeps its state by itself and flashes by itself.

use super::look::{Effect, Rgb, Sound};
use super::{Family, LightReport, Model, Protocol, SoundCommand};

pub const FAMILY: Family = Family {
    name: "Embrava Blynclight",
    models: &[
        Model {
            vendor_id: 0x2c0d,
            product_id: 0x0001,
            name: "Blynclight",
        },
        Model {
            vendor_id: 0x2c0d,
            product_id: 0x000a,
            name: "Blynclight Mini",
        },
        Model {
            vendor_id: 0x2c0d,
            product_id: 0x000c,
            name: "Blynclight",
        },
        Model {
            vendor_id: 0x2c0d,
            product_id: 0x0010,
            name: "Blynclight Plus",
        },
        Model {
            vendor_id: 0x0e53,
            product_id: 0x2516,
            name: "Blynclight",
        },
        Model {
            vendor_id: 0x0e53,
            product_id: 0x2517,
            name: "Blynclight Mini",
        },
        Model {
            vendor_id: 0x047f,
            product_id: 0xd005,
            name: "Plantronics Status Indicator",
        },
    ],
    protocol: |_| Box::<Blynclight>::default(),
};

/// Every report carries the sound too, so the light remembers the last one.
#[derive(Default)]
pub struct Blynclight {
    sound: Option<Sound>,
}

const OFF: u8 = 1 << 0;
const FLASH: u8 = 1 << 2;
const SPEED_MEDIUM: u8 = 2 << 3;
const PLAY: u8 = 1 << 4;
const REPEAT: u8 = 1 << 5;

impl Blynclight {
    fn report(&mut self, c: Rgb, control: u8, sound: SoundCommand) -> LightReport {
        if let SoundCommand::Set(s) = sound {
            self.sound = s;
        }
        let (music, volume) = match self.sound {
            Some(s) => {
                let volume =
                    u8::try_from((u16::from(s.volume.min(100)) * 15).div_ceil(100)).unwrap_or(15);
                ((s.tune & 0x0f) | PLAY | REPEAT, volume)
            }
            None => (0, 0),
        };
        let control = if c.is_off() { control | OFF } else { control };
        LightReport::Output(vec![0, c.r, c.b, c.g, control, music, volume, 0xff, 0x22])
    }
}

impl Protocol for Blynclight {
    fn steady(&mut self, c: Rgb, sound: SoundCommand) -> Vec<LightReport> {
        vec![self.report(c, 0, sound)]
    }

    fn native(&mut self, c: Rgb, effect: Effect, sound: SoundCommand) -> Option<Vec<LightReport>> {
        (effect == Effect::Flash).then(|| vec![self.report(c, FLASH | SPEED_MEDIUM, sound)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_go_red_blue_green_with_the_constant_tail() {
        let mut b = Blynclight::default();
        assert_eq!(
            b.steady(Rgb::new(0xff, 0x10, 0x20), SoundCommand::Keep),
            vec![LightReport::Output(vec![
                0, 0xff, 0x20, 0x10, 0, 0, 0, 0xff, 0x22
            ])]
        );
        assert_eq!(
            b.steady(Rgb::OFF, SoundCommand::Keep),
            vec![LightReport::Output(vec![0, 0, 0, 0, OFF, 0, 0, 0xff, 0x22])]
        );
    }

    #[test]
    fn it_flashes_by_itself() {
        let mut b = Blynclight::default();
        let r = b
            .native(Rgb::new(255, 0, 0), Effect::Flash, SoundCommand::Keep)
            .unwrap();
        assert_eq!(r[0].bytes()[4], 0b0001_0100, "flash at medium speed");
        assert!(
            b.native(Rgb::new(255, 0, 0), Effect::Pulse, SoundCommand::Keep)
                .is_none()
        );
    }

    #[test]
    fn a_tune_plays_on_repeat_until_silenced_and_frames_keep_it() {
        let mut b = Blynclight::default();
        let ring = SoundCommand::Set(Some(Sound {
            tune: 3,
            volume: 100,
        }));
        let r = b.steady(Rgb::new(255, 0, 0), ring);
        assert_eq!(&r[0].bytes()[5..7], &[0x33, 0x0f]);
        let r = b.steady(Rgb::OFF, SoundCommand::Keep);
        assert_eq!(&r[0].bytes()[5..7], &[0x33, 0x0f], "a frame keeps the tune");
        let r = b.steady(Rgb::OFF, SoundCommand::Set(None));
        assert_eq!(&r[0].bytes()[5..7], &[0, 0]);
    }
}
