//! Incoming calls: ringing, answering, rejecting, CANCEL and ACK from the caller.

use std::time::Instant;

use rand::RngExt;

use super::{Call, CallState, Role};
use crate::message::{Contact, HeaderName, NameAddr, Request, Response, Uri};
use crate::transaction::TxKey;
use crate::ua::build::{new_tag, response_to};
use crate::ua::dialog::Dialog;
use crate::ua::{AccountId, CallId, EndReason, Event, Owner, UaError, UserAgent};

impl UserAgent {
    /// Rings an incoming call: 180 Ringing.
    pub fn ring(&mut self, now: Instant, id: CallId) -> Result<(), UaError> {
        self.provisional(now, id, 180, None)
    }

    /// Sends a provisional answer (180, or 183 with early media SDP).
    pub fn provisional(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
        sdp: Option<Vec<u8>>,
    ) -> Result<(), UaError> {
        let (key, mut resp) = self.uas_response(id, status)?;
        if let Some(sdp) = sdp {
            resp.headers
                .push(HeaderName::ContentType, "application/sdp");
            resp.body = sdp;
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.state = CallState::Early;
        }
        if !self.send_provisional_reliably(id, &key, resp.clone(), now) {
            self.respond(&key, &resp, now);
        }
        Ok(())
    }

    /// Answers an incoming call with our SDP (offer or answer).
    pub fn answer(&mut self, now: Instant, id: CallId, sdp: Vec<u8>) -> Result<(), UaError> {
        let (key, mut resp) = self.uas_response(id, 200)?;
        resp.headers.push(HeaderName::Allow, self.allow());
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        if let Some(req) = self.calls.get(&id).and_then(|c| c.incoming.clone()) {
            self.answer_session_timer(id, &req, &mut resp, now);
        }
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_sdp = sdp.clone();
            call.offer_in_2xx = call.incoming.as_ref().is_some_and(|r| r.body.is_empty());
        }
        resp.body = sdp;
        self.txs.get(&key).ok_or(UaError::WrongState)?;
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        call.state = CallState::Answering;
        if !self.hold_final_for_prack(id, &resp) {
            self.send_held_final(id, resp, now);
        }
        Ok(())
    }

    /// Sends our 2xx to the INVITE of `id` and repeats it until the ACK.
    pub(in crate::ua) fn send_held_final(&mut self, id: CallId, resp: Response, now: Instant) {
        let Some(key) = self.calls.get(&id).and_then(|c| c.server_key.clone()) else {
            return;
        };
        let Some(target) = self.txs.get(&key).map(|e| e.target.clone()) else {
            return;
        };
        self.respond(&key, &resp, now);
        self.retransmit_2xx_until_ack(id, &resp, target, now);
    }

    /// Refuses an incoming call (486 Busy Here, 603 Decline, 480, ...).
    pub fn reject(&mut self, now: Instant, id: CallId, status: u16) -> Result<(), UaError> {
        let (key, resp) = self.uas_response(id, status)?;
        self.respond(&key, &resp, now);
        self.end_call(
            id,
            EndReason::Rejected {
                status,
                reason: resp.reason.clone(),
            },
            now,
        );
        Ok(())
    }

    /// Forwards an incoming call: 302 Moved Temporarily with `target` as the
    /// Contact (RFC 3261 21.3.3), for the caller's side to call there instead.
    pub fn redirect(&mut self, now: Instant, id: CallId, target: &Uri) -> Result<(), UaError> {
        let (key, mut resp) = self.uas_response(id, 302)?;
        resp.headers.push(
            HeaderName::Contact,
            NameAddr::new(target.clone()).to_string(),
        );
        self.respond(&key, &resp, now);
        self.end_call(
            id,
            EndReason::Rejected {
                status: 302,
                reason: resp.reason.clone(),
            },
            now,
        );
        Ok(())
    }

    /// A response to the unanswered incoming INVITE of `id`, with To tag and Contact.
    pub(in crate::ua) fn uas_response(
        &self,
        id: CallId,
        status: u16,
    ) -> Result<(TxKey, Response), UaError> {
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall)?;
        if call.role != Role::Callee || !matches!(call.state, CallState::Calling | CallState::Early)
        {
            return Err(UaError::WrongState);
        }
        let key = call.server_key.clone().ok_or(UaError::WrongState)?;
        let req = call.incoming.as_ref().ok_or(UaError::WrongState)?;
        let mut resp = response_to(req, status, Some(&call.dialog.local_tag));
        if status < 300
            && let Some(target) = self.txs.get(&key).map(|e| e.target.clone())
        {
            resp.headers.push(
                HeaderName::Contact,
                self.contact(&self.cfg.contact_user, &target),
            );
        }
        Ok((key, resp))
    }

    /// A new incoming INVITE outside any dialog.
    pub(in crate::ua) fn on_invite(
        &mut self,
        key: &TxKey,
        req: Request,
        via_registrar: bool,
        now: Instant,
    ) {
        let (Some(from), Some(to), Some(call_id), Some(cseq)) = (
            req.headers.from_addr(),
            req.headers.to_addr(),
            req.headers.call_id().map(str::to_string),
            req.headers.cseq(),
        ) else {
            return;
        };
        if let Some(resp) = self.session_interval_too_small(&req) {
            self.respond(key, &resp, now);
            return;
        }
        // Answer 100 Trying at once: we have no reason to delay it.
        let trying = response_to(&req, 100, None);
        self.respond(key, &trying, now);
        // An attended transfer's new call replaces one of ours (RFC 3891 3).
        let replaces = match req.headers.get(&HeaderName::Replaces) {
            Some(r) => match self.replaced_call(r) {
                Some(old) => Some(old),
                None => {
                    let tag = new_tag(&mut self.rng);
                    self.respond(key, &response_to(&req, 481, Some(&tag)), now);
                    return;
                }
            },
            None => None,
        };

        let remote_target = req
            .headers
            .contacts()
            .into_iter()
            .find_map(|c| match c {
                Contact::Addr(a) => Some(a.uri),
                Contact::Star => None,
            })
            .unwrap_or_else(|| from.uri.clone());
        let account = self.account_for(&req);
        let mut local = to.clone();
        local.params = Default::default();
        let mut remote = from.clone();
        remote.params = Default::default();
        let dialog = Dialog {
            call_id,
            local_tag: new_tag(&mut self.rng),
            remote_tag: from.tag().map(str::to_string),
            local,
            remote,
            local_seq: self.rng.random_range(1..10_000),
            remote_seq: Some(cseq.seq),
            remote_target,
            route_set: req.headers.route_set(&HeaderName::RecordRoute),
        };
        let target = self
            .txs
            .get(key)
            .map(|e| e.target.clone())
            .expect("server tx exists");
        let id = self.new_call_id();
        if let Some(entry) = self.txs.get_mut(key) {
            entry.owner = Owner::ServerInvite(id);
        }
        let answer_after = answer_after(&req);
        let offer = (!req.body.is_empty()).then(|| req.body.clone());
        let peer_allows_update = super::session_timer::allows_update(&req.headers);
        self.calls.insert(
            id,
            Call {
                server_key: Some(key.clone()),
                incoming: Some(req),
                peer_allows_update,
                ..Call::new(Role::Callee, dialog, account, target)
            },
        );
        self.events.push_back(Event::IncomingCall {
            call: id,
            account,
            from: Box::new(from),
            to: Box::new(to),
            offer,
            answer_after,
            via_registrar,
            replaces,
        });
    }

    /// Which of our accounts an incoming request is for (by Request-URI user).
    pub(in crate::ua) fn account_for(&self, req: &Request) -> Option<AccountId> {
        let user = req.uri.as_sip()?.user_unescaped()?;
        self.cfg
            .accounts
            .iter()
            .position(|a| a.aor.user_unescaped().as_deref() == Some(user.as_str()))
            .map(AccountId)
    }

    pub(in crate::ua) fn on_cancel(&mut self, key: &TxKey, req: &Request, now: Instant) {
        let invite_key = key.invite_of_cancel();
        let call = self.txs.get(&invite_key).and_then(|e| match e.owner {
            Owner::ServerInvite(call) => Some(call),
            _ => None,
        });
        let Some(id) = call.filter(|id| {
            self.calls
                .get(id)
                .is_some_and(|c| matches!(c.state, CallState::Calling | CallState::Early))
        }) else {
            self.respond(key, &response_to(req, 481, None), now);
            return;
        };
        self.respond(key, &response_to(req, 200, None), now);
        if let Ok((_, resp)) = self.uas_response(id, 487) {
            self.respond(&invite_key, &resp, now);
        }
        self.end_call(id, EndReason::Cancelled, now);
    }

    /// An ACK that matched no transaction: the ACK of a 2xx.
    pub(in crate::ua) fn on_ack(&mut self, req: &Request, now: Instant) {
        if let Some(id) = self.find_dialog(req) {
            self.on_ack_for_call(id, req, now);
        }
    }

    pub(in crate::ua) fn on_ack_for_call(&mut self, id: CallId, req: &Request, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.ok_retransmit.take().is_none() {
            return;
        }
        let sdp = (!req.body.is_empty()).then(|| req.body.clone());
        let answers_our_offer = std::mem::take(&mut call.offer_in_2xx);
        if call.state == CallState::Answering {
            call.state = CallState::Established;
            self.events.push_back(Event::Established { call: id, sdp });
        } else if answers_our_offer && call.state == CallState::Established {
            // The ACK of an offerless re-INVITE: the answer to our offer.
            self.events
                .push_back(Event::OfferAnswered { call: id, sdp });
        }
        if call.bye_after_ack {
            call.bye_after_ack = false;
            call.state = CallState::Ended;
            self.send_bye(id, now);
        }
    }
}

/// `Call-Info: <...>;answer-after=N` (the de-facto auto-answer header).
fn answer_after(req: &Request) -> Option<u32> {
    req.headers.values(&HeaderName::CallInfo).find_map(|v| {
        let na: NameAddr = v.parse().ok()?;
        na.params.value("answer-after")?.parse().ok()
    })
}
