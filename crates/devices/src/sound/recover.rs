//! Streams that outlive their device: when a stream fails (the headset is
//! unplugged, the sound server restarts), the call goes on with silence while
//! the device is opened again once a second, falling back to the system
//! default when the chosen device does not come back.

use std::time::{Duration, Instant};

use super::SoundError;
use super::stream::{Capture, Playback, SoundStats};

const RETRY: Duration = Duration::from_secs(1);

/// What to open again, and when next to try.
struct Plan {
    name: String,
    rate: u32,
    retry_at: Instant,
    reopened: u64,
}

impl Plan {
    /// Whether to try now (at most once a second).
    fn due(&mut self) -> bool {
        let now = Instant::now();
        if now < self.retry_at {
            return false;
        }
        self.retry_at = now + RETRY;
        true
    }

    /// The chosen device, else the default.
    fn open<T>(&mut self, open: impl Fn(&str, u32) -> Result<T, SoundError>) -> Option<T> {
        let chosen = open(&self.name, self.rate);
        let stream = match chosen {
            Ok(s) => Some(s),
            Err(e) if self.name != "default" => {
                tracing::info!("{e}; trying the default device");
                open("default", self.rate).ok()
            }
            Err(_) => None,
        };
        if stream.is_some() {
            self.reopened += 1;
            tracing::info!(device = %self.name, "sound device opened again");
        }
        stream
    }
}

/// A microphone for a call: a failed capture is reopened.
pub struct Microphone {
    plan: Plan,
    stream: Option<Capture>,
}

impl Microphone {
    /// Opens `name` now (an error here is the user's to see).
    pub fn open(name: &str, rate: u32) -> Result<Microphone, SoundError> {
        Ok(Microphone {
            stream: Some(Capture::open(name, rate)?),
            plan: Plan {
                name: name.into(),
                rate,
                retry_at: Instant::now(),
                reopened: 0,
            },
        })
    }

    pub fn read_frame(&mut self, out: &mut [i16]) -> bool {
        if self.stream.as_ref().is_none_or(|s| s.failed()) && self.plan.due() {
            self.stream = None;
            self.stream = self.plan.open(Capture::open);
        }
        match &mut self.stream {
            Some(s) if !s.failed() => s.read_frame(out),
            _ => {
                out.fill(0);
                true
            }
        }
    }

    /// The current stream's figures, and how often it was reopened.
    pub fn stats(&self) -> (Option<SoundStats>, u64) {
        (self.stream.as_ref().map(Capture::stats), self.plan.reopened)
    }
}

/// An earpiece or speaker for a call: a failed playback is reopened.
pub struct Speaker {
    plan: Plan,
    stream: Option<Playback>,
}

impl Speaker {
    pub fn open(name: &str, rate: u32) -> Result<Speaker, SoundError> {
        Ok(Speaker {
            stream: Some(Playback::open(name, rate)?),
            plan: Plan {
                name: name.into(),
                rate,
                retry_at: Instant::now(),
                reopened: 0,
            },
        })
    }

    pub fn write_frame(&mut self, pcm: &[i16]) {
        if self.stream.as_ref().is_none_or(|s| s.failed()) && self.plan.due() {
            self.stream = None;
            self.stream = self.plan.open(Playback::open);
        }
        if let Some(s) = &mut self.stream {
            s.write_frame(pcm);
        }
    }

    pub fn stats(&self) -> (Option<SoundStats>, u64) {
        (
            self.stream.as_ref().map(Playback::stats),
            self.plan.reopened,
        )
    }
}
