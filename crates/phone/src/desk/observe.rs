//! The engine's events, whoever caused them, keep the desk's picture of the
//! calls true: a call answered in the app lights the Off-Hook LED as one
//! answered by lifting the handset does.

use std::time::Instant;

use super::{Desk, DeskCall, DeskOutput, Keypad, LocalTone, RingBack, Stage};
use crate::event::{EndReason, PhoneEvent};

impl Desk {
    pub fn on_event(&mut self, now: Instant, e: &PhoneEvent) {
        match e {
            PhoneEvent::IncomingCall { call, .. } => self.add(*call, Stage::Ringing),
            PhoneEvent::Calling { call, to, .. } => {
                self.last_dialed = Some(to.clone());
                if matches!(self.keypad, Keypad::Dialing { .. }) {
                    // Placed elsewhere (the app) while the desk had dial tone.
                    self.keypad = Keypad::Calls;
                    self.actions.push_back(DeskOutput::Tone(None));
                }
                self.stop_busy_tone();
                self.ring_back = RingBack::None;
                self.add(*call, Stage::Calling);
            }
            PhoneEvent::Established { call, .. } => {
                let tick = self.tick();
                if let Some(c) = self.call_mut(*call) {
                    c.stage = Stage::Connected;
                    c.touched = tick;
                }
            }
            PhoneEvent::Held { call, held } => {
                let tick = self.tick();
                if let Some(c) = self.call_mut(*call) {
                    c.held = *held;
                    c.touched = tick;
                }
                if !held
                    && matches!(self.ring_back, RingBack::Ringing(c) | RingBack::Due(c, _) if c == *call)
                {
                    self.ring_back = RingBack::None;
                }
            }
            PhoneEvent::HoldFailed { call, held, .. } => {
                if let Some(c) = self.call_mut(*call) {
                    c.held = !held;
                }
            }
            PhoneEvent::Conference { calls } => self.conference.clone_from(calls),
            PhoneEvent::Muted { call, muted } => {
                if let Some(c) = self.call_mut(*call) {
                    c.muted = *muted;
                }
            }
            PhoneEvent::Volume {
                call,
                speaker_percent: Some(p),
                ..
            } => {
                if let Some(c) = self.call_mut(*call) {
                    c.speaker_percent = *p;
                }
            }
            PhoneEvent::Dnd { account, on } => {
                self.dnd_by_account.insert(account.clone(), *on);
                self.dnd = self.dnd_by_account.values().any(|on| *on);
            }
            PhoneEvent::Ended { call, reason, .. } => self.ended(now, *call, *reason),
            PhoneEvent::MessageWaiting {
                account, waiting, ..
            } => {
                self.mwi_by_account.insert(account.clone(), *waiting);
                self.message_waiting = self.mwi_by_account.values().any(|w| *w);
            }
            _ => {}
        }
    }

    fn add(&mut self, call: crate::event::CallId, stage: Stage) {
        if self.calls.iter().any(|c| c.id == call) {
            return;
        }
        let touched = self.tick();
        self.calls.push(DeskCall {
            id: call,
            stage,
            held: false,
            muted: false,
            speaker_percent: 100,
            touched,
        });
    }

    fn ended(&mut self, now: Instant, call: crate::event::CallId, reason: EndReason) {
        let Some(i) = self.calls.iter().position(|c| c.id == call) else {
            return;
        };
        let was_active = self.active().is_some_and(|a| a.id == call);
        let was_connected = self.calls[i].stage == Stage::Connected;
        self.calls.remove(i);
        if matches!(self.keypad, Keypad::Transferring { call: c, .. } if c == call) {
            self.keypad = Keypad::Calls;
        }
        if matches!(self.ring_back, RingBack::Ringing(c) | RingBack::Due(c, _) if c == call) {
            self.ring_back = RingBack::None;
        }
        if !was_active || self.active().is_some() {
            return;
        }
        if self.handset_lifted() && reason != EndReason::Local && was_connected {
            // A lifted handset hears that the other side is gone until it is
            // put back.
            self.busy_tone = true;
            self.actions
                .push_back(DeskOutput::Tone(Some(LocalTone::Busy)));
        } else if !self.handset_lifted() {
            self.schedule_ring_back(now);
        }
    }

    /// A held call left alone rings back after a short delay.
    pub(super) fn schedule_ring_back(&mut self, now: Instant) {
        if self.active().is_none()
            && let Some(h) = self.latest_held().map(|c| c.id)
        {
            self.ring_back = RingBack::Due(h, now + self.cfg.ring_back_after);
        }
    }

    pub(super) fn stop_busy_tone(&mut self) {
        if self.busy_tone {
            self.busy_tone = false;
            self.actions.push_back(DeskOutput::Tone(None));
        }
    }
}
