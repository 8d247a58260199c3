//! `[accounts.balance]`: where an account's credit is read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BalanceSettings {
    /// The provider's balance URL; `{user}`, `{domain}`, `{auth_user}` and
    /// `{password}` (the account's, from the keyring) are filled in,
    /// URL-encoded.
    pub url: String,
    /// Where the amount is in a JSON answer (RFC 6901), e.g. `/balance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub pointer: Option<String>,
    /// Where the amount is in an XML answer: `/response/credit` (an
    /// element's text) or `/response/credit/@amount` (an attribute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub xpath: Option<String>,
    /// Shown with the amount ("EUR", "$").
    #[serde(default)]
    pub currency: String,
    /// Minutes between checks (and one after every call).
    #[serde(default = "fifteen")]
    pub every_minutes: u32,
    /// Under this amount the phone warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub low: Option<f64>,
    /// Send the account's user and password as HTTP Basic authentication.
    #[serde(default)]
    pub basic_auth: bool,
    /// Seconds the provider gets to answer (default 10).
    #[serde(default = "ten")]
    pub timeout_secs: u32,
}

fn ten() -> u32 {
    10
}

fn fifteen() -> u32 {
    15
}

impl BalanceSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !self.url.starts_with("https://") && !self.url.starts_with("http://") {
            return Err("balance.url: an http(s) URL".into());
        }
        match (&self.pointer, &self.xpath) {
            (Some(p), None) if p.is_empty() || p.starts_with('/') => {}
            (Some(_), None) => {
                return Err("balance.pointer: a JSON pointer such as /balance".into());
            }
            (None, Some(x)) => super::extract::XmlPath::parse(x)
                .map(|_| ())
                .map_err(|e| format!("balance.xpath: {e}"))?,
            _ => return Err("balance: give one of pointer (JSON) and xpath (XML)".into()),
        }
        if !(1..=120).contains(&self.timeout_secs) {
            return Err("balance.timeout_secs: from 1 to 120".into());
        }
        if self.every_minutes == 0 {
            return Err("balance.every_minutes: at least 1".into());
        }
        for field in template_fields(&self.url)? {
            if !["user", "domain", "auth_user", "password"].contains(&field.as_str()) {
                return Err(format!(
                    "balance.url: {{{field}}} is not user, domain, auth_user or password"
                ));
            }
        }
        Ok(())
    }

    /// Whether fetching needs the account's password.
    pub fn needs_password(&self) -> bool {
        self.basic_auth || self.url.contains("{password}")
    }
}

/// The `{names}` a URL template uses.
fn template_fields(url: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after
            .find('}')
            .ok_or_else(|| "balance.url: an unclosed {".to_string())?;
        out.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    Ok(out)
}
