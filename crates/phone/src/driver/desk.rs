//! The desk in the driver: device gestures go into the desk, its actions are
//! carried out by the same code the API uses, and its state is shown on every
//! device whenever it changes.

use std::time::Instant;

use hookswitch_devices::hotplug::Hotplug;
use hookswitch_devices::{DeviceEvent, DeviceId, DeviceManager};
use hookswitch_hid::DeviceState;
use hookswitch_media::progress::{Country, ProgressTone};
use hookswitch_sip::ua;

use super::Driver;
use super::media::MediaControl;
use crate::api::{DeviceActivity, EngineError, PhoneEvent};
use crate::audio::{AudioSpec, Gain, RingSound, Ringer};
use crate::config::DeviceSettings;
use crate::desk::{Desk, DeskAction, LocalTone};
use crate::driver::HandlingChange;

/// What the driver keeps for the desk.
pub struct DeskEdge {
    pub desk: Desk,
    pub devices: DeviceManager,
    /// What the devices show now (`None` before the first mirror).
    shown: Option<DeviceState>,
    /// The sound devices of calls answered or placed from a device.
    settings: DeviceSettings,
    /// Each device's own sound card, when it has one.
    sound_devices: std::collections::HashMap<DeviceId, String>,
    tones: Country,
    tone: Option<Ringer>,
    /// Calls placed from a device go from this account.
    account: Option<String>,
    /// Real devices come and go through this watcher (none in tests).
    _hotplug: Option<Hotplug>,
    /// Gestures and LED reports as they happen, for live views.
    activity: tokio::sync::broadcast::Sender<DeviceActivity>,
}

impl DeskEdge {
    pub fn new(
        desk: Desk,
        devices: DeviceManager,
        hotplug: Option<Hotplug>,
        settings: DeviceSettings,
        tones: Country,
        account: Option<String>,
        activity: tokio::sync::broadcast::Sender<DeviceActivity>,
    ) -> DeskEdge {
        DeskEdge {
            desk,
            devices,
            shown: None,
            settings,
            sound_devices: Default::default(),
            tones,
            tone: None,
            account,
            _hotplug: hotplug,
            activity,
        }
    }

    /// Shows the desk's state on every device, if it changed (true then).
    fn mirror(&mut self) -> bool {
        let state = self.desk.device_state();
        if self.shown == Some(state) {
            return false;
        }
        self.shown = Some(state);
        self.devices.show(state);
        self.desk.off_hook_shown(state.off_hook);
        true
    }

    /// The sound of what the acting device does: its own sound card when
    /// the setting is "auto" and it has one.
    fn audio(&self) -> AudioSpec {
        self.audio_of(self.desk.acting_device())
    }

    /// The sound of calls no device acted on (auto-answer).
    pub fn default_audio(&self) -> AudioSpec {
        self.audio_of(None)
    }

    fn audio_of(&self, device: Option<DeviceId>) -> AudioSpec {
        let paired = device.and_then(|d| self.sound_devices.get(&d));
        self.settings.audio(paired.map(String::as_str))
    }

    fn play(&mut self, tone: Option<LocalTone>) {
        self.tone = None;
        let (Some(tone), Some(device)) = (tone, self.audio().speaker) else {
            return;
        };
        let kind = match tone {
            LocalTone::Dial => ProgressTone::Dial,
            LocalTone::Busy => ProgressTone::Busy,
        };
        match Ringer::start(&device, &RingSound::Progress(self.tones.tone(kind))) {
            Ok(r) => self.tone = Some(r),
            Err(e) => tracing::warn!("cannot play the {kind:?} tone: {e}"),
        }
    }

    /// At exit: every LED off, every device closed.
    pub fn close(&mut self) {
        self.tone = None;
        self.devices.show(DeviceState::default());
        self.devices.close_all();
    }
}

impl Driver {
    pub(super) fn on_device_event(&mut self, e: DeviceEvent) {
        let now = Instant::now();
        match e {
            DeviceEvent::Input { id, input, at } => {
                tracing::debug!(device = %id, ?input, "device input");
                self.stopwatch.input_at.get_or_insert(at);
                self.stopwatch.changed_at.get_or_insert(at);
                self.desk.desk.on_input(now, id, input);
                // Nobody watching is the usual case, not an error.
                let _ = self.desk.activity.send(DeviceActivity::Input {
                    device: id.0,
                    input,
                });
            }
            DeviceEvent::Added(info) => {
                self.desk.desk.device_added(info.id, info.hook_follows_host);
                if let Some(sound) = &info.sound_device {
                    tracing::info!(device = %info.id, %sound, "calls from it use its sound card");
                    self.desk.sound_devices.insert(info.id, sound.clone());
                }
                self.emit(PhoneEvent::Device {
                    device: Some(info.id.0),
                    name: info.display_name(),
                    change: "added".into(),
                    detail: info.profile.clone(),
                    problem: None,
                });
            }
            DeviceEvent::Removed(id) => {
                self.desk.desk.device_removed(id);
                self.desk.sound_devices.remove(&id);
                self.emit(PhoneEvent::Device {
                    device: Some(id.0),
                    name: String::new(),
                    change: "removed".into(),
                    detail: None,
                    problem: None,
                });
            }
            DeviceEvent::Unusable {
                path,
                reason,
                problem,
            } => self.emit(PhoneEvent::Device {
                device: None,
                name: path,
                change: "unusable".into(),
                detail: Some(reason),
                problem: Some(problem),
            }),
            DeviceEvent::UnusableGone { path } => self.emit(PhoneEvent::Device {
                device: None,
                name: path,
                change: "removed".into(),
                detail: None,
                problem: None,
            }),
            DeviceEvent::Shown { id, report } => {
                if self.desk.activity.receiver_count() > 0 {
                    let _ = self.desk.activity.send(DeviceActivity::Shown {
                        device: id.0,
                        report: hookswitch_hid::hex_line(&report),
                        leds: self.desk.shown.unwrap_or_default(),
                    });
                }
            }
        }
    }

    /// Carries out what the desk asked and passes on its events; true if
    /// there was anything.
    pub(super) fn run_desk(&mut self) -> bool {
        let mut progressed = false;
        while let Some(a) = self.desk.desk.poll_action() {
            progressed = true;
            if let Err(e) = self.desk_action(&a) {
                tracing::warn!("device action {a:?} failed: {e}");
            }
        }
        while let Some(e) = self.desk.desk.poll_event() {
            progressed = true;
            self.emit(e);
        }
        progressed
    }

    /// Shows the state on the devices (after everything else settled), and
    /// times it; what was timed this turn is done with.
    pub(super) fn mirror_desk(&mut self) {
        let changed_at = self.stopwatch.changed_at.take();
        self.stopwatch.input_at = None;
        if self.desk.mirror()
            && let Some(at) = changed_at
        {
            self.stopwatch.state_to_led.record(at.elapsed());
        }
    }

    fn desk_action(&mut self, a: &DeskAction) -> Result<(), EngineError> {
        let now = Instant::now();
        match *a {
            DeskAction::Place(ref number) => {
                let account = self.desk.account.clone();
                let audio = self.desk.audio();
                let placed = self.place_call(now, number, account.as_deref(), audio);
                if placed.is_err() {
                    self.desk.desk.place_failed();
                }
                placed.map(|_| ())
            }
            DeskAction::Answer(call) => self.answer(now, call, self.desk.audio()),
            DeskAction::Reject(call, status) => self.refuse(now, call, status),
            DeskAction::Hangup(call) => self
                .ua
                .hangup(now, ua::CallId(call))
                .map_err(|_| EngineError::NoSuchCall(call)),
            DeskAction::Dtmf(call, key) => {
                self.tell_media(call, MediaControl::Dtmf(key.to_string()))
            }
            DeskAction::Mute(call, muted) => self.mute(call, muted),
            DeskAction::Hold(call, held) => self.hold(now, call, held),
            DeskAction::Transfer { call, ref target } => self.transfer(now, call, target),
            DeskAction::TransferAttended { call, consult } => {
                self.transfer_attended(now, call, consult)
            }
            DeskAction::Dnd(on) => {
                let mut accounts: Vec<Option<String>> = self
                    .settings
                    .account_names
                    .iter()
                    .cloned()
                    .map(Some)
                    .collect();
                accounts.push(None);
                for account in accounts {
                    self.change_handling(account.as_deref(), HandlingChange::Dnd(on))?;
                }
                Ok(())
            }
            DeskAction::Volume {
                call,
                speaker_percent,
            } => self.set_volume(call, Gain::from_percent(speaker_percent), None),
            DeskAction::Tone(tone) => {
                self.desk.play(tone);
                Ok(())
            }
        }
    }
}
