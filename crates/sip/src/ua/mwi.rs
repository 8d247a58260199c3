//! Message waiting (RFC 3842): a PBX's NOTIFY with `Event: message-summary`
//! says whether a voicemail box holds new messages. Taken whether we
//! subscribed or the PBX sends it unsolicited (Asterisk does so for registered
//! endpoints with a mailbox); answered 200 and reported as an event.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::build::{new_call_id, new_tag, response_to};
use super::registration::{push_outbound_route, refresh_after};
use super::{AccountId, Event, Owner, UserAgent};
use crate::message::{HeaderName, Method, NameAddr, Request, Response, Uri, parse_uint};
use crate::transaction::TxKey;

/// How long we ask the voicemail subscription to last.
const EXPIRES: u32 = 3600;
/// After a subscription that went unanswered (or a transport failure).
const RETRY: Duration = Duration::from_secs(60);

/// An account's subscription to its voicemail box (RFC 3842 over RFC 6665).
#[derive(Debug)]
pub(super) struct VoicemailSubscription {
    call_id: String,
    from_tag: String,
    /// The notifier's tag once it accepted: refreshes go in that dialog.
    to_tag: Option<String>,
    cseq: u32,
    auth: super::challenged::Challenged,
    in_flight: bool,
    /// The notifier said no for good (489 Bad Event, 403, 404...).
    refused: bool,
    pub refresh_at: Option<Instant>,
}

impl VoicemailSubscription {
    pub fn new(local: &SocketAddr, rng: &mut rand::rngs::StdRng) -> Self {
        VoicemailSubscription {
            call_id: new_call_id(rng, &local.ip().to_string()),
            from_tag: new_tag(rng),
            to_tag: None,
            cseq: 0,
            auth: Default::default(),
            in_flight: false,
            refused: false,
            refresh_at: None,
        }
    }
}

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
    /// Once registered, an account that asks for it subscribes to its
    /// voicemail box (unless a subscription is already running or refused).
    pub(super) fn subscribe_voicemail_if_wanted(&mut self, account: AccountId, now: Instant) {
        let wanted = self.cfg.accounts[account.0].subscribe_voicemail;
        let sub = &self.voicemail[account.0];
        if wanted && !sub.refused && !sub.in_flight && sub.to_tag.is_none() {
            self.voicemail[account.0].auth.accepted();
            self.send_voicemail_subscribe(account, now);
        }
    }

    pub(super) fn send_voicemail_subscribe(&mut self, account: AccountId, now: Instant) {
        let acct = self.cfg.accounts[account.0].clone();
        let (uri, transport) = self.registration_hop_uri(account);
        let Some((hop, _)) = self.located_hop(
            &uri,
            transport,
            super::locate::Intent::Voicemail(account),
            now,
        ) else {
            return;
        };
        let contact = self.registration_contact(account);
        let sub = &mut self.voicemail[account.0];
        sub.cseq += 1;
        sub.in_flight = true;
        sub.refresh_at = None;
        let mut req = Request::new(Method::Subscribe, Uri::Sip(acct.aor.clone()));
        let mut from = NameAddr::new(Uri::Sip(acct.aor.clone()));
        from.display = acct.display_name.clone();
        let mut to = NameAddr::new(Uri::Sip(acct.aor.clone()));
        if let Some(tag) = &sub.to_tag {
            to = to.with_tag(tag);
        }
        req.headers.push(HeaderName::MaxForwards, "70");
        req.headers
            .push(HeaderName::From, from.with_tag(&sub.from_tag).to_string());
        req.headers.push(HeaderName::To, to.to_string());
        req.headers.push(HeaderName::CallId, sub.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{} SUBSCRIBE", sub.cseq));
        push_outbound_route(&mut req, &acct);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Event, "message-summary");
        req.headers
            .push(HeaderName::Accept, "application/simple-message-summary");
        req.headers.push(HeaderName::Expires, EXPIRES.to_string());
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        let uri = acct.aor.to_string();
        sub.auth.authorize(&mut req, &acct, &uri, &mut self.rng);
        self.start_client_tx(req, hop, Owner::Voicemail(account), now);
    }

    pub(super) fn on_voicemail_response(
        &mut self,
        account: AccountId,
        resp: &Response,
        now: Instant,
    ) {
        if resp.status < 200 {
            return;
        }
        let has_credentials = self.cfg.accounts[account.0].credentials.is_some();
        let sub = &mut self.voicemail[account.0];
        sub.in_flight = false;
        match resp.status {
            200..=299 => {
                sub.auth.accepted();
                sub.to_tag = resp
                    .headers
                    .to_addr()
                    .and_then(|t| t.tag().map(str::to_string));
                let granted = resp
                    .headers
                    .get(&HeaderName::Expires)
                    .and_then(|v| parse_uint(v, u32::MAX.into()))
                    .map_or(EXPIRES, |v| v as u32);
                sub.refresh_at = Some(now + refresh_after(granted));
            }
            401 | 407 if has_credentials && sub.auth.can_answer() => match sub.auth.answer(resp) {
                Ok(()) => self.send_voicemail_subscribe(account, now),
                Err(why) => {
                    tracing::info!(
                        ?account,
                        "voicemail subscription refused: {}",
                        why.explain()
                    );
                    sub.refused = true;
                }
            },
            // The dialog is gone at the notifier: start a new one.
            481 => {
                sub.to_tag = None;
                sub.refresh_at = Some(now);
            }
            _ => {
                tracing::info!(
                    account = account.0,
                    status = resp.status,
                    "no voicemail subscription here"
                );
                sub.refused = true;
            }
        }
    }

    /// No answer (or the network failed): try again in a while.
    pub(super) fn voicemail_retry_later(&mut self, account: AccountId, now: Instant) {
        let sub = &mut self.voicemail[account.0];
        sub.in_flight = false;
        sub.to_tag = None;
        sub.refresh_at = Some(now + RETRY);
    }

    pub(super) fn voicemail_on_timeout(&mut self, now: Instant) {
        for i in 0..self.voicemail.len() {
            let sub = &self.voicemail[i];
            if sub.refresh_at.is_some_and(|t| t <= now) && !sub.in_flight && !sub.refused {
                self.voicemail[i].auth.accepted();
                self.send_voicemail_subscribe(AccountId(i), now);
            }
        }
    }

    pub(super) fn on_message_summary(&mut self, key: &TxKey, req: &Request, now: Instant) {
        let body = String::from_utf8_lossy(&req.body);
        let Some(summary) = parse_message_summary(&body) else {
            let tag = new_tag(&mut self.rng);
            self.respond(key, &response_to(req, 400, Some(&tag)), now);
            return;
        };
        let account = self.account_of_mailbox(req);
        let tag = new_tag(&mut self.rng);
        self.respond(key, &response_to(req, 200, Some(&tag)), now);
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
