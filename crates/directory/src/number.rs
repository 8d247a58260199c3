//! Numbers as the address book matches them. A caller shows up as
//! `sip:+4930555077@carrier;user=phone`, `tel:+49-30-555077`, `030 555077`
//! or `0049305550777`; a contact may say `+49 (30) 555077`. Each becomes one
//! key: E.164 (`+4930555077`) when libphonenumber's metadata can read it
//! with the configured country, an extension's digits (`ext:2001`) for short
//! internal numbers, and `sip:user@host` (lower case) for SIP addresses
//! whose user is a name.

use std::str::FromStr;

use hookswitch_sip::message::uri::unescape;
use hookswitch_sip::message::{NameAddr, Uri};
use phonenumber::PhoneNumber;
use phonenumber::country::{Id, Source};

/// Numbers this short with no `+` or trunk prefix are PBX extensions.
const EXTENSION_MAX_DIGITS: usize = 6;

/// How numbers written without a country are read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberPlan {
    country: Option<Id>,
    /// The national trunk prefix when it differs from what the country's
    /// metadata says (a PBX that presents national numbers oddly).
    trunk_prefix: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NumberPlanError {
    #[error("unknown country {0:?} (use a two-letter code such as DE or US)")]
    Country(String),
    #[error("trunk prefix {0:?} is not digits")]
    TrunkPrefix(String),
}

impl NumberPlan {
    /// `country`: ISO 3166 two letters (`DE`); `trunk_prefix`: digits.
    pub fn new(
        country: Option<&str>,
        trunk_prefix: Option<&str>,
    ) -> Result<NumberPlan, NumberPlanError> {
        let country = match country.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(
                Id::from_str(&c.to_ascii_uppercase())
                    .map_err(|_| NumberPlanError::Country(c.to_string()))?,
            ),
            None => None,
        };
        let trunk_prefix = match trunk_prefix.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) if t.chars().all(|c| c.is_ascii_digit()) => Some(t.to_string()),
            Some(t) => return Err(NumberPlanError::TrunkPrefix(t.to_string())),
            None => None,
        };
        Ok(NumberPlan {
            country,
            trunk_prefix,
        })
    }

    /// The key `text` (a number, a `tel:` or `sip:` URI, a name-addr) is
    /// matched by; None when it holds nothing to match.
    pub fn key(&self, text: &str) -> Option<String> {
        self.parts(text).map(|p| p.key)
    }

    fn parts(&self, text: &str) -> Option<Parts> {
        match dialable_part(text)? {
            Dialable::Name(user_at_host) => Some(Parts {
                key: format!("sip:{user_at_host}"),
                national: None,
            }),
            Dialable::Number(number) => self.number_parts(&number),
        }
    }

    /// The digit strings a number fragment typed into search may be part
    /// of: as written, in E.164, and in the national form with the trunk
    /// prefix (`+49 30 5550 777`: `49305550777` and `0305550777`).
    pub fn search_digits(&self, text: &str) -> Vec<String> {
        let mut out = vec![crate::fold::digits(text)];
        if let Some(parts) = self.parts(text)
            && let Some(e164) = parts.key.strip_prefix('+')
        {
            out.push(e164.to_string());
            if let Some(national) = parts.national {
                let trunk = self.trunk_prefix.as_deref().unwrap_or("0");
                out.push(format!("{trunk}{national}"));
            }
        }
        out.retain(|d| !d.is_empty());
        out.sort();
        out.dedup();
        out
    }

    /// The national significant number of an E.164 key (`+49305550777`:
    /// `305550777`): what directories store after the country and trunk
    /// prefixes, however they format it.
    pub fn national_digits(key: &str) -> Option<String> {
        let n = phonenumber::parse(None, key.strip_prefix('+').map(|_| key)?).ok()?;
        Some(national_of(&n))
    }

    fn number_parts(&self, number: &str) -> Option<Parts> {
        let digits = crate::fold::digits(number);
        if digits.is_empty() {
            return None;
        }
        let plus = number.trim_start().starts_with('+');
        let trunk = self.trunk_prefix.as_deref().unwrap_or("0");
        let extension = || Parts {
            key: format!("ext:{digits}"),
            national: None,
        };
        if !plus && !digits.starts_with(trunk) && digits.len() <= EXTENSION_MAX_DIGITS {
            return Some(extension());
        }
        Some(match self.parse(number, plus, &digits) {
            Some(n) => {
                let national = national_of(&n);
                // E.164: the country code and the national significant number
                // (with its leading zeros, as Italy's have).
                Parts {
                    key: format!("+{}{national}", n.code().value()),
                    national: Some(national),
                }
            }
            None => extension(),
        })
    }

    fn parse(&self, number: &str, plus: bool, digits: &str) -> Option<PhoneNumber> {
        if plus {
            return phonenumber::parse(None, format!("+{digits}")).ok();
        }
        let parsed = phonenumber::parse(self.country, number).ok();
        if let Some(p) = &parsed
            && matches!(p.code().source(), Source::Idd | Source::Plus)
        {
            return parsed;
        }
        if let (Some(trunk), Some(country)) = (&self.trunk_prefix, self.country)
            && let Some(national) = digits.strip_prefix(trunk.as_str())
        {
            // Our own trunk prefix: the rest is the national number.
            let code = phonenumber::metadata::DATABASE
                .by_id(country.as_ref())?
                .country_code();
            return phonenumber::parse(None, format!("+{code}{national}")).ok();
        }
        // Without a country, a number with no + or IDD cannot be placed.
        parsed.filter(|_| self.country.is_some())
    }
}

/// A number read: its key, and for E.164 ones the national significant
/// number.
struct Parts {
    key: String,
    national: Option<String>,
}

fn national_of(n: &PhoneNumber) -> String {
    let zeros = "0".repeat(usize::from(n.national().zeros()));
    format!("{zeros}{}", n.national().value())
}

enum Dialable {
    Number(String),
    Name(String),
}

/// The part of an address that is a number, or `user@host` when the user is
/// a name. `"Bob" <sip:+4930...@host;user=phone>` -> the number.
fn dialable_part(text: &str) -> Option<Dialable> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let Ok(addr) = text.parse::<NameAddr>() else {
        // Not an address: a number as typed (`030 5550777`), or nothing.
        let plain = text.split(';').next().unwrap_or("");
        return is_number_like(plain).then(|| Dialable::Number(plain.to_string()));
    };
    match &addr.uri {
        Uri::Sip(sip) => {
            let user = unescape(sip.user.as_deref().filter(|u| !u.is_empty())?);
            if is_number_like(&user) {
                Some(Dialable::Number(user))
            } else {
                let host = sip.host.to_ascii_lowercase();
                Some(Dialable::Name(format!("{}@{host}", user.to_lowercase())))
            }
        }
        Uri::Other { scheme, opaque } if scheme.eq_ignore_ascii_case("tel") => {
            let number = opaque.split(';').next().unwrap_or("");
            Some(Dialable::Number(number.to_string()))
        }
        Uri::Other { .. } => None,
    }
}

/// Digits with the usual visual separators and at most a leading `+`.
fn is_number_like(s: &str) -> bool {
    let s = s.trim();
    let body = s.strip_prefix('+').unwrap_or(s);
    body.chars().any(|c| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn de() -> NumberPlan {
        NumberPlan::new(Some("de"), None).unwrap()
    }

    #[test]
    fn every_way_of_writing_a_german_number_is_one_key() {
        let plan = de();
        for written in [
            "+49 30 5550 777",
            "+49 (30) 5550-777",
            "030 5550777",
            "0049 30 5550777",
            "tel:+49-30-5550777",
            "sip:+49305550777@carrier.example;user=phone",
            "\"Öztürk\" <sip:0305550777@pbx.example>",
            "sips:%2B49305550777@pbx.example",
        ] {
            assert_eq!(
                plan.key(written).as_deref(),
                Some("+49305550777"),
                "{written}"
            );
        }
    }

    #[test]
    fn extensions_and_names_keep_their_own_keys() {
        let plan = de();
        assert_eq!(plan.key("2001").as_deref(), Some("ext:2001"));
        assert_eq!(
            plan.key("sip:2001@pbx.example").as_deref(),
            Some("ext:2001")
        );
        assert_eq!(
            plan.key("<sip:Alice@PBX.Example:5060;transport=tcp>")
                .as_deref(),
            Some("sip:alice@pbx.example")
        );
        assert_eq!(plan.key("alice"), None, "a bare word is not an address");
        assert_eq!(plan.key(""), None);
    }

    #[test]
    fn without_a_country_only_international_numbers_are_e164() {
        let plan = NumberPlan::default();
        assert_eq!(plan.key("+1 212 555 0100").as_deref(), Some("+12125550100"));
        assert_eq!(plan.key("0305550777").as_deref(), Some("ext:0305550777"));
    }

    #[test]
    fn a_trunk_prefix_of_our_own_reads_national_numbers() {
        let plan = NumberPlan::new(Some("DE"), Some("9")).unwrap();
        assert_eq!(plan.key("9 30 5550777").as_deref(), Some("+49305550777"));
        assert_eq!(plan.key("0049305550777").as_deref(), Some("+49305550777"));
    }

    #[test]
    fn search_finds_a_number_however_it_is_typed() {
        let d = de().search_digits("+49 30 5550 777");
        assert_eq!(d, ["0305550777", "49305550777"]);
        assert_eq!(
            NumberPlan::national_digits("+49305550777").as_deref(),
            Some("305550777")
        );
        assert_eq!(NumberPlan::national_digits("ext:2001"), None);
    }

    #[test]
    fn a_bad_plan_is_refused() {
        assert!(matches!(
            NumberPlan::new(Some("Germany"), None),
            Err(NumberPlanError::Country(_))
        ));
        assert!(matches!(
            NumberPlan::new(Some("DE"), Some("0x")),
            Err(NumberPlanError::TrunkPrefix(_))
        ));
    }
}
