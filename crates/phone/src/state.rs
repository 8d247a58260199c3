//! The one published state: what the phone is doing now, folded from its
//! events. The engine keeps it current ([`crate::Engine::state`], a watch
//! channel); the window, the tray and `hookswitch calls` draw it and keep no
//! copy of their own. [`PhoneState::apply`] is the only way it changes, so the
//! state is always the fold of the events that were sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::call_handling::ForwardReason;
use crate::event::{CallId, DeviceChange, MediaDirection, PhoneEvent, RegistrationPhase};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhoneState {
    /// The address we take SIP on, once the engine is ready.
    pub sip: Option<String>,
    /// The address our SDP names for media, once it changed from `sip`'s.
    pub media_address: Option<String>,
    /// By account name: where its registration stands.
    pub registrations: BTreeMap<String, RegistrationView>,
    /// Call handling tables: `account: None` is the shared one (calls to no
    /// account and accounts without a table of their own).
    pub handling: Vec<HandlingView>,
    /// Some table has DND on (the devices' DND LED).
    pub dnd: bool,
    /// Voicemail by account (`None`: news for no account of ours).
    pub voicemail: Vec<VoicemailView>,
    pub sound: SoundView,
    /// Calls in progress, oldest first.
    pub calls: Vec<CallView>,
    /// The call device buttons act on.
    pub focus: Option<CallId>,
    /// Digits typed on a device's keypad while it has dial tone.
    pub dialing: Option<String>,
    /// Call-control devices in use.
    pub devices: Vec<DeviceView>,
    /// Devices found but not usable, with why.
    pub unusable_devices: Vec<UnusableDevice>,
    /// What every device shows.
    pub leds: hookswitch_hid::DeviceState,
    /// Our presence and the contacts we watch.
    pub presence: PresenceView,
    /// Busy lamps, by account then extension as configured.
    pub lamps: Vec<LampView>,
    /// The calls in our conference (empty: none).
    pub conference: Vec<CallId>,
    /// Accounts' credit at their providers (those with a balance URL).
    pub balances: Vec<BalanceView>,
}

/// An account's credit as the faces show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BalanceView {
    pub account: String,
    /// The last amount read (none yet).
    pub amount: Option<f64>,
    pub currency: String,
    /// Under the account's `low`.
    pub low: bool,
    /// Why the latest check failed (none: it worked).
    pub error: Option<String>,
    /// Checks done so far (a face that asked for one sees it is done).
    pub checks: u32,
}

impl BalanceView {
    /// What a `Balance` event says, as a view (`checks`: 0, the state counts).
    pub fn of_event(e: &PhoneEvent) -> Option<BalanceView> {
        match e {
            PhoneEvent::Balance {
                account,
                amount,
                currency,
                low,
                error,
            } => Some(BalanceView {
                account: account.clone(),
                amount: *amount,
                currency: currency.clone(),
                low: *low,
                error: error.clone(),
                checks: 0,
            }),
            _ => None,
        }
    }

    /// "12.50 EUR", "4.20 EUR (low)", "unknown (could not check: ...)".
    pub fn summary(&self) -> String {
        let mut text = match self.amount {
            Some(a) => format!("{a:.2} {}", self.currency).trim_end().to_string(),
            None => "unknown".to_string(),
        };
        if self.low {
            text.push_str(" (low)");
        }
        if let Some(e) = &self.error {
            text.push_str(&format!(" (could not check: {e})"));
        }
        text
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LampView {
    pub account: String,
    pub extension: String,
    pub lamp: crate::event::LampPhase,
    pub caller: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PresenceView {
    /// What shows to others (after the automatic rules).
    pub availability: crate::event::Availability,
    /// What we chose.
    pub chosen: crate::event::Availability,
    pub note: Option<String>,
    /// Watched contacts, in the order they were added.
    pub watched: Vec<WatchedView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WatchedView {
    pub target: String,
    pub availability: crate::event::Availability,
    pub note: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RegistrationView {
    pub state: RegistrationPhase,
    pub detail: Option<String>,
    pub status: Option<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HandlingView {
    pub account: Option<String>,
    pub dnd: bool,
    pub forward_always: Option<String>,
    pub forward_busy: Option<String>,
    pub forward_no_answer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VoicemailView {
    pub account: Option<String>,
    pub waiting: bool,
    pub new: Option<u32>,
    pub old: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SoundView {
    pub microphone: String,
    pub speaker: String,
    pub ring_device: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum CallPhase {
    /// Ours, sent, nothing heard back yet.
    Calling,
    /// Ours, the other side rings (or plays early media).
    RingingOut,
    /// Theirs, ringing here.
    Incoming,
    Connected,
}

/// The latest thing worth telling about a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallNote {
    /// 180 Ringing, 183 Session Progress.
    Progress { status: u16, reason: String },
    /// The peer refused our hold (`held`) or resume.
    HoldRefused { held: bool, status: u16 },
    /// Where the transfer we asked for stands.
    Transfer { status: u16, done: bool },
    /// A recording could not start.
    RecordingFailed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CallView {
    pub id: CallId,
    pub outgoing: bool,
    /// Who is at the other end (a name-addr, with a display name when given).
    pub remote: String,
    pub account: Option<String>,
    pub phase: CallPhase,
    /// On hold by us.
    pub held: bool,
    pub muted: bool,
    pub speaker_percent: u16,
    pub microphone_percent: u16,
    pub codec: Option<String>,
    pub encryption: Option<String>,
    /// How media flows since the last re-offer (`sendonly` from us: held;
    /// `recvonly`: the peer holds us).
    pub media_direction: Option<MediaDirection>,
    pub note: Option<CallNote>,
    /// It takes the place of this call of ours (an attended transfer).
    pub replaces: Option<CallId>,
    /// The file the call is being recorded to.
    pub recording: Option<String>,
    /// The address book's name for the other party, once it is known.
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeviceView {
    pub id: u64,
    pub name: String,
    /// Its device profile, when one matched.
    pub profile: Option<String>,
    /// A headset (handset, speakerphone) or a busylight.
    #[serde(default)]
    pub kind: hookswitch_devices::DeviceKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnusableDevice {
    pub path: String,
    /// What to do about it.
    pub detail: Option<String>,
    pub problem: Option<hookswitch_devices::DeviceProblem>,
}

impl PhoneState {
    /// The state after `e`.
    pub fn apply(&mut self, e: &PhoneEvent) {
        match e {
            PhoneEvent::Ready { sip } => self.sip = Some(sip.clone()),
            PhoneEvent::AddressChanged { sip, media, .. } => {
                self.sip = Some(sip.clone());
                self.media_address = Some(media.clone());
            }
            PhoneEvent::Registration {
                account,
                state,
                detail,
                status,
            } => {
                self.registrations.insert(
                    account.clone(),
                    RegistrationView {
                        state: *state,
                        detail: detail.clone(),
                        status: *status,
                    },
                );
            }
            PhoneEvent::IncomingCall {
                call,
                from,
                account,
                replaces,
                ..
            } => self.add_call(*call, false, from, account, *replaces),
            PhoneEvent::Calling { call, to, account } => {
                self.add_call(*call, true, to, account, None)
            }
            PhoneEvent::Progress {
                call,
                status,
                reason,
            } => self.with_call(*call, |c| {
                c.phase = CallPhase::RingingOut;
                c.note = Some(CallNote::Progress {
                    status: *status,
                    reason: reason.clone(),
                });
            }),
            PhoneEvent::Established {
                call,
                codec,
                encryption,
                ..
            } => self.with_call(*call, |c| {
                c.phase = CallPhase::Connected;
                c.codec = Some(codec.clone());
                c.encryption = encryption.clone();
                c.note = None;
            }),
            PhoneEvent::TransferProgress { call, status, done } => self.with_call(*call, |c| {
                c.note = Some(CallNote::Transfer {
                    status: *status,
                    done: *done,
                })
            }),
            PhoneEvent::Held { call, held } => self.with_call(*call, |c| {
                c.held = *held;
                c.note = None;
            }),
            PhoneEvent::HoldFailed { call, held, status } => self.with_call(*call, |c| {
                c.held = !held;
                c.note = Some(CallNote::HoldRefused {
                    held: *held,
                    status: *status,
                });
            }),
            PhoneEvent::Muted { call, muted } => self.with_call(*call, |c| c.muted = *muted),
            PhoneEvent::Volume {
                call,
                speaker_percent,
                microphone_percent,
            } => self.with_call(*call, |c| {
                c.speaker_percent = speaker_percent.unwrap_or(c.speaker_percent);
                c.microphone_percent = microphone_percent.unwrap_or(c.microphone_percent);
            }),
            PhoneEvent::MediaUpdated { call, direction } => {
                self.with_call(*call, |c| c.media_direction = Some(*direction))
            }
            PhoneEvent::Ended { call, .. } => self.calls.retain(|c| c.id != *call),
            PhoneEvent::Dnd { account, on } => {
                self.table(account).dnd = *on;
                self.dnd = self.handling.iter().any(|h| h.dnd);
            }
            PhoneEvent::Forwarding {
                account,
                when,
                target,
            } => {
                let table = self.table(account);
                let slot = match when {
                    ForwardReason::Always => &mut table.forward_always,
                    ForwardReason::Busy => &mut table.forward_busy,
                    ForwardReason::NoAnswer => &mut table.forward_no_answer,
                };
                slot.clone_from(target);
            }
            PhoneEvent::SoundDevices {
                microphone,
                speaker,
                ring_device,
            } => {
                self.sound = SoundView {
                    microphone: microphone.clone(),
                    speaker: speaker.clone(),
                    ring_device: ring_device.clone(),
                }
            }
            PhoneEvent::MessageWaiting {
                account,
                waiting,
                new,
                old,
            } => {
                let view = VoicemailView {
                    account: account.clone(),
                    waiting: *waiting,
                    new: *new,
                    old: *old,
                };
                match self.voicemail.iter_mut().find(|v| v.account == *account) {
                    Some(v) => *v = view,
                    None => self.voicemail.push(view),
                }
            }
            PhoneEvent::Dialing { digits, done } => {
                self.dialing = (!done).then(|| digits.clone());
            }
            PhoneEvent::Device {
                device,
                name,
                change,
                detail,
                problem,
                kind,
            } => self.follow_device(*device, name, *change, detail, *problem, *kind),
            PhoneEvent::Leds { leds } => self.leds = *leds,
            PhoneEvent::Focus { call } => self.focus = *call,
            // Asks something of a face; the state does not change.
            PhoneEvent::WindowWanted => {}
            PhoneEvent::OwnPresence {
                availability,
                chosen,
                note,
            } => {
                self.presence.availability = *availability;
                self.presence.chosen = *chosen;
                self.presence.note = note.clone();
            }
            PhoneEvent::Presence {
                target,
                availability,
                note,
                detail,
            } => {
                let view = WatchedView {
                    target: target.clone(),
                    availability: *availability,
                    note: note.clone(),
                    detail: detail.clone(),
                };
                match self
                    .presence
                    .watched
                    .iter_mut()
                    .find(|w| w.target == *target)
                {
                    Some(w) => *w = view,
                    None => self.presence.watched.push(view),
                }
            }
            PhoneEvent::Conference { calls } => self.conference.clone_from(calls),
            PhoneEvent::Balance { account, .. } => {
                let checks = self
                    .balances
                    .iter()
                    .find(|b| b.account == *account)
                    .map_or(0, |b| b.checks);
                if let Some(mut view) = BalanceView::of_event(e) {
                    view.checks = checks.saturating_add(1);
                    match self.balances.iter_mut().find(|b| b.account == *account) {
                        Some(b) => *b = view,
                        None => self.balances.push(view),
                    }
                }
            }
            PhoneEvent::CallerIdentified { call, name, .. } => {
                self.with_call(*call, |c| c.contact = Some(name.clone()))
            }
            PhoneEvent::Recording { call, path, error } => self.with_call(*call, |c| {
                c.recording.clone_from(path);
                if let Some(reason) = error {
                    c.note = Some(CallNote::RecordingFailed {
                        reason: reason.clone(),
                    });
                }
            }),
            PhoneEvent::Lamp {
                account,
                extension,
                lamp,
                caller,
                detail,
            } => {
                let view = LampView {
                    account: account.clone(),
                    extension: extension.clone(),
                    lamp: *lamp,
                    caller: caller.clone(),
                    detail: detail.clone(),
                };
                match self
                    .lamps
                    .iter_mut()
                    .find(|l| l.account == *account && l.extension == *extension)
                {
                    Some(l) => *l = view,
                    None => self.lamps.push(view),
                }
            }
            PhoneEvent::Unwatched { target } => {
                self.presence.watched.retain(|w| w.target != *target);
            }
            // Messages are kept by their store (`crate::messages`), not here.
            PhoneEvent::Message { .. }
            | PhoneEvent::Composing { .. }
            | PhoneEvent::MessageSent { .. }
            | PhoneEvent::MessageDelivered { .. }
            | PhoneEvent::MessageFailed { .. } => {}
            PhoneEvent::Deflected { .. }
            | PhoneEvent::Transferring { .. }
            | PhoneEvent::DtmfReceived { .. }
            | PhoneEvent::PlaybackFinished { .. } => {}
        }
    }

    /// The state after every event of `events`, from nothing.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a PhoneEvent>) -> PhoneState {
        let mut s = PhoneState::default();
        for e in events {
            s.apply(e);
        }
        s
    }

    pub fn call(&self, id: CallId) -> Option<&CallView> {
        self.calls.iter().find(|c| c.id == id)
    }

    /// The call-handling table that applies to `account`: its own, else the shared one.
    pub fn handling_of(&self, account: Option<&str>) -> HandlingView {
        let own = account.and_then(|a| {
            self.handling
                .iter()
                .find(|h| h.account.as_deref() == Some(a))
        });
        own.or_else(|| self.handling.iter().find(|h| h.account.is_none()))
            .cloned()
            .unwrap_or_default()
    }

    fn add_call(
        &mut self,
        id: CallId,
        outgoing: bool,
        remote: &str,
        account: &Option<String>,
        replaces: Option<CallId>,
    ) {
        if self.call(id).is_some() {
            return;
        }
        self.calls.push(CallView {
            id,
            outgoing,
            remote: remote.to_string(),
            account: account.clone(),
            phase: if outgoing {
                CallPhase::Calling
            } else {
                CallPhase::Incoming
            },
            held: false,
            muted: false,
            speaker_percent: 100,
            microphone_percent: 100,
            codec: None,
            encryption: None,
            media_direction: None,
            note: None,
            replaces,
            recording: None,
            contact: None,
        });
    }

    fn with_call(&mut self, id: CallId, change: impl FnOnce(&mut CallView)) {
        if let Some(c) = self.calls.iter_mut().find(|c| c.id == id) {
            change(c);
        }
    }

    fn table(&mut self, account: &Option<String>) -> &mut HandlingView {
        let i = match self.handling.iter().position(|h| h.account == *account) {
            Some(i) => i,
            None => {
                self.handling.push(HandlingView {
                    account: account.clone(),
                    ..HandlingView::default()
                });
                self.handling.len() - 1
            }
        };
        &mut self.handling[i]
    }

    fn follow_device(
        &mut self,
        device: Option<u64>,
        name: &str,
        change: DeviceChange,
        detail: &Option<String>,
        problem: Option<hookswitch_devices::DeviceProblem>,
        kind: Option<hookswitch_devices::DeviceKind>,
    ) {
        match (change, device) {
            (DeviceChange::Added, Some(id)) => {
                self.devices.retain(|d| d.id != id);
                self.devices.push(DeviceView {
                    id,
                    name: name.to_string(),
                    profile: detail.clone(),
                    kind: kind.unwrap_or_default(),
                });
            }
            (DeviceChange::Removed, Some(id)) => self.devices.retain(|d| d.id != id),
            (DeviceChange::Removed, None) => self.unusable_devices.retain(|d| d.path != name),
            (DeviceChange::Unusable, _) => {
                self.unusable_devices.retain(|d| d.path != name);
                self.unusable_devices.push(UnusableDevice {
                    path: name.to_string(),
                    detail: detail.clone(),
                    problem,
                });
            }
            (DeviceChange::Added, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_devices::DeviceProblem;

    /// What the desktop's own copy used to keep (its `View`), now the
    /// phone's state: the latest registration, DND, unusable devices until
    /// they are unplugged.
    #[test]
    fn the_state_keeps_the_latest_of_each() {
        let reg = |state: RegistrationPhase| PhoneEvent::Registration {
            account: "work".into(),
            state,
            detail: None,
            status: None,
        };
        let device = |name: &str, change: DeviceChange| PhoneEvent::Device {
            device: None,
            name: name.into(),
            change,
            detail: (change == DeviceChange::Unusable).then(|| "permission denied".into()),
            problem: (change == DeviceChange::Unusable).then_some(DeviceProblem::NoAccess),
            kind: None,
        };
        let v = PhoneState::fold(&[
            PhoneEvent::Ready {
                sip: "192.0.2.1:5060".into(),
            },
            reg(RegistrationPhase::Registering),
            reg(RegistrationPhase::Registered),
            PhoneEvent::Dnd {
                account: None,
                on: true,
            },
            device("/dev/hidraw3", DeviceChange::Unusable),
            device("/dev/hidraw4", DeviceChange::Unusable),
            device("/dev/hidraw4", DeviceChange::Removed),
        ]);
        assert_eq!(v.sip.as_deref(), Some("192.0.2.1:5060"));
        assert_eq!(v.registrations["work"].state, RegistrationPhase::Registered);
        assert!(v.dnd && v.handling_of(None).dnd);
        assert_eq!(
            v.unusable_devices
                .iter()
                .map(|d| d.path.as_str())
                .collect::<Vec<_>>(),
            ["/dev/hidraw3"],
            "the unplugged one is forgotten"
        );
        assert_eq!(v.unusable_devices[0].problem, Some(DeviceProblem::NoAccess));
    }

    /// A call's life in the state: phase, notes, hold and its end.
    #[test]
    fn calls_follow_their_events() {
        let mut s = PhoneState::default();
        s.apply(&PhoneEvent::Calling {
            call: 1,
            to: "sip:bob@example.com".into(),
            account: Some("work".into()),
        });
        assert_eq!(s.call(1).map(|c| c.phase), Some(CallPhase::Calling));
        s.apply(&PhoneEvent::Progress {
            call: 1,
            status: 180,
            reason: "Ringing".into(),
        });
        assert_eq!(s.call(1).map(|c| c.phase), Some(CallPhase::RingingOut));
        s.apply(&PhoneEvent::Established {
            call: 1,
            codec: "PCMU".into(),
            remote_media: None,
            encryption: None,
        });
        s.apply(&PhoneEvent::HoldFailed {
            call: 1,
            held: true,
            status: 488,
        });
        let c = s.call(1).unwrap();
        assert_eq!((c.phase, c.held), (CallPhase::Connected, false));
        assert_eq!(
            c.note,
            Some(CallNote::HoldRefused {
                held: true,
                status: 488
            })
        );
        s.apply(&PhoneEvent::Ended {
            call: 1,
            reason: crate::event::EndReason::Remote,
            status: None,
            detail: None,
            stats: None,
        });
        assert!(s.calls.is_empty());
    }
}
