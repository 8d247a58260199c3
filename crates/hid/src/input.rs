//! What a device's buttons and switches mean to the phone.

use serde::Serialize;

use crate::usage::{PAGE_BUTTON, PAGE_CONSUMER, PAGE_TELEPHONY, Usage};

/// A gesture on a device, as the phone sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum PhoneInput {
    /// The hook switch reports off-hook (a handset lifted, a call button latched).
    HookOff,
    /// The hook switch reports on-hook.
    HookOn,
    /// A hook *button* was pressed: the phone decides what it means.
    HookToggle,
    MuteToggle,
    Mute(bool),
    Flash,
    Hold,
    Redial,
    Transfer,
    Drop,
    Send,
    /// A keypad key: 0-9, *, #, A-D.
    Key(char),
    Dnd,
    VolumeUp,
    VolumeDown,
    LineBusy(bool),
    SpeedDial,
    VoiceMail,
    /// The device's programmable button (Telephony 0x07) or a numbered button.
    Button(u16),
    /// A vendor gesture a profile maps to "decline the ringing call".
    Reject,
    /// The Conference key (Telephony 0x2C): merge the calls.
    Conference,
    /// A button a profile maps to "pick up the call ringing at a busy lamp".
    PickupLamp,
    /// The Microsoft Teams button of certified headsets (vendor page 0xFF99).
    Teams,
}

/// The Teams button: usage page 0xFF99, usage 4, a one-bit input in the
/// page's own application collection (report 0x9B on the headsets seen).
pub const TEAMS_BUTTON: Usage = Usage::new(0xFF99, 0x0004);

/// Vendor usages every device gets decoded, profile or not: buttons whose
/// meaning is the same on every device that has them.
pub fn known_vendor_gestures() -> Vec<(Usage, PhoneInput)> {
    vec![(TEAMS_BUTTON, PhoneInput::Teams)]
}

/// The key a telephony keypad usage stands for.
pub fn key_of(usage: Usage) -> Option<char> {
    if usage.page != PAGE_TELEPHONY {
        return None;
    }
    match usage.id {
        id @ 0xB0..=0xB9 => Some((b'0' + (id - 0xB0) as u8) as char),
        0xBA => Some('*'),
        0xBB => Some('#'),
        id @ 0xBC..=0xBF => Some((b'A' + (id - 0xBC) as u8) as char),
        _ => None,
    }
}

/// What a press (or a change to "on") of a usage means; `None` for usages that
/// carry no phone gesture. Switch-like usages are handled by the decoder.
pub fn press_of(usage: Usage) -> Option<PhoneInput> {
    Some(match (usage.page, usage.id) {
        (PAGE_TELEPHONY, 0x20) => PhoneInput::HookToggle,
        (PAGE_TELEPHONY, 0x21) => PhoneInput::Flash,
        (PAGE_TELEPHONY, 0x23) => PhoneInput::Hold,
        (PAGE_TELEPHONY, 0x24) => PhoneInput::Redial,
        (PAGE_TELEPHONY, 0x25) => PhoneInput::Transfer,
        (PAGE_TELEPHONY, 0x26) => PhoneInput::Drop,
        (PAGE_TELEPHONY, 0x2C) => PhoneInput::Conference,
        (PAGE_TELEPHONY, 0x2F) => PhoneInput::MuteToggle,
        (PAGE_TELEPHONY, 0x31) => PhoneInput::Send,
        (PAGE_TELEPHONY, 0x50) => PhoneInput::SpeedDial,
        (PAGE_TELEPHONY, 0x70) => PhoneInput::VoiceMail,
        (PAGE_TELEPHONY, 0x72) => PhoneInput::Dnd,
        (PAGE_TELEPHONY, 0x07) => PhoneInput::Button(0),
        (PAGE_CONSUMER, 0xE9) => PhoneInput::VolumeUp,
        (PAGE_CONSUMER, 0xEA) => PhoneInput::VolumeDown,
        (PAGE_CONSUMER, 0xE2) => PhoneInput::MuteToggle,
        (PAGE_BUTTON, n) => PhoneInput::Button(n),
        _ => return key_of(usage).map(PhoneInput::Key),
    })
}
