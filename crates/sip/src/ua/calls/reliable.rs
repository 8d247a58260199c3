//! Reliable provisional responses (RFC 3262, "100rel"), both sides.
//!
//! Calling: our INVITEs say `Supported: 100rel`. A provisional that says
//! `Require: 100rel` carries an `RSeq`; each early dialog PRACKs the next
//! one in order (`RAck: <RSeq> <CSeq> INVITE`) and drops repeats and ones
//! out of order (RFC 3262 4). Our INVITE always carries the offer, so a
//! reliable 18x with SDP is the answer (RFC 3262 5, RFC 6337 2) and the
//! PRACK carries none.
//!
//! Called: an INVITE that requires 100rel gets its provisionals reliably:
//! `Require: 100rel` and an `RSeq` (random start, then +1), retransmitted
//! from T1 doubling until the PRACK, at most one unacknowledged at a time
//! (later ones wait). Our 2xx waits until every reliable provisional is
//! PRACKed: RFC 3262 3 asks it only for one that carried SDP, but waiting
//! always gives the peer one order (the PRACK's 200, then the INVITE's) for
//! the price of a round trip. No PRACK within 64*T1: the INVITE is refused
//! with 504 (a 5xx, as RFC 3262 3 says). An INVITE that only supports 100rel
//! gets plain provisionals: we never put an offer or answer in one.

use std::collections::VecDeque;
use std::time::Instant;

use rand::RngExt;

use super::CallState;
use crate::message::{HeaderName, Method, Request, Response};
use crate::transaction::{Backoff, TxKey};
use crate::ua::build::response_to;
use crate::ua::{CallId, EndReason, Owner, UserAgent};

/// The option tag.
pub(in crate::ua) const TAG: &str = "100rel";

/// Our side as UAS: the reliable provisional waiting for its PRACK, those
/// queued behind it, and a 2xx that waits for it.
#[derive(Debug, Default)]
pub(in crate::ua) struct ReliableOut {
    /// The RSeq the next reliable provisional gets.
    next_rseq: u32,
    /// Sent and not yet PRACKed.
    unacked: Option<Unacked>,
    /// Provisionals waiting for the one before them to be PRACKed.
    queued: VecDeque<Response>,
    /// Our 2xx, held until the provisional with SDP is PRACKed.
    held_final: Option<Response>,
}

#[derive(Debug)]
struct Unacked {
    rseq: u32,
    response: Response,
    backoff: Backoff,
    give_up: Instant,
}

impl ReliableOut {
    pub(in crate::ua) fn poll_timeout(&self) -> Option<Instant> {
        self.unacked.as_ref().map(|u| u.backoff.next.min(u.give_up))
    }

    /// A held 2xx or a reliable provisional is still out.
    pub(in crate::ua) fn pending(&self) -> bool {
        self.unacked.is_some() || self.held_final.is_some()
    }
}

/// The request (or response) lists `tag` in `Require`.
pub(in crate::ua) fn requires(headers: &crate::message::Headers, tag: &str) -> bool {
    headers
        .values(&HeaderName::Require)
        .any(|o| o.trim().eq_ignore_ascii_case(tag))
}

fn rseq_of(resp: &Response) -> Option<u32> {
    resp.headers.get(&HeaderName::RSeq)?.trim().parse().ok()
}

/// `RAck: 776656 1 INVITE` -> (776656, 1, "INVITE").
fn rack_of(req: &Request) -> Option<(u32, u32, String)> {
    let v = req.headers.get(&HeaderName::RAck)?;
    let mut parts = v.split_whitespace();
    let rseq = parts.next()?.parse().ok()?;
    let cseq = parts.next()?.parse().ok()?;
    let method = parts.next()?.to_ascii_uppercase();
    Some((rseq, cseq, method))
}

impl UserAgent {
    /// Calling: a provisional to our INVITE in the early dialog tagged
    /// `tag`. Returns false when it must not be processed (a reliable one
    /// repeated or out of order); a new reliable one in order is PRACKed.
    pub(in crate::ua) fn take_reliable_provisional(
        &mut self,
        id: CallId,
        resp: &Response,
        tag: &str,
        now: Instant,
    ) -> bool {
        if !requires(&resp.headers, TAG) {
            return true;
        }
        let Some(rseq) = rseq_of(resp) else {
            // "Require: 100rel" without RSeq: not a reliable provisional we
            // can acknowledge; taken as a plain one.
            return true;
        };
        let invite_seq = resp.headers.cseq().map(|c| c.seq).unwrap_or_default();
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let Some(early) = call
            .early
            .iter_mut()
            .find(|e| e.dialog.remote_tag.as_deref() == Some(tag))
        else {
            return false;
        };
        let in_order = match early.rseq {
            None => true,
            Some(last) => rseq == last.wrapping_add(1),
        };
        if !in_order {
            tracing::debug!(%id, rseq, "reliable provisional repeated or out of order: dropped");
            return false;
        }
        early.rseq = Some(rseq);
        let (mut prack, target) = early.dialog.request(Method::Prack, None);
        let target = target.unwrap_or_else(|| call.target.clone());
        prack
            .headers
            .push(HeaderName::RAck, format!("{rseq} {invite_seq} INVITE"));
        self.start_client_tx(prack, target, Owner::InDialog(id), now);
        true
    }

    /// Called: whether the INVITE of `id` requires 100rel of us.
    fn must_be_reliable(&self, id: CallId) -> bool {
        self.calls
            .get(&id)
            .and_then(|c| c.incoming.as_ref())
            .is_some_and(|r| requires(&r.headers, TAG))
    }

    /// Called: sends provisional `resp` (1xx other than 100) of call `id`,
    /// reliably when the INVITE requires it. Returns false when the
    /// provisional was not sent by this (the caller sends it plainly).
    pub(in crate::ua) fn send_provisional_reliably(
        &mut self,
        id: CallId,
        key: &TxKey,
        mut resp: Response,
        now: Instant,
    ) -> bool {
        if !self.must_be_reliable(id) {
            return false;
        }
        let timers = self.cfg.timers;
        let start = self.rng.random_range(1..=0x7fff_ffffu32);
        let Some(call) = self.calls.get_mut(&id) else {
            return true;
        };
        let out = &mut call.reliable_out;
        if out.next_rseq == 0 {
            out.next_rseq = start;
        }
        if out.unacked.is_some() {
            out.queued.push_back(resp);
            return true;
        }
        let rseq = out.next_rseq;
        out.next_rseq = rseq.wrapping_add(1);
        resp.headers.push(HeaderName::Require, TAG);
        resp.headers.push(HeaderName::RSeq, rseq.to_string());
        out.unacked = Some(Unacked {
            rseq,
            response: resp.clone(),
            backoff: Backoff::start(now, timers.t1, None),
            give_up: now + timers.timeout(),
        });
        self.respond(key, &resp, now);
        true
    }

    /// Called: our 2xx to the INVITE of `id`. Held (true) while a reliable
    /// provisional waits for its PRACK.
    pub(in crate::ua) fn hold_final_for_prack(&mut self, id: CallId, resp: &Response) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let out = &mut call.reliable_out;
        let waiting = out.unacked.is_some() || !out.queued.is_empty();
        if waiting {
            out.held_final = Some(resp.clone());
        }
        waiting
    }

    /// Called: a PRACK in the early dialog of `id`.
    pub(in crate::ua) fn on_prack(&mut self, key: &TxKey, id: CallId, req: &Request, now: Instant) {
        let invite_seq = self
            .calls
            .get(&id)
            .and_then(|c| c.incoming.as_ref())
            .and_then(|r| r.headers.cseq())
            .map(|c| c.seq);
        let matches = |c: &super::Call| {
            let (Some((rseq, cseq, method)), Some(unacked)) =
                (rack_of(req), c.reliable_out.unacked.as_ref())
            else {
                return false;
            };
            rseq == unacked.rseq && Some(cseq) == invite_seq && method == "INVITE"
        };
        if !self.calls.get(&id).is_some_and(matches) {
            self.respond(key, &response_to(req, 481, None), now);
            return;
        }
        self.respond(key, &response_to(req, 200, None), now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.reliable_out.unacked = None;
        let next = call.reliable_out.queued.pop_front();
        let server_key = call.server_key.clone();
        if let (Some(next), Some(server_key)) = (next, server_key) {
            self.send_provisional_reliably(id, &server_key, next, now);
        }
        // The 2xx that waited for this PRACK goes now.
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.reliable_out.unacked.is_none()
            && let Some(held) = call.reliable_out.held_final.take()
        {
            self.send_held_final(id, held, now);
        }
    }

    /// Called: retransmits the unacknowledged reliable provisional of `id`,
    /// or gives the INVITE up with 504 after 64*T1 without a PRACK.
    pub(in crate::ua) fn reliable_on_timeout(&mut self, id: CallId, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(unacked) = call.reliable_out.unacked.as_mut() else {
            return;
        };
        if now >= unacked.give_up {
            call.reliable_out = ReliableOut::default();
            tracing::info!(%id, "no PRACK for our reliable provisional: refusing the call");
            if matches!(call.state, CallState::Calling | CallState::Early)
                && let Ok((key, resp)) = self.uas_response(id, 504)
            {
                self.respond(&key, &resp, now);
                self.end_call(id, EndReason::Timeout, now);
            }
            return;
        }
        if now >= unacked.backoff.next {
            unacked.backoff.fire(now);
            let resp = unacked.response.clone();
            if let Some(key) = call.server_key.clone() {
                self.respond(&key, &resp, now);
            }
        }
    }
}
