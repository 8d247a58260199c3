//! Learning a device: which control each button moves, from the input reports
//! seen while the user presses it, and a device profile drafted from that.
//! Used by `hookswitch hid-learn`; pure, so it is tested with real descriptors.

use std::collections::BTreeMap;

use crate::bits;
use crate::descriptor::{ReportDescriptor, ReportKind};
use crate::input::PhoneInput;
use crate::profile::HookSemantics;
use crate::usage::{PAGE_BUTTON, PAGE_TELEPHONY, Usage, is_vendor_page};

const HOOK_SWITCH: Usage = Usage::new(PAGE_TELEPHONY, 0x20);

/// One variable input control found in the descriptor, vendor pages included.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Control {
    usage: Usage,
    report_id: u8,
    bit_offset: u32,
    bit_size: u32,
    logical_min: i64,
    vendor: bool,
}

/// A control that moved during a gesture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub usage: Usage,
    pub vendor: bool,
    /// It went back to its resting value before the gesture ended (a button),
    /// rather than staying (a switch).
    pub released: bool,
}

pub struct Learner {
    controls: Vec<Control>,
    uses_report_ids: bool,
    /// The latest report of each ID seen at rest.
    idle: BTreeMap<u8, Vec<u8>>,
}

impl Learner {
    pub fn new(desc: &ReportDescriptor) -> Learner {
        let mut controls = Vec::new();
        for (collection, field) in desc.fields() {
            if field.kind != ReportKind::Input || field.flags.constant() || !field.flags.variable()
            {
                continue;
            }
            let vendor = is_vendor_page(collection.usage.page)
                || field.collections.iter().any(|c| is_vendor_page(c.page));
            for i in 0..field.count {
                let Some(usage) = field.usage_at(i as usize) else {
                    continue;
                };
                controls.push(Control {
                    usage,
                    report_id: field.report_id,
                    bit_offset: field.bit_offset + i * field.bit_size,
                    bit_size: field.bit_size,
                    logical_min: field.logical_min,
                    vendor: vendor || is_vendor_page(usage.page),
                });
            }
        }
        Learner {
            controls,
            uses_report_ids: desc.uses_report_ids,
            idle: BTreeMap::new(),
        }
    }

    fn split<'a>(&self, report: &'a [u8]) -> Option<(u8, &'a [u8])> {
        if self.uses_report_ids {
            report.split_first().map(|(id, rest)| (*id, rest))
        } else {
            Some((0, report))
        }
    }

    /// A report seen while nothing is pressed.
    pub fn observe_idle(&mut self, report: &[u8]) {
        if let Some((id, _)) = self.split(report) {
            self.idle.insert(id, report.to_vec());
        }
    }

    fn value(&self, c: &Control, report: &[u8]) -> Option<i64> {
        let (id, data) = self.split(report)?;
        (id == c.report_id).then_some(())?;
        bits::read_logical(data, c.bit_offset, c.bit_size, c.logical_min)
    }

    /// The controls that moved from rest in `reports` (one gesture, in order).
    /// A report ID never seen at rest counts as all zeros at rest.
    pub fn changes(&self, reports: &[Vec<u8>]) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        for c in &self.controls {
            let rest = self
                .idle
                .get(&c.report_id)
                .and_then(|r| self.value(c, r))
                .unwrap_or(0);
            let values: Vec<i64> = reports.iter().filter_map(|r| self.value(c, r)).collect();
            if !values.iter().any(|v| *v != rest) {
                continue;
            }
            if out.iter().any(|o| o.usage == c.usage) {
                continue;
            }
            out.push(Change {
                usage: c.usage,
                vendor: c.vendor,
                released: values.last() == Some(&rest),
            });
        }
        out
    }
}

/// What the user was asked to do, in `hookswitch hid-learn`'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gesture {
    /// Lift the handset, or press the call button to answer.
    Answer,
    /// Put the handset down, or press the call button to hang up.
    HangUp,
    Mute,
    VolumeUp,
    VolumeDown,
    Flash,
    Hold,
    Redial,
    /// The button that declines a ringing call.
    Reject,
}

impl Gesture {
    pub const ALL: [Gesture; 9] = [
        Gesture::Answer,
        Gesture::HangUp,
        Gesture::Mute,
        Gesture::VolumeUp,
        Gesture::VolumeDown,
        Gesture::Flash,
        Gesture::Hold,
        Gesture::Redial,
        Gesture::Reject,
    ];

    pub fn prompt(self) -> &'static str {
        match self {
            Gesture::Answer => "Lift the handset, or press the call/answer button once",
            Gesture::HangUp => "Put the handset down, or press the call/answer button again",
            Gesture::Mute => "Press the mute button once",
            Gesture::VolumeUp => "Press volume up once",
            Gesture::VolumeDown => "Press volume down once",
            Gesture::Flash => "Press the flash (or swap) button once",
            Gesture::Hold => "Press the hold button once",
            Gesture::Redial => "Press the redial button once",
            Gesture::Reject => "Press the button that should decline a ringing call",
        }
    }

    /// The gesture name a profile's vendor mapping uses.
    fn profile_gesture(self) -> &'static str {
        match self {
            Gesture::Answer | Gesture::HangUp => "HookToggle",
            Gesture::Mute => "MuteToggle",
            Gesture::VolumeUp => "VolumeUp",
            Gesture::VolumeDown => "VolumeDown",
            Gesture::Flash => "Flash",
            Gesture::Hold => "Hold",
            Gesture::Redial => "Redial",
            Gesture::Reject => "Reject",
        }
    }
}

/// A profile drafted from what was learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    pub name: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub hook: Option<HookSemantics>,
    pub reject: Option<String>,
    pub vendor_inputs: Vec<(Usage, &'static str)>,
    /// What was learnt, for the file's comments.
    pub notes: Vec<String>,
}

impl Draft {
    pub fn new(name: &str, vendor_id: u16, product_id: u16) -> Draft {
        Draft {
            name: name.into(),
            vendor_id,
            product_id,
            ..Draft::default()
        }
    }

    /// Records what one gesture moved.
    pub fn learn(&mut self, gesture: Gesture, changes: &[Change]) {
        let label = format!("{gesture:?}");
        let Some(first) = changes.iter().find(|c| !c.vendor).or(changes.first()) else {
            self.notes.push(format!(
                "{label}: nothing moved (skipped or no such button)"
            ));
            return;
        };
        let name = first
            .usage
            .name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{:#06x}:{:#06x}", first.usage.page, first.usage.id));
        self.notes.push(format!(
            "{label}: {name} ({})",
            if first.released { "button" } else { "switch" }
        ));
        if first.usage == HOOK_SWITCH && gesture == Gesture::Answer {
            // A hook that springs back is a button the host must toggle on.
            self.hook = Some(if first.released {
                HookSemantics::Toggle
            } else {
                HookSemantics::Absolute
            });
            return;
        }
        if gesture == Gesture::Reject && first.usage.page == PAGE_BUTTON {
            self.reject = Some(format!("Button({})", first.usage.id));
            return;
        }
        if first.vendor && !self.vendor_inputs.iter().any(|(u, _)| *u == first.usage) {
            self.vendor_inputs
                .push((first.usage, gesture.profile_gesture()));
        }
    }

    /// The profile file (device-profiles/README.md's schema).
    pub fn to_toml(&self) -> String {
        let mut t = String::from("# Written by `hookswitch hid-learn`.\n");
        for n in &self.notes {
            t.push_str(&format!("#   {n}\n"));
        }
        t.push_str(&format!(
            "name = {:?}\n\n[match]\nvendor_id = \"0x{:04x}\"\nproduct_ids = [\"0x{:04x}\"]\n\n[quirks]\n",
            self.name, self.vendor_id, self.product_id
        ));
        if let Some(h) = self.hook {
            let h = match h {
                HookSemantics::Descriptor => "descriptor",
                HookSemantics::Absolute => "absolute",
                HookSemantics::Toggle => "toggle",
            };
            t.push_str(&format!("hook = \"{h}\"\n"));
        }
        if let Some(r) = &self.reject {
            t.push_str(&format!("reject = \"{r}\"\n"));
        }
        for (u, g) in &self.vendor_inputs {
            t.push_str(&format!(
                "\n[[vendor_inputs]]\nusage = \"0x{:04X}:0x{:04X}\"\ngesture = \"{g}\"\n",
                u.page, u.id
            ));
        }
        t
    }
}

/// Whether a learnt gesture is already understood without a profile entry.
pub fn understood(gesture: Gesture, change: &Change) -> bool {
    let standard = crate::input::press_of(change.usage);
    !change.vendor
        && match gesture {
            Gesture::Answer | Gesture::HangUp => change.usage == HOOK_SWITCH,
            Gesture::Mute => matches!(standard, Some(PhoneInput::MuteToggle)),
            _ => standard.is_some(),
        }
}
