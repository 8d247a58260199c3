//! kuando Busylight UC Alpha and UC Omega (Plenom). A 64-byte output report
//! holds a little program: seven 8-byte steps and a footer. A step is
//! `[opcode<<4 | operand, repeat, red, green, blue, on, off, audio]`, colours
//! in percent (0–100), on/off times in tenths of a second, audio =
//! `update<<7 | tune<<3 | volume`. The footer is `[sensitivity, timeout,
//! trigger, 0xff, 0xff, 0xff, checksum_hi, checksum_lo]`, the checksum the sum
//! of the 62 bytes before it. Without a keep-alive step every few seconds the
//! light goes dark by itself.

use std::time::Duration;

use super::look::{Effect, FLASH_MS, Rgb};
use super::{Family, LightReport, Model, Protocol, SoundCommand};

pub const FAMILY: Family = Family {
    name: "kuando Busylight",
    models: &[
        Model {
            vendor_id: 0x04d8,
            product_id: 0xf848,
            name: "Busylight UC Alpha",
        },
        Model {
            vendor_id: 0x27bb,
            product_id: 0x3bca,
            name: "Busylight UC Alpha",
        },
        Model {
            vendor_id: 0x27bb,
            product_id: 0x3bcb,
            name: "Busylight UC Alpha",
        },
        Model {
            vendor_id: 0x27bb,
            product_id: 0x3bce,
            name: "Busylight UC Alpha",
        },
        Model {
            vendor_id: 0x27bb,
            product_id: 0x3bcd,
            name: "Busylight UC Omega",
        },
        Model {
            vendor_id: 0x27bb,
            product_id: 0x3bcf,
            name: "Busylight UC Omega",
        },
    ],
    protocol: |_| Box::new(Kuando),
};

pub struct Kuando;

const REPORT_LEN: usize = 64;
const OP_JUMP: u8 = 0x1;
const OP_KEEP_ALIVE: u8 = 0x8;
/// The light goes dark this long after the last keep-alive...
const KEEP_ALIVE_TIMEOUT_SECS: u8 = 15;
/// ...so one goes out at half that.
const KEEP_ALIVE_EVERY: Duration = Duration::from_millis(7_500);
const AUDIO_UPDATE: u8 = 0x80;

/// 0–255 to the light's 0–100.
fn percent(c: u8) -> u8 {
    // At most 100: fits.
    u8::try_from(u16::from(c) * 100 / 255).unwrap_or(100)
}

fn audio(sound: SoundCommand) -> u8 {
    match sound {
        SoundCommand::Keep => 0,
        SoundCommand::Set(None) => AUDIO_UPDATE,
        SoundCommand::Set(Some(s)) => {
            // 0–100 % to the 3-bit volume, never silent when asked to ring.
            let volume =
                u8::try_from((u16::from(s.volume.min(100)) * 7).div_ceil(100)).unwrap_or(7);
            AUDIO_UPDATE | ((s.tune & 0x0f) << 3) | volume
        }
    }
}

/// Step 0 jumps to itself: the colour for `on` tenths, dark for `off`,
/// forever (0/0: steady).
fn jump(colour: Rgb, on: u8, off: u8, sound: SoundCommand) -> [u8; 8] {
    [
        OP_JUMP << 4,
        0,
        percent(colour.r),
        percent(colour.g),
        percent(colour.b),
        on,
        off,
        audio(sound),
    ]
}

/// The whole report (with hidapi's report ID 0 in front) for `step0`.
fn program(step0: [u8; 8]) -> LightReport {
    let mut report = [0u8; REPORT_LEN];
    report[..8].copy_from_slice(&step0);
    report[59..62].copy_from_slice(&[0xff, 0xff, 0xff]);
    let sum: u16 = report[..62]
        .iter()
        .fold(0u16, |s, b| s.wrapping_add(u16::from(*b)));
    report[62..].copy_from_slice(&sum.to_be_bytes());
    let mut bytes = Vec::with_capacity(REPORT_LEN + 1);
    bytes.push(0);
    bytes.extend_from_slice(&report);
    LightReport::Output(bytes)
}

impl Protocol for Kuando {
    fn steady(&mut self, colour: Rgb, sound: SoundCommand) -> Vec<LightReport> {
        vec![program(jump(colour, 0, 0, sound))]
    }

    fn native(
        &mut self,
        colour: Rgb,
        effect: Effect,
        sound: SoundCommand,
    ) -> Option<Vec<LightReport>> {
        // It blinks by itself; pulses and winks need more than one step's
        // colour and are animated by the host.
        let tenths = u8::try_from(FLASH_MS / 100).unwrap_or(2);
        (effect == Effect::Flash).then(|| vec![program(jump(colour, tenths, tenths, sound))])
    }

    fn keep_alive(&self) -> Option<(Duration, LightReport)> {
        let step = [
            (OP_KEEP_ALIVE << 4) | KEEP_ALIVE_TIMEOUT_SECS,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ];
        Some((KEEP_ALIVE_EVERY, program(step)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::busylight::Sound;

    fn bytes(r: &[LightReport]) -> Vec<u8> {
        assert_eq!(r.len(), 1);
        match &r[0] {
            LightReport::Output(b) => b.clone(),
            LightReport::Feature(_) => panic!("kuando takes output reports"),
        }
    }

    #[test]
    fn a_steady_colour_is_one_jump_with_its_footer_and_checksum() {
        let b = bytes(&Kuando.steady(Rgb::new(255, 0, 0), SoundCommand::Keep));
        assert_eq!(b.len(), 65);
        assert_eq!(b[0], 0, "no report ID");
        let r = &b[1..];
        assert_eq!(&r[..8], &[0x10, 0, 100, 0, 0, 0, 0, 0]);
        assert!(r[8..59].iter().all(|&x| x == 0));
        assert_eq!(&r[56..62], &[0, 0, 0, 0xff, 0xff, 0xff]);
        // 0x10 + 100 + 3 * 0xff = 881 = 0x0371.
        assert_eq!(&r[62..], &[0x03, 0x71]);
    }

    #[test]
    fn colours_are_percent_and_flashing_is_in_tenths() {
        let b = bytes(
            &Kuando
                .native(Rgb::new(0, 128, 255), Effect::Flash, SoundCommand::Keep)
                .unwrap(),
        );
        assert_eq!(&b[1..9], &[0x10, 0, 0, 50, 100, 2, 2, 0]);
        assert!(
            Kuando
                .native(Rgb::new(1, 2, 3), Effect::Pulse, SoundCommand::Keep)
                .is_none()
        );
    }

    #[test]
    fn the_ringtone_is_set_with_the_update_bit_and_silenced_the_same_way() {
        let ring = SoundCommand::Set(Some(Sound {
            tune: 7,
            volume: 100,
        }));
        // TelephoneOriginal (7) at full volume: 0x80 | 7 << 3 | 7.
        assert_eq!(bytes(&Kuando.steady(Rgb::OFF, ring))[8], 0xbf);
        let quiet = SoundCommand::Set(Some(Sound { tune: 1, volume: 1 }));
        assert_eq!(bytes(&Kuando.steady(Rgb::OFF, quiet))[8], 0x89);
        assert_eq!(
            bytes(&Kuando.steady(Rgb::OFF, SoundCommand::Set(None)))[8],
            0x80
        );
        assert_eq!(bytes(&Kuando.steady(Rgb::OFF, SoundCommand::Keep))[8], 0x00);
    }

    #[test]
    fn the_keep_alive_asks_for_fifteen_seconds_and_comes_every_seven_and_a_half() {
        let (every, report) = Kuando.keep_alive().unwrap();
        assert_eq!(every, Duration::from_millis(7500));
        let b = bytes(&[report]);
        assert_eq!(b[1], 0x8f);
        assert!(b[2..9].iter().all(|&x| x == 0));
        let sum: u16 = b[1..63].iter().map(|&x| u16::from(x)).sum();
        assert_eq!(u16::from_be_bytes([b[63], b[64]]), sum);
    }
}
