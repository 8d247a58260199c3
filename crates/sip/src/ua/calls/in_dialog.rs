//! Requests inside an established call: BYE, re-INVITE, UPDATE, INFO, OPTIONS,
//! our own re-INVITEs and glare (RFC 3261 14, RFC 3311).

use std::time::{Duration, Instant};

use rand::RngExt;

use super::{CallState, PendingOffer, Role};
use crate::message::{HeaderName, Method, Request, Response};
use crate::transaction::TxKey;
use crate::ua::build::response_to;
use crate::ua::{CallId, EndReason, Event, Owner, UaError, UserAgent};

impl UserAgent {
    /// Sends a SIP INFO in the call (DTMF relay when the peer has no telephone-event).
    pub fn send_info(
        &mut self,
        now: Instant,
        id: CallId,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), UaError> {
        self.established(id)?;
        self.send_in_dialog(id, Method::Info, Some((content_type, body)), now);
        Ok(())
    }

    /// Re-negotiates the session with a new offer (hold, resume, codec change).
    pub fn reinvite(&mut self, now: Instant, id: CallId, sdp: Vec<u8>) -> Result<(), UaError> {
        self.established(id)?;
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        if call.reinvite_in_progress || call.pending_offer.is_some() {
            return Err(UaError::WrongState);
        }
        call.reinvite_in_progress = true;
        call.last_offer = sdp.clone();
        self.send_in_dialog(id, Method::Invite, Some(("application/sdp", sdp)), now);
        Ok(())
    }

    /// An offer is out or being answered in this call: a re-INVITE now
    /// would cross it (RFC 3261 14.1), so it has to wait.
    pub fn offer_pending(&self, id: CallId) -> bool {
        self.calls
            .get(&id)
            .is_some_and(|c| c.reinvite_in_progress || c.pending_offer.is_some())
    }

    pub(in crate::ua) fn established(&self, id: CallId) -> Result<(), UaError> {
        match self.calls.get(&id) {
            None => Err(UaError::NoSuchCall),
            Some(c) if c.state == CallState::Established => Ok(()),
            Some(_) => Err(UaError::WrongState),
        }
    }

    pub(in crate::ua) fn on_reinvite_response(&mut self, id: CallId, resp: Response, now: Instant) {
        if resp.status < 200 || (resp.is_success() && self.repeat_ack(id, &resp)) {
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.reinvite_in_progress = false;
        let was_refresh = std::mem::take(&mut call.refreshing);
        if resp.status == 422 && self.raise_min_se(id, &resp) {
            // Too short an interval (RFC 4028): the same request again.
            if was_refresh {
                self.send_refresh(id, now);
            } else if let Some(call) = self.calls.get_mut(&id) {
                let offer = call.last_offer.clone();
                call.reinvite_in_progress = true;
                self.send_in_dialog(id, Method::Invite, Some(("application/sdp", offer)), now);
            }
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if resp.is_success() {
            let seq = resp
                .headers
                .cseq()
                .map(|c| c.seq)
                .unwrap_or(call.dialog.local_seq);
            self.send_2xx_ack(id, seq);
            self.learn_session_timer(id, &resp, now);
            let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
            self.events
                .push_back(Event::OfferAnswered { call: id, sdp });
        } else if resp.status == 491 {
            // Glare (RFC 3261 14.1): retry after a random wait; 2.1-4 s if we own the Call-ID.
            let owner = call.role == Role::Caller;
            let ms = if owner {
                self.rng.random_range(2100..=4000)
            } else {
                self.rng.random_range(0..=2000)
            };
            let offer = call.last_offer.clone();
            call.reinvite_retry = Some((now + Duration::from_millis(ms), offer));
        } else if resp.status == 481 || resp.status == 408 {
            // The dialog is gone at the far end (RFC 3261 14.1).
            self.send_bye(id, now);
            self.end_call(id, EndReason::Remote, now);
        } else {
            self.events.push_back(Event::OfferRejected {
                call: id,
                status: resp.status,
            });
        }
    }

    /// Answers the peer's pending re-INVITE or UPDATE offer.
    pub fn answer_offer(&mut self, now: Instant, id: CallId, sdp: Vec<u8>) -> Result<(), UaError> {
        let contact_user = self.contact_user_for(id);
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        let pending = call.pending_offer.take().ok_or(UaError::WrongState)?;
        let mut resp = response_to(&pending.request, 200, None);
        let target = self
            .txs
            .get(&pending.key)
            .map(|e| e.target.clone())
            .ok_or(UaError::WrongState)?;
        resp.headers
            .push(HeaderName::Contact, self.contact(&contact_user, &target));
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        self.answer_session_timer(id, &pending.request, &mut resp, now);
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_sdp = sdp.clone();
            // An offerless re-INVITE: our 2xx offers, its ACK answers.
            call.offer_in_2xx =
                pending.request.method == Method::Invite && pending.request.body.is_empty();
        }
        resp.body = sdp;
        self.respond(&pending.key, &resp, now);
        if pending.request.method == Method::Invite {
            self.retransmit_2xx_until_ack(id, &resp, target, now);
        }
        Ok(())
    }

    /// Refuses the peer's pending re-INVITE or UPDATE offer (488 Not
    /// Acceptable Here for an offer we cannot take): the session stays as it
    /// was (RFC 3261 14.2, RFC 3311 5.2).
    pub fn reject_offer(&mut self, now: Instant, id: CallId, status: u16) -> Result<(), UaError> {
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        let pending = call.pending_offer.take().ok_or(UaError::WrongState)?;
        let resp = response_to(&pending.request, status, None);
        self.respond(&pending.key, &resp, now);
        Ok(())
    }

    pub(in crate::ua) fn on_in_dialog_request(&mut self, key: &TxKey, req: Request, now: Instant) {
        let Some(id) = self.find_dialog(&req) else {
            self.respond(key, &response_to(&req, 481, None), now);
            return;
        };
        let seq = req.headers.cseq().map(|c| c.seq).unwrap_or_default();
        let call = self.calls.get_mut(&id).expect("found above");
        if !call.dialog.accept_remote_seq(seq, &req.method) {
            let mut resp = response_to(&req, 500, None);
            resp.headers.push(HeaderName::RetryAfter, "1");
            self.respond(key, &resp, now);
            return;
        }
        if let Some(entry) = self.txs.get_mut(key) {
            entry.owner = Owner::InDialog(id);
        }
        if matches!(req.method, Method::Invite | Method::Update)
            && req.headers.get(&HeaderName::Allow).is_some()
        {
            call.peer_allows_update = super::session_timer::allows_update(&req.headers);
        }
        match req.method {
            Method::Bye => {
                self.respond(key, &response_to(&req, 200, None), now);
                let call = self.calls.get_mut(&id).expect("found above");
                call.ok_retransmit = None;
                if !call.is_ended() {
                    self.end_call(id, EndReason::Remote, now);
                }
            }
            // A refresh (RFC 4028) or a target refresh without an offer: no
            // offer to answer, so a 2xx without a body (RFC 3311 5.2).
            Method::Update if req.body.is_empty() => {
                if let Some(resp) = self.session_interval_too_small(&req) {
                    self.respond(key, &resp, now);
                    return;
                }
                let call = self.calls.get_mut(&id).expect("found above");
                call.dialog.refresh_target(&req);
                let contact_user = self.contact_user_for(id);
                let mut resp = response_to(&req, 200, None);
                if let Some(target) = self.txs.get(key).map(|e| e.target.clone()) {
                    resp.headers
                        .push(HeaderName::Contact, self.contact(&contact_user, &target));
                }
                self.answer_session_timer(id, &req, &mut resp, now);
                self.respond(key, &resp, now);
            }
            Method::Invite | Method::Update => {
                if call.reinvite_in_progress || call.pending_offer.is_some() {
                    self.respond(key, &response_to(&req, 491, None), now);
                    return;
                }
                if let Some(resp) = self.session_interval_too_small(&req) {
                    self.respond(key, &resp, now);
                    return;
                }
                let call = self.calls.get_mut(&id).expect("found above");
                call.dialog.refresh_target(&req);
                let sdp = (!req.body.is_empty()).then(|| req.body.clone());
                call.pending_offer = Some(PendingOffer {
                    key: key.clone(),
                    request: req,
                });
                self.events.push_back(Event::RemoteOffer { call: id, sdp });
            }
            Method::Info => {
                self.respond(key, &response_to(&req, 200, None), now);
                self.events.push_back(Event::Info {
                    call: id,
                    content_type: req.headers.content_type().map(str::to_string),
                    body: req.body,
                });
            }
            Method::Options => {
                let mut resp = response_to(&req, 200, None);
                resp.headers.push(HeaderName::Allow, self.allow());
                self.respond(key, &resp, now);
            }
            Method::Refer => self.on_refer(key, id, &req, now),
            Method::Prack => self.on_prack(key, id, &req, now),
            Method::Notify => self.on_notify(key, id, &req, now),
            _ => {
                let mut resp = response_to(&req, 405, None);
                resp.headers.push(HeaderName::Allow, self.allow());
                self.respond(key, &resp, now);
            }
        }
    }
}
