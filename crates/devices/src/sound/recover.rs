//! Streams that outlive their device: when a stream fails (the headset is
//! unplugged, the sound server restarts), the call goes on with silence while
//! the device is opened again once a second, falling back to the system
//! default when the chosen device does not come back.
//!
//! Opening happens on a helper thread: connecting to a sound server that is
//! still starting can take a second, and the caller is the call's 20 ms media
//! loop, which must not stall (it would then send a burst of RTP).

use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

use super::SoundError;
use super::stream::{Capture, Playback, SoundStats};

const RETRY: Duration = Duration::from_secs(1);

type Opener<T> = fn(&str, u32) -> Result<T, SoundError>;

/// What to open again, when next to try, and the attempt under way.
struct Plan<T> {
    name: String,
    rate: u32,
    open: Opener<T>,
    retry_at: Instant,
    reopened: u64,
    attempt: Option<mpsc::Receiver<Option<T>>>,
}

impl<T: Send + 'static> Plan<T> {
    fn new(name: &str, rate: u32, open: Opener<T>) -> Plan<T> {
        Plan {
            name: name.into(),
            rate,
            open,
            retry_at: Instant::now(),
            reopened: 0,
            attempt: None,
        }
    }

    /// A stream opened again, once an attempt (started at most once a
    /// second) has succeeded; never blocks.
    fn poll(&mut self) -> Option<T> {
        if let Some(attempt) = &self.attempt {
            return match attempt.try_recv() {
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) | Ok(None) => {
                    self.attempt = None;
                    None
                }
                Ok(Some(stream)) => {
                    self.attempt = None;
                    self.reopened += 1;
                    tracing::info!(device = %self.name, "sound device opened again");
                    Some(stream)
                }
            };
        }
        let now = Instant::now();
        if now < self.retry_at {
            return None;
        }
        self.retry_at = now + RETRY;
        let (tx, rx) = mpsc::channel();
        let (name, rate, open) = (self.name.clone(), self.rate, self.open);
        let spawned = std::thread::Builder::new()
            .name("sound-reopen".into())
            .spawn(move || {
                let _ = tx.send(open_or_default(&name, rate, open));
            });
        match spawned {
            Ok(_) => self.attempt = Some(rx),
            Err(e) => tracing::debug!("cannot start a reopen attempt: {e}"),
        }
        None
    }
}

/// The chosen device, else the default.
fn open_or_default<T>(name: &str, rate: u32, open: Opener<T>) -> Option<T> {
    match open(name, rate) {
        Ok(s) => Some(s),
        Err(e) if name != "default" => {
            tracing::info!("{e}; trying the default device");
            open("default", rate).ok()
        }
        Err(_) => None,
    }
}

/// A microphone for a call: a failed capture is reopened.
pub struct Microphone {
    plan: Plan<Capture>,
    stream: Option<Capture>,
}

impl Microphone {
    /// Opens `name` now (an error here is the user's to see).
    pub fn open(name: &str, rate: u32) -> Result<Microphone, SoundError> {
        Ok(Microphone {
            stream: Some(Capture::open(name, rate)?),
            plan: Plan::new(name, rate, Capture::open),
        })
    }

    pub fn read_frame(&mut self, out: &mut [i16]) -> bool {
        if self.stream.as_ref().is_none_or(|s| s.failed())
            && let Some(stream) = self.plan.poll()
        {
            self.stream = Some(stream);
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
    plan: Plan<Playback>,
    stream: Option<Playback>,
}

impl Speaker {
    pub fn open(name: &str, rate: u32) -> Result<Speaker, SoundError> {
        Ok(Speaker {
            stream: Some(Playback::open(name, rate)?),
            plan: Plan::new(name, rate, Playback::open),
        })
    }

    pub fn write_frame(&mut self, pcm: &[i16]) {
        if self.stream.as_ref().is_none_or(|s| s.failed())
            && let Some(stream) = self.plan.poll()
        {
            self.stream = Some(stream);
        }
        if let Some(s) = &mut self.stream
            && !s.failed()
        {
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
