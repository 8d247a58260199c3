//! The desk: what the call-control devices on it (headsets, handsets,
//! speakerphones) do to calls, and what the calls show on them. This is
//! `PHONE-BEHAVIOUR.md` as a sans-IO state machine: in go device gestures,
//! the engine's own events (whoever caused them: a device, the app, the CLI,
//! the remote party) and the time; out come actions for the engine, the state
//! every device mirrors, and events.

pub mod buttons;
pub mod dial_plan;
mod focus;
mod input;
mod observe;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use hookswitch_devices::DeviceId;

use crate::action::Action;
use crate::event::{CallId, PhoneEvent};
use dial_plan::Collect;
pub use dial_plan::DialPlan;

/// A tone the desk plays on the devices' audio while no call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTone {
    /// Off-hook with no call: type a number.
    Dial,
    /// The other side hung up while a handset is still lifted.
    Busy,
}

/// What the desk asks for: a verb of the one vocabulary, carried out as any
/// face's is, or a tone on the acting device's speaker.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskOutput {
    Act(Action),
    /// Start (or with `None`, stop) a local tone.
    Tone(Option<LocalTone>),
    /// Call what speed dial key `digit` holds (the address book knows).
    SpeedDial(u8),
    /// A button asks for the window.
    Window,
    /// A button toggles our presence between away and available.
    ToggleAway,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeskConfig {
    pub dial_plan: DialPlan,
    /// The answer when a ringing call is declined from a device.
    pub reject_status: u16,
    /// A held call left alone after hanging up the other rings back after this.
    pub ring_back_after: Duration,
    /// Volume buttons move the earpiece by this many percent.
    pub volume_step: u16,
    /// What programmable and vendor buttons do on every device (before
    /// what a device's profile says).
    pub buttons: Vec<(hookswitch_hid::ButtonName, buttons::ButtonAction)>,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            dial_plan: DialPlan::default(),
            reject_status: 486,
            ring_back_after: Duration::from_secs(2),
            volume_step: 10,
            buttons: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Incoming, not answered.
    Ringing,
    /// Outgoing, not answered.
    Calling,
    Connected,
}

#[derive(Debug, Clone)]
struct DeskCall {
    id: CallId,
    stage: Stage,
    held: bool,
    muted: bool,
    speaker_percent: u16,
    /// When it last became active or held (larger: more recent).
    touched: u64,
}

/// What the keypad is typing into.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Keypad {
    /// Keys are DTMF in the focused call (or ignored with none).
    Calls,
    /// Off-hook with no call: a number to call.
    Dialing { digits: String, deadline: Instant },
    /// After Transfer: where to send the focused call.
    Transferring {
        call: CallId,
        digits: String,
        deadline: Instant,
    },
}

/// A held call left alone rings back, so it is not forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingBack {
    None,
    Due(CallId, Instant),
    Ringing(CallId),
}

pub struct Desk {
    cfg: DeskConfig,
    calls: Vec<DeskCall>,
    keypad: Keypad,
    /// Devices with an absolute hook switch that are lifted now.
    lifted: BTreeSet<DeviceId>,
    /// Devices whose hook follows our Off-Hook LED (Jabra-class headsets):
    /// a headset, not a handset someone holds.
    following: BTreeSet<DeviceId>,
    /// The device of the last gesture: its sound card carries what it does.
    acting: Option<DeviceId>,
    busy_tone: bool,
    ring_back: RingBack,
    dnd: bool,
    /// DND per account (`None`: calls to no account), as the engine says.
    dnd_by_account: BTreeMap<Option<String>, bool>,
    message_waiting: bool,
    /// Voicemail per account, as the PBX last said.
    mwi_by_account: BTreeMap<Option<String>, bool>,
    last_dialed: Option<String>,
    /// The calls in our conference, as the engine says.
    conference: Vec<CallId>,
    clock: u64,
    actions: VecDeque<DeskOutput>,
    events: VecDeque<PhoneEvent>,
    /// What each device's profile maps its buttons to.
    device_buttons: BTreeMap<DeviceId, Vec<(hookswitch_hid::ButtonName, buttons::ButtonAction)>>,
}

impl Desk {
    pub fn new(cfg: DeskConfig) -> Desk {
        Desk {
            cfg,
            calls: Vec::new(),
            keypad: Keypad::Calls,
            lifted: BTreeSet::new(),
            following: BTreeSet::new(),
            acting: None,
            busy_tone: false,
            ring_back: RingBack::None,
            dnd: false,
            dnd_by_account: BTreeMap::new(),
            message_waiting: false,
            mwi_by_account: BTreeMap::new(),
            last_dialed: None,
            conference: Vec::new(),
            clock: 0,
            actions: VecDeque::new(),
            events: VecDeque::new(),
            device_buttons: BTreeMap::new(),
        }
    }

    /// A device arrived; `hook_follows_host`: its hook echoes our Off-Hook
    /// LED; `buttons`: what its profile says its buttons do.
    pub fn device_added(
        &mut self,
        device: DeviceId,
        hook_follows_host: bool,
        buttons: &[hookswitch_hid::ButtonMapping],
    ) {
        if hook_follows_host {
            self.following.insert(device);
        }
        if !buttons.is_empty() {
            self.device_buttons
                .insert(device, buttons::parse_mappings(buttons));
        }
    }

    /// A device left: whatever its hook said no longer counts.
    pub fn device_removed(&mut self, device: DeviceId) {
        self.device_buttons.remove(&device);
        self.lifted.remove(&device);
        self.following.remove(&device);
    }

    /// The devices were shown `off_hook`: those whose hook follows it are
    /// on their hook now (their echo of it is filtered as no gesture).
    pub fn off_hook_shown(&mut self, off_hook: bool) {
        if !off_hook {
            let following = &self.following;
            self.lifted.retain(|d| !following.contains(d));
        }
    }

    /// The number dialed from the desk could not be called (no account, a
    /// bad number): a handset still lifted hears the busy tone.
    pub fn place_failed(&mut self) {
        if self.handset_lifted() && self.active().is_none() && !self.busy_tone {
            self.busy_tone = true;
            self.actions
                .push_back(DeskOutput::Tone(Some(LocalTone::Busy)));
        }
    }

    /// The device whose gesture caused the actions being carried out.
    pub fn acting_device(&self) -> Option<DeviceId> {
        self.acting
    }

    /// A handset someone holds is lifted (not a headset that follows us).
    fn handset_lifted(&self) -> bool {
        self.lifted.iter().any(|d| !self.following.contains(d))
    }

    pub fn poll_output(&mut self) -> Option<DeskOutput> {
        self.actions.pop_front()
    }

    /// Events for the engine's subscribers (what is being dialed).
    pub fn poll_event(&mut self) -> Option<PhoneEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let keypad = match &self.keypad {
            Keypad::Calls => None,
            Keypad::Dialing { deadline, .. } | Keypad::Transferring { deadline, .. } => {
                Some(*deadline)
            }
        };
        let ring_back = match self.ring_back {
            RingBack::Due(_, at) => Some(at),
            _ => None,
        };
        [keypad, ring_back].into_iter().flatten().min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        match &self.keypad {
            Keypad::Dialing { digits, deadline } if *deadline <= now => {
                if digits.is_empty() {
                    self.stop_dialing();
                } else {
                    let number = self.cfg.dial_plan.number(digits);
                    self.dial(number);
                }
            }
            Keypad::Transferring {
                call,
                digits,
                deadline,
            } if *deadline <= now => {
                let (call, target) = (*call, self.cfg.dial_plan.target(digits));
                self.transfer_to(call, target);
            }
            _ => {}
        }
        if let RingBack::Due(call, at) = self.ring_back
            && at <= now
        {
            self.ring_back = if self.is_held(call) && self.active().is_none() {
                RingBack::Ringing(call)
            } else {
                RingBack::None
            };
        }
    }

    /// Keys typed so far go out as a call.
    fn dial(&mut self, number: String) {
        self.keypad = Keypad::Calls;
        self.events.push_back(PhoneEvent::Dialing {
            digits: number.clone(),
            done: true,
        });
        self.actions.push_back(DeskOutput::Act(Action::Call {
            target: number,
            account: None,
            audio: None,
        }));
    }

    /// The Speed Dial button after one digit: that key's contact is called
    /// (from this device, as a dialled number would be).
    fn speed_dial(&mut self) {
        let Keypad::Dialing { digits, .. } = &self.keypad else {
            return;
        };
        let digit = match digits.as_bytes() {
            [d @ b'1'..=b'9'] => d - b'0',
            _ => {
                tracing::debug!(%digits, "Speed Dial wants one digit 1-9 first");
                return;
            }
        };
        self.keypad = Keypad::Calls;
        self.events.push_back(PhoneEvent::Dialing {
            digits: String::new(),
            done: true,
        });
        self.actions.push_back(DeskOutput::SpeedDial(digit));
    }

    /// Dialing given up (hung up, or no key for too long).
    fn stop_dialing(&mut self) {
        if let Keypad::Dialing { digits, .. } = &self.keypad {
            if digits.is_empty() {
                // The dial tone still plays (the first key stops it).
                self.actions.push_back(DeskOutput::Tone(None));
            }
            self.keypad = Keypad::Calls;
            self.events.push_back(PhoneEvent::Dialing {
                digits: String::new(),
                done: true,
            });
        }
    }

    /// Transfer dialing ends: `call` goes to `target` (none typed: nowhere).
    fn transfer_to(&mut self, call: CallId, target: Option<String>) {
        self.keypad = Keypad::Calls;
        if let Some(target) = target {
            self.actions
                .push_back(DeskOutput::Act(Action::Transfer { call, target }));
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn call_mut(&mut self, id: CallId) -> Option<&mut DeskCall> {
        self.calls.iter_mut().find(|c| c.id == id)
    }

    fn is_held(&self, id: CallId) -> bool {
        self.calls.iter().any(|c| c.id == id && c.held)
    }
}

#[cfg(test)]
mod tests;
