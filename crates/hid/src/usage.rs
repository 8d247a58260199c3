//! HID usages (page and ID) and the names the HID Usage Tables give the ones a
//! telephony device uses.

use std::fmt;

use serde::Serialize;

pub const PAGE_GENERIC_DESKTOP: u16 = 0x01;
pub const PAGE_LED: u16 = 0x08;
pub const PAGE_BUTTON: u16 = 0x09;
pub const PAGE_TELEPHONY: u16 = 0x0B;
pub const PAGE_CONSUMER: u16 = 0x0C;

/// Pages from 0xFF00 up belong to vendors (Jabra 0xFF30, Poly 0xFFA0, Teams 0xFF99...).
pub fn is_vendor_page(page: u16) -> bool {
    page >= 0xFF00
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Usage {
    pub page: u16,
    pub id: u16,
}

impl Usage {
    pub const fn new(page: u16, id: u16) -> Usage {
        Usage { page, id }
    }

    /// From a 32-bit extended usage (page in the high half).
    pub fn from_u32(v: u32) -> Usage {
        Usage::new((v >> 16) as u16, v as u16)
    }

    pub fn telephony(id: u16) -> Usage {
        Usage::new(PAGE_TELEPHONY, id)
    }

    pub fn led(id: u16) -> Usage {
        Usage::new(PAGE_LED, id)
    }

    pub fn consumer(id: u16) -> Usage {
        Usage::new(PAGE_CONSUMER, id)
    }

    /// The HID Usage Tables name, or `None` for usages we have no name for.
    pub fn name(self) -> Option<&'static str> {
        match self.page {
            PAGE_TELEPHONY => telephony_name(self.id),
            PAGE_LED => led_name(self.id),
            PAGE_CONSUMER => consumer_name(self.id),
            _ => None,
        }
    }
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.page) {
            (Some(n), _) => f.write_str(n),
            (None, PAGE_BUTTON) => write!(f, "Button {}", self.id),
            (None, _) => write!(f, "{:04X}:{:04X}", self.page, self.id),
        }
    }
}

fn telephony_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x01 => "Phone",
        0x02 => "Answering Machine",
        0x03 => "Message Controls",
        0x04 => "Handset",
        0x05 => "Headset",
        0x06 => "Telephony Key Pad",
        0x07 => "Programmable Button",
        0x20 => "Hook Switch",
        0x21 => "Flash",
        0x22 => "Feature",
        0x23 => "Hold",
        0x24 => "Redial",
        0x25 => "Transfer",
        0x26 => "Drop",
        0x27 => "Park",
        0x28 => "Forward Calls",
        0x29 => "Alternate Function",
        0x2A => "Line",
        0x2B => "Speaker Phone",
        0x2C => "Conference",
        0x2D => "Ring Enable",
        0x2E => "Ring Select",
        0x2F => "Phone Mute",
        0x30 => "Caller ID",
        0x31 => "Send",
        0x50 => "Speed Dial",
        0x51 => "Store Number",
        0x52 => "Recall Number",
        0x53 => "Phone Directory",
        0x70 => "Voice Mail",
        0x71 => "Screen Calls",
        0x72 => "Do Not Disturb",
        0x73 => "Message",
        0x74 => "Answer On/Off",
        0x90 => "Inside Dial Tone",
        0x91 => "Outside Dial Tone",
        0x92 => "Inside Ring Tone",
        0x93 => "Outside Ring Tone",
        0x94 => "Priority Ring Tone",
        0x95 => "Inside Ringback",
        0x96 => "Priority Ringback",
        0x97 => "Line Busy Tone",
        0x98 => "Reorder Tone",
        0x99 => "Call Waiting Tone",
        0x9A => "Confirmation Tone 1",
        0x9B => "Confirmation Tone 2",
        0x9C => "Tones Off",
        0x9D => "Outside Ringback",
        0x9E => "Ringer",
        0xB0 => "Phone Key 0",
        0xB1 => "Phone Key 1",
        0xB2 => "Phone Key 2",
        0xB3 => "Phone Key 3",
        0xB4 => "Phone Key 4",
        0xB5 => "Phone Key 5",
        0xB6 => "Phone Key 6",
        0xB7 => "Phone Key 7",
        0xB8 => "Phone Key 8",
        0xB9 => "Phone Key 9",
        0xBA => "Phone Key Star",
        0xBB => "Phone Key Pound",
        0xBC => "Phone Key A",
        0xBD => "Phone Key B",
        0xBE => "Phone Key C",
        0xBF => "Phone Key D",
        _ => return None,
    })
}

fn led_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x08 => "Do Not Disturb",
        0x09 => "Mute",
        0x17 => "Off-Hook",
        0x18 => "Ring",
        0x19 => "Message Waiting",
        0x1A => "Data Mode",
        0x1B => "Battery Operation",
        0x1C => "Battery OK",
        0x1D => "Battery Low",
        0x1E => "Speaker",
        0x1F => "Head Set",
        0x20 => "Hold",
        0x21 => "Microphone",
        0x22 => "Coverage",
        0x23 => "Night Mode",
        0x24 => "Send Calls",
        0x25 => "Call Pickup",
        0x26 => "Conference",
        0x27 => "Stand-by",
        0x2A => "On-Line",
        0x2B => "Off-Line",
        0x2C => "Busy",
        0x2D => "Ready",
        0x4B => "Generic Indicator",
        _ => return None,
    })
}

fn consumer_name(id: u16) -> Option<&'static str> {
    Some(match id {
        0x01 => "Consumer Control",
        0x05 => "Headphone",
        0xB0 => "Play",
        0xB1 => "Pause",
        0xB5 => "Scan Next Track",
        0xB6 => "Scan Previous Track",
        0xB7 => "Stop",
        0xCD => "Play/Pause",
        0xE2 => "Mute",
        0xE9 => "Volume Increment",
        0xEA => "Volume Decrement",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_usage_tables() {
        assert_eq!(Usage::telephony(0x20).to_string(), "Hook Switch");
        assert_eq!(Usage::telephony(0xBB).to_string(), "Phone Key Pound");
        assert_eq!(Usage::led(0x17).to_string(), "Off-Hook");
        assert_eq!(Usage::led(0x1A).to_string(), "Data Mode");
        assert_eq!(Usage::led(0x1E).to_string(), "Speaker");
        assert_eq!(Usage::new(PAGE_BUTTON, 7).to_string(), "Button 7");
        assert_eq!(Usage::new(0xFF99, 3).to_string(), "FF99:0003");
        assert_eq!(Usage::from_u32(0x000B_0020), Usage::telephony(0x20));
    }
}
