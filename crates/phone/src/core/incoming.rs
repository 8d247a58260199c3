//! An incoming call's fate before anyone picks up: refused (peer-to-peer
//! calls off, not from the registrar, DND, SRTP it cannot have), forwarded
//! (always, busy, unanswered), answered at once (it replaces one of ours),
//! answered by itself after a while, or rung.

use std::time::{Duration, Instant};

use hookswitch_sip::message::NameAddr;
use hookswitch_sip::ua::{self, AccountId};

use super::calls::CoreCall;
use super::timers::Due;
use super::{Origin, PhoneCore};
use crate::action::Reply;
use crate::call_handling::{CallHandling, Disposition, ForwardReason};
use crate::error::EngineError;
use crate::event::{CallId, DeflectReason, PhoneEvent};

/// A new call, as the user agent announced it.
pub(super) struct Incoming {
    pub call: ua::CallId,
    pub account: Option<AccountId>,
    pub from: NameAddr,
    pub to: NameAddr,
    pub offer: Option<Vec<u8>>,
    pub answer_after: Option<u32>,
    pub via_registrar: bool,
    pub replaces: Option<ua::CallId>,
}

impl PhoneCore {
    pub(super) fn on_incoming(&mut self, now: Instant, i: Incoming) {
        let call = i.call;
        // A call that replaces one of ours proves it knows that dialog: it is
        // neither a stranger's nor one to let ring.
        let replacing = i.replaces.is_some();
        if !replacing && i.account.is_none() && !self.settings.accept_p2p {
            tracing::info!(%call, from = %i.from, "refused: peer-to-peer calls are off (sip.accept_p2p)");
            let _ = self.ua.reject(now, call, 403);
            return;
        }
        if self.settings.only_from_registrar && !i.via_registrar {
            tracing::info!(%call, from = %i.from, "refused: not from a registrar (sip.only_from_registrar)");
            let _ = self.ua.reject(now, call, 403);
            return;
        }
        // A bounded number ring at once: a flood of INVITEs nobody cancels
        // cannot take every descriptor and all the memory.
        let ringing = self
            .state
            .calls
            .iter()
            .filter(|c| c.phase == crate::state::CallPhase::Incoming)
            .count();
        if !replacing && ringing >= self.settings.max_ringing {
            self.refused_over_limit += 1;
            if self.refused_over_limit.is_power_of_two() {
                tracing::warn!(
                    from = %i.from,
                    "refused with 486: {ringing} calls ring already (sip.max_ringing; {} refused so far)",
                    self.refused_over_limit
                );
            }
            let _ = self.ua.reject(now, call, 486);
            return;
        }
        // DND and forwarding answer before anything rings.
        let due = if replacing {
            Vec::new()
        } else {
            match self.dispose(now, call, i.account, &i.from, i.answer_after) {
                Some(due) => due,
                None => return,
            }
        };
        let transport = self.ua.call_transport(call).unwrap_or(ua::Transport::Udp);
        let srtp = match self.srtp_for(i.account, transport) {
            Ok(mode) => mode,
            Err(e) => {
                tracing::info!(%call, "refused: {e}");
                let _ = self.ua.reject(now, call, 488);
                return;
            }
        };
        let audio = self.phone_audio(Origin::AutoAnswer);
        self.calls
            .insert(call.0, CoreCall::incoming(i.account, i.offer, audio, srtp));
        let account = self.account_name(i.account);
        self.emit(
            now,
            PhoneEvent::IncomingCall {
                call: call.0,
                from: i.from.to_string(),
                to: i.to.to_string(),
                account,
                answer_after: i.answer_after,
                replaces: i.replaces.map(|old| old.0),
            },
        );
        if let Some(old) = i.replaces {
            // The new call takes the old one's place, sound and all.
            let audio = self.calls.get(&old.0).map(|c| c.audio.clone());
            self.answer(
                now,
                call.0,
                audio,
                Origin::Replaces { old: old.0 },
                Reply::Done,
            );
            return;
        }
        let _ = self.ua.ring(now, call);
        for (after, d) in due {
            self.timers.set(now + after, call.0, d);
        }
        self.timers
            .set(now + self.settings.ring_timeout, call.0, Due::RingTimeout);
    }

    /// The handling of calls to `account`: its own table, else the shared one.
    pub(super) fn handling_for(&self, account: Option<AccountId>) -> &CallHandling {
        let own = account
            .filter(|a| {
                self.settings
                    .accounts
                    .get(a.0)
                    .is_some_and(|r| r.own_handling)
            })
            .map(|a| a.0);
        &self.settings.handling[own.unwrap_or(self.settings.shared_table())]
    }

    /// Decides a new incoming call's fate. Returns what is due while it rings.
    fn dispose(
        &mut self,
        now: Instant,
        call: ua::CallId,
        account: Option<AccountId>,
        from: &NameAddr,
        answer_after: Option<u32>,
    ) -> Option<Vec<(Duration, Due)>> {
        match self.handling_for(account).on_incoming(answer_after) {
            Disposition::Ring {
                forward_unanswered,
                auto_answer,
            } => {
                let mut due = Vec::new();
                if let Some((after, target)) = forward_unanswered {
                    due.push((after, Due::ForwardUnanswered(target)));
                }
                if let Some(after) = auto_answer {
                    due.push((after, Due::AutoAnswer));
                }
                Some(due)
            }
            Disposition::Reject(status) => {
                let _ = self.ua.reject(now, call, status);
                self.deflected(now, call, account, from, DeflectReason::Dnd, None, status);
                None
            }
            Disposition::Forward { target, reason } => {
                self.forward(now, call, account, from, &target, reason);
                None
            }
        }
    }

    /// Answers a ringing call with 302 to `target`; a target that cannot be
    /// dialled refuses the call with 480 instead.
    fn forward(
        &mut self,
        now: Instant,
        call: ua::CallId,
        account: Option<AccountId>,
        from: &NameAddr,
        target: &str,
        reason: ForwardReason,
    ) {
        let (status, forwarded_to) = match super::target_uri(target, self.aor(account)) {
            Ok(uri) => match self.ua.redirect(now, call, &uri) {
                Ok(()) => (302, Some(uri.to_string())),
                Err(e) => {
                    tracing::info!(%call, "cannot forward: {e}");
                    return;
                }
            },
            Err(e) => {
                tracing::warn!(%call, "cannot forward to {target:?}: {e}; refusing with 480");
                let _ = self.ua.reject(now, call, 480);
                (480, None)
            }
        };
        self.deflected(
            now,
            call,
            account,
            from,
            reason.into(),
            forwarded_to,
            status,
        );
    }

    /// Tells that an incoming call was not rung (refused or forwarded).
    #[allow(clippy::too_many_arguments)]
    fn deflected(
        &mut self,
        now: Instant,
        call: ua::CallId,
        account: Option<AccountId>,
        from: &NameAddr,
        reason: DeflectReason,
        forwarded_to: Option<String>,
        status: u16,
    ) {
        let account = self.account_name(account);
        self.emit(
            now,
            PhoneEvent::Deflected {
                call: call.0,
                from: from.to_string(),
                account,
                reason,
                forwarded_to,
                status,
            },
        );
    }

    /// The user refuses a ringing call: forwarded instead when they said busy
    /// and busy forwarding is set.
    pub(super) fn refuse(
        &mut self,
        now: Instant,
        call: CallId,
        status: u16,
    ) -> Result<(), EngineError> {
        if !(400..=699).contains(&status) {
            return Err(EngineError::Invalid(format!(
                "a call is refused with a status from 400 to 699, not {status}"
            )));
        }
        let info = self.ua.call_info(ua::CallId(call));
        if let Some(info) = info.filter(|i| !i.outgoing && !i.established)
            && let Some(target) = self.handling_for(info.account).on_refused(status)
        {
            let target = target.to_string();
            self.forward(
                now,
                ua::CallId(call),
                info.account,
                &info.remote,
                &target,
                ForwardReason::Busy,
            );
            return Ok(());
        }
        self.ua
            .reject(now, ua::CallId(call), status)
            .map_err(|e| super::calls::map_ua_error(e, call))
    }

    /// Runs what is due for ringing calls (those still ringing).
    pub(super) fn on_timers(&mut self, now: Instant) {
        for (call, due) in self.timers.take_due(now) {
            let Some(info) = self
                .ua
                .call_info(ua::CallId(call))
                .filter(|i| !i.established)
            else {
                continue;
            };
            match due {
                Due::ForwardUnanswered(target) => self.forward(
                    now,
                    ua::CallId(call),
                    info.account,
                    &info.remote,
                    &target,
                    ForwardReason::NoAnswer,
                ),
                Due::AutoAnswer => self.answer(now, call, None, Origin::AutoAnswer, Reply::Done),
                Due::RingTimeout => {
                    tracing::info!(%call, "rang unanswered for {:?}: refused with 480", self.settings.ring_timeout);
                    let _ = self.ua.reject(now, ua::CallId(call), 480);
                }
            }
        }
    }
}
