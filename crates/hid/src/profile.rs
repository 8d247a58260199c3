//! Device profiles: TOML files (device-profiles/*.toml) that state a device
//! family's quirks over what its descriptor says. The schema is documented in
//! device-profiles/README.md; `Profile::from_toml` checks every field.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::decode::DecoderSettings;
pub use crate::decode::HookSemantics;
use crate::input::PhoneInput;
use crate::usage::Usage;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Toml(String),
    #[error("bad number {0:?} (decimal or 0x hex)")]
    Number(String),
    #[error("bad product id range {0:?} (0x1234 or 0x1200-0x12ff)")]
    Range(String),
    #[error("bad usage {0:?} (PAGE:ID in hex, e.g. 0xFF30:0x0020)")]
    Usage(String),
    #[error("unknown gesture {0:?}")]
    Gesture(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// USB vendor ID, e.g. "0x0b0e". No vendor: the profile applies to any device.
    #[serde(default)]
    pub vendor_id: Option<String>,
    /// Product IDs or ranges, e.g. ["0x0300-0x03ff", "0x2453"]. Empty: all.
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// USB interface number, for devices with several HID interfaces.
    #[serde(default)]
    pub interface: Option<u8>,
    /// The top-level collection's usage page, e.g. "0x0b".
    #[serde(default)]
    pub usage_page: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    pub hook: HookSemantics,
    /// After the host sets Off-Hook, a matching hook report within this time is an echo.
    pub hook_echo_window_ms: u64,
    pub debounce_ms: u64,
    /// Keep the Off-Hook LED set for as long as a call has audio: the device closes
    /// its audio link (wireless headsets, DECT bases) when the host clears it.
    pub off_hook_holds_audio: bool,
    /// Sound the device's own ringer (Telephony Ringer usage) while a call rings.
    pub use_ringer: bool,
    /// The gesture that declines a ringing call, e.g. "Drop" or "Button(7)".
    pub reject: Option<String>,
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            hook: HookSemantics::Descriptor,
            hook_echo_window_ms: 0,
            debounce_ms: 15,
            off_hook_holds_audio: false,
            use_ringer: true,
            reject: None,
        }
    }
}

/// A vendor-page usage that should count as a phone gesture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorInput {
    /// "PAGE:ID", e.g. "0xFF30:0x0020".
    pub usage: String,
    /// A gesture name: HookToggle, MuteToggle, Flash, Hold, Redial, Drop, ...
    pub gesture: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(rename = "match")]
    pub matching: Match,
    #[serde(default)]
    pub quirks: Quirks,
    #[serde(default)]
    pub vendor_inputs: Vec<VendorInput>,
    /// What the device's programmable and vendor buttons do (the settings'
    /// `[[devices.buttons]]` come first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<ButtonMapping>,
}

/// A button given an action: `button = "teams"` or `"button 3"`, `action`
/// as the phone reads it (`window`, `answer-or-hang-up`, `away`, `pickup`,
/// `speed-dial 2`, `call 200`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ButtonMapping {
    pub button: ButtonName,
    pub action: String,
}

/// A button that can be given an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ButtonName {
    /// The Teams button (0xFF99:0x04).
    Teams,
    /// Button N of the Button page: Telephony's Programmable Buttons, and
    /// numbered buttons of telephony collections.
    Button(u16),
}

impl ButtonName {
    /// The button a gesture is, if it is one that can be mapped.
    pub fn of(input: PhoneInput) -> Option<ButtonName> {
        match input {
            PhoneInput::Teams => Some(ButtonName::Teams),
            PhoneInput::Button(n) => Some(ButtonName::Button(n)),
            _ => None,
        }
    }
}

impl std::fmt::Display for ButtonName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ButtonName::Teams => f.write_str("teams"),
            ButtonName::Button(n) => write!(f, "button {n}"),
        }
    }
}

impl std::str::FromStr for ButtonName {
    type Err = String;

    fn from_str(s: &str) -> Result<ButtonName, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        match words.as_slice() {
            [w] if w.eq_ignore_ascii_case("teams") => Ok(ButtonName::Teams),
            [w, n] if w.eq_ignore_ascii_case("button") => n
                .parse()
                .map(ButtonName::Button)
                .map_err(|_| format!("{n:?} is not a button number")),
            _ => Err(format!("{s:?} is not a button: \"teams\" or \"button N\"")),
        }
    }
}

impl Serialize for ButtonName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ButtonName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ButtonName, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "ts")]
ts_as_string!(ButtonName);

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ButtonName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ButtonName".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "description": "\"teams\" or \"button N\""})
    }
}

/// Who a device is, for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub vendor_id: u16,
    pub product_id: u16,
    pub interface: Option<u8>,
    pub usage_page: u16,
}

pub fn parse_number(s: &str) -> Result<u16, ProfileError> {
    let t = s.trim();
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => t.parse(),
    };
    v.map_err(|_| ProfileError::Number(s.into()))
}

fn parse_range(s: &str) -> Result<(u16, u16), ProfileError> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (parse_number(a), parse_number(b)),
        None => (parse_number(s), parse_number(s)),
    };
    match (lo, hi) {
        (Ok(lo), Ok(hi)) if lo <= hi => Ok((lo, hi)),
        _ => Err(ProfileError::Range(s.into())),
    }
}

pub fn parse_usage(s: &str) -> Result<Usage, ProfileError> {
    let (page, id) = s
        .split_once(':')
        .ok_or_else(|| ProfileError::Usage(s.into()))?;
    Ok(Usage::new(
        parse_number(page).map_err(|_| ProfileError::Usage(s.into()))?,
        parse_number(id).map_err(|_| ProfileError::Usage(s.into()))?,
    ))
}

/// A gesture by name, as written in profiles.
pub fn parse_gesture(s: &str) -> Result<PhoneInput, ProfileError> {
    use PhoneInput::*;
    Ok(match s {
        "HookOff" => HookOff,
        "HookOn" => HookOn,
        "HookToggle" => HookToggle,
        "MuteToggle" => MuteToggle,
        "Flash" => Flash,
        "Hold" => Hold,
        "Redial" => Redial,
        "Transfer" => Transfer,
        "Drop" => Drop,
        "Send" => Send,
        "Dnd" => Dnd,
        "VolumeUp" => VolumeUp,
        "VolumeDown" => VolumeDown,
        "SpeedDial" => SpeedDial,
        "VoiceMail" => VoiceMail,
        "Reject" => Reject,
        "Conference" => Conference,
        "PickupLamp" => PickupLamp,
        "Teams" => Teams,
        other => {
            if let Some(n) = other
                .strip_prefix("Button(")
                .and_then(|r| r.strip_suffix(')'))
            {
                return n
                    .parse()
                    .map(Button)
                    .map_err(|_| ProfileError::Gesture(s.into()));
            }
            if let Some(k) = other.strip_prefix("Key(").and_then(|r| r.strip_suffix(')')) {
                let mut chars = k.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && hookswitch_key(c)
                {
                    return Ok(Key(c));
                }
            }
            return Err(ProfileError::Gesture(s.into()));
        }
    })
}

fn hookswitch_key(c: char) -> bool {
    c.is_ascii_digit() || "*#ABCD".contains(c)
}

impl Profile {
    /// Parses and checks a profile file.
    pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
        let p: Profile = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
        if let Some(v) = &p.matching.vendor_id {
            parse_number(v)?;
        }
        if let Some(u) = &p.matching.usage_page {
            parse_number(u)?;
        }
        for r in &p.matching.product_ids {
            parse_range(r)?;
        }
        for v in &p.vendor_inputs {
            parse_usage(&v.usage)?;
            parse_gesture(&v.gesture)?;
        }
        if let Some(r) = &p.quirks.reject {
            parse_gesture(r)?;
        }
        Ok(p)
    }

    /// How well the profile fits the device: `None` if it does not, else a
    /// score where more specific matches (product, interface, page) win.
    pub fn fit(&self, id: &DeviceIdentity) -> Option<u32> {
        let m = &self.matching;
        let mut score = 0;
        if let Some(v) = &m.vendor_id {
            if parse_number(v).ok()? != id.vendor_id {
                return None;
            }
            score += 1;
        }
        if !m.product_ids.is_empty() {
            let hit = m
                .product_ids
                .iter()
                .filter_map(|r| parse_range(r).ok())
                .any(|(lo, hi)| (lo..=hi).contains(&id.product_id));
            if !hit {
                return None;
            }
            score += 2;
        }
        if let Some(i) = m.interface {
            if Some(i) != id.interface {
                return None;
            }
            score += 4;
        }
        if let Some(p) = &m.usage_page {
            if parse_number(p).ok()? != id.usage_page {
                return None;
            }
            score += 1;
        }
        Some(score)
    }

    pub fn decoder_settings(&self) -> DecoderSettings {
        DecoderSettings {
            debounce: Duration::from_millis(self.quirks.debounce_ms),
            hook_echo_window: Duration::from_millis(self.quirks.hook_echo_window_ms),
            hook: self.quirks.hook,
            vendor_gestures: self.vendor_gestures(),
        }
    }

    /// The vendor usages this profile maps, with their gestures.
    pub fn vendor_gestures(&self) -> Vec<(Usage, PhoneInput)> {
        self.vendor_inputs
            .iter()
            .filter_map(|v| Some((parse_usage(&v.usage).ok()?, parse_gesture(&v.gesture).ok()?)))
            .collect()
    }
}

/// The profiles shipped in device-profiles/, built into the binary.
pub fn builtin() -> Vec<Profile> {
    const FILES: [(&str, &str); 6] = [
        (
            "generic.toml",
            include_str!("../../../device-profiles/generic.toml"),
        ),
        (
            "jabra.toml",
            include_str!("../../../device-profiles/jabra.toml"),
        ),
        (
            "poly.toml",
            include_str!("../../../device-profiles/poly.toml"),
        ),
        (
            "epos.toml",
            include_str!("../../../device-profiles/epos.toml"),
        ),
        (
            "yealink.toml",
            include_str!("../../../device-profiles/yealink.toml"),
        ),
        (
            "logitech.toml",
            include_str!("../../../device-profiles/logitech.toml"),
        ),
    ];
    FILES
        .iter()
        .map(|(name, text)| {
            Profile::from_toml(text)
                .unwrap_or_else(|e| panic!("shipped profile {name} is invalid: {e}"))
        })
        .collect()
}

/// The best-fitting profile for a device (the most specific; a tie goes to the
/// first in the list).
pub fn select<'a>(profiles: &'a [Profile], id: &DeviceIdentity) -> Option<&'a Profile> {
    let mut best: Option<(&Profile, u32)> = None;
    for p in profiles {
        if let Some(score) = p.fit(id)
            && best.is_none_or(|(_, b)| score > b)
        {
            best = Some((p, score));
        }
    }
    best.map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JABRA: &str = r#"
name = "Jabra"
[match]
vendor_id = "0x0b0e"
[quirks]
hook_echo_window_ms = 1000
off_hook_holds_audio = true
reject = "Button(7)"
[[vendor_inputs]]
usage = "0xFF30:0x0020"
gesture = "HookToggle"
"#;

    fn id(vendor_id: u16, product_id: u16) -> DeviceIdentity {
        DeviceIdentity {
            vendor_id,
            product_id,
            interface: Some(3),
            usage_page: 0x0B,
        }
    }

    #[test]
    fn parses_and_matches_most_specific() {
        let jabra = Profile::from_toml(JABRA).unwrap();
        assert_eq!(
            jabra.decoder_settings().hook_echo_window,
            Duration::from_millis(1000)
        );
        assert_eq!(
            jabra.vendor_gestures(),
            [(Usage::new(0xFF30, 0x20), PhoneInput::HookToggle)]
        );
        let mut biz = Profile::from_toml(JABRA).unwrap();
        biz.name = "Jabra BIZ".into();
        biz.matching.product_ids = vec!["0x2450-0x245f".into()];
        let generic = Profile::from_toml("name = \"Generic\"\n[match]\n").unwrap();
        let all = [generic, jabra, biz];
        assert_eq!(select(&all, &id(0x0b0e, 0x2453)).unwrap().name, "Jabra BIZ");
        assert_eq!(select(&all, &id(0x0b0e, 0x0307)).unwrap().name, "Jabra");
        assert_eq!(select(&all, &id(0x047f, 0xc053)).unwrap().name, "Generic");
    }

    #[test]
    fn mistakes_are_caught() {
        assert!(matches!(
            Profile::from_toml("name = 1"),
            Err(ProfileError::Toml(_))
        ));
        assert!(
            matches!(
                Profile::from_toml("name = \"x\"\n[match]\nvendor = \"0x1\"\n"),
                Err(ProfileError::Toml(_))
            ),
            "unknown key"
        );
        assert!(matches!(
            Profile::from_toml("name = \"x\"\n[match]\nproduct_ids = [\"0x20-0x10\"]\n"),
            Err(ProfileError::Range(_))
        ));
        assert!(matches!(
            Profile::from_toml("name = \"x\"\n[match]\n[quirks]\nreject = \"Explode\"\n"),
            Err(ProfileError::Gesture(_))
        ));
        assert!(matches!(
            Profile::from_toml(
                "name = \"x\"\n[match]\n[[vendor_inputs]]\nusage = \"0xFF30\"\ngesture = \"Flash\"\n"
            ),
            Err(ProfileError::Usage(_))
        ));
        assert_eq!(parse_gesture("Key(#)"), Ok(PhoneInput::Key('#')));
        assert!(parse_gesture("Key(x)").is_err());
    }
}
