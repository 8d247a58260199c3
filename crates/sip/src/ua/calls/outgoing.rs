//! Outgoing calls: the INVITE, its answers and challenges, CANCEL.

use std::time::Instant;

use super::forking::TwoXx;
use super::{Call, CallState, Role, rejected};
use crate::auth::DigestClient;
use crate::message::{HeaderName, Method, NameAddr, Request, Response, SipUri, Uri};
use crate::ua::build::{new_call_id, new_tag};
use crate::ua::dialog::Dialog;
use crate::ua::locate::Intent;
use crate::ua::registration::ChallengeFailure;
use crate::ua::{
    AccountId, CallId, EndReason, Event, Owner, Target, Transport, UaError, UserAgent,
};

impl UserAgent {
    /// Where a call of `account` to `target` would go first, and over which
    /// transport (the phone offers SRTP only when that is TLS).
    pub fn call_first_hop(
        &self,
        account: Option<AccountId>,
        target: &Uri,
    ) -> Result<Target, UaError> {
        let target_sip = target.as_sip().ok_or(UaError::NotSip)?;
        Ok(match account {
            Some(a) => {
                let a = self.cfg.accounts.get(a.0).ok_or(UaError::NoSuchAccount)?;
                let uri = a.outbound_proxy.as_ref().unwrap_or(target_sip);
                self.known_hop(uri, a.transport)
            }
            None => self.known_hop(target_sip, None),
        })
    }

    /// Whether the call's peer (its first hop, or where its INVITE came
    /// from) is an IPv6 one: its SDP then names our IPv6 address.
    pub fn call_is_v6(&self, call: CallId) -> bool {
        self.calls
            .get(&call)
            .is_some_and(|c| Self::is_v6(&c.target))
    }

    /// The transport a call's requests go over (for an incoming call, the one
    /// its INVITE came by).
    pub fn call_transport(&self, call: CallId) -> Option<Transport> {
        self.calls.get(&call).map(|c| c.target.transport)
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
        self.call_with_headers(now, account, target, sdp, Vec::new())
    }

    /// As `call`, with `headers` in the INVITE (Replaces for an attended
    /// transfer, Referred-By when a transfer asked for the call).
    pub fn call_with_headers(
        &mut self,
        now: Instant,
        account: Option<AccountId>,
        target: &Uri,
        sdp: Vec<u8>,
        headers: Vec<(HeaderName, String)>,
    ) -> Result<CallId, UaError> {
        let id = self.reserve_call_id();
        self.call_as(id, now, account, target, sdp, headers)
    }

    /// A call handle for a call to be placed later with `call_as` (the phone
    /// numbers a call before its sound devices are open and its offer made).
    pub fn reserve_call_id(&mut self) -> CallId {
        self.new_call_id()
    }

    /// As `call_with_headers`, as the call `id` from `reserve_call_id`.
    pub fn call_as(
        &mut self,
        id: CallId,
        now: Instant,
        account: Option<AccountId>,
        target: &Uri,
        sdp: Vec<u8>,
        headers: Vec<(HeaderName, String)>,
    ) -> Result<CallId, UaError> {
        if self.calls.contains_key(&id) {
            return Err(UaError::WrongState);
        }
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
                (from, a.outbound_proxy.clone(), a.transport)
            }
            None => {
                let toward = self.known_hop(&target_sip, None);
                let me = SipUri::for_addr(Some(&self.cfg.contact_user), self.local_for(&toward));
                (NameAddr::new(Uri::Sip(me)), None, None)
            }
        };
        let hop_uri = proxy.clone().unwrap_or_else(|| target_sip.clone());
        let first_hop = self.known_hop(&hop_uri, transport_hint);
        let route_set = match &proxy {
            Some(p) => {
                let mut p = p.clone();
                p.params.set("lr", None);
                vec![NameAddr::new(Uri::Sip(p))]
            }
            None => Vec::new(),
        };
        let dialog = Dialog {
            call_id: new_call_id(&mut self.rng, &self.cfg.local.ip().to_string()),
            local_tag: new_tag(&mut self.rng),
            remote_tag: None,
            local: from,
            remote: NameAddr::new(target.clone()),
            local_seq: 0,
            remote_seq: None,
            remote_target: target.clone(),
            route_set,
        };
        let call = Call {
            invite_headers: headers,
            hop_uri: Some((hop_uri, transport_hint)),
            ..Call::new(Role::Caller, dialog, account, first_hop)
        };
        self.calls.insert(id, call);
        self.send_invite(id, sdp, None, now);
        Ok(id)
    }

    /// Sends (or re-sends, with credentials) the initial INVITE of an outgoing call.
    pub(in crate::ua) fn send_invite(
        &mut self,
        id: CallId,
        sdp: Vec<u8>,
        authorization: Option<(HeaderName, String)>,
        now: Instant,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_sdp = sdp.clone();
        }
        // RFC 3263: where the first hop is, first (this runs again once
        // DNS has answered; the call waits in "calling" meanwhile).
        let hop = self.calls.get(&id).and_then(|c| c.hop_uri.clone());
        let mut alternatives = Vec::new();
        if let Some((uri, transport)) = hop {
            let Some((target, rest)) = self.located_hop(&uri, transport, Intent::Invite(id), now)
            else {
                return;
            };
            alternatives = rest;
            if let Some(call) = self.calls.get_mut(&id) {
                call.target = target;
            }
        }
        let contact_user = self.contact_user_for(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // Until the dialog exists, Route is the pre-loaded outbound proxy.
        let (mut req, _) = call.dialog.request(Method::Invite, None);
        // Every dialog this INVITE creates starts from here, at its CSeq.
        call.origin = Some(call.dialog.clone());
        let target = call.target.clone();
        let extra = call.invite_headers.clone();
        let contact = self.contact(&contact_user, &target);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Allow, self.allow());
        req.headers
            .push(HeaderName::Supported, super::reliable::TAG);
        req.headers
            .push(HeaderName::UserAgent, crate::ua::user_agent());
        if let Some((name, value)) = authorization {
            req.headers.push(name, value);
        }
        for (name, value) in extra {
            req.headers.push(name, value);
        }
        for (name, value) in self.session_timer_headers(id) {
            req.headers.push(name, value);
        }
        req.headers.push(HeaderName::ContentType, "application/sdp");
        if let Some(call) = self.calls.get_mut(&id) {
            call.session_sdp = sdp.clone();
        }
        req.body = sdp;
        let (_, sent) =
            self.start_client_tx_with(req, target, alternatives, Owner::Invite(id), now);
        if let Some(call) = self.calls.get_mut(&id) {
            call.invite = Some(sent);
        }
    }

    pub(in crate::ua) fn on_invite_response(&mut self, id: CallId, resp: Response, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        match resp.status {
            100 => {}
            101..=199 => {
                call.got_provisional = true;
                let tag = resp
                    .headers
                    .to_addr()
                    .and_then(|t| t.tag().map(str::to_string));
                let sdp = (!resp.body.is_empty()).then(|| resp.body.clone());
                if let Some(tag) = &tag {
                    call.early_dialog(&resp, tag);
                    // RFC 3262: PRACK a reliable one; drop repeats.
                    if self.is_early(id) && !self.take_reliable_provisional(id, &resp, tag, now) {
                        return;
                    }
                    if let Some(early) = self.calls.get_mut(&id).and_then(|c| {
                        c.early
                            .iter_mut()
                            .find(|e| e.dialog.remote_tag.as_deref() == Some(tag))
                    }) && sdp.is_some()
                    {
                        early.answer = sdp.clone();
                    }
                }
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                if call.cancel_requested {
                    self.send_cancel(id, now);
                    return;
                }
                if !self.is_early(id) {
                    return;
                }
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.state = CallState::Early;
                if sdp.is_some() {
                    call.early_media_tag = tag;
                }
                self.events.push_back(Event::Progress {
                    call: id,
                    status: resp.status,
                    reason: resp.reason.clone(),
                    sdp,
                });
            }
            200..=299 => self.on_invite_2xx(id, &resp, now),
            401 | 407 => {
                if let Err(why) = self.retry_invite_with_auth(id, &resp, now) {
                    let reason = EndReason::Rejected {
                        status: resp.status,
                        reason: format!("{} ({})", resp.reason, why.explain()),
                    };
                    self.end_call(id, reason, now);
                }
            }
            _ => {
                if call.is_ended() {
                    return;
                }
                // Session Interval Too Small (RFC 4028 7.4): once more with
                // the Min-SE it names.
                if resp.status == 422 && self.raise_min_se(id, &resp) {
                    self.resend_invite(id, now);
                } else {
                    self.end_call(id, rejected(&resp), now);
                }
            }
        }
    }

    pub(in crate::ua) fn on_invite_2xx(&mut self, id: CallId, resp: &Response, now: Instant) {
        match self.classify_2xx(id, resp, now) {
            TwoXx::First => {}
            TwoXx::Repeated | TwoXx::OtherFork => return,
            TwoXx::ReInvite => {
                self.stats.unmatched_responses += 1;
                return;
            }
        }
        let early_answer = self.confirm_dialog(id, resp);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let seq = resp
            .headers
            .cseq()
            .map(|c| c.seq)
            .unwrap_or(call.dialog.local_seq);
        let was_ended = call.is_ended();
        let Some((_, target)) = self.send_2xx_ack(id, seq) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.target = target;
        if was_ended {
            // Hung up (or cancelled) while the 2xx was on its way: end it properly.
            self.send_bye(id, now);
            return;
        }
        call.state = CallState::Established;
        call.peer_allows_update = super::session_timer::allows_update(&resp.headers);
        self.learn_session_timer(id, resp, now);
        let sdp = (!resp.body.is_empty())
            .then(|| resp.body.clone())
            .or(early_answer);
        self.events.push_back(Event::Established { call: id, sdp });
    }

    pub(in crate::ua) fn retry_invite_with_auth(
        &mut self,
        id: CallId,
        resp: &Response,
        now: Instant,
    ) -> Result<(), ChallengeFailure> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Ok(());
        };
        let creds = call
            .account
            .and_then(|a| self.cfg.accounts.get(a.0))
            .and_then(|a| a.credentials.clone())
            .ok_or(ChallengeFailure::NoCredentials)?;
        let auth_header = if resp.status == 407 {
            HeaderName::ProxyAuthorization
        } else {
            HeaderName::Authorization
        };
        let challenge = super::pick_challenge(resp)?;
        // A second challenge with a nonce we already answered (not stale): wrong password.
        let repeated = call
            .digest
            .as_ref()
            .is_some_and(|d| d.challenge().nonce == challenge.nonce);
        if call.auth_attempts >= 3 || (repeated && !challenge.stale) {
            return Err(ChallengeFailure::Refused);
        }
        let Some(invite) = call.invite.clone() else {
            return Ok(());
        };
        call.auth_attempts += 1;
        let mut client = DigestClient::new(challenge);
        let value = client.authorize(&creds, "INVITE", &invite.uri.to_string(), &mut self.rng);
        call.digest = Some(client);
        call.auth_header = Some(auth_header.clone());
        self.send_invite(id, invite.body, Some((auth_header, value)), now);
        Ok(())
    }

    /// DNS has answered for the call `id`, which waited: its INVITE goes
    /// now, unless the call ended meanwhile.
    pub(in crate::ua) fn resend_invite_located(&mut self, id: CallId, now: Instant) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.is_ended() || call.invite.is_some() {
            return;
        }
        let sdp = call.session_sdp.clone();
        self.send_invite(id, sdp, None, now);
    }

    /// The INVITE of `id` went to another server (RFC 3263 4.3): CANCEL
    /// and the ACK follow it there.
    pub(in crate::ua) fn invite_moved(&mut self, id: CallId, sent: Request, target: Target) {
        if let Some(call) = self.calls.get_mut(&id) {
            call.invite = Some(sent);
            call.target = target;
        }
    }

    /// Sends the INVITE again as it was (after a 422), with fresh
    /// credentials when the last one carried some.
    fn resend_invite(&mut self, id: CallId, now: Instant) {
        let creds = self
            .calls
            .get(&id)
            .and_then(|c| c.account)
            .and_then(|a| self.cfg.accounts.get(a.0))
            .and_then(|a| a.credentials.clone());
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(invite) = call.invite.clone() else {
            return;
        };
        let authorization = match (&mut call.digest, &call.auth_header, creds) {
            (Some(client), Some(header), Some(creds)) => Some((
                header.clone(),
                client.authorize(&creds, "INVITE", &invite.uri.to_string(), &mut self.rng),
            )),
            _ => None,
        };
        self.send_invite(id, invite.body, authorization, now);
    }

    pub(in crate::ua) fn send_cancel(&mut self, id: CallId, now: Instant) {
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

    /// A 2xx to an INVITE whose client transaction has ended (after Timer
    /// M): the same ACK again for a repeat, ACK and BYE for a late fork.
    pub(in crate::ua) fn on_stray_invite_2xx(&mut self, resp: &Response, now: Instant) {
        let Some(call_id) = resp.headers.call_id() else {
            return;
        };
        let from_tag = resp
            .headers
            .from_addr()
            .and_then(|f| f.tag().map(str::to_string));
        let found = self
            .calls
            .iter()
            .find(|(_, c)| {
                c.role == Role::Caller
                    && c.dialog.call_id == call_id
                    && Some(&c.dialog.local_tag) == from_tag.as_ref()
            })
            .map(|(id, _)| *id);
        match found {
            Some(id) => self.on_invite_2xx(id, resp, now),
            None => self.stats.unmatched_responses += 1,
        }
    }
}
