//! Instant messages (RFC 3428 MESSAGE), sans-IO: sending one through an
//! account (its outbound proxy, credentials on a 401/407) or peer to peer,
//! with its delivery told as an event (delivered on a 2xx, failed with the
//! status otherwise, 408 when nothing answers); taking one in, out of a
//! dialog or in one, with a 200 and an event. RFC 3428 6: a body over 1300
//! bytes is never sent over UDP, and never cut: it goes over TCP to the same
//! hop, or, when UDP was named (the account's transport, the URI's
//! parameter), is refused.

use std::time::Instant;

use super::build::{new_call_id, new_tag, response_to};
use super::locate::Intent;
use super::registration::{ChallengeFailure, push_outbound_route};
use super::{AcceptMessages, AccountId, Event, Owner, Transport, UaError, UserAgent};
use crate::message::{HeaderName, Method, NameAddr, Request, SipUri, Uri};
use crate::transaction::TxKey;

/// The largest body sent over UDP (RFC 3428 6, from the path MTU).
pub const MAX_UDP_BODY: usize = 1300;

/// The content types we take (RFC 3428 text/plain; RFC 3994 is-composing).
const ACCEPTED: &[&str] = &["text/plain", "application/im-iscomposing+xml"];

/// A message handle; not a SIP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(pub u64);

/// A message on its way.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    account: Option<AccountId>,
    target: Uri,
    content_type: String,
    body: Vec<u8>,
    call_id: String,
    from_tag: String,
    cseq: u32,
    auth: super::challenged::Challenged,
}

impl UserAgent {
    /// Sends `body` (of `content_type`) to `target`, from `account` or, with
    /// none, peer to peer from our address. Its fate comes as
    /// `MessageDelivered` or `MessageFailed`.
    pub fn send_message(
        &mut self,
        now: Instant,
        account: Option<AccountId>,
        target: &Uri,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<MessageId, UaError> {
        target.as_sip().ok_or(UaError::NotSip)?;
        if let Some(a) = account {
            self.cfg.accounts.get(a.0).ok_or(UaError::NoSuchAccount)?;
        }
        let id = MessageId(self.next_message);
        self.next_message += 1;
        let local = self.cfg.local.ip().to_string();
        let message = Outgoing {
            account,
            target: target.clone(),
            content_type: content_type.to_string(),
            body,
            call_id: new_call_id(&mut self.rng, &local),
            from_tag: new_tag(&mut self.rng),
            cseq: 0,
            auth: Default::default(),
        };
        self.messages.insert(id, message);
        if let Err(e) = self.send_message_now(id, now) {
            self.messages.remove(&id);
            return Err(e);
        }
        Ok(id)
    }

    /// Builds and sends message `id` (again, with credentials, after a
    /// challenge; or once DNS has located its first hop).
    pub(super) fn send_message_now(&mut self, id: MessageId, now: Instant) -> Result<(), UaError> {
        let Some(m) = self.messages.get(&id).cloned() else {
            return Ok(());
        };
        let acct = m.account.and_then(|a| self.cfg.accounts.get(a.0)).cloned();
        let target_sip = m.target.as_sip().ok_or(UaError::NotSip)?.clone();
        let (hop_uri, transport) = match &acct {
            Some(a) => (
                a.outbound_proxy
                    .clone()
                    .unwrap_or_else(|| target_sip.clone()),
                a.transport,
            ),
            None => (target_sip.clone(), None),
        };
        let Some((mut hop, mut alternatives)) =
            self.located_hop(&hop_uri, transport, Intent::Message(id), now)
        else {
            return Ok(());
        };
        if hop.transport == Transport::Udp && m.body.len() > MAX_UDP_BODY {
            // RFC 3261 18.1.1: a request too large for the path goes over a
            // congestion-controlled transport, unless UDP was asked for by
            // name (the account's transport or the URI's parameter).
            let udp_by_name = transport.is_some() || hop_uri.transport().is_some();
            if udp_by_name {
                return Err(UaError::TooLargeForUdp);
            }
            hop.transport = Transport::Tcp;
            alternatives.retain(|t| t.transport != Transport::Udp);
        }
        let from = match &acct {
            Some(a) => {
                let mut f = NameAddr::new(Uri::Sip(a.aor.clone()));
                f.display = a.display_name.clone();
                f
            }
            None => NameAddr::new(Uri::Sip(SipUri::for_addr(
                Some(&self.cfg.contact_user),
                self.local_for(&hop),
            ))),
        };
        let Some(message) = self.messages.get_mut(&id) else {
            return Ok(());
        };
        message.cseq += 1;
        let mut req = Request::new(Method::Message, m.target.clone());
        req.headers.push(HeaderName::MaxForwards, "70");
        req.headers
            .push(HeaderName::From, from.with_tag(&m.from_tag).to_string());
        req.headers
            .push(HeaderName::To, NameAddr::new(m.target.clone()).to_string());
        req.headers.push(HeaderName::CallId, m.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{} MESSAGE", message.cseq));
        if let Some(a) = &acct {
            push_outbound_route(&mut req, a);
            let uri = m.target.to_string();
            message.auth.authorize(&mut req, a, &uri, &mut self.rng);
        }
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        req.headers.push(HeaderName::ContentType, m.content_type);
        req.body = m.body;
        self.start_client_tx_with(req, hop, alternatives, Owner::Message(id), now);
        Ok(())
    }

    /// The final answer to message `id`.
    pub(super) fn on_message_response(
        &mut self,
        id: MessageId,
        resp: crate::message::Response,
        now: Instant,
    ) {
        if resp.status < 200 {
            return;
        }
        if matches!(resp.status, 401 | 407) {
            match self.answer_message_challenge(id, &resp) {
                Ok(()) => {
                    let _ = self.send_message_now(id, now);
                    return;
                }
                Err(why) => {
                    self.messages.remove(&id);
                    self.events.push_back(Event::MessageFailed {
                        id,
                        status: resp.status,
                        reason: format!("{} ({})", resp.reason, why.explain()),
                    });
                    return;
                }
            }
        }
        self.messages.remove(&id);
        self.events.push_back(if resp.is_success() {
            Event::MessageDelivered { id }
        } else {
            Event::MessageFailed {
                id,
                status: resp.status,
                reason: resp.reason.clone(),
            }
        });
    }

    fn answer_message_challenge(
        &mut self,
        id: MessageId,
        resp: &crate::message::Response,
    ) -> Result<(), ChallengeFailure> {
        let has_credentials = self
            .messages
            .get(&id)
            .and_then(|m| m.account)
            .and_then(|a| self.cfg.accounts.get(a.0))
            .is_some_and(|a| a.credentials.is_some());
        if !has_credentials {
            return Err(ChallengeFailure::NoCredentials);
        }
        match self.messages.get_mut(&id) {
            Some(m) => m.auth.answer(resp),
            None => Ok(()),
        }
    }

    /// Message `id` got no answer (or could not be sent).
    pub(super) fn message_timed_out(&mut self, id: MessageId, status: u16, reason: &str) {
        if self.messages.remove(&id).is_some() {
            self.events.push_back(Event::MessageFailed {
                id,
                status,
                reason: reason.to_string(),
            });
        }
    }

    /// A MESSAGE for us (in a dialog or not): 200 and an event for what we
    /// take, 415 with Accept for other content types, 403 for a sender
    /// `accept_messages` does not take.
    pub(super) fn on_message_request(
        &mut self,
        key: &TxKey,
        req: &Request,
        via_registrar: bool,
        now: Instant,
    ) {
        let account = self.account_for(req);
        let taken = match self.cfg.accept_messages {
            AcceptMessages::No => false,
            AcceptMessages::ForAccounts => account.is_some(),
            AcceptMessages::ViaRegistrar => account.is_some() && via_registrar,
            AcceptMessages::Any => true,
        };
        if !taken {
            tracing::info!("MESSAGE refused: not to an account of ours, or not via its registrar");
            let resp = response_to(req, 403, Some(&new_tag(&mut self.rng)));
            self.respond(key, &resp, now);
            return;
        }
        let content_type = req
            .headers
            .content_type()
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_else(|| "text/plain".into());
        if !ACCEPTED.contains(&content_type.as_str()) {
            let mut resp = response_to(req, 415, Some(&new_tag(&mut self.rng)));
            resp.headers.push(HeaderName::Accept, ACCEPTED.join(", "));
            self.respond(key, &resp, now);
            return;
        }
        let Some(from) = req.headers.from_addr() else {
            return;
        };
        let tag = new_tag(&mut self.rng);
        self.respond(key, &response_to(req, 200, Some(&tag)), now);
        self.events.push_back(Event::MessageReceived {
            account,
            from: Box::new(from),
            content_type,
            body: req.body.clone(),
        });
    }
}
