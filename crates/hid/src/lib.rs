//! USB telephony devices understood from their HID report descriptors, without
//! any IO: parse the descriptor, find what the device can do (hook switch,
//! mute, keypad, LEDs, ringer), and later decode its reports and encode ours.

mod bits;
pub mod capabilities;
pub mod decode;
pub mod descriptor;
pub mod encode;
pub mod input;
pub mod learn;
pub mod profile;
pub mod usage;

pub use capabilities::{
    Behaviour, Capabilities, InputControl, Keypad, OutputControl, capabilities, capabilities_with,
};
pub use decode::{Decoder, DecoderSettings, DecoderStats};
pub use descriptor::{
    Collection, DescriptorError, Field, MainFlags, ReportDescriptor, ReportKind, parse,
};
pub use encode::{DeviceState, Encoder};
pub use input::PhoneInput;
pub use profile::{DeviceIdentity, Profile, select};
pub use usage::Usage;

/// Bytes as the fixtures and the tools write them: lowercase hex, space
/// separated (`02 03 00`).
pub fn hex_line(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses the fixture format of `tests/fixtures` (hex bytes on the first line),
/// used by tests and by `hookswitch devices --simulate FILE`.
pub fn descriptor_from_hex(text: &str) -> Result<Vec<u8>, String> {
    let line = text.lines().next().unwrap_or_default();
    line.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).map_err(|_| format!("not a hex byte: {h:?}")))
        .collect()
}
