//! Where a call goes and from which account: the default-account rule, one
//! rule for every face (the window, History, links, the hot key, the control
//! socket, a device's keypad, `hookswitch call`).
//!
//! - An account named: from it; a bare number or name is a user at its domain.
//! - No account named:
//!   - a bare number or name, or a `tel:` URI: from the default account
//!     (`default = true`, else the first), at its domain;
//!   - `user@host` or a `sip:`/`sips:` URI whose host is an account's domain:
//!     from that account (the default one first when several share it);
//!   - any other SIP URI: peer to peer, from no account;
//!   - with no account at all, a number has nowhere to go.
//!
//! Calls from an account go with its outbound proxy, credentials, transport
//! and SRTP.

use hookswitch_sip::message::{SipUri, Uri};
use hookswitch_sip::ua::AccountId;

use super::PhoneCore;
use crate::error::EngineError;

/// What a user typed, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Typed {
    /// A number or a name with no host.
    Bare(String),
    /// A SIP address with a host (`sip:`, `sips:` or `user@host`).
    Sip(Uri),
}

fn sort(target: &str) -> Result<Typed, EngineError> {
    let target = target.trim();
    let bad = || EngineError::BadTarget(target.to_string());
    if target.is_empty() {
        return Err(bad());
    }
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("tel:") || lower.starts_with("callto:") && !target.contains('@') {
        return crate::links::target_of_link(target)
            .map(Typed::Bare)
            .ok_or_else(bad);
    }
    if lower.starts_with("sip:") || lower.starts_with("sips:") || target.contains('@') {
        let text =
            if target.contains(':') && (lower.starts_with("sip:") || lower.starts_with("sips:")) {
                target.to_string()
            } else {
                format!("sip:{target}")
            };
        return match text.parse::<Uri>() {
            Ok(u) if u.as_sip().is_some() => Ok(Typed::Sip(u)),
            _ => Err(bad()),
        };
    }
    Ok(Typed::Bare(dialable(target)))
}

/// A telephone number as typed ("+49 30 1234-56", "(030) 123.45") loses
/// its visual separators; a name stays as it is.
fn dialable(text: &str) -> String {
    let phone_like = text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || "+*#-(). ".contains(c));
    if phone_like {
        text.chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
            .collect()
    } else {
        text.to_string()
    }
}

/// The same host, and the same port (an absent port is the scheme's usual
/// one: 5060, or 5061 for `sips:`): `bob@pbx.example.com` is the account
/// `alice@pbx.example.com`'s domain, `bob@pbx.example.com:5070` another server.
fn same_domain(aor: &SipUri, target: &SipUri) -> bool {
    let port = |u: &SipUri| u.port.unwrap_or(if u.secure { 5061 } else { 5060 });
    aor.host.eq_ignore_ascii_case(&target.host) && port(aor) == port(target)
}

/// `user` at the host (and port) of an account's address of record.
fn at_domain(user: &str, aor: &SipUri) -> Result<Uri, EngineError> {
    let mut host = aor.host.clone();
    if let Some(p) = aor.port {
        host = format!("{host}:{p}");
    }
    match format!("sip:{user}@{host}").parse::<Uri>() {
        Ok(u @ Uri::Sip(_)) => Ok(u),
        _ => Err(EngineError::BadTarget(user.to_string())),
    }
}

/// Turns what a user typed into a SIP URI: full URIs as they are, `user@host`
/// as `sip:user@host`, a `tel:` URI or a bare number or name as a user at the
/// account's domain (`account_aor`).
pub fn target_uri(target: &str, account_aor: Option<&SipUri>) -> Result<Uri, EngineError> {
    match sort(target)? {
        Typed::Sip(uri) => Ok(uri),
        Typed::Bare(user) => match account_aor {
            Some(aor) => at_domain(&user, aor),
            None => Err(EngineError::BadTarget(format!(
                "{} (a number needs an account, or write sip:user@host)",
                target.trim()
            ))),
        },
    }
}

impl PhoneCore {
    /// Where a call to `target` goes, and from which account (the rule above).
    pub(super) fn resolve_target(
        &self,
        target: &str,
        account: Option<&str>,
    ) -> Result<(Uri, Option<AccountId>), EngineError> {
        if let Some(name) = account {
            let id = self.account_id(name)?;
            return Ok((target_uri(target, self.aor(Some(id)))?, Some(id)));
        }
        if target.trim().eq_ignore_ascii_case("echo")
            && let Some(echo) = self.settings.echo
        {
            let uri = target_uri(&format!("sip:echo@{echo}"), None)?;
            return Ok((uri, None));
        }
        let default = self.settings.default_account.map(AccountId);
        match sort(target)? {
            Typed::Bare(_) => {
                let uri = target_uri(target, self.aor(default))?;
                Ok((uri, default))
            }
            Typed::Sip(uri) => {
                let owner = default
                    .into_iter()
                    .chain((0..self.settings.accounts.len()).map(AccountId))
                    .find(|a| {
                        let aor = self.aor(Some(*a));
                        aor.zip(uri.as_sip())
                            .is_some_and(|(a, u)| same_domain(a, u))
                    });
                Ok((uri, owner))
            }
        }
    }

    /// An account's address of record: numbers dialled from it go to its domain.
    pub(super) fn aor(&self, a: Option<AccountId>) -> Option<&SipUri> {
        a.and_then(|a| self.ua.config().accounts.get(a.0))
            .map(|acct| &acct.aor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aor() -> SipUri {
        match "sip:alice@example.com".parse::<Uri>().unwrap() {
            Uri::Sip(u) => u,
            _ => unreachable!(),
        }
    }

    #[test]
    fn targets_become_uris() {
        let uri = |t: &str, aor: Option<&SipUri>| target_uri(t, aor).map(|u| u.to_string());
        assert_eq!(uri("sip:bob@h:5070", None).unwrap(), "sip:bob@h:5070");
        assert_eq!(uri("bob@127.0.0.1", None).unwrap(), "sip:bob@127.0.0.1");
        assert_eq!(uri("1234", Some(&aor())).unwrap(), "sip:1234@example.com");
        assert_eq!(uri("bob", Some(&aor())).unwrap(), "sip:bob@example.com");
        assert_eq!(
            uri("+49 (30) 1234-56", Some(&aor())).unwrap(),
            "sip:+4930123456@example.com"
        );
        assert_eq!(
            uri("tel:+49-30-1234;phone-context=x", Some(&aor())).unwrap(),
            "sip:+49301234@example.com"
        );
        assert!(uri("1234", None).is_err());
        assert!(uri("tel:1234", None).is_err());
        assert!(uri("", Some(&aor())).is_err());
        assert!(uri("tel:abc", Some(&aor())).is_err());
    }
}
