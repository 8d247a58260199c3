//! Input reports to phone gestures: edge-triggered, debounced, and aware of the
//! hook "echo" some headsets send right after the host sets Off-Hook.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::bits;
use crate::capabilities::{Behaviour, Capabilities};
use crate::descriptor::ReportDescriptor;
use crate::input::{PhoneInput, key_of, press_of};
use crate::usage::{PAGE_BUTTON, PAGE_TELEPHONY, Usage};

/// How the hook switch behaves, whatever the descriptor says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookSemantics {
    /// As the descriptor declares it.
    #[default]
    Descriptor,
    /// The report carries the hook state (handsets).
    Absolute,
    /// Each press asks to flip the state; the host decides.
    Toggle,
}

const HOOK_SWITCH: Usage = Usage::new(PAGE_TELEPHONY, 0x20);
const PHONE_MUTE: Usage = Usage::new(PAGE_TELEPHONY, 0x2F);
const LINE_BUSY: Usage = Usage::new(PAGE_TELEPHONY, 0x97);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderSettings {
    /// A control that changes again within this time after a reported change is
    /// chatter: the change is not reported.
    pub debounce: Duration,
    /// After the host sets the Off-Hook LED, a hook report agreeing with it within
    /// this time is the device's echo, not a gesture (Jabra-class headsets).
    pub hook_echo_window: Duration,
    /// The hook switch's behaviour when a profile overrides the descriptor.
    pub hook: HookSemantics,
    /// Vendor-page usages a profile maps to gestures (pressed = the gesture).
    pub vendor_gestures: Vec<(Usage, PhoneInput)>,
}

impl Default for DecoderSettings {
    fn default() -> Self {
        DecoderSettings {
            debounce: Duration::from_millis(15),
            hook_echo_window: Duration::ZERO,
            hook: HookSemantics::Descriptor,
            vendor_gestures: Vec::new(),
        }
    }
}

/// Counts of what the decoder could not use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecoderStats {
    pub reports: u64,
    pub unknown_reports: u64,
    pub short_reports: u64,
    pub debounced: u64,
    pub echoes: u64,
}

pub struct Decoder {
    caps: Capabilities,
    uses_report_ids: bool,
    settings: DecoderSettings,
    /// Last value of each input control (devices idle at 0).
    values: Vec<i64>,
    last_change: Vec<Option<Instant>>,
    keys: Vec<Option<Usage>>,
    /// Each keypad's value at rest, learnt from the first report that carries it:
    /// value 0 is both "Phone Key 0" and the resting value on some devices.
    keypad_idle: Vec<Option<i64>>,
    expected_hook: Option<(bool, Instant)>,
    stats: DecoderStats,
}

impl Decoder {
    pub fn new(desc: &ReportDescriptor, caps: Capabilities, settings: DecoderSettings) -> Decoder {
        Decoder {
            values: vec![0; caps.inputs.len()],
            last_change: vec![None; caps.inputs.len()],
            keys: vec![None; caps.keypads.len()],
            keypad_idle: vec![None; caps.keypads.len()],
            uses_report_ids: desc.uses_report_ids,
            caps,
            settings,
            expected_hook: None,
            stats: DecoderStats::default(),
        }
    }

    pub fn stats(&self) -> &DecoderStats {
        &self.stats
    }

    /// The host has just set the Off-Hook LED to `off_hook`.
    pub fn expect_hook_echo(&mut self, off_hook: bool, now: Instant) {
        if !self.settings.hook_echo_window.is_zero() {
            self.expected_hook = Some((off_hook, now + self.settings.hook_echo_window));
        }
    }

    /// One input report (with its report ID byte when the device uses IDs).
    pub fn decode(&mut self, report: &[u8], now: Instant) -> Vec<PhoneInput> {
        self.stats.reports += 1;
        let (id, data) = match (self.uses_report_ids, report.split_first()) {
            (true, Some((id, rest))) => (*id, rest),
            (true, None) => {
                self.stats.short_reports += 1;
                return Vec::new();
            }
            (false, _) => (0, report),
        };
        let mut out = Vec::new();
        let mut known = false;
        for i in 0..self.caps.inputs.len() {
            let c = &self.caps.inputs[i];
            if c.report_id != id {
                continue;
            }
            known = true;
            let Some(value) = bits::read_logical(data, c.bit_offset, c.bit_size, c.logical_min)
            else {
                self.stats.short_reports += 1;
                continue;
            };
            let previous = std::mem::replace(&mut self.values[i], value);
            if value == previous {
                continue;
            }
            if self.last_change[i].is_some_and(|t| now.duration_since(t) < self.settings.debounce) {
                self.stats.debounced += 1;
                continue;
            }
            self.last_change[i] = Some(now);
            let (usage, behaviour) = (c.usage, c.behaviour);
            if let Some(input) = self.meaning(usage, behaviour, previous, value, now) {
                out.push(input);
            }
        }
        for k in 0..self.caps.keypads.len() {
            let pad = &self.caps.keypads[k];
            if pad.report_id != id {
                continue;
            }
            known = true;
            let Some(value) =
                bits::read_logical(data, pad.bit_offset, pad.bit_size, pad.logical_min)
            else {
                self.stats.short_reports += 1;
                continue;
            };
            let in_range = value >= pad.logical_min && value <= pad.logical_max;
            // 0 a key's value: the first value seen is the array at rest.
            let idle = if pad.rest_is_out_of_range() {
                None
            } else {
                Some(*self.keypad_idle[k].get_or_insert(value))
            };
            let index = value - pad.logical_min;
            let key = (Some(value) != idle && in_range)
                .then(|| {
                    usize::try_from(index)
                        .ok()
                        .and_then(|i| pad.keys.get(i).copied())
                })
                .flatten();
            if key != self.keys[k] {
                self.keys[k] = key;
                let pressed = key.and_then(|u| match key_of(u) {
                    Some(c) => Some(PhoneInput::Key(c)),
                    None if u.page == PAGE_BUTTON => Some(PhoneInput::Button(u.id)),
                    None => None,
                });
                out.extend(pressed);
            }
        }
        if !known {
            self.stats.unknown_reports += 1;
        }
        out
    }

    fn meaning(
        &mut self,
        usage: Usage,
        behaviour: Behaviour,
        previous: i64,
        value: i64,
        now: Instant,
    ) -> Option<PhoneInput> {
        if let Some((_, gesture)) = self
            .settings
            .vendor_gestures
            .iter()
            .find(|(u, _)| *u == usage)
        {
            return (previous == 0 && value > 0).then_some(*gesture);
        }
        let behaviour = match (usage, self.settings.hook) {
            (HOOK_SWITCH, HookSemantics::Absolute) => Behaviour::AbsoluteSwitch,
            (HOOK_SWITCH, HookSemantics::Toggle) => Behaviour::ToggleButton,
            _ => behaviour,
        };
        match (usage, behaviour) {
            (HOOK_SWITCH, Behaviour::AbsoluteSwitch) => {
                let off = value != 0;
                if let Some((expected, until)) = self.expected_hook.take()
                    && expected == off
                    && now <= until
                {
                    self.stats.echoes += 1;
                    return None;
                }
                Some(if off {
                    PhoneInput::HookOff
                } else {
                    PhoneInput::HookOn
                })
            }
            // Two buttons (HUT 3.4.1.2): +1 one way, -1 the other, 0 is
            // neither pressed and says nothing.
            (HOOK_SWITCH, Behaviour::TwoButtons) => match value.signum() {
                1 => Some(PhoneInput::HookOff),
                -1 => Some(PhoneInput::HookOn),
                _ => None,
            },
            (PHONE_MUTE, Behaviour::TwoButtons) => {
                (value != 0).then_some(PhoneInput::Mute(value > 0))
            }
            (PHONE_MUTE, Behaviour::AbsoluteSwitch) => Some(PhoneInput::Mute(value > 0)),
            (LINE_BUSY, Behaviour::AbsoluteSwitch) => Some(PhoneInput::LineBusy(value != 0)),
            // Buttons: the press counts, the release does not.
            _ if previous == 0 && value > 0 => press_of(usage),
            _ => None,
        }
    }
}
