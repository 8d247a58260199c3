//! The phone's state to output reports: LEDs and the ringer, whether the device
//! packs them in one report (Jabra, EPOS) or has one report per LED (Poly).
//! Only reports whose bytes change are written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bits;
use crate::capabilities::{Capabilities, OutputControl};
use crate::descriptor::ReportDescriptor;
use crate::usage::{PAGE_LED, PAGE_TELEPHONY, Usage};

/// What the device should show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceState {
    /// A call is active or being dialled (also drives On-Line).
    pub off_hook: bool,
    /// A call rings.
    pub ring: bool,
    pub mute: bool,
    /// The focused call is held.
    pub hold: bool,
    pub message_waiting: bool,
    pub dnd: bool,
    /// Sound the device's own ringer (handsets with a buzzer).
    pub ringer: bool,
    /// Our presence, for busylights when no call needs them.
    #[serde(default)]
    pub presence: Presence,
}

/// Where we stand, as a light shows it (the phone's availability, with
/// "on the phone" as busy).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    #[default]
    Available,
    Away,
    Busy,
    Dnd,
    Offline,
}

/// Whether `usage` is lit in `state`; `None` for outputs the phone does not drive.
fn wanted(usage: Usage, state: &DeviceState) -> Option<bool> {
    match (usage.page, usage.id) {
        (PAGE_LED, 0x17 | 0x2A) => Some(state.off_hook),
        (PAGE_LED, 0x18) => Some(state.ring),
        (PAGE_LED, 0x09) => Some(state.mute),
        (PAGE_LED, 0x20) => Some(state.hold),
        (PAGE_LED, 0x19) => Some(state.message_waiting),
        (PAGE_LED, 0x08) => Some(state.dnd),
        (PAGE_TELEPHONY, 0x9E) => Some(state.ringer),
        _ => None,
    }
}

pub struct Encoder {
    /// Output controls grouped by report ID.
    reports: BTreeMap<u8, Vec<OutputControl>>,
    uses_report_ids: bool,
    sent: BTreeMap<u8, Vec<u8>>,
}

impl Encoder {
    pub fn new(desc: &ReportDescriptor, caps: &Capabilities) -> Encoder {
        let mut reports: BTreeMap<u8, Vec<OutputControl>> = BTreeMap::new();
        for o in &caps.outputs {
            reports.entry(o.report_id).or_default().push(o.clone());
        }
        Encoder {
            reports,
            uses_report_ids: desc.uses_report_ids,
            sent: BTreeMap::new(),
        }
    }

    /// The reports to write for `state`: only those that differ from what was
    /// last written (all of them the first time).
    pub fn encode(&mut self, state: &DeviceState) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for (&id, controls) in &self.reports {
            let Some(len) = controls.first().map(|c| c.report_len) else {
                continue;
            };
            let mut report = vec![0u8; len];
            let start = usize::from(self.uses_report_ids);
            if self.uses_report_ids {
                report[0] = id;
            }
            for c in controls {
                if let Some(on) = wanted(c.usage, state) {
                    bits::write(
                        &mut report[start..],
                        c.bit_offset,
                        c.bit_size,
                        u32::from(on),
                    );
                }
            }
            if self.sent.get(&id) != Some(&report) {
                self.sent.insert(id, report.clone());
                out.push(report);
            }
        }
        out
    }

    /// Forgets what was written: the next `encode` writes every report (a device
    /// plugged in again, or after a write error).
    pub fn forget(&mut self) {
        self.sent.clear();
    }
}
