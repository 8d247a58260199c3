//! INVITE sessions (RFC 3261 sections 13 to 15): the call state shared by the
//! outgoing, incoming and in-dialog halves, and ending calls.

mod forking;
mod in_dialog;
mod incoming;
mod outgoing;
mod reliable;
mod session_timer;
mod transfer;

use std::time::Instant;

use super::dialog::Dialog;
use super::{AccountId, CallId, EndReason, Event, Owner, Target, UaError, UserAgent};
use crate::auth::DigestClient;
use crate::message::{Contact, HeaderName, Method, NameAddr, Request, Response};
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
    /// Our INVITE's dialog before any answer: each fork's dialog starts
    /// from it (outgoing calls).
    origin: Option<Dialog>,
    /// Early dialogs, one per To tag of the provisionals (forking).
    early: Vec<forking::EarlyDialog>,
    /// The To tag whose early SDP answer was last reported to the user.
    early_media_tag: Option<String>,
    /// A 2xx confirmed the dialog (outgoing calls).
    confirmed: bool,
    /// ACKs sent for 2xx responses, sent again when a 2xx comes again.
    acks: Vec<forking::SentAck>,
    server_key: Option<TxKey>,
    incoming: Option<Request>,
    ok_retransmit: Option<OkRetransmit>,
    bye_after_ack: bool,
    pending_offer: Option<PendingOffer>,
    reinvite_in_progress: bool,
    reinvite_retry: Option<(Instant, Vec<u8>)>,
    purge_at: Option<Instant>,
    /// Headers our INVITE carries besides the usual (Replaces, Referred-By).
    invite_headers: Vec<(HeaderName, String)>,
    /// RFC 4028, when the INVITE or its 2xx asked for it.
    session_timer: Option<session_timer::SessionTimer>,
    /// Our side of the session as last sent (offer or answer), for refreshes.
    session_sdp: Vec<u8>,
    /// Our 2xx to the peer's offerless (re-)INVITE carries our offer: the
    /// ACK brings the answer.
    offer_in_2xx: bool,
    /// A Reason header value (RFC 3326) for our BYE: why we end the call.
    bye_reason: Option<String>,
    /// The smallest session interval we ask for (RFC 4028 Min-SE), raised
    /// by a 422; and how often a 422 made us ask again.
    min_se: u32,
    se_retries: u8,
    /// Our session refresh is out.
    refreshing: bool,
    /// The peer's Allow lists UPDATE: refreshes go by UPDATE.
    peer_allows_update: bool,
    /// The header our INVITE's credentials go in (401: Authorization,
    /// 407: Proxy-Authorization), for an INVITE sent again (after a 422).
    auth_header: Option<HeaderName>,
    /// Our reliable provisionals (RFC 3262) as the called side.
    reliable_out: reliable::ReliableOut,
    /// Outgoing calls: the URI the INVITE goes to first (the outbound proxy
    /// or the target) and the account's transport, located by DNS.
    hop_uri: Option<(crate::message::SipUri, Option<super::Transport>)>,
}

impl Call {
    /// A call that has just begun, with nothing sent or received beyond its first
    /// INVITE.
    pub(super) fn new(
        role: Role,
        dialog: Dialog,
        account: Option<AccountId>,
        target: Target,
    ) -> Call {
        Call {
            role,
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
            origin: None,
            early: Vec::new(),
            early_media_tag: None,
            confirmed: false,
            acks: Vec::new(),
            server_key: None,
            incoming: None,
            ok_retransmit: None,
            bye_after_ack: false,
            pending_offer: None,
            reinvite_in_progress: false,
            reinvite_retry: None,
            purge_at: None,
            invite_headers: Vec::new(),
            session_timer: None,
            session_sdp: Vec::new(),
            offer_in_2xx: false,
            bye_reason: None,
            min_se: session_timer::MIN_SE,
            se_retries: 0,
            refreshing: false,
            peer_allows_update: false,
            auth_header: None,
            reliable_out: reliable::ReliableOut::default(),
            hop_uri: None,
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.ok_retransmit
                .as_ref()
                .map(|o| o.backoff.next.min(o.give_up)),
            self.reinvite_retry.as_ref().map(|r| r.0),
            self.purge_at,
            self.session_timer_due(),
            self.reliable_out.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// When the session timer wants attention; it only runs once the call is up.
    fn session_timer_due(&self) -> Option<Instant> {
        self.session_timer
            .filter(|_| self.state == CallState::Established)
            .map(|t| t.due())
    }

    /// Our 2xx waits for its ACK, or our reliable provisional (or the 2xx
    /// held behind it) for its PRACK.
    pub fn awaits_ack(&self) -> bool {
        self.ok_retransmit.is_some() || self.reliable_out.pending()
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
    /// Sends the ACK for a 2xx to our INVITE with CSeq `seq`: a request of its
    /// own, with a new branch (RFC 3261 13.2.2.4). Returns its bytes and next hop.
    fn send_2xx_ack(&mut self, id: CallId, seq: u32) -> Option<(Vec<u8>, Target)> {
        let call = self.calls.get(&id)?;
        // An ACK takes the INVITE's CSeq: the dialog's numbering is untouched.
        let mut dialog = call.dialog.clone();
        let fallback = call.target.clone();
        let (wire, target) = self.send_ack_in(&mut dialog, seq, &fallback);
        self.remember_ack(id, seq, wire.clone(), target.clone());
        Some((wire, target))
    }

    /// Repeats our 2xx to an INVITE until its ACK arrives (RFC 3261 13.3.1.4).
    fn retransmit_2xx_until_ack(
        &mut self,
        id: CallId,
        resp: &Response,
        target: Target,
        now: Instant,
    ) {
        let timers = self.cfg.timers;
        if let Some(call) = self.calls.get_mut(&id) {
            call.ok_retransmit = Some(OkRetransmit {
                wire: resp.to_bytes(),
                target,
                backoff: Backoff::start(now, timers.t1, Some(timers.t2)),
                give_up: now + timers.timeout(),
            });
        }
    }

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

    fn contact_user_for(&self, id: CallId) -> String {
        self.calls
            .get(&id)
            .and_then(|c| c.account)
            .and_then(|a| self.cfg.accounts.get(a.0))
            .and_then(|a| a.aor.user.clone())
            .unwrap_or_else(|| self.cfg.contact_user.clone())
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

    /// Ends a call as `hangup` does, saying why in the BYE or CANCEL:
    /// `Reason: SIP;cause=<status>;text="<text>"` (RFC 3326), e.g. 488 when
    /// the session could not be negotiated.
    pub fn hangup_because(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
        text: &str,
    ) -> Result<(), UaError> {
        let call = self.calls.get_mut(&id).ok_or(UaError::NoSuchCall)?;
        let text: String = text
            .chars()
            .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
            .collect();
        call.bye_reason = Some(format!("SIP;cause={status};text=\"{text}\""));
        self.hangup(now, id)
    }

    pub(in crate::ua) fn send_bye(&mut self, id: CallId, now: Instant) {
        let reason = self.calls.get(&id).and_then(|c| c.bye_reason.clone());
        let extra: Vec<(HeaderName, String)> = reason
            .into_iter()
            .map(|r| (HeaderName::Reason, r))
            .collect();
        self.send_in_dialog_with(id, Method::Bye, &extra, None, now);
    }

    /// Sends a new in-dialog request; returns its transaction key.
    fn send_in_dialog(
        &mut self,
        id: CallId,
        method: Method,
        body: Option<(&str, Vec<u8>)>,
        now: Instant,
    ) -> Option<TxKey> {
        self.send_in_dialog_with(id, method, &[], body, now)
    }

    /// As `send_in_dialog`, with `extra` headers (Refer-To, Event...).
    fn send_in_dialog_with(
        &mut self,
        id: CallId,
        method: Method,
        extra: &[(HeaderName, String)],
        body: Option<(&str, Vec<u8>)>,
        now: Instant,
    ) -> Option<TxKey> {
        let contact_user = self.contact_user_for(id);
        let session_headers = self.session_timer_headers(id);
        let call = self.calls.get_mut(&id)?;
        let owner = match method {
            Method::Bye => Owner::Bye(id),
            Method::Invite => Owner::ReInvite(id),
            Method::Refer => Owner::Refer(id),
            Method::Update if call.refreshing => Owner::Refresh(id),
            _ => Owner::InDialog(id),
        };
        let (mut req, target) = call.dialog.request(method.clone(), None);
        for (name, value) in extra {
            req.headers.push(name.clone(), value.clone());
        }
        if method == Method::Invite {
            for (name, value) in session_headers {
                req.headers.push(name, value);
            }
        }
        if let Some((_, sdp)) = &body
            && matches!(method, Method::Invite | Method::Update)
        {
            call.session_sdp = sdp.clone();
        }
        let target = target.unwrap_or_else(|| call.target.clone());
        // A REFER's Contact names us for the subscription it creates.
        if matches!(method, Method::Invite | Method::Update | Method::Refer) {
            req.headers
                .push(HeaderName::Contact, self.contact(&contact_user, &target));
        }
        if let Some((content_type, body)) = body {
            req.headers.push(HeaderName::ContentType, content_type);
            req.body = body;
        }
        let (key, _) = self.start_client_tx(req, target, owner, now);
        Some(key)
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
        // Nothing more to make reliable once the call is over.
        call.reliable_out = reliable::ReliableOut::default();
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
            self.reliable_on_timeout(id, now);
            if self
                .calls
                .get(&id)
                .and_then(Call::session_timer_due)
                .is_some_and(|due| now >= due)
            {
                self.on_session_timer(id, now);
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

/// The challenge of a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
/// to answer: the first the server lists that we can (RFC 8760 2.4).
pub(in crate::ua) fn pick_challenge(
    resp: &Response,
) -> Result<crate::auth::Challenge, super::registration::ChallengeFailure> {
    let header = if resp.status == 407 {
        HeaderName::ProxyAuthenticate
    } else {
        HeaderName::WwwAuthenticate
    };
    match crate::auth::Challenge::pick(resp.headers.get_all(&header)) {
        Some(Ok(c)) => Ok(c),
        Some(Err(e)) => Err(super::registration::ChallengeFailure::Unanswerable(e)),
        None => Err(super::registration::ChallengeFailure::Unanswerable(
            crate::auth::AuthError::Missing("challenge"),
        )),
    }
}

fn rejected(resp: &Response) -> EndReason {
    EndReason::Rejected {
        status: resp.status,
        reason: resp.reason.clone(),
    }
}
