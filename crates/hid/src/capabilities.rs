//! What a telephony device can do, read off its descriptor: which controls it
//! reports and how (HID Usage Tables 3.4.1.2), which LEDs and ringer it accepts.
//! Vendor pages are left out; device profiles can bring them back.

use serde::Serialize;

use crate::descriptor::{Field, ReportDescriptor, ReportKind};
use crate::usage::{PAGE_BUTTON, PAGE_CONSUMER, PAGE_LED, PAGE_TELEPHONY, Usage, is_vendor_page};

/// How an input control reports (HID Usage Tables 3.4.1.2, On/Off Control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Behaviour {
    /// Absolute, no preferred state: the report carries the state (a handset's
    /// hook switch). The device is the truth.
    AbsoluteSwitch,
    /// Relative: each 1 is one press that asks to flip the state (Phone Mute).
    ToggleButton,
    /// Relative with a negative minimum: -1 means off, +1 means on.
    TwoButtons,
    /// Absolute with a preferred state: 1 while held (a push button).
    Momentary,
}

impl Behaviour {
    fn of(field: &Field) -> Behaviour {
        match (
            field.flags.relative(),
            field.logical_min < 0,
            field.flags.no_preferred(),
        ) {
            (true, true, _) => Behaviour::TwoButtons,
            (true, false, _) => Behaviour::ToggleButton,
            (false, _, true) => Behaviour::AbsoluteSwitch,
            (false, _, false) => Behaviour::Momentary,
        }
    }
}

/// One input control: a usage at a place in an input report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputControl {
    pub usage: Usage,
    pub name: String,
    pub behaviour: Behaviour,
    pub report_id: u8,
    pub bit_offset: u32,
    pub bit_size: u32,
    pub logical_min: i64,
}

/// A keypad (or any selector array): each value picks a key (or a
/// programmable button), anything else none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Keypad {
    pub report_id: u8,
    pub bit_offset: u32,
    pub bit_size: u32,
    pub count: u32,
    pub logical_min: i64,
    pub logical_max: i64,
    pub keys: Vec<Usage>,
}

/// One output control: an LED or the ringer, a bit (or more) in an output report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutputControl {
    pub usage: Usage,
    pub name: String,
    pub report_id: u8,
    pub bit_offset: u32,
    pub bit_size: u32,
    /// Bytes of the whole output report, report ID included.
    pub report_len: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The device has a Telephony application collection (Phone, Headset, Handset...).
    pub telephony: bool,
    pub inputs: Vec<InputControl>,
    pub keypads: Vec<Keypad>,
    pub outputs: Vec<OutputControl>,
    /// Every LED in a report of its own (Poly) rather than all in one (Jabra, EPOS).
    pub one_report_per_output: bool,
}

impl Keypad {
    /// Whether 0 lies outside the logical range: then 0 is the array at rest
    /// (a value outside the range is no key, HID 1.11 §5.10, §6.2.2.5) and
    /// every value inside is a key from the first report on. Where 0 is a
    /// key's value, devices differ on what they send at rest (Jabra's
    /// keypads send 0, the '0' key, with or without a Null State): the
    /// first value seen is taken as the rest (docs/decisions.md D82).
    pub fn rest_is_out_of_range(&self) -> bool {
        !(self.logical_min..=self.logical_max).contains(&0)
    }

    /// It has dialling keys (not only programmable buttons).
    pub fn dials(&self) -> bool {
        self.keys.iter().any(|k| crate::input::key_of(*k).is_some())
    }
}

impl Capabilities {
    pub fn input(&self, usage: Usage) -> Option<&InputControl> {
        self.inputs.iter().find(|i| i.usage == usage)
    }

    pub fn output(&self, usage: Usage) -> Option<&OutputControl> {
        self.outputs.iter().find(|o| o.usage == usage)
    }
}

/// Pages whose inputs matter to a phone.
fn wanted_input(u: Usage) -> bool {
    matches!(u.page, PAGE_TELEPHONY | PAGE_BUTTON)
        || (u.page == PAGE_CONSUMER && matches!(u.id, 0xE2 | 0xE9 | 0xEA | 0xCD))
}

/// What a phone may drive: LEDs, and the Telephony page's ringer.
fn wanted_output(u: Usage) -> bool {
    u.page == PAGE_LED || u == Usage::telephony(0x9E)
}

/// The control for element `i` (usage `u`) of a variable input field.
fn input_control(field: &Field, i: u32, u: Usage) -> InputControl {
    let behaviour = match Behaviour::of(field) {
        // Hook Switch is an On/Off Control (HUT 1.5 §3.4.1.2, §14.1): absolute,
        // its value is the hook's state, whatever Preferred State says (HID
        // 1.11 §6.2.2.5 lets a control claim a rest position; a hook that
        // reports its state has two). Read as a push button, such a device
        // would lose every hang-up (docs/decisions.md D82).
        Behaviour::Momentary if u == Usage::telephony(0x20) => Behaviour::AbsoluteSwitch,
        b => b,
    };
    InputControl {
        usage: u,
        name: name(u),
        behaviour,
        report_id: field.report_id,
        bit_offset: field.bit_offset + i * field.bit_size,
        bit_size: field.bit_size,
        logical_min: field.logical_min,
    }
}

/// A selector array whose choices include telephony keypad keys (0xB0-0xBF)
/// or buttons (a Programmable Button array).
fn is_keypad(field: &Field) -> bool {
    field.usages.iter().any(|u| {
        (u.page == PAGE_TELEPHONY && (0xB0..=0xBF).contains(&u.id))
            // Telephony's Programmable Button (0x07) is a named array of
            // Button page usages (HUT §14): each choice is a button.
            || u.page == PAGE_BUTTON
    })
}

fn name(u: Usage) -> String {
    u.to_string()
}

/// Reads the capabilities off a parsed descriptor.
pub fn capabilities(desc: &ReportDescriptor) -> Capabilities {
    capabilities_with(desc, &[])
}

/// As `capabilities`, also taking the vendor-page inputs a profile names.
pub fn capabilities_with(desc: &ReportDescriptor, vendor_inputs: &[Usage]) -> Capabilities {
    let mut caps = Capabilities::default();
    for collection in &desc.collections {
        let page = collection.usage.page;
        let telephony = page == PAGE_TELEPHONY;
        caps.telephony |= telephony;
        for field in &collection.fields {
            let vendor =
                is_vendor_page(page) || field.collections.iter().any(|c| is_vendor_page(c.page));
            if field.flags.constant() {
                continue;
            }
            if vendor {
                // Only the usages a profile asks for, as plain button presses.
                if field.kind == ReportKind::Input && field.flags.variable() {
                    for i in 0..field.count {
                        let Some(u) = field.usage_at(i as usize) else {
                            continue;
                        };
                        if vendor_inputs.contains(&u) {
                            caps.inputs.push(input_control(field, i, u));
                        }
                    }
                }
                continue;
            }
            match field.kind {
                ReportKind::Input if field.flags.variable() => {
                    for i in 0..field.count {
                        let Some(u) = field.usage_at(i as usize) else {
                            continue;
                        };
                        // Consumer volume/mute counts everywhere; the rest only in
                        // telephony collections (a keyboard's buttons are not ours).
                        if !wanted_input(u) || (!telephony && u.page != PAGE_CONSUMER) {
                            continue;
                        }
                        caps.inputs.push(input_control(field, i, u));
                    }
                }
                ReportKind::Input if telephony && is_keypad(field) => {
                    caps.keypads.push(Keypad {
                        report_id: field.report_id,
                        bit_offset: field.bit_offset,
                        bit_size: field.bit_size,
                        count: field.count,
                        logical_min: field.logical_min,
                        logical_max: field.logical_max,
                        keys: field.usages.clone(),
                    });
                }
                ReportKind::Output if field.flags.variable() => {
                    let report_len = desc.report_len(ReportKind::Output, field.report_id);
                    for i in 0..field.count {
                        let Some(u) = field.usage_at(i as usize) else {
                            continue;
                        };
                        if !wanted_output(u) {
                            continue;
                        }
                        caps.outputs.push(OutputControl {
                            usage: u,
                            name: name(u),
                            report_id: field.report_id,
                            bit_offset: field.bit_offset + i * field.bit_size,
                            bit_size: field.bit_size,
                            report_len,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    let mut ids: Vec<u8> = caps.outputs.iter().map(|o| o.report_id).collect();
    ids.sort_unstable();
    ids.dedup();
    caps.one_report_per_output = caps.outputs.len() > 1 && ids.len() == caps.outputs.len();
    caps
}
