//! `[[hooks]]`: what the phone does for other programs when calls ring,
//! are answered, end or are missed, and when a message comes: open a URL
//! (a CRM's screen pop), run a program, or POST a signed webhook.

use serde::{Deserialize, Serialize};

use super::event::HookEventKind;
use super::template;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookSettings {
    /// Its name: in the delivery log, and the webhook's secret is the
    /// password `hook:NAME` (`hookswitch password set hook:NAME`).
    pub name: String,
    /// What it acts on: "ringing", "answered", "ended", "missed", "message".
    pub on: Vec<HookEventKind>,
    /// Only this account's calls and messages (none: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Only calls this way ("incoming" or "outgoing"; none: both).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<HookDirection>,
    /// A URL to open in the default browser; `{number}`, `{name}`, ... are
    /// replaced by the event's fields, URL-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<String>,
    /// A program and its arguments (templates too, not encoded), run
    /// directly (no shell) with the fields as `HOOKSWITCH_*` variables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub run: Vec<String>,
    /// A URL the event is POSTed to as JSON, signed with HMAC-SHA256,
    /// retried from a queue on disk until the receiver takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookDirection {
    Incoming,
    Outgoing,
}

impl HookSettings {
    /// Why it cannot work, if it cannot.
    pub fn validate(&self) -> Result<(), String> {
        let who = format!("hook {:?}", self.name);
        if self.name.trim().is_empty() {
            return Err("a hook needs a name".into());
        }
        if self.on.is_empty() {
            return Err(format!("{who}: `on` names no event"));
        }
        let actions = usize::from(self.open.is_some())
            + usize::from(!self.run.is_empty())
            + usize::from(self.webhook.is_some());
        if actions != 1 {
            return Err(format!("{who}: give one of open, run and webhook"));
        }
        if let Some(url) = &self.open {
            template::check(url).map_err(|e| format!("{who}: open: {e}"))?;
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(format!("{who}: open: an http(s) URL"));
            }
        }
        for arg in &self.run {
            template::check(arg).map_err(|e| format!("{who}: run: {e}"))?;
        }
        if let Some(url) = &self.webhook {
            template::check(url).map_err(|e| format!("{who}: webhook: {e}"))?;
            if !url.starts_with("https://") && !url.starts_with("http://") {
                return Err(format!("{who}: webhook: an http(s) URL"));
            }
        }
        Ok(())
    }

    /// The password entry of its webhook secret.
    pub fn secret_name(&self) -> String {
        format!("hook:{}", self.name)
    }
}

/// Checks a list: each valid, names unique.
pub fn validate_all(hooks: &[HookSettings]) -> Result<(), String> {
    for h in hooks {
        h.validate()?;
    }
    let mut names: Vec<&str> = hooks.iter().map(|h| h.name.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("two hooks are named {:?}", w[0]));
    }
    Ok(())
}
