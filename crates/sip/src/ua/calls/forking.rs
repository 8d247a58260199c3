//! One INVITE, several answers: a forking proxy may send provisional and 2xx
//! responses from several UASs, each with its own To tag and so its own
//! dialog (RFC 3261 12.1.2, 13.2.2.4; RFC 3960 for early media).
//!
//! - Each tagged provisional creates or refreshes an *early dialog*, kept
//!   with the SDP answer it carried.
//! - The first 2xx confirms its dialog: that is the call.
//! - Every later 2xx with another tag is ACKed (so the UAS stops
//!   retransmitting it and its user does not see a dead call) and at once
//!   ended with a BYE (RFC 3261 13.2.2.4: "it MUST send a BYE").
//! - A 2xx that comes again gets the ACK it got before, and nothing else.
//!
//! Early media (RFC 3960 3.1): the phone plays the answer of the most recent
//! provisional that carried SDP, whichever early dialog it came from. A proxy
//! that forks serially (desk phone first, then voicemail's announcement)
//! sends the current branch's media last; two branches that both send early
//! media at once cannot be mixed into one stream for one offer, and a
//! gateway's announcement usually comes after the ringing ones. When the call
//! is answered, the answer of the dialog that was confirmed takes over.

use std::time::Instant;

use super::{Call, CallState, learn_dialog};
use crate::message::{Method, Response};
use crate::ua::dialog::Dialog;
use crate::ua::{CallId, Target, UserAgent};

/// How many ACKs of a call we remember for repeated 2xx (the first answer,
/// other forks', recent re-INVITEs'): enough for any real fork, and bounded
/// against a peer that answers with a new tag each time.
const ACKS_KEPT: usize = 16;

/// A dialog created by a tagged provisional response to our INVITE.
#[derive(Debug, Clone)]
pub(super) struct EarlyDialog {
    pub dialog: Dialog,
    /// The SDP answer this dialog's provisional responses carried last.
    pub answer: Option<Vec<u8>>,
    /// The RSeq of the last reliable provisional taken in order (RFC 3262).
    pub rseq: Option<u32>,
}

/// An ACK we sent for a 2xx, kept to send again if the 2xx comes again
/// (RFC 3261 13.2.2.4: "retransmit the ACK").
#[derive(Debug, Clone)]
pub(super) struct SentAck {
    pub seq: u32,
    pub tag: String,
    pub wire: Vec<u8>,
    pub target: Target,
}

/// What to do with a 2xx to an INVITE of ours.
pub(super) enum TwoXx {
    /// Seen before: its ACK was sent again.
    Repeated,
    /// The first 2xx of our INVITE: it confirms the call.
    First,
    /// A 2xx from another fork after the first: ACKed and ended.
    OtherFork,
    /// A 2xx to a re-INVITE of ours (CSeq other than the INVITE's).
    ReInvite,
}

fn to_tag(resp: &Response) -> String {
    resp.headers
        .to_addr()
        .and_then(|t| t.tag().map(str::to_string))
        .unwrap_or_default()
}

impl Call {
    /// The early dialog with this To tag, created from our INVITE's dialog
    /// when the tag is new.
    pub(super) fn early_dialog(&mut self, resp: &Response, tag: &str) -> &mut EarlyDialog {
        let at = match self
            .early
            .iter()
            .position(|e| e.dialog.remote_tag.as_deref() == Some(tag))
        {
            Some(at) => at,
            None => {
                let mut dialog = self.origin.clone().unwrap_or_else(|| self.dialog.clone());
                learn_dialog(&mut dialog, resp, tag.to_string());
                self.early.push(EarlyDialog {
                    dialog,
                    answer: None,
                    rseq: None,
                });
                self.early.len() - 1
            }
        };
        let early = &mut self.early[at];
        learn_dialog(&mut early.dialog, resp, tag.to_string());
        early
    }

    /// The ACK sent before for a 2xx with this CSeq number and To tag.
    fn ack_for(&self, seq: u32, tag: &str) -> Option<&SentAck> {
        self.acks.iter().find(|a| a.seq == seq && a.tag == tag)
    }

    fn remember_ack(&mut self, ack: SentAck) {
        if self.acks.len() >= ACKS_KEPT {
            // Keep the call's own first ACK; forget the oldest of the others.
            self.acks.remove(1);
        }
        self.acks.push(ack);
    }

    /// The CSeq number of our initial INVITE.
    fn invite_seq(&self) -> Option<u32> {
        self.invite.as_ref()?.headers.cseq().map(|c| c.seq)
    }
}

impl UserAgent {
    /// A 2xx we ACKed before (a retransmission): its ACK again. True if so.
    pub(super) fn repeat_ack(&mut self, id: CallId, resp: &Response) -> bool {
        let tag = to_tag(resp);
        let seq = resp.headers.cseq().map(|c| c.seq).unwrap_or_default();
        let Some(ack) = self.calls.get(&id).and_then(|c| c.ack_for(seq, &tag)) else {
            return false;
        };
        let (wire, target) = (ack.wire.clone(), ack.target.clone());
        self.send(&target, wire);
        true
    }

    /// Sorts a 2xx to one of our INVITEs of call `id`, sending whatever ACK
    /// and BYE it needs except for a `First` one, which the caller confirms.
    pub(super) fn classify_2xx(&mut self, id: CallId, resp: &Response, now: Instant) -> TwoXx {
        if self.repeat_ack(id, resp) {
            return TwoXx::Repeated;
        }
        let tag = to_tag(resp);
        let Some(call) = self.calls.get(&id) else {
            return TwoXx::Repeated;
        };
        let seq = resp.headers.cseq().map(|c| c.seq).unwrap_or_default();
        if call.invite_seq() != Some(seq) {
            return TwoXx::ReInvite;
        }
        if !call.confirmed {
            return TwoXx::First;
        }
        self.end_other_fork(id, resp, tag, seq, now);
        TwoXx::OtherFork
    }

    /// A second confirmed dialog (another UAS answered too): ACK it, then
    /// BYE it, so its user sees a call that was answered elsewhere end at
    /// once instead of a silent one for 32 s.
    fn end_other_fork(&mut self, id: CallId, resp: &Response, tag: String, seq: u32, now: Instant) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut dialog = match call
            .early
            .iter()
            .position(|e| e.dialog.remote_tag.as_deref() == Some(&tag))
        {
            Some(at) => call.early.remove(at).dialog,
            None => call.origin.clone().unwrap_or_else(|| call.dialog.clone()),
        };
        learn_dialog(&mut dialog, resp, tag.clone());
        let fallback = call.target.clone();
        tracing::info!(%id, tag, "another fork answered too: ACK and BYE it");
        let (wire, target) = self.send_ack_in(&mut dialog, seq, &fallback);
        if let Some(call) = self.calls.get_mut(&id) {
            call.remember_ack(SentAck {
                seq,
                tag,
                wire,
                target,
            });
        }
        let (bye, target) = dialog.request(Method::Bye, None);
        let target = target.unwrap_or(fallback);
        self.start_client_tx(bye, target, crate::ua::Owner::Nobody, now);
    }

    /// Builds and sends the ACK for a 2xx in `dialog` (its own branch, RFC
    /// 3261 13.2.2.4); returns its bytes and where it went.
    pub(super) fn send_ack_in(
        &mut self,
        dialog: &mut Dialog,
        seq: u32,
        fallback: &Target,
    ) -> (Vec<u8>, Target) {
        let (mut ack, target) = dialog.request(Method::Ack, Some(seq));
        let target = target.unwrap_or_else(|| fallback.clone());
        let branch = crate::transaction::new_branch(&mut self.rng);
        ack.headers
            .push_front(crate::message::HeaderName::Via, self.via(&target, &branch));
        let wire = ack.to_bytes();
        self.send(&target, wire.clone());
        (wire, target)
    }

    /// Records the ACK of a 2xx of call `id` for repeats of that 2xx.
    pub(super) fn remember_ack(&mut self, id: CallId, seq: u32, wire: Vec<u8>, target: Target) {
        if let Some(call) = self.calls.get_mut(&id) {
            let tag = call.dialog.remote_tag.clone().unwrap_or_default();
            call.remember_ack(SentAck {
                seq,
                tag,
                wire,
                target,
            });
        }
    }

    /// The first 2xx confirms its dialog: the early dialog with its tag (or
    /// a new one from our INVITE) becomes the call's. Returns the answer to
    /// use when the 2xx itself has none: that early dialog's, if another
    /// dialog's early media was the last one played.
    pub(super) fn confirm_dialog(&mut self, id: CallId, resp: &Response) -> Option<Vec<u8>> {
        let call = self.calls.get_mut(&id)?;
        let tag = to_tag(resp);
        let early = call
            .early
            .iter()
            .position(|e| e.dialog.remote_tag.as_deref() == Some(&tag))
            .map(|at| call.early.remove(at));
        let (mut dialog, early_answer) = match early {
            Some(e) => (e.dialog, e.answer),
            None => (
                call.origin.clone().unwrap_or_else(|| call.dialog.clone()),
                None,
            ),
        };
        learn_dialog(&mut dialog, resp, tag.clone());
        call.dialog = dialog;
        call.confirmed = true;
        // The other early dialogs end with the INVITE transaction (RFC 3261
        // 13.2.2.4); nothing is sent for them.
        call.early.clear();
        let played_other = call.early_media_tag.as_deref() != Some(tag.as_str());
        early_answer.filter(|_| played_other)
    }

    /// Whether the call `id` may still take a provisional's early media.
    pub(super) fn is_early(&self, id: CallId) -> bool {
        self.calls
            .get(&id)
            .is_some_and(|c| matches!(c.state, CallState::Calling | CallState::Early))
    }
}
