//! Sound back ends: what opens a device and moves its samples to and from
//! the ring buffer. For a device name the back ends are asked in order and
//! the first that serves the name opens it. A new back end is one file here
//! and one line in `BACKENDS`.
//!
//! `HOOKSWITCH_SOUND_BACKEND=alsa` (or `pulse`) keeps to one of them.

mod alsa;
mod pulse;

use std::sync::Arc;

use ringbuf::{HeapCons, HeapProd};

use super::SoundError;
use super::stream::{Device, Shared};

pub(super) trait Backend: Sync {
    /// The name `HOOKSWITCH_SOUND_BACKEND` takes.
    fn name(&self) -> &'static str;

    /// Opens `device` for capture, for frames at `codec_rate`, on the calling
    /// thread (the stream's own); `None` when this back end does not serve
    /// that name here (the next one is asked).
    fn capture(
        &self,
        device: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapCons<f32>>, SoundError>>;

    /// As `capture`, for playback.
    fn playback(
        &self,
        device: &str,
        codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapProd<f32>>, SoundError>>;
}

/// Asked in this order.
const BACKENDS: &[&dyn Backend] = &[&pulse::PulseAudio, &alsa::Alsa];

/// The back end `HOOKSWITCH_SOUND_BACKEND` names, if any.
fn chosen() -> Option<&'static str> {
    let named = std::env::var("HOOKSWITCH_SOUND_BACKEND").ok()?;
    BACKENDS.iter().map(|b| b.name()).find(|n| *n == named)
}

/// The back ends to ask: all, or the one the environment names.
fn backends() -> impl Iterator<Item = &'static dyn Backend> {
    let only = chosen();
    BACKENDS
        .iter()
        .copied()
        .filter(move |b| only.is_none_or(|o| o == b.name()))
}

pub(super) fn open_capture(
    device: &str,
    codec_rate: u32,
    shared: Arc<Shared>,
) -> Result<Device<HeapCons<f32>>, SoundError> {
    backends()
        .find_map(|b| b.capture(device, codec_rate, &shared))
        .unwrap_or_else(|| Err(SoundError::NoSuchDevice(device.into())))
}

pub(super) fn open_playback(
    device: &str,
    codec_rate: u32,
    shared: Arc<Shared>,
) -> Result<Device<HeapProd<f32>>, SoundError> {
    backends()
        .find_map(|b| b.playback(device, codec_rate, &shared))
        .unwrap_or_else(|| Err(SoundError::NoSuchDevice(device.into())))
}
