//! Carrying out call handling (`crate::call_handling`): refusing and forwarding
//! incoming calls, and the timers of ringing calls (forward when unanswered,
//! answer by itself).

use std::time::Instant;

use hookswitch_sip::message::NameAddr;
use hookswitch_sip::ua::{self, AccountId};

use super::Driver;
use super::calls::target_uri;
use crate::api::{CallId, EngineError, PhoneEvent};
use crate::call_handling::{CallHandling, Disposition, ForwardReason};

/// Something due while a call rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RingTimer {
    /// Forward it here if nobody answered.
    ForwardUnanswered(String),
    AutoAnswer,
}

/// A change to call handling at run time (from the API or CLI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandlingChange {
    Dnd(bool),
    /// Set (`Some`) or clear (`None`) one kind of forwarding.
    Forward(ForwardReason, Option<String>),
}

impl Driver {
    /// The handling of calls to `account` (the last entry: calls to no account).
    pub(super) fn handling_for(&self, account: Option<AccountId>) -> &CallHandling {
        let index = account.map_or(self.settings.handling.len() - 1, |a| a.0);
        &self.settings.handling[index.min(self.settings.handling.len() - 1)]
    }

    pub(super) fn change_handling(
        &mut self,
        account: Option<&str>,
        change: HandlingChange,
    ) -> Result<(), EngineError> {
        let account = account.map(|name| self.account_id(name)).transpose()?;
        if let HandlingChange::Forward(_, Some(t)) = &change {
            // Refuse now what could not be dialled when a call comes.
            target_uri(t, self.account_aor(account))?;
        }
        let index = account.map_or(self.settings.handling.len() - 1, |a| a.0);
        let h = &mut self.settings.handling[index];
        match change {
            HandlingChange::Dnd(on) => {
                h.dnd = on;
                let account = self.account_name(account);
                self.emit(PhoneEvent::Dnd { account, on });
            }
            HandlingChange::Forward(reason, target) => match reason {
                ForwardReason::Always => h.forward_always = target,
                ForwardReason::Busy => h.forward_busy = target,
                ForwardReason::NoAnswer => h.forward_no_answer = target,
            },
        }
        Ok(())
    }

    /// Decides a new incoming call's fate. Returns the ring timers when it rings.
    pub(super) fn dispose(
        &mut self,
        now: Instant,
        call: ua::CallId,
        account: Option<AccountId>,
        from: &NameAddr,
        answer_after: Option<u32>,
    ) -> Option<Vec<(std::time::Duration, RingTimer)>> {
        match self.handling_for(account).on_incoming(answer_after) {
            Disposition::Ring {
                forward_unanswered,
                auto_answer,
            } => {
                let mut timers = Vec::new();
                if let Some((after, target)) = forward_unanswered {
                    timers.push((after, RingTimer::ForwardUnanswered(target)));
                }
                if let Some(after) = auto_answer {
                    timers.push((after, RingTimer::AutoAnswer));
                }
                Some(timers)
            }
            Disposition::Reject(status) => {
                let _ = self.ua.reject(now, call, status);
                self.emit(PhoneEvent::Deflected {
                    call: call.0,
                    from: from.to_string(),
                    account: self.account_name(account),
                    reason: "dnd".into(),
                    forwarded_to: None,
                    status,
                });
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
    pub(super) fn forward(
        &mut self,
        now: Instant,
        call: ua::CallId,
        account: Option<AccountId>,
        from: &NameAddr,
        target: &str,
        reason: ForwardReason,
    ) {
        let (status, forwarded_to) = match target_uri(target, self.account_aor(account)) {
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
        self.emit(PhoneEvent::Deflected {
            call: call.0,
            from: from.to_string(),
            account: self.account_name(account),
            reason: reason.name().into(),
            forwarded_to,
            status,
        });
    }

    /// The user refuses a ringing call: forwarded instead when they said busy
    /// and busy forwarding is set.
    pub(super) fn refuse(
        &mut self,
        now: Instant,
        call: CallId,
        status: u16,
    ) -> Result<(), EngineError> {
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

    /// The earliest ring timer.
    pub(super) fn next_ring_timer(&self) -> Option<Instant> {
        self.ring_timers.iter().map(|(at, _, _)| *at).min()
    }

    /// Runs the ring timers that are due (for calls still ringing).
    pub(super) fn on_ring_timers(&mut self, now: Instant) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.ring_timers)
            .into_iter()
            .partition(|(at, _, _)| *at <= now);
        self.ring_timers = later;
        for (_, call, timer) in due {
            let Some(info) = self
                .ua
                .call_info(ua::CallId(call))
                .filter(|i| !i.established)
            else {
                continue;
            };
            match timer {
                RingTimer::ForwardUnanswered(target) => {
                    self.forward(
                        now,
                        ua::CallId(call),
                        info.account,
                        &info.remote,
                        &target,
                        ForwardReason::NoAnswer,
                    );
                }
                RingTimer::AutoAnswer => {
                    let audio = self.desk.default_audio();
                    if let Err(e) = self.answer(now, call, audio) {
                        tracing::warn!(call, "auto-answer failed: {e}");
                    }
                }
            }
        }
    }
}
