//! Descriptors generated in the shapes HID 1.11 and HUT allow, not one
//! vendor's habits: controls nested at any depth of the application
//! collection; the Hook Switch with each combination of Absolute/Relative and
//! Preferred/No Preferred State (and the two-button -1/+1 form); keypad
//! arrays that start anywhere in a byte and cross into the next, with and
//! without a Null State, down to one-bit arrays; LEDs all in one report or
//! one report each. The test writes the descriptor and the reports with its
//! own item and bit writers, and checks what the parser, the decoder and the
//! encoder make of them against the shape it chose (docs/decisions.md D82).

use std::time::{Duration, Instant};

use hookswitch_hid::{
    Behaviour, Decoder, DecoderSettings, DeviceState, Encoder, PhoneInput, Usage, capabilities,
    parse,
};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Hook {
    /// Absolute, with or without Preferred State: reports the state.
    Absolute { preferred: bool },
    /// Relative 0..1: each 1 a press that flips.
    Toggle { preferred: bool },
    /// Relative -1..1: -1 on-hook, +1 off-hook.
    TwoButtons,
}

#[derive(Debug, Clone, Copy)]
struct Shape {
    report_ids: bool,
    /// Logical/physical collections around the controls (0-2).
    nesting: u8,
    hook: Hook,
    /// Constant bits between the hook/mute bits and the keypad.
    pad: u32,
    /// The keypad's field size in bits (1-8).
    key_bits: u32,
    null_state: bool,
    leds_one_report: bool,
}

impl Shape {
    fn hook_bits(&self) -> u32 {
        if self.hook == Hook::TwoButtons { 2 } else { 1 }
    }

    /// Keys the array selects among: with a Null State value 0 is none, so
    /// one fewer than the field can hold; without, every value is a key.
    fn keys(&self) -> u32 {
        let values = 1u32 << self.key_bits;
        let n = if self.null_state { values - 1 } else { values };
        n.min(16)
    }

    fn logical_key_range(&self) -> (i64, i64) {
        let n = i64::from(self.keys());
        if self.null_state { (1, n) } else { (0, n - 1) }
    }

    /// Bit offsets (after the report ID) of hook, mute and keypad.
    fn hook_at(&self) -> u32 {
        0
    }
    fn mute_at(&self) -> u32 {
        self.hook_bits()
    }
    fn keypad_at(&self) -> u32 {
        self.hook_bits() + 1 + self.pad
    }
    fn input_bits(&self) -> u32 {
        let used = self.keypad_at() + self.key_bits;
        used.div_ceil(8) * 8
    }

    fn uses_ids(&self) -> bool {
        self.report_ids || !self.leds_one_report
    }
}

/// HID short items (HID 1.11 §6.2.2.2), data in the fewest bytes.
struct Items(Vec<u8>);

impl Items {
    fn item(&mut self, tag: u8, kind: u8, data: i64, signed: bool) -> &mut Items {
        let bytes: Vec<u8> = if signed {
            if (-128..=127).contains(&data) {
                vec![data as i8 as u8]
            } else if (-32768..=32767).contains(&data) {
                (data as i16).to_le_bytes().to_vec()
            } else {
                (data as i32).to_le_bytes().to_vec()
            }
        } else if (0..=255).contains(&data) {
            vec![data as u8]
        } else if (0..=65535).contains(&data) {
            (data as u16).to_le_bytes().to_vec()
        } else {
            (data as u32).to_le_bytes().to_vec()
        };
        let size = match bytes.len() {
            1 => 1,
            2 => 2,
            _ => 3,
        };
        self.0.push((tag << 4) | (kind << 2) | size);
        self.0.extend_from_slice(&bytes);
        self
    }
    fn main(&mut self, tag: u8, data: i64) -> &mut Items {
        self.item(tag, 0, data, false)
    }
    fn global(&mut self, tag: u8, data: i64) -> &mut Items {
        self.item(tag, 1, data, matches!(tag, 1 | 2))
    }
    fn local(&mut self, tag: u8, data: i64) -> &mut Items {
        self.item(tag, 2, data, false)
    }
    fn page(&mut self, p: i64) -> &mut Items {
        self.global(0x0, p)
    }
    fn logical(&mut self, min: i64, max: i64) -> &mut Items {
        self.global(0x1, min).global(0x2, max)
    }
    fn size_count(&mut self, size: i64, count: i64) -> &mut Items {
        self.global(0x7, size).global(0x9, count)
    }
    fn report_id(&mut self, id: i64) -> &mut Items {
        self.global(0x8, id)
    }
    fn usage(&mut self, u: i64) -> &mut Items {
        self.local(0x0, u)
    }
    fn input(&mut self, flags: i64) -> &mut Items {
        self.main(0x8, flags)
    }
    fn output(&mut self, flags: i64) -> &mut Items {
        self.main(0x9, flags)
    }
    fn collection(&mut self, kind: i64) -> &mut Items {
        self.main(0xA, kind)
    }
    fn end(&mut self) -> &mut Items {
        self.0.push(0xC0);
        self
    }
}

const VAR: i64 = 0x02;
const REL: i64 = 0x04;
const NO_PREF: i64 = 0x20;
const NULL: i64 = 0x40;
const CONSTANT: i64 = 0x01;
const LEDS: [i64; 3] = [0x17, 0x09, 0x18]; // Off-Hook, Mute, Ring

fn descriptor(s: &Shape) -> Vec<u8> {
    let mut d = Items(Vec::new());
    d.page(0x0B).usage(0x01).collection(0x01); // Telephony Phone, Application
    for level in 0..s.nesting {
        // Headset as a logical collection, then a physical one.
        d.usage(0x05)
            .collection(if level == 0 { 0x02 } else { 0x00 });
    }
    if s.uses_ids() {
        d.report_id(1);
    }
    // Hook Switch.
    let hook_flags = match s.hook {
        Hook::Absolute { preferred } => VAR | if preferred { 0 } else { NO_PREF },
        Hook::Toggle { preferred } => VAR | REL | if preferred { 0 } else { NO_PREF },
        Hook::TwoButtons => VAR | REL,
    };
    match s.hook {
        Hook::TwoButtons => d.logical(-1, 1).size_count(2, 1),
        _ => d.logical(0, 1).size_count(1, 1),
    };
    d.usage(0x20).input(hook_flags);
    // Phone Mute, a toggle button.
    d.logical(0, 1)
        .size_count(1, 1)
        .usage(0x2F)
        .input(VAR | REL);
    if s.pad > 0 {
        d.size_count(1, i64::from(s.pad)).input(CONSTANT);
    }
    // The keypad: Telephony Key 0 (0xB0) onwards, an array.
    let (min, max) = s.logical_key_range();
    d.local(0x1, 0xB0)
        .local(0x2, 0xB0 + i64::from(s.keys()) - 1)
        .logical(min, max)
        .size_count(i64::from(s.key_bits), 1)
        .input(if s.null_state { NULL } else { 0 });
    let rest = s.input_bits() - s.keypad_at() - s.key_bits;
    if rest > 0 {
        d.size_count(1, i64::from(rest)).input(CONSTANT);
    }
    // LEDs.
    d.page(0x08).logical(0, 1);
    if s.leds_one_report {
        if s.uses_ids() {
            d.report_id(2);
        }
        for led in LEDS {
            d.usage(led);
        }
        d.size_count(1, 3)
            .output(VAR | NO_PREF)
            .size_count(1, 5)
            .output(CONSTANT);
    } else {
        for (i, led) in LEDS.iter().enumerate() {
            d.report_id(0x11 + i as i64)
                .usage(*led)
                .size_count(1, 1)
                .output(VAR | NO_PREF)
                .size_count(7, 1)
                .output(CONSTANT);
        }
    }
    for _ in 0..s.nesting {
        d.end();
    }
    d.end();
    d.0
}

/// Sets `bits` bits at `at` (LSB first, HID 1.11 §5.8) to `value`.
fn put(report: &mut [u8], at: u32, bits: u32, value: i64) {
    let raw = (value as u64) & ((1u64 << bits) - 1);
    for b in 0..bits {
        let bit = at + b;
        if raw >> b & 1 == 1 {
            report[(bit / 8) as usize] |= 1 << (bit % 8);
        }
    }
}

/// An input report: the hook's raw value, mute off, the keypad's value.
fn input(s: &Shape, hook: i64, key: i64) -> Vec<u8> {
    let mut data = vec![0u8; (s.input_bits() / 8) as usize];
    put(&mut data, s.hook_at(), s.hook_bits(), hook);
    put(&mut data, s.keypad_at(), s.key_bits, key);
    if s.uses_ids() {
        let mut r = vec![1];
        r.extend(data);
        r
    } else {
        data
    }
}

fn key_char(i: u32) -> char {
    match i {
        0..=9 => (b'0' + i as u8) as char,
        10 => '*',
        11 => '#',
        n => (b'A' + (n - 12) as u8) as char,
    }
}

fn shapes() -> impl Strategy<Value = Shape> {
    let hook = prop_oneof![
        any::<bool>().prop_map(|preferred| Hook::Absolute { preferred }),
        any::<bool>().prop_map(|preferred| Hook::Toggle { preferred }),
        Just(Hook::TwoButtons),
    ];
    (
        any::<bool>(),
        0u8..=2,
        hook,
        0u32..=7,
        1u32..=8,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(report_ids, nesting, hook, pad, key_bits, null_state, leds_one_report)| Shape {
                report_ids,
                nesting,
                hook,
                pad,
                key_bits,
                null_state,
                leds_one_report,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn every_shape_is_read_decoded_and_written_as_the_standard_says(
        s in shapes(),
        key in any::<prop::sample::Index>(),
    ) {
        let desc = parse(&descriptor(&s)).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let caps = capabilities(&desc);
        prop_assert!(caps.telephony);

        // Found wherever it nests, where it is, read as the shape says.
        let hook = caps.input(Usage::telephony(0x20)).expect("the Hook Switch");
        prop_assert_eq!(hook.bit_offset, s.hook_at());
        let want = match s.hook {
            Hook::Absolute { .. } => Behaviour::AbsoluteSwitch,
            Hook::Toggle { .. } => Behaviour::ToggleButton,
            Hook::TwoButtons => Behaviour::TwoButtons,
        };
        prop_assert_eq!(hook.behaviour, want);
        let mute = caps.input(Usage::telephony(0x2F)).expect("Phone Mute");
        prop_assert_eq!(mute.bit_offset, s.mute_at());
        prop_assert_eq!(caps.keypads.len(), 1);
        prop_assert_eq!(caps.keypads[0].bit_offset, s.keypad_at());
        prop_assert_eq!(caps.keypads[0].bit_size, s.key_bits);
        prop_assert_eq!(caps.outputs.len(), 3);
        prop_assert_eq!(caps.one_report_per_output, !s.leds_one_report);

        // Decoded: rest, off-hook, a key down and up, on-hook.
        let mut dec = Decoder::new(&desc, caps.clone(), DecoderSettings::default());
        let t0 = Instant::now();
        let mut n = 0u64;
        let mut feed = |report: Vec<u8>| {
            n += 1;
            dec.decode(&report, t0 + Duration::from_millis(100 * n))
        };
        let (kmin, _) = s.logical_key_range();
        // At rest: on-hook, no key (the null value, or the first value seen).
        let rest_key = if s.null_state { 0 } else { kmin };
        prop_assert_eq!(feed(input(&s, 0, rest_key)), vec![]);
        // A key other than the resting value.
        let choices = if s.null_state { s.keys() } else { s.keys() - 1 };
        let pick = key.index(choices as usize) as u32;
        let (key_value, key_index) = if s.null_state {
            (i64::from(pick) + 1, pick)
        } else {
            (i64::from(pick) + 1, pick + 1)
        };
        let lifted = feed(input(&s, 1, rest_key));
        let want_lift = match s.hook {
            Hook::Absolute { .. } | Hook::TwoButtons => PhoneInput::HookOff,
            Hook::Toggle { .. } => PhoneInput::HookToggle,
        };
        prop_assert_eq!(lifted, vec![want_lift]);
        // A relative control goes back to 0 between presses: nothing.
        let held = match s.hook {
            Hook::Absolute { .. } => 1,
            _ => 0,
        };
        prop_assert_eq!(feed(input(&s, held, rest_key)), vec![]);
        prop_assert_eq!(
            feed(input(&s, held, key_value)),
            vec![PhoneInput::Key(key_char(key_index))]
        );
        prop_assert_eq!(feed(input(&s, held, rest_key)), vec![]);
        // Put down: the hang-up is never lost.
        let (down, want_down) = match s.hook {
            Hook::Absolute { .. } => (0, PhoneInput::HookOn),
            Hook::TwoButtons => (-1, PhoneInput::HookOn),
            Hook::Toggle { .. } => (1, PhoneInput::HookToggle),
        };
        prop_assert_eq!(feed(input(&s, down, rest_key)), vec![want_down]);

        // Written: Off-Hook and Ring lit, Mute not, in the reports declared.
        let mut enc = Encoder::new(&desc, &caps);
        let reports = enc.encode(&DeviceState { off_hook: true, ring: true, ..DeviceState::default() });
        if s.leds_one_report {
            let want = if s.uses_ids() { vec![vec![2, 0b101]] } else { vec![vec![0b101]] };
            prop_assert_eq!(reports, want);
        } else {
            prop_assert_eq!(reports, vec![vec![0x11, 1], vec![0x12, 0], vec![0x13, 1]]);
        }
    }
}

#[test]
fn a_one_bit_array_with_a_null_state_is_one_key() {
    let s = Shape {
        report_ids: false,
        nesting: 1,
        hook: Hook::Absolute { preferred: true },
        pad: 7,
        key_bits: 1,
        null_state: true,
        leds_one_report: true,
    };
    let desc = parse(&descriptor(&s)).unwrap();
    let caps = capabilities(&desc);
    assert_eq!(
        caps.keypads[0].bit_offset, 9,
        "crosses into the second byte"
    );
    let mut dec = Decoder::new(&desc, caps, DecoderSettings::default());
    let t = Instant::now();
    assert_eq!(dec.decode(&input(&s, 0, 1), t), vec![PhoneInput::Key('0')]);
    assert_eq!(
        dec.decode(&input(&s, 0, 0), t + Duration::from_millis(100)),
        vec![]
    );
    assert_eq!(
        dec.decode(&input(&s, 0, 1), t + Duration::from_millis(200)),
        vec![PhoneInput::Key('0')]
    );
}
