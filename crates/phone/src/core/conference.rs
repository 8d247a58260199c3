//! The three-way (or larger) conference, mixed here: the calls we merge
//! keep their own dialogs and media; their media tasks meet in one mix
//! (`audio::Bridge`). One conference at a time.
//!
//! - Merge brings established calls in; a held one is resumed first.
//! - Holding a member takes it out (it is an ordinary held call again), and
//!   so does its end; a conference left with one member is over, and that
//!   call goes on as an ordinary one.
//! - Per member, mute silences our microphone to that party only (the
//!   others still hear each other through it); hang-up ends that leg.
//! - Leaving (`LeaveConference`, a device's on-hook) ends every leg, or,
//!   with `[conference] leave = "connect"` and two others, hands them to
//!   each other by an attended transfer.

use std::time::Instant;

use super::calls::MediaPhase;
use super::{MediaCommand, Output, PhoneCore};
use crate::config::ConferenceLeave;
use crate::error::EngineError;
use crate::event::{CallId, PhoneEvent};

/// The most calls one mix takes: each leg resamples for every other, so
/// the cost grows with the square.
pub const MAX_MEMBERS: usize = 5;

impl PhoneCore {
    /// Merges `calls` (none named: every established call) into the
    /// conference, with the members it already has.
    pub(super) fn merge(&mut self, now: Instant, calls: Vec<CallId>) -> Result<(), EngineError> {
        let joining: Vec<CallId> = if calls.is_empty() {
            self.calls
                .iter()
                .filter(|(id, c)| {
                    c.established
                        && c.ended.is_none()
                        && c.media == MediaPhase::Running
                        && !self.conference.contains(id)
                })
                .map(|(id, _)| *id)
                .collect()
        } else {
            for call in &calls {
                self.running(*call)?;
                if !self.calls.get(call).is_some_and(|c| c.established) {
                    return Err(EngineError::WrongState);
                }
            }
            calls
                .into_iter()
                .filter(|c| !self.conference.contains(c))
                .collect()
        };
        let size = self.conference.len() + joining.len();
        if joining.is_empty() || size < 2 {
            return Err(EngineError::Conference(
                "a conference needs two connected calls".into(),
            ));
        }
        if size > MAX_MEMBERS {
            return Err(EngineError::Conference(format!(
                "a conference takes at most {MAX_MEMBERS} calls"
            )));
        }
        for call in joining {
            if self.calls.get(&call).is_some_and(|c| c.held())
                && let Err(e) = self.hold(now, call, false)
            {
                tracing::warn!(call, "cannot resume the call to merge it: {e}");
                continue;
            }
            self.conference.insert(call);
            self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Conference(true),
            });
        }
        self.announce_conference(now);
        Ok(())
    }

    /// `call` is no longer in the conference (held, or ended); with one
    /// member left the conference is over.
    pub(super) fn leave_conference(&mut self, now: Instant, call: CallId) {
        if !self.conference.remove(&call) {
            return;
        }
        let mut leaving = vec![call];
        if self.conference.len() == 1 {
            leaving.extend(std::mem::take(&mut self.conference));
        }
        for call in leaving {
            if self
                .calls
                .get(&call)
                .is_some_and(|c| c.media == MediaPhase::Running)
            {
                self.outputs.push_back(Output::Media {
                    call,
                    command: MediaCommand::Conference(false),
                });
            }
        }
        self.announce_conference(now);
    }

    /// We leave: every leg ends, or the two others are connected to each
    /// other (`leave = "connect"`).
    pub(super) fn leave_whole_conference(&mut self, now: Instant) -> Result<(), EngineError> {
        let members: Vec<CallId> = self.conference.iter().copied().collect();
        if members.is_empty() {
            return Err(EngineError::WrongState);
        }
        if self.settings.conference_leave == ConferenceLeave::Connect
            && let [a, b] = members[..]
        {
            // The peer of `a` calls the peer of `b` with Replaces; both our
            // legs end when it has (or the conference goes on if refused).
            self.transfer_attended(now, a, b)?;
            self.connecting = Some((a, b));
            return Ok(());
        }
        let mut result = Ok(());
        for call in members {
            if let Err(e) = self.hang_up(now, call) {
                result = Err(e);
            }
        }
        result
    }

    /// The transfer that connects the two others is over: on success our
    /// second leg ends too, in case its peer did not end it for the
    /// replacing call (baresip 1.0 takes a call with Replaces as a new one).
    pub(super) fn connected_others(&mut self, now: Instant, call: CallId, status: u16) {
        let Some((first, second)) = self.connecting else {
            return;
        };
        if first != call {
            return;
        }
        self.connecting = None;
        if (200..300).contains(&status)
            && let Err(e) = self.hang_up(now, second)
        {
            tracing::debug!(call = second, "the replaced leg has ended already: {e}");
        }
    }

    fn announce_conference(&mut self, now: Instant) {
        let calls = self.conference.iter().copied().collect();
        self.emit(now, PhoneEvent::Conference { calls });
    }
}
