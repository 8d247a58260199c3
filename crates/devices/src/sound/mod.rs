//! Sound devices. A call reads and writes 20 ms frames at its codec's rate;
//! the device runs its own period at its own rate. Between them: a lock-free
//! ring buffer (`ringbuf`) and, where the rates differ, a resampler (`rubato`).
//!
//! Back ends (`backend`): PulseAudio's own client library for the system
//! default when a PulseAudio (or PipeWire-Pulse) server answers, else any ALSA
//! device through cpal. Each stream runs on a thread of its own (cpal's
//! streams are not `Send`, PulseAudio's blocking reads need one); the
//! `Capture` and `Playback` handles hold only the ring's other end, so they
//! can move into the call's task. Devices are listed by their ALSA names.

mod backend;
pub mod echo;
mod recover;
mod stream;

pub use recover::{Microphone, Speaker};
pub use stream::{Capture, Playback, SoundStats};

use cpal::traits::{DeviceTrait, HostTrait};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SoundError {
    #[error("no sound device named {0:?} (see `hookswitch audio-devices`)")]
    NoSuchDevice(String),
    #[error("no default {0} device")]
    NoDefault(&'static str),
    #[error("sound device {name}: {message}")]
    Device { name: String, message: String },
}

/// A sound device as the user picks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SoundDevice {
    /// What to pass as `--mic`/`--speaker` (ALSA's name: "default", "pulse", "hw:1,0").
    pub name: String,
    /// What the system calls it.
    pub description: String,
    pub input: bool,
    pub output: bool,
    pub default_input: bool,
    pub default_output: bool,
}

/// The system's sound devices.
pub fn list() -> Result<Vec<SoundDevice>, SoundError> {
    let host = cpal::default_host();
    let name_of = device_name;
    let default_in = host.default_input_device().map(|d| name_of(&d));
    let default_out = host.default_output_device().map(|d| name_of(&d));
    let devices = host.devices().map_err(|e| SoundError::Device {
        name: "host".into(),
        message: e.to_string(),
    })?;
    Ok(devices
        .map(|d| {
            let name = name_of(&d);
            SoundDevice {
                description: d.to_string(),
                input: d.supports_input(),
                output: d.supports_output(),
                default_input: default_in.as_deref() == Some(name.as_str()),
                default_output: default_out.as_deref() == Some(name.as_str()),
                name,
            }
        })
        .collect())
}

/// Words in a sound device's name or description that say it sits on the
/// user's head (so its microphone does not hear its speaker).
const HEADSET_WORDS: [&str; 10] = [
    "headset",
    "headphone",
    "earpiece",
    "jabra",
    "plantronics",
    "poly ",
    "epos",
    "sennheiser",
    "yealink",
    "logitech h",
];

/// Whether any of `names` (as `find` takes them) is a headset, judged by its
/// name and description (the devices are listed once, only if the names do
/// not tell). The system default and unknown devices are not.
pub fn any_is_headset(names: &[&str]) -> bool {
    let looks_like = |text: &str| {
        let text = text.to_ascii_lowercase();
        HEADSET_WORDS.iter().any(|w| text.contains(w))
    };
    if names.iter().any(|n| looks_like(n)) {
        return true;
    }
    list().is_ok_and(|devices| {
        devices
            .iter()
            .any(|d| names.contains(&d.name.as_str()) && looks_like(&d.description))
    })
}

/// The host's own name for a device.
pub(crate) fn device_name(d: &cpal::Device) -> String {
    d.id()
        .map(|id| id.id().to_string())
        .unwrap_or_else(|_| d.to_string())
}
