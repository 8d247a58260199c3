//! Capture and playback streams: device period <-> ring buffer <-> 20 ms
//! frames at the codec's rate. The device side is a back end's
//! (`super::backend`); this side is the same for all of them.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use rubato::{FftFixedInOut, Resampler};

use super::{SoundError, backend};

/// Counters of one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SoundStats {
    pub device: String,
    pub device_rate: u32,
    /// The device delivered more than we took (capture) or we wrote more
    /// than it played (playback): samples dropped.
    pub overruns: u64,
    /// The device wanted samples we did not have (playback), or we wanted a
    /// frame the device had not delivered (capture): silence filled in.
    pub underruns: u64,
    /// The stream failed (device unplugged...).
    pub failed: bool,
    /// Glitches the device reported (buffer under- or overruns); the stream
    /// recovers from them by itself.
    pub xruns: u64,
    /// Other errors the device reported.
    pub errors: u64,
    /// Samples the device took (playback) or gave (capture), per channel.
    pub samples: u64,
}

#[derive(Default)]
pub(super) struct Shared {
    /// Samples the device took (playback) or gave (capture).
    pub(super) samples: AtomicU64,
    pub(super) overruns: AtomicU64,
    pub(super) underruns: AtomicU64,
    pub(super) failed: AtomicBool,
    pub(super) xruns: AtomicU64,
    pub(super) errors: AtomicU64,
}

/// After an error that is not plainly fatal, a stream that moves no samples
/// for this long has failed (the sound server went away); one that goes on
/// moving them had a passing hiccup (the PulseAudio plugin reports EIO once
/// while a new stream connects)...
const STALL_AFTER_ERROR: Duration = Duration::from_millis(300);
/// ... unless the errors keep coming: a stream that reported this many is
/// broken even if it still moves samples (one was seen to report 814 errors
/// in 10 s, every other period, and to garble the speech it played).
const ERRORS_TOLERATED: u64 = 2;

/// Watches a stream's progress from the side that uses it.
struct Progress {
    samples: Cell<u64>,
    since: Cell<Instant>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            samples: Cell::new(0),
            since: Cell::new(Instant::now()),
        }
    }

    fn failed(&self, shared: &Shared) -> bool {
        if shared.failed.load(Ordering::Relaxed) {
            return true;
        }
        let errors = shared.errors.load(Ordering::Relaxed);
        if errors > ERRORS_TOLERATED {
            return true;
        }
        let samples = shared.samples.load(Ordering::Relaxed);
        if samples != self.samples.get() {
            self.samples.set(samples);
            self.since.set(Instant::now());
            return false;
        }
        errors > 0 && self.since.get().elapsed() > STALL_AFTER_ERROR
    }
}

/// The device a back end opened.
pub(super) struct Opened {
    pub(super) device: String,
    pub(super) rate: u32,
}

/// What runs on the stream's thread once the device is open, until the
/// handle is dropped (the receiver then says so): a cpal stream is kept
/// alive there, a PulseAudio stream is read or written in a loop.
pub(super) type Pump = Box<dyn FnOnce(&mpsc::Receiver<()>)>;

/// A device a back end opened: what it is, the end of the ring buffer the
/// handle keeps, and what the thread runs.
pub(super) struct Device<End> {
    pub(super) opened: Opened,
    pub(super) end: End,
    pub(super) pump: Pump,
}

pub(super) fn device_error(name: &str, e: impl std::fmt::Display) -> SoundError {
    SoundError::Device {
        name: name.into(),
        message: e.to_string(),
    }
}

/// Ring buffers hold 200 ms of mono audio.
fn ring_len(rate: u32) -> usize {
    (rate as usize / 5).max(1)
}

/// The capture side's ring, as the device's thread fills it.
pub(super) struct Feed {
    producer: HeapProd<f32>,
    shared: Arc<Shared>,
}

impl Feed {
    /// A ring for a device at `rate`: the device's end, and the reader's.
    pub(super) fn new(rate: u32, shared: Arc<Shared>) -> (Feed, HeapCons<f32>) {
        let (producer, consumer) = HeapRb::<f32>::new(ring_len(rate)).split();
        (Feed { producer, shared }, consumer)
    }

    /// Mono samples from the device; what does not fit is counted.
    pub(super) fn push(&mut self, mono: &mut dyn Iterator<Item = f32>) {
        let mut given = 0u64;
        for v in mono {
            given += 1;
            if self.producer.try_push(v).is_err() {
                self.shared.overruns.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.shared.samples.fetch_add(given, Ordering::Relaxed);
    }
}

/// The playback side's ring, as the device's thread drains it. Playout
/// starts (and restarts after running dry) once two frames are buffered,
/// so one late frame is not an audible gap.
pub(super) struct Playout {
    consumer: HeapCons<f32>,
    prime: usize,
    primed: bool,
    shared: Arc<Shared>,
}

impl Playout {
    /// A ring for a device at `rate`: the writer's end, and the device's.
    pub(super) fn new(rate: u32, shared: Arc<Shared>) -> (HeapProd<f32>, Playout) {
        let (producer, consumer) = HeapRb::<f32>::new(ring_len(rate)).split();
        let playout = Playout {
            consumer,
            prime: (rate / 25) as usize,
            primed: false,
            shared,
        };
        (producer, playout)
    }

    /// The next sample to play, or none (the device plays silence).
    pub(super) fn next(&mut self) -> Option<f32> {
        if !self.primed {
            if self.consumer.occupied_len() < self.prime {
                return None;
            }
            self.primed = true;
        }
        // A device that stalled (at start, or after a hiccup) leaves a
        // backlog: skip it rather than keep the call that much late.
        let backlog = self.consumer.occupied_len();
        if backlog > self.prime * 3 {
            let skipped = self.consumer.skip(backlog - self.prime);
            self.shared
                .overruns
                .fetch_add(skipped as u64, Ordering::Relaxed);
        }
        let v = self.consumer.try_pop();
        if v.is_none() {
            self.primed = false;
            self.shared.underruns.fetch_add(1, Ordering::Relaxed);
        }
        v
    }

    /// The device took `samples` more.
    pub(super) fn played(&self, samples: usize) {
        self.shared
            .samples
            .fetch_add(samples as u64, Ordering::Relaxed);
    }
}

/// A stream running on a thread of its own: its counters, its progress as
/// its user sees it, the device it opened, and the line whose drop stops the
/// thread (cpal's streams cannot move between threads).
struct Running {
    shared: Arc<Shared>,
    progress: Progress,
    opened: Opened,
    _stop: mpsc::Sender<()>,
}

impl Running {
    /// Runs `open` (handed the stream's counters) on that thread; returns
    /// once the device is open, with `End`, the ring buffer's end the caller
    /// keeps, while the thread goes on with the device's pump.
    fn start<End: Send + 'static>(
        open: impl FnOnce(Arc<Shared>) -> Result<Device<End>, SoundError> + Send + 'static,
    ) -> Result<(Running, End), SoundError> {
        let shared = Arc::new(Shared::default());
        let counters = shared.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sound-stream".into())
            .spawn(move || match open(counters) {
                Ok(Device { opened, end, pump }) => {
                    let _ = ready_tx.send(Ok((opened, end)));
                    pump(&stop_rx);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            })
            .map_err(|e| device_error("thread", e))?;
        let (opened, end) = ready_rx
            .recv()
            .map_err(|_| device_error("sound", "the stream thread ended"))??;
        let running = Running {
            shared,
            progress: Progress::new(),
            opened,
            _stop: stop_tx,
        };
        Ok((running, end))
    }

    fn stats(&self) -> SoundStats {
        let shared = &self.shared;
        SoundStats {
            device: self.opened.device.clone(),
            device_rate: self.opened.rate,
            overruns: shared.overruns.load(Ordering::Relaxed),
            underruns: shared.underruns.load(Ordering::Relaxed),
            failed: shared.failed.load(Ordering::Relaxed),
            xruns: shared.xruns.load(Ordering::Relaxed),
            errors: shared.errors.load(Ordering::Relaxed),
            samples: shared.samples.load(Ordering::Relaxed),
        }
    }

    fn failed(&self) -> bool {
        self.progress.failed(&self.shared)
    }
}

/// A resampler between a device rate and a codec rate for 20 ms chunks, or
/// none when they are equal.
fn resampler(from: u32, to: u32) -> Result<Option<FftFixedInOut<f32>>, SoundError> {
    if from == to {
        return Ok(None);
    }
    FftFixedInOut::new(from as usize, to as usize, (from / 50) as usize, 1)
        .map(Some)
        .map_err(|e| device_error("resampler", e))
}

pub(super) fn to_i16(v: f32) -> i16 {
    (v * 32767.0).round().clamp(-32768.0, 32767.0) as i16
}

/// The microphone side.
pub struct Capture {
    consumer: HeapCons<f32>,
    resampler: Option<FftFixedInOut<f32>>,
    input: Vec<f32>,
    /// Frames to have buffered before delivering: devices deliver in periods
    /// longer than 20 ms, and a tick that finds the ring short would cut a
    /// gap into the speech. Grows by one frame at each underrun (up to 6).
    prime_frames: usize,
    primed: bool,
    running: Running,
}

impl Capture {
    /// Opens `name` (or the default input) for frames at `codec_rate`.
    pub fn open(name: &str, codec_rate: u32) -> Result<Capture, SoundError> {
        let name = name.to_owned();
        let (running, consumer) =
            Running::start(move |shared| backend::open_capture(&name, codec_rate, shared))?;
        Ok(Capture {
            consumer,
            resampler: resampler(running.opened.rate, codec_rate)?,
            input: Vec::new(),
            prime_frames: 2,
            primed: false,
            running,
        })
    }

    /// Device samples one 20 ms frame needs.
    fn chunk(&self) -> usize {
        self.resampler
            .as_ref()
            .map_or((self.running.opened.rate / 50) as usize, |r| {
                r.input_frames_next()
            })
    }

    /// One 20 ms frame at the codec rate; silence when the device is behind.
    pub fn read_frame(&mut self, out: &mut [i16]) -> bool {
        let chunk = self.chunk();
        let buffered = self.consumer.occupied_len();
        if !self.primed {
            if buffered < chunk * (self.prime_frames + 1) {
                out.fill(0);
                return true;
            }
            self.primed = true;
        }
        // A device clock faster than ours piles samples up: keep the delay
        // within two frames of the priming depth.
        let excess = buffered.saturating_sub(chunk * (self.prime_frames + 3));
        if excess > 0 {
            let dropped = self.consumer.skip(excess);
            self.running
                .shared
                .overruns
                .fetch_add(dropped as u64, Ordering::Relaxed);
        }
        if self.consumer.occupied_len() < chunk {
            self.running
                .shared
                .underruns
                .fetch_add(1, Ordering::Relaxed);
            self.prime_frames = (self.prime_frames + 1).min(6);
            self.primed = false;
            out.fill(0);
            return true;
        }
        self.input.resize(chunk, 0.0);
        self.consumer.pop_slice(&mut self.input);
        match &mut self.resampler {
            None => {
                for (o, v) in out.iter_mut().zip(&self.input) {
                    *o = to_i16(*v);
                }
            }
            Some(r) => match r.process(&[&self.input[..]], None) {
                Ok(frames) => {
                    let mono = &frames[0];
                    for (i, o) in out.iter_mut().enumerate() {
                        *o = to_i16(mono.get(i).copied().unwrap_or(0.0));
                    }
                }
                Err(e) => {
                    tracing::debug!("resampling: {e}");
                    out.fill(0);
                }
            },
        }
        true
    }

    pub fn stats(&self) -> SoundStats {
        self.running.stats()
    }

    /// The stream failed (checked every frame: no allocation, unlike `stats`).
    pub fn failed(&self) -> bool {
        self.running.failed()
    }
}

/// The speaker side.
pub struct Playback {
    producer: HeapProd<f32>,
    resampler: Option<FftFixedInOut<f32>>,
    samples: Vec<f32>,
    running: Running,
}

impl Playback {
    /// Opens `name` (or the default output) for frames at `codec_rate`.
    pub fn open(name: &str, codec_rate: u32) -> Result<Playback, SoundError> {
        let name = name.to_owned();
        let (running, producer) =
            Running::start(move |shared| backend::open_playback(&name, codec_rate, shared))?;
        Ok(Playback {
            producer,
            resampler: resampler(codec_rate, running.opened.rate)?,
            samples: Vec::new(),
            running,
        })
    }

    /// One 20 ms frame at the codec rate.
    pub fn write_frame(&mut self, pcm: &[i16]) {
        self.samples.clear();
        self.samples
            .extend(pcm.iter().map(|&v| f32::from(v) / 32768.0));
        let out = match &mut self.resampler {
            None => std::mem::take(&mut self.samples),
            Some(r) => {
                self.samples.resize(r.input_frames_next(), 0.0);
                match r.process(&[&self.samples[..]], None) {
                    Ok(mut frames) => frames.swap_remove(0),
                    Err(e) => {
                        tracing::debug!("resampling: {e}");
                        return;
                    }
                }
            }
        };
        let pushed = self.producer.push_slice(&out);
        if pushed < out.len() {
            self.running
                .shared
                .overruns
                .fetch_add((out.len() - pushed) as u64, Ordering::Relaxed);
        }
        if self.samples.is_empty() {
            self.samples = out;
        }
    }

    pub fn stats(&self) -> SoundStats {
        self.running.stats()
    }

    /// The stream failed (checked every frame: no allocation, unlike `stats`).
    pub fn failed(&self) -> bool {
        self.running.failed()
    }
}
