//! Device gestures (PHONE-BEHAVIOUR.md, "Device -> phone").

use std::time::Instant;

use hookswitch_devices::DeviceId;
use hookswitch_hid::PhoneInput;

use crate::action::Action;
use crate::event::CallId;

use super::{Collect, Desk, DeskOutput, Keypad, LocalTone, RingBack, Stage};

impl Desk {
    /// A gesture on device `device`.
    pub fn on_input(&mut self, now: Instant, device: DeviceId, input: PhoneInput) {
        self.acting = Some(device);
        match input {
            PhoneInput::HookOff => {
                self.lifted.insert(device);
                self.off_hook(now);
            }
            PhoneInput::HookOn => {
                self.lifted.remove(&device);
                self.on_hook(now);
            }
            // A call button: the phone decides what a press means.
            PhoneInput::HookToggle => {
                if self.active().is_some() || self.keypad != Keypad::Calls || self.busy_tone {
                    self.on_hook(now);
                } else {
                    self.off_hook(now);
                }
            }
            PhoneInput::Drop => self.drop_call(),
            PhoneInput::Reject => {
                if let Some(r) = self.ringing().map(|c| c.id) {
                    let status = self.cfg.reject_status;
                    self.actions
                        .push_back(DeskOutput::Act(Action::Reject { call: r, status }));
                }
            }
            PhoneInput::Key(key) => self.key(now, key),
            PhoneInput::Send => self.send(now),
            PhoneInput::Redial => {
                if self.active().is_none()
                    && self.keypad == Keypad::Calls
                    && let Some(number) = self.last_dialed.clone()
                {
                    self.busy_tone = false;
                    self.actions.push_back(DeskOutput::Act(Action::Call {
                        target: number,
                        account: None,
                        audio: None,
                    }));
                }
            }
            PhoneInput::MuteToggle => {
                if let Some(c) = self.active() {
                    let muted = !c.muted;
                    self.mute_focus(muted);
                }
            }
            PhoneInput::Mute(on) => {
                if self.active().is_some_and(|c| c.muted != on) {
                    self.mute_focus(on);
                }
            }
            PhoneInput::Conference => self.merge(),
            PhoneInput::PickupLamp => {
                self.actions.push_back(DeskOutput::Act(Action::Pickup {
                    extension: None,
                    account: None,
                }));
            }
            PhoneInput::Hold => self.hold_button(),
            PhoneInput::Flash => self.flash(),
            PhoneInput::Transfer => self.transfer_button(now),
            PhoneInput::Dnd => self.actions.push_back(DeskOutput::Act(Action::Dnd {
                on: !self.dnd,
                account: None,
            })),
            PhoneInput::VolumeUp | PhoneInput::VolumeDown => {
                let up = input == PhoneInput::VolumeUp;
                if let Some(c) = self.active() {
                    let step = self.cfg.volume_step;
                    let level = if up {
                        c.speaker_percent
                            .saturating_add(step)
                            .min(crate::audio::MAX_PERCENT)
                    } else {
                        c.speaker_percent.saturating_sub(step).max(step.min(100))
                    };
                    if level != c.speaker_percent {
                        let call = c.id;
                        self.actions.push_back(DeskOutput::Act(Action::Volume {
                            call,
                            speaker: Some(level),
                            microphone: None,
                        }));
                    }
                }
            }
            // Not part of the contract yet: named, so a profile author sees them
            // in hid-monitor, but they do nothing to calls.
            PhoneInput::SpeedDial => self.speed_dial(),
            PhoneInput::Button(n) => self.button(device, hookswitch_hid::ButtonName::Button(n)),
            PhoneInput::Teams => self.button(device, hookswitch_hid::ButtonName::Teams),
            PhoneInput::LineBusy(_) | PhoneInput::VoiceMail => {
                tracing::debug!(?input, "no phone action for this button");
            }
        }
    }

    /// Lift the handset, or press the call button with nothing in progress.
    fn off_hook(&mut self, now: Instant) {
        if self.active().is_some() || self.keypad != Keypad::Calls {
            return;
        }
        if let Some(r) = self.ringing().map(|c| c.id) {
            self.actions.push_back(DeskOutput::Act(Action::Answer {
                call: r,
                audio: None,
            }));
            return;
        }
        if let RingBack::Ringing(call) = self.ring_back {
            self.ring_back = RingBack::None;
            self.actions
                .push_back(DeskOutput::Act(Action::Hold { call, held: false }));
            return;
        }
        if self.latest_held().is_some() {
            // A held call waits: lifting takes it back rather than dialing.
            let call = self.latest_held().map(|c| c.id).unwrap_or_default();
            self.actions
                .push_back(DeskOutput::Act(Action::Hold { call, held: false }));
            return;
        }
        self.busy_tone = false;
        self.keypad = Keypad::Dialing {
            digits: String::new(),
            deadline: now + self.cfg.dial_plan.first_digit(),
        };
        self.actions
            .push_back(DeskOutput::Tone(Some(LocalTone::Dial)));
        self.events.push_back(crate::event::PhoneEvent::Dialing {
            digits: String::new(),
            done: false,
        });
    }

    /// Put the handset down, or press the call button during a call.
    fn on_hook(&mut self, now: Instant) {
        self.stop_busy_tone();
        match &self.keypad {
            Keypad::Dialing { .. } => self.stop_dialing(),
            Keypad::Transferring { .. } => {
                // Hanging up while typing a transfer target ends the call.
                self.keypad = Keypad::Calls;
                self.hang_up_active();
            }
            Keypad::Calls if self.active().is_some() => self.hang_up_active(),
            // Put back after the other side hung up: a held call rings back.
            Keypad::Calls => self.schedule_ring_back(now),
        }
    }

    /// Drop: whatever is in progress ends (a ringing call is declined).
    fn drop_call(&mut self) {
        if matches!(self.keypad, Keypad::Dialing { .. }) {
            self.stop_dialing();
        } else if self.active().is_some() {
            self.keypad = Keypad::Calls;
            self.hang_up_active();
        } else if let Some(r) = self.ringing().map(|c| c.id) {
            let status = self.cfg.reject_status;
            self.actions
                .push_back(DeskOutput::Act(Action::Reject { call: r, status }));
        } else if let Some(h) = self.latest_held().map(|c| c.id) {
            self.actions
                .push_back(DeskOutput::Act(Action::Hangup { call: Some(h) }));
        }
    }

    /// Hangs up the focused call; in a conference, we leave it.
    fn hang_up_active(&mut self) {
        if self
            .active()
            .is_some_and(|c| self.conference.contains(&c.id))
        {
            self.actions
                .push_back(DeskOutput::Act(Action::LeaveConference));
            return;
        }
        if let Some(a) = self.active().map(|c| c.id) {
            self.actions
                .push_back(DeskOutput::Act(Action::Hangup { call: Some(a) }));
        }
    }

    fn key(&mut self, now: Instant, key: char) {
        let inter_digit = self.cfg.dial_plan.inter_digit();
        match &mut self.keypad {
            Keypad::Dialing { digits, deadline } => {
                let first = digits.is_empty();
                *deadline = now + inter_digit;
                let collected = self.cfg.dial_plan.key(digits, key);
                let typed = digits.clone();
                if first {
                    self.actions.push_back(DeskOutput::Tone(None));
                }
                match collected {
                    Collect::Dial(number) => self.dial(number),
                    Collect::More => self.events.push_back(crate::event::PhoneEvent::Dialing {
                        digits: typed,
                        done: false,
                    }),
                }
            }
            Keypad::Transferring {
                call,
                digits,
                deadline,
            } => {
                *deadline = now + inter_digit;
                if let Collect::Dial(target) = self.cfg.dial_plan.key(digits, key) {
                    let call = *call;
                    self.transfer_to(call, Some(target));
                }
            }
            Keypad::Calls => match self.active() {
                Some(c) if c.stage == Stage::Connected => {
                    let id = c.id;
                    self.actions.push_back(DeskOutput::Act(Action::Dtmf {
                        call: id,
                        keys: key.to_string(),
                    }));
                }
                _ => tracing::debug!(key = %key, "a key with no call and no dial tone"),
            },
        }
    }

    /// Send: dial what was typed; answer a ringing call.
    fn send(&mut self, now: Instant) {
        match &self.keypad {
            Keypad::Dialing { digits, .. } if !digits.is_empty() => {
                let number = self.cfg.dial_plan.number(digits);
                self.dial(number);
            }
            Keypad::Transferring { call, digits, .. } => {
                let (call, target) = (*call, self.cfg.dial_plan.target(digits));
                self.transfer_to(call, target);
            }
            Keypad::Calls if self.active().is_none() && self.ringing().is_some() => {
                self.off_hook(now);
            }
            // Talking with a call held: Send brings the two together.
            Keypad::Calls
                if self.active().is_some_and(|c| c.stage == Stage::Connected)
                    && self.latest_held().is_some() =>
            {
                self.merge();
            }
            _ => {}
        }
    }

    /// The Conference key: every connected call joins one conference.
    fn merge(&mut self) {
        let connected = self
            .calls
            .iter()
            .filter(|c| c.stage == Stage::Connected)
            .count();
        if connected >= 2 {
            self.actions
                .push_back(DeskOutput::Act(Action::Merge { calls: None }));
        }
    }

    /// `call`, or every member of the conference it is in: a device's Mute
    /// and Hold act on the conference as one (our microphone is one).
    fn with_conference(&self, call: CallId) -> Vec<CallId> {
        if self.conference.contains(&call) {
            self.conference.clone()
        } else {
            vec![call]
        }
    }

    /// The focused call's mute, or in a conference every member's.
    fn mute_focus(&mut self, muted: bool) {
        let Some(active) = self.active().map(|c| c.id) else {
            return;
        };
        for call in self.with_conference(active) {
            if self.calls.iter().any(|c| c.id == call && c.muted != muted) {
                self.actions
                    .push_back(DeskOutput::Act(Action::Mute { call, muted }));
            }
        }
    }

    /// Hold: the active call is held; with none, the held one comes back.
    fn hold_button(&mut self) {
        if let Some(a) = self.active().filter(|c| c.stage == Stage::Connected) {
            // A conference is held whole (and so ends; Conference merges
            // the calls again).
            for call in self.with_conference(a.id) {
                self.actions
                    .push_back(DeskOutput::Act(Action::Hold { call, held: true }));
            }
        } else if self.active().is_none()
            && let Some(h) = self.latest_held().map(|c| c.id)
        {
            self.actions.push_back(DeskOutput::Act(Action::Hold {
                call: h,
                held: false,
            }));
        }
    }

    /// Flash: take a waiting call (holding the active one); swap between an
    /// active and a held call; alone, hold and resume.
    fn flash(&mut self) {
        let active = self
            .active()
            .filter(|c| c.stage == Stage::Connected)
            .map(|c| c.id);
        let ringing = self.ringing().map(|c| c.id);
        let held = self.latest_held().map(|c| c.id);
        match (active, ringing, held) {
            (Some(a), Some(r), _) => {
                self.actions.push_back(DeskOutput::Act(Action::Hold {
                    call: a,
                    held: true,
                }));
                self.actions.push_back(DeskOutput::Act(Action::Answer {
                    call: r,
                    audio: None,
                }));
            }
            (Some(a), None, Some(h)) => {
                self.actions.push_back(DeskOutput::Act(Action::Hold {
                    call: a,
                    held: true,
                }));
                self.actions.push_back(DeskOutput::Act(Action::Hold {
                    call: h,
                    held: false,
                }));
            }
            (Some(a), None, None) => self.actions.push_back(DeskOutput::Act(Action::Hold {
                call: a,
                held: true,
            })),
            (None, Some(r), _) if self.active().is_none() => {
                self.actions.push_back(DeskOutput::Act(Action::Answer {
                    call: r,
                    audio: None,
                }));
            }
            (None, None, Some(h)) if self.active().is_none() => {
                self.actions.push_back(DeskOutput::Act(Action::Hold {
                    call: h,
                    held: false,
                }));
            }
            _ => {}
        }
    }

    /// Transfer: with a held call too, connect the two (attended); alone,
    /// type where the call goes (blind); pressed again, never mind.
    fn transfer_button(&mut self, now: Instant) {
        if matches!(self.keypad, Keypad::Transferring { .. }) {
            self.keypad = Keypad::Calls;
            return;
        }
        let Some(active) = self
            .active()
            .filter(|c| c.stage == Stage::Connected)
            .map(|c| c.id)
        else {
            return;
        };
        if let Some(held) = self.latest_held().map(|c| c.id) {
            self.actions
                .push_back(DeskOutput::Act(Action::TransferAttended {
                    call: held,
                    to_call: active,
                }));
        } else {
            self.keypad = Keypad::Transferring {
                call: active,
                digits: String::new(),
                deadline: now + self.cfg.dial_plan.first_digit(),
            };
        }
    }
}
