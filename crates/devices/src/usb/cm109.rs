//! CM109-based USB handsets (C-Media CM109: Komunikate KIP1000, Genius G-talk,
//! Allied-Telesis USBPH01, ATCom AU-100), sans-IO, as the Linux driver
//! drivers/input/misc/cm109.c documents the chip.
//!
//! The keypad is a matrix: the host drives one column at a time on the GPO
//! pins (HID_OR1/OR2), and reads the rows on the GPI pins (high nibble of
//! HID_IR1) in the next 4-byte interrupt report. A column bit of 0xF means
//! "idle: watch the rows for any change". The buzzer is bit 5 of HID_OR0.
//! Volume and mute buttons come in HID_IR0.

use hookswitch_hid::{DeviceState, PhoneInput};

pub const VENDOR_ID: u16 = 0x0d8c;
/// The product ID the Linux driver matches (the chip's range is 0x0008-0x000f,
/// but most of those are plain USB sound cards).
pub const PRODUCT_ID: u16 = 0x000e;
pub const PACKET_LEN: usize = 4;

const RECORD_MUTE: u8 = 1 << 3;
const VOLUME_DOWN: u8 = 1 << 1;
const VOLUME_UP: u8 = 1 << 0;
const BUZZER_ON: u8 = 1 << 5;
const IDLE_SCAN: u8 = 0x0f;

/// Which handset's key matrix (the wiring differs between models).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keymap {
    #[default]
    Kip1000,
    Gtalk,
    Usbph01,
    Atcom,
}

impl Keymap {
    pub fn from_name(name: &str) -> Option<Keymap> {
        match name.to_ascii_lowercase().as_str() {
            "kip1000" => Some(Keymap::Kip1000),
            "gtalk" => Some(Keymap::Gtalk),
            "usbph01" => Some(Keymap::Usbph01),
            "atcom" => Some(Keymap::Atcom),
            _ => None,
        }
    }

    /// The gesture for a scan code (row bits | column bit).
    pub fn gesture(self, scancode: u8) -> Option<PhoneInput> {
        use PhoneInput::{HookOff, HookOn, Key};
        let m = self.matrix();
        if let Some(d) = m.digits.iter().position(|&c| c == scancode) {
            return char::from_digit(d as u32, 10).map(Key);
        }
        match scancode {
            c if c == m.star => Some(Key('*')),
            c if c == m.pound => Some(Key('#')),
            c if c == m.pickup => Some(HookOff),
            c if c == m.hangup => Some(HookOn),
            c => m.extra.iter().find(|(s, _)| *s == c).map(|(_, g)| *g),
        }
    }

    /// The scan codes of each key on this model (from the driver's keymaps).
    fn matrix(self) -> Matrix {
        use PhoneInput::{Button, VolumeDown, VolumeUp};
        let m = |digits, star, pound, pickup, hangup, extra| Matrix {
            digits,
            star,
            pound,
            pickup,
            hangup,
            extra,
        };
        match self {
            Keymap::Kip1000 => m(
                [0x82, 0x14, 0x12, 0x11, 0x24, 0x22, 0x21, 0x44, 0x42, 0x41],
                0x84,
                0x81,
                0x88,
                0x48,
                [(0x28, Button(1)), (0x18, Button(2))],
            ),
            Keymap::Gtalk => m(
                [0x11, 0x21, 0x41, 0x81, 0x12, 0x22, 0x42, 0x82, 0x14, 0x24],
                0x84,
                0x44,
                0x18,
                0x28,
                [(0x48, VolumeUp), (0x88, VolumeDown)],
            ),
            Keymap::Usbph01 => m(
                [0x11, 0x21, 0x41, 0x81, 0x12, 0x22, 0x42, 0x82, 0x14, 0x24],
                0x84,
                0x44,
                0x18,
                0x28,
                [(0x48, Button(1)), (0x88, Button(2))],
            ),
            Keymap::Atcom => m(
                [0x82, 0x11, 0x12, 0x14, 0x21, 0x22, 0x24, 0x41, 0x42, 0x44],
                0x81,
                0x84,
                0x18,
                0x28,
                [(0x48, Button(1)), (0x88, Button(2))],
            ),
        }
    }
}

/// One model's key matrix: digits 0-9, then * #, pickup, hangup, two extras.
struct Matrix {
    digits: [u8; 10],
    star: u8,
    pound: u8,
    pickup: u8,
    hangup: u8,
    extra: [(u8, PhoneInput); 2],
}

/// The keypad scanner and buzzer state of one CM109 handset.
#[derive(Debug, Clone)]
pub struct Cm109 {
    keymap: Keymap,
    /// 0xF: idle; 1, 2, 4, 8: the column being scanned.
    keybit: u8,
    /// Row bits seen when idle (high nibble of HID_IR1).
    gpi: u8,
    /// The key held down, so a held key is reported once.
    held: Option<u8>,
    /// Whether the current scan found a key.
    found: bool,
    special: u8,
    buzzer: bool,
}

impl Cm109 {
    pub fn new(keymap: Keymap) -> Cm109 {
        Cm109 {
            keymap,
            keybit: IDLE_SCAN,
            gpi: 0,
            held: None,
            found: false,
            special: 0,
            buzzer: false,
        }
    }

    /// The control packet to write now (HID SET_REPORT, wValue 0x200): GPO
    /// mode, the buzzer, and the column to drive.
    pub fn control_packet(&self) -> [u8; PACKET_LEN] {
        let or0 = if self.buzzer { BUZZER_ON } else { 0 };
        [or0, self.keybit, self.keybit, 0]
    }

    pub fn show(&mut self, state: &DeviceState) {
        self.buzzer = state.ringer || state.ring;
    }

    pub fn buzzer(&self) -> bool {
        self.buzzer
    }

    /// One 4-byte interrupt report; returns the gestures it completes. Write
    /// `control_packet()` after each report to drive the next column.
    pub fn on_report(&mut self, report: &[u8]) -> Vec<PhoneInput> {
        let mut out = Vec::new();
        let (Some(&ir0), Some(&ir1)) = (report.first(), report.get(1)) else {
            return out;
        };
        // Volume and mute: act on the press (0 -> 1).
        let pressed = ir0 & !self.special;
        self.special = ir0 & (RECORD_MUTE | VOLUME_DOWN | VOLUME_UP);
        if pressed & RECORD_MUTE != 0 {
            out.push(PhoneInput::MuteToggle);
        }
        if pressed & VOLUME_UP != 0 {
            out.push(PhoneInput::VolumeUp);
        }
        if pressed & VOLUME_DOWN != 0 {
            out.push(PhoneInput::VolumeDown);
        }
        if self.keybit == IDLE_SCAN {
            if self.gpi == ir1 & 0xf0 {
                return out;
            }
            self.gpi = ir1 & 0xf0;
            self.keybit = 0x1;
            self.found = false;
            return out;
        }
        // A column's answer: rows in the high nibble, the column in the low.
        if ir1 & 0xf0 != 0 {
            self.found = true;
            if self.held != Some(ir1) {
                self.held = Some(ir1);
                out.extend(self.keymap.gesture(ir1));
            }
        }
        self.keybit <<= 1;
        if self.keybit > 0x8 {
            self.keybit = IDLE_SCAN;
            if !self.found {
                self.held = None;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scans the matrix once with `key` (a scan code) held, as the chip answers.
    fn scan(c: &mut Cm109, key: Option<u8>) -> Vec<PhoneInput> {
        let rows = key.map(|k| k & 0xf0).unwrap_or(0);
        let mut out = c.on_report(&[0, rows, 0, 0]);
        for column in [1u8, 2, 4, 8] {
            assert_eq!(c.control_packet()[1], column, "drives column {column}");
            let answer = match key {
                Some(k) if k & 0x0f == column => k,
                _ => column,
            };
            out.extend(c.on_report(&[0, answer, 0, 0]));
        }
        assert_eq!(c.control_packet()[1], 0x0f, "back to idle");
        out
    }

    #[test]
    fn a_key_press_is_reported_once_and_release_rearms_it() {
        let mut c = Cm109::new(Keymap::Kip1000);
        assert_eq!(scan(&mut c, Some(0x12)), vec![PhoneInput::Key('2')]);
        // Released: the rows change back, a scan finds nothing.
        assert_eq!(scan(&mut c, None), vec![]);
        assert_eq!(scan(&mut c, Some(0x12)), vec![PhoneInput::Key('2')]);
    }

    #[test]
    fn pickup_and_hangup_are_the_hook() {
        let mut c = Cm109::new(Keymap::Kip1000);
        assert_eq!(scan(&mut c, Some(0x88)), vec![PhoneInput::HookOff]);
        assert_eq!(scan(&mut c, Some(0x48)), vec![PhoneInput::HookOn]);
        assert_eq!(scan(&mut c, Some(0x81)), vec![PhoneInput::Key('#')]);
    }

    #[test]
    fn every_kip1000_key_has_a_gesture() {
        let codes = [
            0x82, 0x14, 0x12, 0x11, 0x24, 0x22, 0x21, 0x44, 0x42, 0x41, 0x81, 0x84, 0x88, 0x48,
            0x28, 0x18,
        ];
        for code in codes {
            assert!(Keymap::Kip1000.gesture(code).is_some(), "{code:#x}");
        }
        assert_eq!(Keymap::Atcom.gesture(0x11), Some(PhoneInput::Key('1')));
        assert_eq!(Keymap::Gtalk.gesture(0x11), Some(PhoneInput::Key('0')));
    }

    #[test]
    fn mute_and_volume_act_on_press() {
        let mut c = Cm109::new(Keymap::Kip1000);
        assert_eq!(
            c.on_report(&[RECORD_MUTE, 0, 0, 0]),
            vec![PhoneInput::MuteToggle]
        );
        assert_eq!(c.on_report(&[RECORD_MUTE, 0, 0, 0]), vec![]);
        assert_eq!(c.on_report(&[0, 0, 0, 0]), vec![]);
        assert_eq!(
            c.on_report(&[VOLUME_UP, 0, 0, 0]),
            vec![PhoneInput::VolumeUp]
        );
    }

    #[test]
    fn the_buzzer_follows_ringing() {
        let mut c = Cm109::new(Keymap::Kip1000);
        assert_eq!(c.control_packet(), [0, 0x0f, 0x0f, 0]);
        c.show(&DeviceState {
            ring: true,
            ..Default::default()
        });
        assert_eq!(c.control_packet()[0], BUZZER_ON);
        c.show(&DeviceState::default());
        assert_eq!(c.control_packet()[0], 0);
    }

    #[test]
    fn short_reports_are_ignored() {
        let mut c = Cm109::new(Keymap::Kip1000);
        assert_eq!(c.on_report(&[]), vec![]);
        assert_eq!(c.on_report(&[1]), vec![]);
    }
}
