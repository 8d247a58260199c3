//! The Yealink USB-P1K handset (also sold as Tiptel 115), sans-IO, as the
//! Linux driver drivers/input/misc/yealink.c documents it.
//!
//! Everything goes through 16-byte command packets written to interface 3
//! (cmd, size, offset (big-endian), 11 data bytes, and a checksum that makes
//! the bytes sum to 0). Key scan and scan-code requests are answered on the
//! interrupt endpoint. The phone's state (LCD segments, LED, dial tone,
//! ringer) is a 28-byte image; only bytes that differ from what the phone
//! last got are sent.

use hookswitch_hid::{DeviceState, PhoneInput};

pub const VENDOR_ID: u16 = 0x6993;
pub const PRODUCT_ID: u16 = 0xb001;
/// The interface the commands are addressed to (wIndex).
pub const INTERFACE: u8 = 3;
pub const PACKET_LEN: usize = 16;

const CMD_INIT: u8 = 0x8e;
const CMD_KEYPRESS: u8 = 0x80;
const CMD_SCANCODE: u8 = 0x81;
const CMD_LCD: u8 = 0x04;
const CMD_LED: u8 = 0x05;
const CMD_RING_VOLUME: u8 = 0x11;
const CMD_RING_NOTE: u8 = 0x02;
const CMD_RINGTONE: u8 = 0x03;
const CMD_DIALTONE: u8 = 0x09;

const LCD_BYTES: usize = 24;
const LED: usize = 24;
const DIALTONE: usize = 25;
const RINGTONE: usize = 26;
const KEYNUM: usize = 27;
const IMAGE: usize = 28;
const RINGTONE_ON: u8 = 0x24;

/// Line 3 of the LCD holds 12 seven-segment digits.
pub const DIGITS: usize = 12;

/// A command packet with its checksum.
pub fn packet(cmd: u8, offset: u16, data: &[u8]) -> [u8; PACKET_LEN] {
    let mut p = [0u8; PACKET_LEN];
    let len = data.len().min(11);
    p[0] = cmd;
    p[1] = len as u8;
    p[2..4].copy_from_slice(&offset.to_be_bytes());
    p[4..4 + len].copy_from_slice(&data[..len]);
    let sum = p[..PACKET_LEN - 1]
        .iter()
        .fold(0u8, |acc, b| acc.wrapping_sub(*b));
    p[PACKET_LEN - 1] = sum;
    p
}

/// Whether a packet's checksum holds (all 16 bytes sum to 0).
pub fn checksum_ok(p: &[u8]) -> bool {
    p.len() == PACKET_LEN && p.iter().fold(0u8, |acc, b| acc.wrapping_add(*b)) == 0
}

/// Segment bits of a character (a=bit0 .. g=bit6), the usual 7-segment font.
fn seven_segment(c: char) -> u8 {
    match c {
        '0' => 0b011_1111,
        '1' => 0b000_0110,
        '2' => 0b101_1011,
        '3' => 0b100_1111,
        '4' => 0b110_0110,
        '5' => 0b110_1101,
        '6' => 0b111_1101,
        '7' => 0b000_0111,
        '8' => 0b111_1111,
        '9' => 0b110_1111,
        '-' | '*' => 0b100_0000,
        '#' => 0b111_0110,
        // Letters, as seven segments can draw them (a name on the LCD).
        'a' => 0x77,
        'b' => 0x7c,
        'c' => 0x39,
        'd' => 0x5e,
        'e' => 0x79,
        'f' => 0x71,
        'g' => 0x3d,
        'h' | 'x' => 0x76,
        'i' => 0x30,
        'j' => 0x1e,
        'k' => 0x75,
        'l' => 0x38,
        'm' => 0x37,
        'n' => 0x54,
        'o' => 0x3f,
        'p' => 0x73,
        'q' => 0x67,
        'r' => 0x50,
        's' => 0x6d,
        't' => 0x78,
        'u' | 'v' => 0x3e,
        'w' => 0x2a,
        'y' => 0x6e,
        'z' => 0x5b,
        _ => 0,
    }
}

/// A name as the LCD can spell it: ASCII letters (diacritics dropped),
/// lower case, single spaces.
fn spellable(text: &str) -> Vec<char> {
    use unicode_normalization::UnicodeNormalization;
    let mut out: Vec<char> = Vec::new();
    for c in text.nfkd().filter(char::is_ascii) {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if out.last().is_some_and(|l| *l != ' ') {
            out.push(' ');
        }
    }
    while out.last() == Some(&' ') {
        out.pop();
    }
    out
}

/// Where segment `s` (a..g = 0..6) of line-3 digit `i` (0 = leftmost) lives:
/// (byte, mask), from the driver's segment table.
fn digit_segment(i: usize, s: usize) -> (usize, u8) {
    let base = 22 - 2 * i;
    match s {
        0 => (base, 0x10),     // a
        1 => (base, 0x20),     // b
        2 => (base, 0x40),     // c
        3 => (base, 0x80),     // d
        4 => (base + 1, 0x80), // e
        5 => (base + 1, 0x20), // f
        _ => (base + 1, 0x40), // g
    }
}

/// The gesture of a P1K scan code.
pub fn gesture(scancode: u8) -> Option<PhoneInput> {
    use PhoneInput::{Button, HookOff, HookOn, Key, VolumeDown, VolumeUp};
    Some(match scancode {
        0x00 => Key('1'),
        0x01 => Key('2'),
        0x02 => Key('3'),
        0x10 => Key('4'),
        0x11 => Key('5'),
        0x12 => Key('6'),
        0x20 => Key('7'),
        0x21 => Key('8'),
        0x22 => Key('9'),
        0x30 => Key('*'),
        0x31 => Key('0'),
        0x32 => Key('#'),
        0x03 => HookOff, // pickup (green)
        0x13 => HookOn,  // hangup (red)
        0x33 => VolumeUp,
        0x24 => VolumeDown,
        0x23 => Button(1), // IN
        0x04 => Button(2), // OUT
        0x14 => Button(3), // C
        _ => return None,
    })
}

/// The ring cadence the driver loads: 1250/1000 Hz alternating, then a pause.
/// Volume, then (LE16 -frequency, LE16 duration in 1/100 s) notes, then 0 0.
const DEFAULT_RINGTONE: [u8; 39] = [
    0xEF, 0xFB, 0x1E, 0x00, 0x0C, 0xFC, 0x18, 0x00, 0x0C, 0xFB, 0x1E, 0x00, 0x0C, 0xFC, 0x18, 0x00,
    0x0C, 0xFB, 0x1E, 0x00, 0x0C, 0xFC, 0x18, 0x00, 0x0C, 0xFB, 0x1E, 0x00, 0x0C, 0xFC, 0x18, 0x00,
    0x0C, 0xFF, 0xFF, 0x01, 0x90, 0x00, 0x00,
];

/// What the host should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub packet: [u8; PACKET_LEN],
    /// The phone answers this packet on the interrupt endpoint.
    pub expects_answer: bool,
}

impl Step {
    /// A key scan, which the host paces.
    pub fn is_key_scan(&self) -> bool {
        self.packet[0] == CMD_KEYPRESS
    }
}

#[derive(Debug, Clone)]
pub struct Yealink {
    master: [u8; IMAGE],
    copy: [u8; IMAGE],
    /// Where the next look for a changed byte starts.
    cursor: usize,
    /// Start-up packets not yet sent (ring volume, notes, init).
    startup: Vec<[u8; PACKET_LEN]>,
    text: [char; DIGITS],
}

impl Default for Yealink {
    fn default() -> Self {
        Yealink::new()
    }
}

impl Yealink {
    pub fn new() -> Yealink {
        let master = [0u8; IMAGE];
        let mut copy = [0u8; IMAGE];
        // Force every byte out once, as the driver does on open.
        for (c, m) in copy.iter_mut().zip(master.iter()) {
            *c = !*m;
        }
        copy[KEYNUM] = master[KEYNUM];
        let mut startup = vec![packet(CMD_RING_VOLUME, 0, &DEFAULT_RINGTONE[..1])];
        let notes = &DEFAULT_RINGTONE[1..];
        for (i, chunk) in notes.chunks(11).enumerate() {
            startup.push(packet(CMD_RING_NOTE, (i * 11) as u16, chunk));
        }
        startup.push(packet(CMD_INIT, 0, &[0; 10]));
        Yealink {
            master,
            copy,
            cursor: 0,
            startup,
            text: [' '; DIGITS],
        }
    }

    pub fn show(&mut self, state: &DeviceState) {
        self.master[LED] = u8::from(state.ring || state.message_waiting);
        self.master[RINGTONE] = if state.ring || state.ringer {
            RINGTONE_ON
        } else {
            0
        };
        self.master[DIALTONE] = 0;
    }

    /// Puts a number (right-aligned, its last 12 digits) or a name
    /// (left-aligned, its first 12 letters) on the 12-digit line.
    pub fn show_text(&mut self, text: &str) {
        self.text = [' '; DIGITS];
        if text.chars().any(char::is_alphabetic) {
            let name = spellable(text);
            for (slot, c) in self.text.iter_mut().zip(name) {
                *slot = c;
            }
        } else {
            // Digits, * # and -; the rest (+, spaces) is left out.
            let chars: Vec<char> = text
                .chars()
                .filter(|c| c.is_ascii_digit() || "*#-".contains(*c))
                .collect();
            let tail = &chars[chars.len().saturating_sub(DIGITS)..];
            for (slot, c) in self.text[DIGITS - tail.len()..].iter_mut().zip(tail) {
                *slot = *c;
            }
        }
        for (i, &c) in self.text.iter().enumerate() {
            let bits = seven_segment(c);
            for s in 0..7 {
                let (byte, mask) = digit_segment(i, s);
                if bits & (1 << s) != 0 {
                    self.master[byte] |= mask;
                } else {
                    self.master[byte] &= !mask;
                }
            }
        }
    }

    pub fn text(&self) -> String {
        self.text.iter().collect::<String>().trim().to_owned()
    }

    /// The next packet: start-up first, then state bytes that changed, else a
    /// key scan (the caller paces those).
    pub fn next_step(&mut self) -> Step {
        if !self.startup.is_empty() {
            return Step {
                packet: self.startup.remove(0),
                expects_answer: false,
            };
        }
        while self.cursor < IMAGE {
            let ix = self.cursor;
            if self.master[ix] != self.copy[ix] {
                return self.update(ix);
            }
            self.cursor += 1;
        }
        self.cursor = 0;
        Step {
            packet: packet(CMD_KEYPRESS, 0, &[0]),
            expects_answer: true,
        }
    }

    fn update(&mut self, ix: usize) -> Step {
        let val = self.master[ix];
        self.copy[ix] = val;
        self.cursor = ix + 1;
        let (packet, expects_answer) = match ix {
            LED => (packet(CMD_LED, 0, &[val]), false),
            DIALTONE => (packet(CMD_DIALTONE, 0, &[val]), false),
            RINGTONE => (packet(CMD_RINGTONE, 0, &[val]), false),
            KEYNUM => {
                let key = u16::from(val.wrapping_sub(1) & 0x1f);
                (packet(CMD_SCANCODE, key, &[0]), true)
            }
            _ => {
                // Up to 11 consecutive LCD bytes in one packet.
                let end = (ix + 11).min(LCD_BYTES);
                self.copy[ix..end].copy_from_slice(&self.master[ix..end]);
                self.cursor = end;
                (packet(CMD_LCD, ix as u16, &self.master[ix..end]), false)
            }
        };
        Step {
            packet,
            expects_answer,
        }
    }

    /// The phone did not answer `step` in time: a lost scan-code answer is
    /// asked again, so the key is not lost (a lost key scan is simply redone).
    pub fn on_no_answer(&mut self, step: &Step) {
        if step.packet[0] == CMD_SCANCODE {
            self.copy[KEYNUM] = !self.master[KEYNUM];
            self.cursor = KEYNUM;
        }
    }

    /// The phone's answer to a key scan or scan-code request.
    pub fn on_answer(&mut self, answer: &[u8]) -> Vec<PhoneInput> {
        let (Some(&cmd), Some(&data)) = (answer.first(), answer.get(4)) else {
            return Vec::new();
        };
        match cmd {
            // A new key number means a key changed; its scan code is asked next.
            CMD_KEYPRESS => {
                self.master[KEYNUM] = data;
                Vec::new()
            }
            CMD_SCANCODE => gesture(data).into_iter().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_the_drivers_constants() {
        // The driver hard-codes these sums.
        assert_eq!(packet(CMD_KEYPRESS, 0, &[0])[15], 0xff - CMD_KEYPRESS);
        assert_eq!(packet(CMD_INIT, 0, &[0; 10])[15], (0x100 - 0x8e - 10) as u8);
        assert_eq!(packet(CMD_LED, 0, &[1])[15], (-1i16 - 5 - 1) as u8);
        assert!(checksum_ok(&packet(CMD_LCD, 5, &[1, 2, 3, 0xff])));
    }

    #[test]
    fn start_up_sends_the_ringtone_then_init_then_the_whole_image() {
        let mut y = Yealink::new();
        let first = y.next_step().packet;
        assert_eq!((first[0], first[4]), (CMD_RING_VOLUME, 0xEF));
        let mut cmds = vec![];
        for _ in 0..5 {
            cmds.push(y.next_step().packet[0]);
        }
        assert_eq!(
            cmds,
            vec![
                CMD_RING_NOTE,
                CMD_RING_NOTE,
                CMD_RING_NOTE,
                CMD_RING_NOTE,
                CMD_INIT
            ]
        );
        // Then the LCD in three packets and LED, dial tone, ringer.
        let lcd: Vec<_> = (0..3).map(|_| y.next_step().packet).collect();
        assert!(lcd.iter().all(|p| p[0] == CMD_LCD && checksum_ok(p)));
        assert_eq!(lcd.iter().map(|p| p[1] as usize).sum::<usize>(), LCD_BYTES);
        assert_eq!(y.next_step().packet[0], CMD_LED);
        assert_eq!(y.next_step().packet[0], CMD_DIALTONE);
        assert_eq!(y.next_step().packet[0], CMD_RINGTONE);
        let idle = y.next_step();
        assert_eq!(idle.packet[0], CMD_KEYPRESS);
        assert!(idle.expects_answer);
    }

    fn settle(y: &mut Yealink) {
        while y.next_step().packet[0] != CMD_KEYPRESS {}
    }

    #[test]
    fn a_key_is_read_by_key_number_then_scan_code() {
        let mut y = Yealink::new();
        settle(&mut y);
        assert_eq!(y.on_answer(&packet(CMD_KEYPRESS, 0, &[4])), vec![]);
        let ask = y.next_step();
        assert_eq!(ask.packet[0], CMD_SCANCODE);
        assert_eq!(u16::from_be_bytes([ask.packet[2], ask.packet[3]]), 3);
        assert!(ask.expects_answer);
        assert_eq!(
            y.on_answer(&packet(CMD_SCANCODE, 3, &[0x03])),
            vec![PhoneInput::HookOff]
        );
        assert_eq!(y.next_step().packet[0], CMD_KEYPRESS);
    }

    #[test]
    fn ringing_lights_the_led_and_sounds_the_ringer() {
        let mut y = Yealink::new();
        settle(&mut y);
        y.show(&DeviceState {
            ring: true,
            ..Default::default()
        });
        let led = y.next_step().packet;
        assert_eq!((led[0], led[4]), (CMD_LED, 1));
        let ring = y.next_step().packet;
        assert_eq!((ring[0], ring[4]), (CMD_RINGTONE, RINGTONE_ON));
        assert_eq!(y.next_step().packet[0], CMD_KEYPRESS);
    }

    #[test]
    fn the_caller_number_goes_on_the_digit_line() {
        let mut y = Yealink::new();
        settle(&mut y);
        y.show_text("+49 30 1234567");
        assert_eq!(y.text(), "49301234567");
        let p = y.next_step().packet;
        assert_eq!(p[0], CMD_LCD);
        // The rightmost digit '7' is digit 11: bytes 0 and 1.
        let seven = seven_segment('7');
        assert_eq!(seven, 0b111);
        assert_eq!(u16::from_be_bytes([p[2], p[3]]), 0);
        assert_eq!(p[4] & 0xf0, 0x10 | 0x20 | 0x40, "a, b, c of the last digit");
        // Long numbers show their last 12 digits.
        y.show_text("0012345678901234");
        assert_eq!(y.text(), "345678901234");
        for c in "0123456789".chars() {
            assert_ne!(seven_segment(c), 0);
        }
    }

    #[test]
    fn a_contact_name_is_spelled_on_the_digit_line() {
        let mut y = Yealink::new();
        settle(&mut y);
        y.show_text("Ayşe Öztürk-Yılmaz");
        assert_eq!(y.text(), "ayse ozturk", "the first 12, left-aligned");
        for c in "abcdefghijklmnopqrstuvwxyz".chars() {
            assert_ne!(seven_segment(c), 0, "{c}");
        }
        // Leftmost digit 0: bytes 22 and 23 carry 'a'.
        let mut lcd = [0u8; LCD_BYTES];
        while let Step { packet, .. } = y.next_step()
            && packet[0] == CMD_LCD
        {
            let at = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
            let len = usize::from(packet[1]);
            lcd[at..at + len].copy_from_slice(&packet[4..4 + len]);
        }
        assert_eq!(lcd[22] & 0xf0, 0x10 | 0x20 | 0x40, "a, b, c of 'a'");
        y.show_text("");
        assert_eq!(y.text(), "");
    }

    #[test]
    fn a_lost_scan_code_answer_is_asked_again() {
        let mut y = Yealink::new();
        settle(&mut y);
        y.on_answer(&packet(CMD_KEYPRESS, 0, &[2]));
        let ask = y.next_step();
        assert_eq!(ask.packet[0], CMD_SCANCODE);
        y.on_no_answer(&ask);
        assert_eq!(y.next_step().packet, ask.packet, "asked again");
        assert_eq!(
            y.on_answer(&packet(CMD_SCANCODE, 1, &[0x31])),
            vec![PhoneInput::Key('0')]
        );
        assert_eq!(y.next_step().packet[0], CMD_KEYPRESS);
    }

    #[test]
    fn unknown_answers_are_ignored() {
        let mut y = Yealink::new();
        assert_eq!(y.on_answer(&[]), vec![]);
        assert_eq!(y.on_answer(&[CMD_SCANCODE, 1, 0, 0, 0x7f]), vec![]);
    }
}
