//! USB telephony devices understood from their HID report descriptors, without
//! any IO: parse the descriptor, find what the device can do (hook switch,
//! mute, keypad, LEDs, ringer), and later decode its reports and encode ours.

/// A type that is written as a string in JSON ("teams", "red flash") is a
/// `string` in the window's TypeScript.
#[cfg(feature = "ts")]
macro_rules! ts_as_string {
    ($t:ty) => {
        impl ts_rs::TS for $t {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                "string".into()
            }
            fn inline(_: &ts_rs::Config) -> String {
                "string".into()
            }
        }
    };
}

mod bits;
pub mod busylight;
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
pub use encode::{DeviceState, Encoder, Presence};
pub use input::PhoneInput;
pub use profile::{ButtonMapping, ButtonName, DeviceIdentity, Profile, select};
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

/// The inverse of `hex_line`: bytes in hex separated by white space, each
/// with an optional `0x` (`02 03 00`, `0x02 0x03`).
pub fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .map(|h| {
            let digits = h.strip_prefix("0x").unwrap_or(h);
            // from_str_radix takes a sign; a byte in hex has none.
            if digits.is_empty() || digits.len() > 2 || digits.starts_with('+') {
                return Err(format!("not a hex byte: {h:?}"));
            }
            u8::from_str_radix(digits, 16).map_err(|_| format!("not a hex byte: {h:?}"))
        })
        .collect()
}

/// Parses the fixture format of `tests/fixtures` (hex bytes on the first line),
/// used by tests and by `hookswitch devices --simulate FILE`.
pub fn descriptor_from_hex(text: &str) -> Result<Vec<u8>, String> {
    hex_bytes(text.lines().next().unwrap_or_default())
}
