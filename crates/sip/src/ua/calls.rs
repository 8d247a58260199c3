//! INVITE sessions: placing, answering, cancelling, ending and re-negotiating calls
//! (RFC 3261 sections 13 to 15, RFC 3311 UPDATE as a UAS).

use std::time::{Duration, Instant};

use rand::RngExt;

use super::build::{new_call_id, new_tag, response_to};
use super::dialog::Dialog;
use super::{AccountId, CallId, EndReason, Event, Owner, Target, Transport, UaError, UserAgent};
use crate::auth::{Challenge, DigestClient};
use crate::message::{Contact, HeaderName, Method, NameAddr, Request, Response, SipUri, Uri};
use crate::transaction::{Backoff, TxKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Caller,
    Callee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// INVITE sent or received, nothing more.
    Calling,
    /// A provisional answer was received or sent (ringing).
    Early,
    /// We sent the 2xx and wait for the ACK.
    Answering,
    Established,
    Ended,
}

/// Our 2xx to an INVITE, retransmitted until the ACK (RFC 3261 13.3.1.4).
#[derive(Debug)]
struct OkRetransmit {
    wire: Vec<u8>,
    target: Target,
    backoff: Backoff,
    give_up: Instant,
}

/// An offer from the peer (re-INVITE or UPDATE) waiting for our answer.
#[derive(Debug)]
struct PendingOffer {
    key: TxKey,
    request: Request,
}

#[derive(Debug)]
pub(super) struct Call {
    pub role: Role,
    pub state: CallState,
    pub dialog: Dialog,
    account: Option<AccountId>,
    /// First hop when the dialog has no route set.
    target: Target,
    /// The INVITE we sent last (for CANCEL and for re-sending with credentials).
    invite: Option<Request>,
    /// The SDP of our last re-INVITE, to send again after glare.
    last_offer: Vec<u8>,
    got_provisional: bool,
    cancel_requested: bool,
    digest: Option<DigestClient>,
    auth_attempts: u32,
    /// The ACK we sent for the 2xx, sent again for each retransmitted 2xx.
    ack: Option<Vec<u8>>,
    server_key: Option<TxKey>,
    incoming: Option<Request>,
    ok_retransmit: Option<OkRetransmit>,
    bye_after_ack: bool,
    pending_offer: Option<PendingOffer>,
    reinvite_in_progress: bool,
    reinvite_retry: Option<(Instant, Vec<u8>)>,
    purge_at: Option<Instant>,
}

impl Call {
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.ok_retransmit
                .as_ref()
                .map(|o| o.backoff.next.min(o.give_up)),
            self.reinvite_retry.as_ref().map(|r| r.0),
            self.purge_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn is_ended(&self) -> bool {
        self.state == CallState::Ended
    }

    fn matches(&self, call_id: &str, local_tag: Option<&str>, remote_tag: Option<&str>) -> bool {
        self.dialog.call_id == call_id
            && local_tag == Some(self.dialog.local_tag.as_str())
            && (self.dialog.remote_tag.is_none() || remote_tag == self.dialog.remote_tag.as_deref())
    }
}

/// What the user sees of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    pub outgoing: bool,
    pub remote: NameAddr,
    pub local: NameAddr,
    pub established: bool,
    pub account: Option<AccountId>,
}

impl UserAgent {
    fn new_call_id(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }

    pub fn call_info(&self, call: CallId) -> Option<CallInfo> {
        let c = self.calls.get(&call)?;
        Some(CallInfo {
            outgoing: c.role == Role::Caller,
            remote: c.dialog.remote.clone(),
            local: c.dialog.local.clone(),
            established: c.state == CallState::Established,
            account: c.account,
        })
    }

    /// Calls that have not ended, oldest first.
    pub fn active_calls(&self) -> Vec<CallId> {
        let mut ids: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| !c.is_ended())
            .map(|(id, _)| *id)
            .collect();
        ids.sort();
        ids
    }

    /// Places a call to `target` with an SDP offer. Without an account the call goes
    /// straight to the target (peer to peer) from `sip:<contact_user>@<local>`.
    pub fn call(
        &mut self,
        now: Instant,
        account: Option<AccountId>,
        target: &Uri,
        sdp: Vec<u8>,
    ) -> Result<CallId, UaError> {
        let target_sip = target.as_sip().ok_or(UaError::NotSip)?.clone();
        let acct = match account {
            Some(a) => Some(
                self.cfg
                    .accounts
                    .get(a.0)
                    .ok_or(UaError::NoSuchAccount)?
                    .clone(),
            ),
            None => None,
        };
        let (from, proxy, transport_hint) = match &acct {
            Some(a) => {
                let mut from = NameAddr::new(Uri::Sip(a.aor.clone()));
                from.display = a.display_name.clone();
                (from, a.outbound_proxy.clone(), Some(a.transport))
            }
            None => {
                let me = SipUri::new(
                    Some(&self.cfg.contact_user),
                    &self.cfg.local.ip().to_string(),
                    Some(self.cfg.local.port()),
                );
                (NameAddr::new(Uri::Sip(me)), None, None)
            }
        };
        let mut first_hop = Target::from_uri(proxy.as_ref().unwrap_or(&target_sip));
        if proxy.is_none()
            && target_sip.transport().is_none()
            && !target_sip.secure
            && let Some(t) = transport_hint
        {
            first_hop.transport = t;
        }
        let route_set = match &proxy {
            Some(p) => {
                let mut p = p.clone();
                p.params.set("lr", None);
                vec![NameAddr::new(Uri::Sip(p))]
            }
            None => Vec::new(),
        };
        let dialog = Dialog {
            call_id: new_call_id(&self.cfg.local.ip().to_string()),
            local_tag: new_tag(),
            remote_tag: None,
            local: from,
            remote: NameAddr::new(target.clone()),
            local_seq: 0,
            remote_seq: None,
            remote_target: target.clone(),
            route_set,
        };
        let id = self.new_call_id();
        let call = Call {
            role: Role::Caller,
            state: CallState::Calling,
            dialog,
            account,
            target: first_hop,
            invite: None,
            last_offer: Vec::new(),
            got_provisional: false,
            cancel_requested: false,
            digest: None,
            auth_attempts: 0,
            ack: None,
            server_key: None,
            incoming: None,
            ok_retransmit: None,
            bye_after_ack: false,
            pending_offer: None,
            reinvite_in_progress: false,
            reinvite_retry: None,
            purge_at: None,
        };
        self.calls.insert(id, call);
        self.send_invite(id, sdp, None, now);
        Ok(id)
    }

    /// Sends (or re-sends, with credentials) the initial INVITE of an outgoing call.
    fn send_invite(
        &mut self,
        id: CallId,
        sdp: Vec<u8>,
        authorization: Option<(HeaderName, String)>,
        now: Instant,
    ) {
        let contact_user = self.contact_user_for(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // Until the dialog exists, Route is the pre-loaded outbound proxy.
        let (mut req, _) = call.dialog.request(Method::Invite, None);
        let target = call.target.clone();
        let contact = self.contact(&contact_user, target.transport);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Allow, super::ALLOW);
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        if let Some((name, value)) = authorization {
            req.headers.push(name, value);
        }
        req.headers.push(HeaderName::ContentType, "application/sdp");
        req.body = sdp;
        let (_, sent) = self.start_client_tx(req, target, Owner::Invite(id), now);
        if let Some(call) = self.calls.get_mut(&id) {
            call.invite = Some(sent);
        }
    }

    fn contact_user_for(&self, id: CallId) -> String {
        self.calls
            .get(&id)
            .and_then(|c| c.account)
            .and_then(|a| self.cfg.accounts.get(a.0))
            .and_then(|a| a.aor.user.clone())
            .unwrap_or_else(|| self.cfg.contact_user.clone())
    }

    pub(super) fn on_invite_response(&mut self, id: CallId, resp: Response, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match resp.status {
            100 => {}
            101..=199 => {
                call.got_provisional = true;
                if let Some(tag) = resp
                    .headers
                    .to_addr()
                    .and_then(|t| t.tag().map(str::to_string))
                {
                    learn_dialog(&mut call.dialog, &resp, tag);
                }
                if call.cancel_requested {
                    self.send_cancel(id, now);
                    return;
                }
                if call.state == CallState::Calling {
                    call.state = CallState::Early;
                }
                let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
                self.events.push_back(Event::Progress {
                    call: id,
                    status: resp.status,
                    reason: resp.reason.clone(),
                    sdp,
                });
            }
            200..=299 => self.on_invite_2xx(id, &resp, now),
            401 | 407 => {
                if self.retry_invite_with_auth(id, &resp, now).is_none() {
                    self.end_call(id, rejected(&resp), now);
                }
            }
            _ => {
                if !call.is_ended() {
                    self.end_call(id, rejected(&resp), now);
                }
            }
        }
    }

    fn on_invite_2xx(&mut self, id: CallId, resp: &Response, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(ack) = &call.ack {
            // A retransmitted 2xx: ACK it again.
            let (ack, target) = (ack.clone(), call.target.clone());
            let target = dialog_target(&call.dialog).unwrap_or(target);
            self.send(&target, ack);
            return;
        }
        let tag = resp
            .headers
            .to_addr()
            .and_then(|t| t.tag().map(str::to_string))
            .unwrap_or_default();
        learn_dialog(&mut call.dialog, resp, tag);
        let seq = resp
            .headers
            .cseq()
            .map(|c| c.seq)
            .unwrap_or(call.dialog.local_seq);
        let (mut ack, target) = call.dialog.request(Method::Ack, Some(seq));
        let target = target
            .or_else(|| dialog_target(&call.dialog))
            .unwrap_or_else(|| call.target.clone());
        let was_ended = call.is_ended();
        ack.headers.push_front(
            HeaderName::Via,
            self.via(target.transport, &crate::transaction::new_branch()),
        );
        let wire = ack.to_bytes();
        let call = self.calls.get_mut(&id).expect("call exists");
        call.ack = Some(wire.clone());
        call.target = target.clone();
        self.send(&target, wire);
        if was_ended {
            // Hung up (or cancelled) while the 2xx was on its way: end it properly.
            self.send_bye(id, now);
            return;
        }
        let call = self.calls.get_mut(&id).expect("call exists");
        call.state = CallState::Established;
        let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
        self.events.push_back(Event::Established { call: id, sdp });
    }

    fn retry_invite_with_auth(&mut self, id: CallId, resp: &Response, now: Instant) -> Option<()> {
        let call = self.calls.get_mut(&id)?;
        let creds = call
            .account
            .and_then(|a| self.cfg.accounts.get(a.0))
            .and_then(|a| a.credentials.clone())?;
        let (challenge_header, auth_header) = if resp.status == 407 {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        } else {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        };
        let challenge = Challenge::parse(resp.headers.get(&challenge_header)?).ok()?;
        // A second challenge with a nonce we already answered (not stale): wrong password.
        let repeated = call
            .digest
            .as_ref()
            .is_some_and(|d| d.challenge().nonce == challenge.nonce);
        if call.auth_attempts >= 3 || (repeated && !challenge.stale) {
            return None;
        }
        call.auth_attempts += 1;
        let mut client = DigestClient::new(challenge);
        let invite = call.invite.clone()?;
        let value = client.authorize(&creds, "INVITE", &invite.uri.to_string());
        call.digest = Some(client);
        self.send_invite(id, invite.body, Some((auth_header, value)), now);
        Some(())
    }

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
        self.respond(&key, &resp, now);
        Ok(())
    }

    /// Answers an incoming call with our SDP (offer or answer).
    pub fn answer(&mut self, now: Instant, id: CallId, sdp: Vec<u8>) -> Result<(), UaError> {
        let (key, mut resp) = self.uas_response(id, 200)?;
        resp.headers.push(HeaderName::Allow, super::ALLOW);
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = sdp;
        let target = self
            .txs
            .get(&key)
            .map(|e| e.target.clone())
            .ok_or(UaError::WrongState)?;
        self.respond(&key, &resp, now);
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        call.state = CallState::Answering;
        call.ok_retransmit = Some(OkRetransmit {
            wire: resp.to_bytes(),
            target,
            backoff: Backoff::start(now, self.cfg.timers.t1, Some(self.cfg.timers.t2)),
            give_up: now + self.cfg.timers.timeout(),
        });
        Ok(())
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

    /// A response to the unanswered incoming INVITE of `id`, with To tag and Contact.
    fn uas_response(&self, id: CallId, status: u16) -> Result<(TxKey, Response), UaError> {
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall)?;
        if call.role != Role::Callee || !matches!(call.state, CallState::Calling | CallState::Early)
        {
            return Err(UaError::WrongState);
        }
        let key = call.server_key.clone().ok_or(UaError::WrongState)?;
        let req = call.incoming.as_ref().ok_or(UaError::WrongState)?;
        let mut resp = response_to(req, status, Some(&call.dialog.local_tag));
        if status < 300 {
            let transport = self
                .txs
                .get(&key)
                .map(|e| e.target.transport)
                .unwrap_or(Transport::Udp);
            resp.headers.push(
                HeaderName::Contact,
                self.contact(&self.cfg.contact_user, transport),
            );
        }
        Ok((key, resp))
    }

    /// Ends a call from our side, whatever its state: CANCEL, BYE or a rejection.
    pub fn hangup(&mut self, now: Instant, id: CallId) -> Result<(), UaError> {
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        match (call.role, call.state) {
            (_, CallState::Ended) => return Err(UaError::WrongState),
            (Role::Caller, CallState::Calling | CallState::Early) => {
                if call.got_provisional {
                    self.send_cancel(id, now);
                } else {
                    // RFC 3261 9.1: no CANCEL before a provisional; send it then.
                    call.cancel_requested = true;
                }
            }
            (Role::Callee, CallState::Calling | CallState::Early) => {
                return self.reject(now, id, 486);
            }
            (Role::Callee, CallState::Answering) => call.bye_after_ack = true,
            (_, CallState::Established | CallState::Answering) => self.send_bye(id, now),
        }
        self.end_call(id, EndReason::Local, now);
        Ok(())
    }

    fn send_cancel(&mut self, id: CallId, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.cancel_requested = false;
        let Some(invite) = call.invite.clone() else {
            return;
        };
        let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
        for name in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::To,
            HeaderName::CallId,
            HeaderName::Route,
        ] {
            if name == HeaderName::Via {
                if let Some(v) = invite.headers.values(&HeaderName::Via).next() {
                    cancel.headers.push(HeaderName::Via, v);
                }
                continue;
            }
            for v in invite.headers.get_all(&name) {
                cancel.headers.push(name.clone(), v);
            }
        }
        let seq = invite.headers.cseq().map(|c| c.seq).unwrap_or_default();
        cancel
            .headers
            .push(HeaderName::CSeq, format!("{seq} CANCEL"));
        cancel.headers.push(HeaderName::MaxForwards, "70");
        let branch = invite
            .headers
            .top_via()
            .and_then(|v| v.branch().map(str::to_string))
            .unwrap_or_default();
        let target = call.target.clone();
        self.start_client_tx_on_branch(cancel, target, Owner::Cancel(id), &branch, now);
    }

    fn send_bye(&mut self, id: CallId, now: Instant) {
        self.send_in_dialog(id, Method::Bye, None, now);
    }

    /// Sends a new in-dialog request; returns its transaction key.
    fn send_in_dialog(
        &mut self,
        id: CallId,
        method: Method,
        body: Option<(&str, Vec<u8>)>,
        now: Instant,
    ) -> Option<TxKey> {
        let contact_user = self.contact_user_for(id);
        let call = self.calls.get_mut(&id)?;
        let owner = match method {
            Method::Bye => Owner::Bye(id),
            Method::Invite => Owner::ReInvite(id),
            _ => Owner::InDialog(id),
        };
        let (mut req, target) = call.dialog.request(method.clone(), None);
        let target = target
            .or_else(|| dialog_target(&call.dialog))
            .unwrap_or_else(|| call.target.clone());
        if matches!(method, Method::Invite | Method::Update) {
            req.headers.push(
                HeaderName::Contact,
                self.contact(&contact_user, target.transport),
            );
        }
        if let Some((content_type, body)) = body {
            req.headers.push(HeaderName::ContentType, content_type);
            req.body = body;
        }
        let (key, _) = self.start_client_tx(req, target, owner, now);
        Some(key)
    }

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

    fn established(&self, id: CallId) -> Result<(), UaError> {
        match self.calls.get(&id) {
            None => Err(UaError::NoSuchCall),
            Some(c) if c.state == CallState::Established => Ok(()),
            Some(_) => Err(UaError::WrongState),
        }
    }

    pub(super) fn on_reinvite_response(&mut self, id: CallId, resp: Response, now: Instant) {
        if resp.status < 200 {
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.reinvite_in_progress = false;
        if resp.is_success() {
            let seq = resp
                .headers
                .cseq()
                .map(|c| c.seq)
                .unwrap_or(call.dialog.local_seq);
            let (mut ack, target) = call.dialog.request(Method::Ack, Some(seq));
            let target = target
                .or_else(|| dialog_target(&call.dialog))
                .unwrap_or_else(|| call.target.clone());
            ack.headers.push_front(
                HeaderName::Via,
                self.via(target.transport, &crate::transaction::new_branch()),
            );
            self.send(&target, ack.to_bytes());
            let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
            self.events
                .push_back(Event::OfferAnswered { call: id, sdp });
        } else if resp.status == 491 {
            // Glare (RFC 3261 14.1): retry after a random wait; 2.1-4 s if we own the Call-ID.
            let owner = call.role == Role::Caller;
            let ms = if owner {
                rand::rng().random_range(2100..=4000)
            } else {
                rand::rng().random_range(0..=2000)
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
        resp.headers.push(
            HeaderName::Contact,
            self.contact(&contact_user, target.transport),
        );
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = sdp;
        self.respond(&pending.key, &resp, now);
        if pending.request.method == Method::Invite {
            let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
            call.ok_retransmit = Some(OkRetransmit {
                wire: resp.to_bytes(),
                target,
                backoff: Backoff::start(now, self.cfg.timers.t1, Some(self.cfg.timers.t2)),
                give_up: now + self.cfg.timers.timeout(),
            });
        }
        Ok(())
    }

    /// A new incoming INVITE outside any dialog.
    pub(super) fn on_invite(&mut self, key: &TxKey, req: Request, now: Instant) {
        let (Some(from), Some(to), Some(call_id), Some(cseq)) = (
            req.headers.from_addr(),
            req.headers.to_addr(),
            req.headers.call_id().map(str::to_string),
            req.headers.cseq(),
        ) else {
            return;
        };
        // Answer 100 Trying at once: we have no reason to delay it.
        let trying = response_to(&req, 100, None);
        self.respond(key, &trying, now);

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
            local_tag: new_tag(),
            remote_tag: from.tag().map(str::to_string),
            local,
            remote,
            local_seq: rand::rng().random_range(1..10_000),
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
        self.calls.insert(
            id,
            Call {
                role: Role::Callee,
                state: CallState::Calling,
                dialog,
                account,
                target,
                invite: None,
                last_offer: Vec::new(),
                got_provisional: false,
                cancel_requested: false,
                digest: None,
                auth_attempts: 0,
                ack: None,
                server_key: Some(key.clone()),
                incoming: Some(req),
                ok_retransmit: None,
                bye_after_ack: false,
                pending_offer: None,
                reinvite_in_progress: false,
                reinvite_retry: None,
                purge_at: None,
            },
        );
        self.events.push_back(Event::IncomingCall {
            call: id,
            account,
            from: Box::new(from),
            to: Box::new(to),
            offer,
            answer_after,
        });
    }

    /// Which of our accounts an incoming request is for (by Request-URI user).
    fn account_for(&self, req: &Request) -> Option<AccountId> {
        let user = req.uri.as_sip()?.user_unescaped()?;
        self.cfg
            .accounts
            .iter()
            .position(|a| a.aor.user_unescaped().as_deref() == Some(user.as_str()))
            .map(AccountId)
    }

    pub(super) fn on_cancel(&mut self, key: &TxKey, req: &Request, now: Instant) {
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

    fn find_dialog(&self, req: &Request) -> Option<CallId> {
        let call_id = req.headers.call_id()?;
        let to_tag = req.headers.to_addr()?.tag().map(str::to_string);
        let from_tag = req.headers.from_addr()?.tag().map(str::to_string);
        self.calls
            .iter()
            .find(|(_, c)| c.matches(call_id, to_tag.as_deref(), from_tag.as_deref()))
            .map(|(id, _)| *id)
    }

    pub(super) fn on_in_dialog_request(&mut self, key: &TxKey, req: Request, now: Instant) {
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
        match req.method {
            Method::Bye => {
                self.respond(key, &response_to(&req, 200, None), now);
                let call = self.calls.get_mut(&id).expect("found above");
                call.ok_retransmit = None;
                if !call.is_ended() {
                    self.end_call(id, EndReason::Remote, now);
                }
            }
            Method::Invite | Method::Update => {
                if call.reinvite_in_progress || call.pending_offer.is_some() {
                    self.respond(key, &response_to(&req, 491, None), now);
                    return;
                }
                if let Some(c) = req.headers.contacts().into_iter().find_map(|c| match c {
                    Contact::Addr(a) => Some(a.uri),
                    Contact::Star => None,
                }) {
                    call.dialog.remote_target = c;
                }
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
                resp.headers.push(HeaderName::Allow, super::ALLOW);
                self.respond(key, &resp, now);
            }
            _ => {
                let mut resp = response_to(&req, 405, None);
                resp.headers.push(HeaderName::Allow, super::ALLOW);
                self.respond(key, &resp, now);
            }
        }
    }

    /// An ACK that matched no transaction: the ACK of a 2xx.
    pub(super) fn on_ack(&mut self, req: &Request, now: Instant) {
        if let Some(id) = self.find_dialog(req) {
            self.on_ack_for_call(id, req, now);
        }
    }

    pub(super) fn on_ack_for_call(&mut self, id: CallId, req: &Request, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.ok_retransmit.take().is_none() {
            return;
        }
        if call.state == CallState::Answering {
            call.state = CallState::Established;
            let sdp = (!req.body.is_empty()).then(|| req.body.clone());
            self.events.push_back(Event::Established { call: id, sdp });
        }
        if call.bye_after_ack {
            call.bye_after_ack = false;
            call.state = CallState::Ended;
            self.send_bye(id, now);
        }
    }

    /// A 2xx to an INVITE whose client transaction has ended: re-send our ACK.
    pub(super) fn on_stray_invite_2xx(&mut self, resp: &Response) {
        let Some(call_id) = resp.headers.call_id() else {
            return;
        };
        let from_tag = resp
            .headers
            .from_addr()
            .and_then(|f| f.tag().map(str::to_string));
        let found = self
            .calls
            .values()
            .find(|c| c.dialog.call_id == call_id && Some(&c.dialog.local_tag) == from_tag.as_ref())
            .and_then(|c| {
                c.ack.clone().map(|a| {
                    (
                        a,
                        dialog_target(&c.dialog).unwrap_or_else(|| c.target.clone()),
                    )
                })
            });
        match found {
            Some((ack, target)) => self.send(&target, ack),
            None => self.stats.unmatched_responses += 1,
        }
    }

    /// Marks a call ended (once), tells the user, and keeps it a while to absorb
    /// retransmissions.
    pub(super) fn end_call(&mut self, id: CallId, reason: EndReason, now: Instant) {
        let linger = self.cfg.timers.timeout();
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.purge_at.is_some() {
            return;
        }
        call.state = CallState::Ended;
        call.purge_at = Some(now + linger);
        call.pending_offer = None;
        if !call.bye_after_ack {
            call.ok_retransmit = None;
        }
        self.events.push_back(Event::Ended { call: id, reason });
    }

    pub(super) fn calls_on_timeout(&mut self, now: Instant) {
        let ids: Vec<CallId> = self.calls.keys().copied().collect();
        for id in ids {
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if let Some(ok) = &mut call.ok_retransmit {
                if now >= ok.give_up {
                    // No ACK for our 2xx: the session is dead (RFC 3261 13.3.1.4).
                    call.ok_retransmit = None;
                    let was_answering = call.state == CallState::Answering;
                    call.bye_after_ack = false;
                    self.send_bye(id, now);
                    if was_answering {
                        self.end_call(id, EndReason::Timeout, now);
                    }
                    continue;
                }
                if now >= ok.backoff.next {
                    let (wire, target) = (ok.wire.clone(), ok.target.clone());
                    ok.backoff.fire(now);
                    self.send(&target, wire);
                }
            }
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if let Some((at, _)) = &call.reinvite_retry
                && now >= *at
                && let Some((_, sdp)) = call.reinvite_retry.take()
            {
                if call.state == CallState::Established
                    && call.pending_offer.is_none()
                    && !call.reinvite_in_progress
                {
                    call.reinvite_in_progress = true;
                    self.send_in_dialog(id, Method::Invite, Some(("application/sdp", sdp)), now);
                } else {
                    self.events.push_back(Event::OfferRejected {
                        call: id,
                        status: 491,
                    });
                }
                continue;
            }
            if call.purge_at.is_some_and(|t| now >= t) {
                self.calls.remove(&id);
            }
        }
    }
}

/// Learns the remote tag, target and route set from a response that creates or
/// confirms the dialog (RFC 3261 12.1.2: Record-Route in reverse order).
fn learn_dialog(dialog: &mut Dialog, resp: &Response, tag: String) {
    if dialog.remote_tag.as_deref() == Some(tag.as_str()) && resp.status < 200 {
        return;
    }
    dialog.remote_tag = Some(tag);
    if let Some(Contact::Addr(a)) = resp.headers.contacts().into_iter().next() {
        dialog.remote_target = a.uri;
    }
    let mut rr = resp.headers.route_set(&HeaderName::RecordRoute);
    if !rr.is_empty() || resp.status >= 200 {
        rr.reverse();
        if !rr.is_empty() {
            dialog.route_set = rr;
        }
    }
}

/// The next hop for an in-dialog request when the route set gives none.
fn dialog_target(dialog: &Dialog) -> Option<Target> {
    match dialog.routing() {
        (_, _, Some(t)) => Some(t),
        (uri, _, None) => uri.as_sip().map(Target::from_uri),
    }
}

fn rejected(resp: &Response) -> EndReason {
    EndReason::Rejected {
        status: resp.status,
        reason: resp.reason.clone(),
    }
}

/// `Call-Info: <...>;answer-after=N` (the de-facto auto-answer header).
fn answer_after(req: &Request) -> Option<u32> {
    req.headers.values(&HeaderName::CallInfo).find_map(|v| {
        let na: NameAddr = v.parse().ok()?;
        na.params.value("answer-after")?.parse().ok()
    })
}
