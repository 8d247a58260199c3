//! Digits typed on a device's keypad become a number to call: when dialing is
//! complete (a terminator, Send, the inter-digit timeout, or an emergency
//! number typed in full) and how the number is rewritten (`00` -> `+`, an
//! outside-line prefix dropped...).

use serde::{Deserialize, Serialize};

/// A leading prefix replaced by another (`from = "00"`, `to = "+"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rewrite {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DialPlan {
    /// Seconds without a key after which the digits typed are dialed.
    pub inter_digit_secs: u64,
    /// Seconds of dial tone with no key before dialing is given up.
    pub first_digit_secs: u64,
    /// The key that ends dialing ("#" by default; "" for none). Send always does.
    pub terminator: String,
    /// Numbers dialed the moment they are typed in full, with no wait.
    pub immediate: Vec<String>,
    /// Prefix rewrites, the first that matches applies.
    pub rewrite: Vec<Rewrite>,
}

impl Default for DialPlan {
    fn default() -> Self {
        DialPlan {
            inter_digit_secs: 4,
            first_digit_secs: 30,
            terminator: "#".into(),
            // The emergency numbers of Europe, North America, the UK and
            // Australia; a phone must never make them wait.
            immediate: ["112", "911", "999", "000"].map(String::from).to_vec(),
            rewrite: Vec::new(),
        }
    }
}

/// What a key does to the digits typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collect {
    /// Keep collecting.
    More,
    /// Dial this number now.
    Dial(String),
}

impl DialPlan {
    pub fn terminator(&self) -> Option<char> {
        self.terminator.chars().next()
    }

    /// Adds `key` to `digits` (which it may complete).
    pub fn key(&self, digits: &mut String, key: char) -> Collect {
        if Some(key) == self.terminator() && !digits.is_empty() {
            return Collect::Dial(self.number(digits));
        }
        digits.push(key);
        if self.immediate.iter().any(|n| n == digits) {
            return Collect::Dial(self.number(digits));
        }
        Collect::More
    }

    pub fn inter_digit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.inter_digit_secs.max(1))
    }

    pub fn first_digit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.first_digit_secs.max(1))
    }

    /// The number for `digits`, if any were typed.
    pub fn target(&self, digits: &str) -> Option<String> {
        (!digits.is_empty()).then(|| self.number(digits))
    }

    /// The number to call for `digits`, rewritten.
    pub fn number(&self, digits: &str) -> String {
        for r in &self.rewrite {
            if let Some(rest) = digits.strip_prefix(r.from.as_str()) {
                return format!("{}{rest}", r.to);
            }
        }
        digits.to_string()
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.terminator.chars().count() > 1 {
            return Err(format!(
                "dialing.terminator {:?}: one key or none",
                self.terminator
            ));
        }
        if let Some(t) = self.terminator()
            && !matches!(t, '0'..='9' | '*' | '#' | 'A'..='D')
        {
            return Err(format!("dialing.terminator {t:?} is not a keypad key"));
        }
        if self.inter_digit_secs == 0 {
            return Err("dialing.inter_digit_secs must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(plan: &DialPlan, keys: &str) -> (String, Option<String>) {
        let mut digits = String::new();
        for k in keys.chars() {
            if let Collect::Dial(n) = plan.key(&mut digits, k) {
                return (digits, Some(n));
            }
        }
        (digits, None)
    }

    #[test]
    fn the_terminator_ends_dialing_and_is_not_dialed() {
        let plan = DialPlan::default();
        assert_eq!(typed(&plan, "2001#").1.as_deref(), Some("2001"));
        // A leading # is a digit (service codes like #31#).
        assert_eq!(typed(&plan, "#31").1, None);
    }

    #[test]
    fn emergency_numbers_go_at_once() {
        let plan = DialPlan::default();
        assert_eq!(typed(&plan, "112").1.as_deref(), Some("112"));
        assert_eq!(typed(&plan, "911").1.as_deref(), Some("911"));
        assert_eq!(typed(&plan, "11").1, None);
    }

    #[test]
    fn prefixes_are_rewritten() {
        let plan = DialPlan {
            rewrite: vec![
                Rewrite {
                    from: "00".into(),
                    to: "+".into(),
                },
                Rewrite {
                    from: "0".into(),
                    to: "".into(),
                },
            ],
            ..DialPlan::default()
        };
        assert_eq!(plan.number("004930123"), "+4930123");
        assert_eq!(plan.number("0301234"), "301234");
        assert_eq!(plan.number("2001"), "2001");
    }

    #[test]
    fn no_terminator_when_asked() {
        let plan = DialPlan {
            terminator: String::new(),
            ..DialPlan::default()
        };
        assert_eq!(typed(&plan, "20#1").0, "20#1");
        assert!(plan.validate().is_ok());
        let bad = DialPlan {
            terminator: "x".into(),
            ..DialPlan::default()
        };
        assert!(bad.validate().is_err());
    }
}
