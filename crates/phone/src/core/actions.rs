//! Carrying out the one vocabulary: every face's verbs and the desk's come
//! through [`PhoneCore::act`], so a call rule holds whoever asked.

use std::time::Instant;

use super::{MediaCommand, Origin, Output, PhoneCore};
use crate::action::{Action, Reply};
use crate::error::EngineError;
use crate::state::CallPhase;

impl PhoneCore {
    pub(super) fn act(&mut self, now: Instant, action: Action, origin: Origin) {
        tracing::debug!(?action, ?origin, "action");
        let done = |r: Result<(), EngineError>| r.map(|()| Reply::Done);
        let result = match action {
            // These two answer when the media is ready (or could not be).
            Action::Call {
                target,
                account,
                audio,
            } => return self.place(&target, account.as_deref(), audio, origin),
            Action::Answer { call, audio } => {
                return self.answer(now, call, audio, origin, Reply::Done);
            }
            Action::AnswerOrHangUp => return self.answer_or_hang_up(now, origin),
            Action::Stats { call } => return self.stats(call, origin),
            // Answered once the call is placed, as `Call` is.
            Action::Pickup { extension, account } => {
                return self.pickup(extension.as_deref(), account.as_deref(), origin);
            }
            // Answered once the message is delivered (or is not).
            Action::Message {
                target,
                text,
                account,
            } => return self.send_text(now, &target, text, account.as_deref(), origin),
            Action::Composing {
                target,
                active,
                account,
            } => done(self.send_composing(now, &target, active, account.as_deref())),
            Action::Reject { call, status } => done(self.refuse(now, call, status)),
            Action::Hangup { call: Some(call) } => done(self.hang_up(now, call)),
            Action::Hangup { call: None } => done(self.hang_up_all(now)),
            Action::Hold { call, held } => done(self.hold(now, call, held)),
            Action::Mute { call, muted } => done(self.mute(now, call, muted)),
            Action::Volume {
                call,
                speaker,
                microphone,
            } => done(self.set_volume(now, call, speaker, microphone)),
            Action::Dtmf { call, keys } => done(self.dtmf(call, keys)),
            Action::CheckBalance { account } => done(self.check_balance(now, account.as_deref())),
            Action::Transfer { call, target } => done(self.transfer(now, call, &target)),
            Action::TransferAttended { call, to_call } => {
                done(self.transfer_attended(now, call, to_call))
            }
            Action::Record { call, on } => done(self.record(call, on)),
            Action::Merge { calls } => done(self.merge(now, calls.unwrap_or_default())),
            Action::LeaveConference => done(self.leave_whole_conference(now)),
            Action::Dnd { on, account } => done(self.set_dnd(now, account.as_deref(), on)),
            Action::Forward {
                when,
                target,
                account,
            } => done(self.set_forward(now, account.as_deref(), when, target)),
            Action::SoundDevices {
                microphone,
                speaker,
                ring_device,
            } => done(self.set_sound_devices(now, microphone, speaker, ring_device)),
            Action::State => Ok(Reply::State(Box::new(self.state.clone()))),
            Action::Presence { availability, note } => {
                done(self.set_presence(now, availability, note))
            }
            Action::Watch { target, account } => done(self.watch(now, &target, account.as_deref())),
            Action::Unwatch { target } => done(self.unwatch(now, &target)),
            Action::Idle { idle } => {
                self.set_idle(now, idle);
                Ok(Reply::Done)
            }
            Action::TestDevice { device } => {
                if self.state.devices.iter().any(|d| d.id == device) {
                    self.outputs
                        .push_back(Output::TestDevice(hookswitch_devices::DeviceId(device)));
                    Ok(Reply::Done)
                } else {
                    Err(EngineError::Invalid(format!("no device {device}")))
                }
            }
        };
        self.finish(origin, result);
    }

    fn hang_up_all(&mut self, now: Instant) -> Result<(), EngineError> {
        let mut result = Ok(());
        let preparing: Vec<_> = self.preparing.keys().copied().collect();
        let calls = self.ua.active_calls().into_iter().map(|c| c.0);
        for call in calls.chain(preparing) {
            if let Err(e) = self.hang_up(now, call) {
                result = Err(e);
            }
        }
        result
    }

    /// The one key of a hot key or a foot pedal: answers the call that rings
    /// longest, else hangs up every call.
    fn answer_or_hang_up(&mut self, now: Instant, origin: Origin) {
        let ringing = self
            .state
            .calls
            .iter()
            .find(|c| c.phase == CallPhase::Incoming && !self.preparing.contains_key(&c.id))
            .map(|c| c.id);
        if let Some(call) = ringing {
            return self.answer(now, call, None, origin, Reply::Answered(call));
        }
        let result = if self.state.calls.is_empty() {
            Err(EngineError::WrongState)
        } else {
            self.hang_up_all(now).map(|()| Reply::HungUp)
        };
        self.finish(origin, result);
    }

    /// A call's figures come from its media; only a face waits for them.
    fn stats(&mut self, call: crate::event::CallId, origin: Origin) {
        let result = self.running(call);
        match (result, origin) {
            (Ok(()), Origin::Face(to)) => self.outputs.push_back(Output::Media {
                call,
                command: MediaCommand::Stats(to),
            }),
            (Ok(()), _) => {}
            (Err(e), origin) => self.finish(origin, Err(e)),
        }
    }
}
