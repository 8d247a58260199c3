//! The desk in the core: device gestures go into the desk
//! (`crate::desk`, PHONE-BEHAVIOUR.md), its verbs are carried out as any
//! face's are, and what the devices show, the focused call and the ring are
//! told whenever they change.

use std::time::Instant;

use hookswitch_devices::DeviceEvent;
use hookswitch_media::progress::ProgressTone;

use super::{Origin, Output, PhoneCore, Sound};
use crate::audio::RingSound;
use crate::desk::{DeskOutput, LocalTone};
use crate::event::{DeviceChange, PhoneEvent};
use crate::state::CallPhase;

impl PhoneCore {
    pub(super) fn on_device(&mut self, now: Instant, e: DeviceEvent) {
        match e {
            DeviceEvent::Input { id, input, .. } => {
                tracing::debug!(device = %id, ?input, "device input");
                self.desk.on_input(now, id, input);
            }
            DeviceEvent::Added(info) => {
                self.desk
                    .device_added(info.id, info.hook_follows_host, &info.buttons);
                if let Some(sound) = &info.sound_device {
                    tracing::info!(device = %info.id, %sound, "calls from it use its sound card");
                    self.sound_cards.insert(info.id, sound.clone());
                }
                self.emit(
                    now,
                    PhoneEvent::Device {
                        device: Some(info.id.0),
                        name: info.display_name(),
                        change: DeviceChange::Added,
                        detail: info.profile.clone(),
                        problem: None,
                        kind: Some(info.kind),
                    },
                );
            }
            DeviceEvent::Removed(id) => {
                self.desk.device_removed(id);
                self.sound_cards.remove(&id);
                self.emit(
                    now,
                    PhoneEvent::Device {
                        device: Some(id.0),
                        name: String::new(),
                        change: DeviceChange::Removed,
                        detail: None,
                        problem: None,
                        kind: None,
                    },
                );
            }
            DeviceEvent::Unusable {
                path,
                reason,
                problem,
            } => self.emit(
                now,
                PhoneEvent::Device {
                    device: None,
                    name: path,
                    change: DeviceChange::Unusable,
                    detail: Some(reason),
                    problem: Some(problem),
                    kind: None,
                },
            ),
            DeviceEvent::UnusableGone { path } => self.emit(
                now,
                PhoneEvent::Device {
                    device: None,
                    name: path,
                    change: DeviceChange::Removed,
                    detail: None,
                    problem: None,
                    kind: None,
                },
            ),
            // What was written is the edge's to show in live views.
            DeviceEvent::Shown { .. } => {}
        }
    }

    /// Carries out what the desk asked and passes on its events; true if
    /// there was anything.
    pub(super) fn run_desk(&mut self, now: Instant) -> bool {
        let mut progressed = false;
        while let Some(o) = self.desk.poll_output() {
            progressed = true;
            match o {
                DeskOutput::Act(a) => self.act(now, a, Origin::Desk),
                DeskOutput::Tone(t) => self.play_tone(t),
                DeskOutput::SpeedDial(digit) => {
                    self.outputs.push_back(Output::SpeedDial { digit });
                }
                DeskOutput::Window => self.emit(now, PhoneEvent::WindowWanted),
                DeskOutput::ToggleAway => self.toggle_away(now),
            }
        }
        while let Some(e) = self.desk.poll_event() {
            progressed = true;
            self.emit(now, e);
        }
        progressed
    }

    /// A local tone on the acting device's speaker (none: no tone).
    fn play_tone(&mut self, tone: Option<LocalTone>) {
        let speaker = self.phone_audio(Origin::Desk).speaker;
        let sound = match (tone, speaker) {
            (Some(tone), Some(device)) => {
                let kind = match tone {
                    LocalTone::Dial => ProgressTone::Dial,
                    LocalTone::Busy => ProgressTone::Busy,
                };
                Some(Sound {
                    device,
                    sound: RingSound::Progress(self.settings.sound.tones.tone(kind)),
                })
            }
            _ => None,
        };
        self.outputs.push_back(Output::Tone(sound));
    }

    /// Tells what changed for the devices: what they show, the focused
    /// call, and whether the ring device rings.
    pub(super) fn publish(&mut self, now: Instant) {
        let mut leds = self.desk.device_state();
        leds.presence = self.light_presence();
        if self.shown != Some(leds) {
            self.shown = Some(leds);
            self.emit(now, PhoneEvent::Leds { leds });
            self.outputs.push_back(Output::Show(leds));
            self.desk.off_hook_shown(leds.off_hook);
        }
        let focus = self.desk.focused();
        if self.focus != Some(focus) {
            self.focus = Some(focus);
            self.emit(now, PhoneEvent::Focus { call: focus });
        }
        let caller = self.caller_to_show();
        if self.caller_shown.as_ref() != Some(&caller) {
            self.caller_shown = Some(caller.clone());
            self.outputs.push_back(Output::ShowCaller(caller));
        }
        let ringing = self
            .state
            .calls
            .iter()
            .any(|c| c.phase == CallPhase::Incoming)
            && self.settings.sound.ring_device.is_some();
        if ringing != self.ringing {
            self.ringing = ringing;
            let sound = self
                .settings
                .sound
                .ring_device
                .clone()
                .filter(|_| ringing)
                .map(|device| Sound {
                    device,
                    sound: self.settings.sound.ring_sound(),
                });
            self.outputs.push_back(Output::Ring(sound));
        }
    }
}
