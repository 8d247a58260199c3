//! Message waiting (RFC 3842): a PBX's NOTIFY with `Event: message-summary`
//! says whether a voicemail box holds new messages. Taken whether we
//! subscribed or the PBX sends it unsolicited (Asterisk does so for registered
//! endpoints with a mailbox); answered 200 and reported as an event.

use std::time::Instant;

use super::build::response_to;
use super::{AccountId, Event, UserAgent};
use crate::message::{HeaderName, Request, Uri};
use crate::transaction::TxKey;

/// What a message-summary body says (RFC 3842 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageSummary {
    pub waiting: bool,
    /// New and old voice messages, when the body counts them.
    pub new: Option<u32>,
    pub old: Option<u32>,
}

/// Reads `Messages-Waiting: yes|no` and `Voice-Message: new/old (...)`;
/// `None` without a Messages-Waiting line.
pub fn parse_message_summary(body: &str) -> Option<MessageSummary> {
    let mut summary = None;
    let mut counts = (None, None);
    for line in body.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "messages-waiting" => {
                summary = Some(value.eq_ignore_ascii_case("yes"));
            }
            "voice-message" => {
                let first = value.split_whitespace().next().unwrap_or_default();
                if let Some((new, old)) = first.split_once('/') {
                    counts = (new.parse().ok(), old.parse().ok());
                }
            }
            _ => {}
        }
    }
    summary.map(|waiting| MessageSummary {
        waiting,
        new: counts.0,
        old: counts.1,
    })
}

/// Whether `req` is a message-summary NOTIFY.
pub(super) fn is_message_summary(req: &Request) -> bool {
    req.headers.get(&HeaderName::Event).is_some_and(|e| {
        e.split(';')
            .next()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("message-summary"))
    })
}

impl UserAgent {
    pub(super) fn on_message_summary(&mut self, key: &TxKey, req: &Request, now: Instant) {
        let body = String::from_utf8_lossy(&req.body);
        let Some(summary) = parse_message_summary(&body) else {
            self.respond(key, &response_to(req, 400, Some(&super::new_tag())), now);
            return;
        };
        let account = self.account_of_mailbox(req);
        self.respond(key, &response_to(req, 200, Some(&super::new_tag())), now);
        self.events
            .push_back(Event::MessageWaiting { account, summary });
    }

    /// The account whose user the NOTIFY is for (its request URI, else To).
    fn account_of_mailbox(&self, req: &Request) -> Option<AccountId> {
        let user_of = |uri: &Uri| uri.as_sip().and_then(|u| u.user.clone());
        let user =
            user_of(&req.uri).or_else(|| req.headers.to_addr().and_then(|to| user_of(&to.uri)))?;
        self.cfg
            .accounts
            .iter()
            .position(|a| a.aor.user.as_deref() == Some(user.as_str()))
            .map(AccountId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rfc3842_bodies() {
        let body = "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n\
                    Voice-Message: 2/8 (0/2)\r\n";
        assert_eq!(
            parse_message_summary(body),
            Some(MessageSummary {
                waiting: true,
                new: Some(2),
                old: Some(8)
            })
        );
        assert_eq!(
            parse_message_summary("messages-waiting: no\r\n"),
            Some(MessageSummary::default())
        );
        assert_eq!(parse_message_summary("Voice-Message: 1/0\r\n"), None);
        assert_eq!(parse_message_summary(""), None);
    }
}
