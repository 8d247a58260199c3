//! Event state publication (RFC 3903, PUBLISH), sans-IO: our presence goes
//! to the account's presence server. The first PUBLISH carries the
//! document; the server's SIP-ETag names it; refreshes carry only
//! SIP-If-Match; a change carries the new document with SIP-If-Match; a
//! 412 (the server lost it) starts over with the whole document; 423 takes
//! the server's Min-Expires; removal is Expires: 0. No answer or a server
//! error: again after a growing back-off. The server saying it does not
//! take PUBLISH (405, 489, 501...) ends it for good, with an event.

use std::time::Instant;

use super::build::{new_call_id, new_tag};
use super::registration::{push_outbound_route, refresh_after};
use super::{AccountId, Event, Owner, UaError, UserAgent};
use crate::message::{HeaderName, Method, NameAddr, Request, Response, Uri};

/// A publication handle; not a SIP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicationId(pub u64);

#[derive(Debug, Clone)]
pub(super) struct Publication {
    account: AccountId,
    package: String,
    content_type: String,
    /// The document as published (or to publish).
    body: Vec<u8>,
    expires: u32,
    /// The server's name for our state, once it took it.
    etag: Option<String>,
    call_id: String,
    from_tag: String,
    cseq: u32,
    auth: super::challenged::Challenged,
    in_flight: bool,
    /// What the request in flight carried: the body (a change or a
    /// first publication) or not (a refresh).
    sent_body: bool,
    /// Changed while a request was in flight: sent once it is answered.
    changed: bool,
    due: Option<Instant>,
    failures: u32,
    ending: bool,
    /// The request in flight is the removal (Expires: 0).
    removing: bool,
}

impl UserAgent {
    /// Publishes `body` (of `content_type`, for event `package`) as
    /// `account`'s state, for `expires` seconds at a time, refreshed until
    /// `unpublish`. How it goes comes as `Event::PublicationState`.
    pub fn publish(
        &mut self,
        now: Instant,
        account: AccountId,
        package: &str,
        content_type: &str,
        body: Vec<u8>,
        expires: u32,
    ) -> Result<PublicationId, UaError> {
        self.cfg
            .accounts
            .get(account.0)
            .ok_or(UaError::NoSuchAccount)?;
        let id = PublicationId(self.next_publication);
        self.next_publication += 1;
        let local = self.cfg.local.ip().to_string();
        self.publications.insert(
            id,
            Publication {
                account,
                package: package.to_string(),
                content_type: content_type.to_string(),
                body,
                expires,
                etag: None,
                call_id: new_call_id(&mut self.rng, &local),
                from_tag: new_tag(&mut self.rng),
                cseq: 0,
                auth: Default::default(),
                in_flight: false,
                sent_body: false,
                changed: false,
                due: None,
                failures: 0,
                ending: false,
                removing: false,
            },
        );
        self.send_publish(id, now, true);
        Ok(id)
    }

    /// A new document for publication `id` (sent at once, or once the
    /// request in flight is answered).
    pub fn republish(&mut self, now: Instant, id: PublicationId, body: Vec<u8>) {
        let Some(p) = self.publications.get_mut(&id) else {
            return;
        };
        if p.body == body && p.etag.is_some() {
            return;
        }
        p.body = body;
        if p.in_flight {
            p.changed = true;
            return;
        }
        self.send_publish(id, now, true);
    }

    /// Removes our state from the server (Expires: 0); forgotten once
    /// answered, or at once when the server never took it.
    pub fn unpublish(&mut self, now: Instant, id: PublicationId) {
        let Some(p) = self.publications.get_mut(&id) else {
            return;
        };
        p.ending = true;
        p.due = None;
        if p.etag.is_none() && !p.in_flight {
            self.publications.remove(&id);
            return;
        }
        if !p.in_flight {
            self.send_publish(id, now, false);
        }
    }

    /// DNS answered for a publication that waited for it.
    pub(super) fn resend_publish_located(&mut self, id: PublicationId, now: Instant) {
        self.send_publish(id, now, true);
    }

    fn send_publish(&mut self, id: PublicationId, now: Instant, with_body: bool) {
        let Some(p) = self.publications.get(&id) else {
            return;
        };
        let account = p.account;
        let acct = self.cfg.accounts[account.0].clone();
        let (hop_uri, transport) = self.registration_hop_uri(account);
        let Some((hop, alternatives)) =
            self.located_hop(&hop_uri, transport, super::locate::Intent::Publish(id), now)
        else {
            return;
        };
        let Some(p) = self.publications.get_mut(&id) else {
            return;
        };
        // Without an entity tag there is nothing to refresh: the whole document.
        let with_body = (with_body || p.etag.is_none()) && !p.ending;
        p.cseq += 1;
        p.in_flight = true;
        p.sent_body = with_body;
        p.changed = false;
        p.removing = p.ending;
        p.due = None;
        let aor = Uri::Sip(acct.aor.clone());
        let mut req = Request::new(Method::Publish, aor.clone());
        let mut from = NameAddr::new(aor.clone());
        from.display = acct.display_name.clone();
        req.headers.push(HeaderName::MaxForwards, "70");
        req.headers
            .push(HeaderName::From, from.with_tag(&p.from_tag).to_string());
        req.headers
            .push(HeaderName::To, NameAddr::new(aor).to_string());
        req.headers.push(HeaderName::CallId, p.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{} PUBLISH", p.cseq));
        push_outbound_route(&mut req, &acct);
        req.headers.push(HeaderName::Event, p.package.clone());
        if let Some(etag) = &p.etag {
            req.headers.push(HeaderName::SipIfMatch, etag.clone());
        }
        let expires = if p.ending { 0 } else { p.expires };
        req.headers.push(HeaderName::Expires, expires.to_string());
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        if with_body {
            req.headers
                .push(HeaderName::ContentType, p.content_type.clone());
            req.body = p.body.clone();
        }
        let uri = req.uri.to_string();
        p.auth.authorize(&mut req, &acct, &uri, &mut self.rng);
        self.start_client_tx_with(req, hop, alternatives, Owner::Publication(id), now);
    }

    pub(super) fn on_publish_response(&mut self, id: PublicationId, resp: &Response, now: Instant) {
        if resp.status < 200 {
            return;
        }
        let has_credentials = self
            .publications
            .get(&id)
            .is_some_and(|p| self.cfg.accounts[p.account.0].credentials.is_some());
        let Some(p) = self.publications.get_mut(&id) else {
            return;
        };
        p.in_flight = false;
        if p.ending && !matches!(resp.status, 401 | 407) {
            // Asked to end while a publication was on its way: remove what
            // the server just took.
            if !p.removing
                && resp.is_success()
                && let Some(etag) = resp.headers.get(&HeaderName::SipEtag)
            {
                p.etag = Some(etag.trim().to_string());
                self.send_publish(id, now, false);
                return;
            }
            self.publications.remove(&id);
            return;
        }
        match resp.status {
            200..=299 => {
                p.auth.accepted();
                p.failures = 0;
                if let Some(etag) = resp.headers.get(&HeaderName::SipEtag) {
                    p.etag = Some(etag.trim().to_string());
                }
                let granted = resp.headers.expires().unwrap_or(p.expires).max(1);
                p.due = Some(now + refresh_after(granted));
                let (changed, was_new) = (p.changed, p.sent_body);
                if changed {
                    self.send_publish(id, now, true);
                } else if was_new {
                    self.events.push_back(Event::PublicationState {
                        id,
                        published: true,
                        detail: format!("{} {}", resp.status, resp.reason),
                    });
                }
            }
            401 | 407 if has_credentials && p.auth.can_answer() => match p.auth.answer(resp) {
                Ok(()) => {
                    let with_body = p.sent_body;
                    self.send_publish(id, now, with_body);
                }
                Err(why) => {
                    self.publication_ended(id, format!("{} ({})", resp.status, why.explain()))
                }
            },
            // RFC 3903 6: the server no longer has our state: publish it whole.
            412 => {
                p.etag = None;
                self.send_publish(id, now, true);
            }
            423 => {
                let min = resp.headers.min_expires();
                match min {
                    Some(min) if min > p.expires => {
                        p.expires = min;
                        let with_body = p.sent_body;
                        self.send_publish(id, now, with_body);
                    }
                    _ => self.publication_ended(id, "423 without a usable Min-Expires".into()),
                }
            }
            403 | 404 | 405 | 489 | 501 | 603 => {
                self.publication_ended(id, format!("{} {}", resp.status, resp.reason));
            }
            _ => self.publication_retry(id, now, format!("{} {}", resp.status, resp.reason)),
        }
    }

    pub(super) fn publication_failed(&mut self, id: PublicationId, now: Instant, why: &str) {
        if self.publications.get(&id).is_some_and(|p| p.ending) {
            self.publications.remove(&id);
            return;
        }
        if let Some(p) = self.publications.get_mut(&id) {
            p.in_flight = false;
        }
        self.publication_retry(id, now, why.to_string());
    }

    fn publication_retry(&mut self, id: PublicationId, now: Instant, why: String) {
        let Some(p) = self.publications.get_mut(&id) else {
            return;
        };
        let wait = super::subscriptions::backoff(p.failures);
        p.failures += 1;
        // Start over: the server may have lost it by then.
        p.etag = None;
        p.due = Some(now + wait);
        tracing::info!(
            publication = id.0,
            "PUBLISH failed ({why}); again in {wait:?}"
        );
        self.events.push_back(Event::PublicationState {
            id,
            published: false,
            detail: format!("{why}; trying again in {} s", wait.as_secs()),
        });
    }

    fn publication_ended(&mut self, id: PublicationId, why: String) {
        tracing::info!(publication = id.0, "PUBLISH given up: {why}");
        self.publications.remove(&id);
        self.events.push_back(Event::PublicationState {
            id,
            published: false,
            detail: why,
        });
    }

    pub(super) fn publications_on_timeout(&mut self, now: Instant) {
        let due: Vec<PublicationId> = self
            .publications
            .iter()
            .filter(|(_, p)| !p.in_flight && p.due.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(p) = self.publications.get_mut(&id) {
                p.auth.accepted();
            }
            self.send_publish(id, now, false);
        }
    }

    pub(super) fn publications_poll_timeout(&self) -> Option<Instant> {
        self.publications
            .values()
            .filter(|p| !p.in_flight)
            .filter_map(|p| p.due)
            .min()
    }

    pub(super) fn publications_pending(&self) -> bool {
        self.publications.values().any(|p| p.ending && p.in_flight)
    }
}
