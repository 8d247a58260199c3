//! A contact: a name, where it works, and the numbers and SIP addresses it
//! can be called at, each with a label. Where it came from (the local book,
//! a CardDAV book, LDAP) is the store's business; `extra` keeps the vCard
//! properties we do not edit, so an export or a write-back loses nothing.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AddressKind {
    /// A telephone number (`TEL`).
    Tel,
    /// A SIP URI (`IMPP:sip:`, `X-SIP`).
    Sip,
}

/// One way to reach a contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Address {
    pub kind: AddressKind,
    /// "work", "mobile", "home", "fax", or the user's own word; may be empty.
    pub label: String,
    /// As written: `+49 30 5550 777`, `sip:alice@example.com`.
    pub value: String,
}

impl Address {
    pub fn tel(label: &str, value: &str) -> Address {
        Address {
            kind: AddressKind::Tel,
            label: label.into(),
            value: value.into(),
        }
    }

    pub fn sip(label: &str, value: &str) -> Address {
        Address {
            kind: AddressKind::Sip,
            label: label.into(),
            value: value.into(),
        }
    }

    /// It is what it says: a number with digits and dial characters only,
    /// or a `sip:`/`sips:` URI with something after the scheme.
    pub fn is_valid(&self) -> bool {
        match self.kind {
            AddressKind::Tel => {
                let v = self.value.trim();
                let v = v
                    .strip_prefix("tel:")
                    .or_else(|| v.strip_prefix("TEL:"))
                    .unwrap_or(v);
                v.chars().any(|c| c.is_ascii_digit())
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || " +-.()/*#;=,pwPW".contains(c))
            }
            AddressKind::Sip => {
                // Something after the scheme, and nothing a URI cannot hold
                // (a line break or NUL from a card would not survive a write).
                let v = self.value.trim();
                let lower = v.to_ascii_lowercase();
                let rest = lower
                    .strip_prefix("sip:")
                    .or_else(|| lower.strip_prefix("sips:"));
                rest.is_some_and(|r| {
                    !r.is_empty() && !r.chars().any(|c| c.is_control() || c.is_whitespace())
                })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Contact {
    /// Stable across exports and syncs (vCard `UID`).
    pub uid: String,
    /// The name shown (vCard `FN`).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub addresses: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Shown first on the Phone page.
    #[serde(default)]
    pub favourite: bool,
    /// 1-9: a long press on that key of the window's keypad calls the first
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_dial: Option<u8>,
    /// vCard content lines kept as they came (unfolded), written back out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "ts", ts(skip))]
    #[cfg_attr(feature = "schema", schemars(skip))]
    pub extra: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ContactError {
    #[error("a contact needs a name")]
    NoName,
    #[error("speed dial {0} is not a key from 1 to 9")]
    SpeedDial(u8),
    #[error("{0:?} is neither a number nor a SIP address")]
    Address(String),
}

impl Contact {
    /// A new contact with a fresh UID from `unique` (the caller's randomness).
    pub fn new(name: &str, unique: u128) -> Contact {
        Contact {
            uid: uid_from(unique),
            name: name.trim().to_string(),
            ..Contact::default()
        }
    }

    /// What a contact must be to be kept: named, a speed dial on a key,
    /// addresses that are what they say.
    pub fn validate(&self) -> Result<(), ContactError> {
        if self.name.trim().is_empty() {
            return Err(ContactError::NoName);
        }
        if let Some(d) = self.speed_dial
            && !(1..=9).contains(&d)
        {
            return Err(ContactError::SpeedDial(d));
        }
        if let Some(bad) = self.addresses.iter().find(|a| !a.is_valid()) {
            return Err(ContactError::Address(bad.value.clone()));
        }
        Ok(())
    }

    /// The address a call to this contact goes to: the first one.
    pub fn first_address(&self) -> Option<&Address> {
        self.addresses.first()
    }
}

/// A UID in the usual `urn:uuid:` form, from 128 random bits.
pub fn uid_from(unique: u128) -> String {
    let b = unique.to_be_bytes();
    let hex =
        |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        hex(0..4),
        hex(4..6),
        hex(6..8),
        hex(8..10),
        hex(10..16)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_checked_before_it_is_kept() {
        let mut c = Contact::new("  Ada  ", 7);
        assert_eq!(c.name, "Ada");
        assert!(c.uid.starts_with("urn:uuid:00000000-0000"));
        c.addresses.push(Address::tel("work", "+49 (30) 5550-777"));
        c.addresses.push(Address::sip("", "sip:ada@example.com"));
        assert_eq!(c.validate(), Ok(()));
        c.speed_dial = Some(0);
        assert_eq!(c.validate(), Err(ContactError::SpeedDial(0)));
        c.speed_dial = Some(9);
        c.addresses.push(Address::tel("home", "call me"));
        assert!(matches!(c.validate(), Err(ContactError::Address(_))));
        c.addresses.pop();
        c.addresses.push(Address::sip("", "ada@example.com"));
        assert!(matches!(c.validate(), Err(ContactError::Address(_))));
        assert_eq!(Contact::new(" ", 1).validate(), Err(ContactError::NoName));
    }

    #[test]
    fn a_sip_address_is_a_scheme_and_something_without_control_characters() {
        let ok = |v: &str| Address::sip("", v).is_valid();
        assert!(ok("sip:E") && ok("SIPS:x") && ok(" sip:ada@example.com;transport=tls "));
        // The `vcard` fuzz target's finds: a NUL or a bare CR in a card.
        assert!(!ok("sip:") && !ok("sips:") && !ok("sip:\rE") && !ok("sip:\0ada"));
        assert!(!ok("sip:ada smith@example.com") && !ok("tel:+4930"));
    }
}
