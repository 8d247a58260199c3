//! Instant messages through the phone (RFC 3428, RFC 3994): a message goes
//! where a call to the same target would (the default-account rule), its
//! fate comes back as an event and as the answer to whoever asked; one that
//! comes in becomes an event for the faces and the message store.

use std::time::Instant;

use hookswitch_sip::bodies::is_composing;
use hookswitch_sip::ua::{self, AccountId, UaError};

use super::{Origin, PhoneCore};
use crate::action::Reply;
use crate::error::EngineError;
use crate::event::PhoneEvent;

/// Text messages are UTF-8 plain text (RFC 3428 default charset).
const TEXT_PLAIN: &str = "text/plain;charset=UTF-8";

/// Who waits for a message we sent.
#[derive(Debug, Clone, Copy)]
pub(super) enum Sent {
    /// A text: the asker's answer, and events.
    Text(Origin),
    /// An is-composing notice: nobody waits, nothing is told.
    Composing,
}

impl PhoneCore {
    pub(super) fn send_text(
        &mut self,
        now: Instant,
        target: &str,
        text: String,
        account: Option<&str>,
        origin: Origin,
    ) {
        if text.trim().is_empty() {
            return self.finish(
                origin,
                Err(EngineError::BadTarget("an empty message".into())),
            );
        }
        let result = self
            .resolve_target(target, account)
            .and_then(|(uri, account)| {
                self.send_body(now, &uri, account, TEXT_PLAIN, text.clone().into_bytes())
                    .map(|id| (id, uri, account))
            });
        match result {
            Ok((id, uri, account)) => {
                self.messages_out.insert(id, Sent::Text(origin));
                let account = self.account_name(account);
                self.emit(
                    now,
                    PhoneEvent::MessageSent {
                        message: id.0,
                        to: uri.to_string(),
                        account,
                        text,
                    },
                );
            }
            Err(e) => self.finish(origin, Err(e)),
        }
    }

    pub(super) fn send_composing(
        &mut self,
        now: Instant,
        target: &str,
        active: bool,
        account: Option<&str>,
    ) -> Result<(), EngineError> {
        let (uri, account) = self.resolve_target(target, account)?;
        let body = is_composing::body(active, is_composing::DEFAULT_ACTIVE_SECONDS);
        let id = self.send_body(now, &uri, account, is_composing::CONTENT_TYPE, body)?;
        self.messages_out.insert(id, Sent::Composing);
        Ok(())
    }

    fn send_body(
        &mut self,
        now: Instant,
        uri: &hookswitch_sip::message::Uri,
        account: Option<AccountId>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<ua::MessageId, EngineError> {
        self.ua
            .send_message(now, account, uri, content_type, body)
            .map_err(|e| match e {
                UaError::TooLargeForUdp => EngineError::TooLarge(e.to_string()),
                UaError::NoSuchAccount => EngineError::NoSuchAccount(format!("{account:?}")),
                other => EngineError::BadTarget(format!("{uri}: {other}")),
            })
    }

    pub(super) fn message_delivered(&mut self, now: Instant, id: ua::MessageId) {
        if let Some(Sent::Text(origin)) = self.messages_out.remove(&id) {
            self.emit(now, PhoneEvent::MessageDelivered { message: id.0 });
            self.finish(origin, Ok(Reply::Message(id.0)));
        }
    }

    pub(super) fn message_failed(
        &mut self,
        now: Instant,
        id: ua::MessageId,
        status: u16,
        reason: String,
    ) {
        match self.messages_out.remove(&id) {
            Some(Sent::Text(origin)) => {
                tracing::info!(message = id.0, status, "message not delivered: {reason}");
                self.emit(
                    now,
                    PhoneEvent::MessageFailed {
                        message: id.0,
                        status,
                        reason: reason.clone(),
                    },
                );
                self.finish(origin, Err(EngineError::MessageFailed { status, reason }));
            }
            Some(Sent::Composing) => {
                tracing::debug!(status, "is-composing notice not taken: {reason}")
            }
            None => {}
        }
    }

    /// A message for us: text becomes `Message`, is-composing `Composing`;
    /// a body we cannot read is counted and dropped (it was answered 200
    /// already: RFC 3428 leaves what to show to the receiver).
    pub(super) fn message_received(
        &mut self,
        now: Instant,
        account: Option<AccountId>,
        from: &hookswitch_sip::message::NameAddr,
        content_type: &str,
        body: &[u8],
    ) {
        let account = self.account_name(account);
        let sender = from.uri.to_string();
        if content_type == is_composing::CONTENT_TYPE {
            match is_composing::parse(body) {
                Ok(c) => self.emit(
                    now,
                    PhoneEvent::Composing {
                        from: sender,
                        account,
                        active: c.active,
                        refresh: c.refresh,
                    },
                ),
                Err(e) => {
                    self.malformed_bodies += 1;
                    tracing::info!(from = %sender, "is-composing body ignored: {e}");
                }
            }
            return;
        }
        let text = String::from_utf8_lossy(body).into_owned();
        if text.trim().is_empty() {
            return;
        }
        self.emit(
            now,
            PhoneEvent::Message {
                from: sender,
                name: from.display.clone().filter(|n| !n.trim().is_empty()),
                account,
                text,
            },
        );
    }
}
