//! Capture and playback streams: device period <-> ring buffer <-> 20 ms
//! frames at the codec's rate.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, StreamTrait};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use rubato::{FftFixedInOut, Resampler};

use super::{SoundError, device_name, find};

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
struct Shared {
    /// Samples the device took (playback) or gave (capture).
    samples: AtomicU64,
    overruns: AtomicU64,
    underruns: AtomicU64,
    failed: AtomicBool,
    xruns: AtomicU64,
    errors: AtomicU64,
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

struct Opened {
    device: String,
    rate: u32,
}

fn device_error(name: &str, e: impl std::fmt::Display) -> SoundError {
    SoundError::Device {
        name: name.into(),
        message: e.to_string(),
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
    /// Runs `build` (handed the stream's counters) on that thread; returns
    /// once the stream plays, with `End`, the ring buffer's end the caller
    /// keeps.
    fn start<End: Send + 'static>(
        build: impl FnOnce(Arc<Shared>) -> Result<(cpal::Stream, Opened, End), SoundError>
        + Send
        + 'static,
    ) -> Result<(Running, End), SoundError> {
        let shared = Arc::new(Shared::default());
        let counters = shared.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("sound-stream".into())
            .spawn(move || match build(counters) {
                Ok((stream, opened, end)) => {
                    if let Err(e) = stream.play() {
                        let _ = ready_tx.send(Err(device_error(&opened.device, e)));
                        return;
                    }
                    let _ = ready_tx.send(Ok((opened, end)));
                    // Until the handle is dropped.
                    let _ = stop_rx.recv();
                    drop(stream);
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

/// An error callback: glitches are counted, a device that is gone fails the
/// stream, anything else is counted and judged by whether the stream goes on
/// (`Progress`). Each kind is logged once (a dying stream reports the same
/// error in a loop).
fn on_error(shared: Arc<Shared>, what: &'static str) -> impl FnMut(cpal::Error) + Send + 'static {
    use cpal::ErrorKind as Kind;
    move |e| match e.kind() {
        Kind::Xrun => {
            if shared.xruns.fetch_add(1, Ordering::Relaxed) == 0 {
                tracing::debug!("{what} stream: {e}");
            }
        }
        Kind::DeviceChanged | Kind::RealtimeDenied => tracing::debug!("{what} stream: {e}"),
        Kind::DeviceNotAvailable
        | Kind::HostUnavailable
        | Kind::StreamInvalidated
        | Kind::PermissionDenied => {
            if !shared.failed.swap(true, Ordering::Relaxed) {
                tracing::warn!("{what} stream: {e}");
            }
        }
        _ => {
            if shared.errors.fetch_add(1, Ordering::Relaxed) == 0 {
                tracing::warn!("{what} stream: {e}");
            }
        }
    }
}

/// An input stream of samples of type `T`, handed on as mono f32.
fn input_stream<T: cpal::SizedSample + 'static>(
    device: &cpal::Device,
    config: &cpal::SupportedStreamConfig,
    to_f32: fn(T) -> f32,
    mut push: impl FnMut(&mut dyn Iterator<Item = f32>) + Send + 'static,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(config.channels()).max(1);
    let counted = shared.clone();
    device.build_input_stream::<T, _, _>(
        low_latency(config, CAPTURE_PERIODS_MS),
        move |data: &[T], _| {
            push(
                &mut data
                    .chunks(channels)
                    .map(|f| f.iter().map(|&v| to_f32(v)).sum::<f32>() / f.len() as f32),
            );
            counted
                .samples
                .fetch_add((data.len() / channels) as u64, Ordering::Relaxed);
        },
        on_error(shared, "capture"),
        None,
    )
}

/// An output stream of samples of type `T`, each frame's channels filled from
/// one mono sample.
fn output_stream<T: cpal::SizedSample + 'static>(
    device: &cpal::Device,
    config: &cpal::SupportedStreamConfig,
    from_f32: fn(f32) -> T,
    mut next: impl FnMut() -> Option<f32> + Send + 'static,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(config.channels()).max(1);
    let counted = shared.clone();
    device.build_output_stream::<T, _, _>(
        low_latency(config, PLAYBACK_PERIODS_MS),
        move |data: &mut [T], _| {
            for frame in data.chunks_mut(channels) {
                frame.fill(from_f32(next().unwrap_or(0.0)));
            }
            counted
                .samples
                .fetch_add((data.len() / channels) as u64, Ordering::Relaxed);
        },
        on_error(shared, "playback"),
        None,
    )
}

/// Capture periods tried, shortest first. The PulseAudio ALSA plugin wakes
/// its reader as soon as the server hands over a block, and cpal, finding
/// less than a period there, polls again at once: while the server's blocks
/// are shorter than the period, the capture thread spins. A source runs in
/// 5 ms blocks as soon as any program on it asks for low latency; on such a
/// source a PCMU call took 15.6 s of CPU per call-minute with a 10 ms period
/// and 4.7 s with 5 ms (`cargo xtask bench lean`, D99).
const CAPTURE_PERIODS_MS: &[u32] = &[5, 10];
/// Playback fills the server's buffer and does not spin.
const PLAYBACK_PERIODS_MS: &[u32] = &[10];

/// The device's own configuration with the first of `periods_ms` the device
/// allows: the default ALSA period of the PulseAudio plugin is long enough
/// to add a quarter of a second of delay.
fn low_latency(config: &cpal::SupportedStreamConfig, periods_ms: &[u32]) -> cpal::StreamConfig {
    let mut c = config.config();
    if let cpal::SupportedBufferSize::Range { min, max } = config.buffer_size()
        && let Some(frames) = periods_ms
            .iter()
            .map(|ms| config.sample_rate() * ms / 1000)
            .find(|frames| (*min..=*max).contains(frames))
    {
        c.buffer_size = cpal::BufferSize::Fixed(frames);
    }
    c
}

fn to_i16(v: f32) -> i16 {
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
        let (running, consumer) = Running::start(move |s| {
            let device = find(&name, true)?;
            let label = device_name(&device);
            let config = device
                .default_input_config()
                .map_err(|e| device_error(&label, e))?;
            let rate = config.sample_rate();
            tracing::debug!(
                device = %label,
                rate,
                channels = config.channels(),
                format = ?config.sample_format(),
                "capture opened"
            );
            // 200 ms of mono audio.
            let (mut producer, consumer) = HeapRb::<f32>::new(rate as usize / 5).split();
            let shared = s.clone();
            let push = move |mono: &mut dyn Iterator<Item = f32>| {
                for v in mono {
                    if producer.try_push(v).is_err() {
                        shared.overruns.fetch_add(1, Ordering::Relaxed);
                    }
                }
            };
            let stream = match config.sample_format() {
                cpal::SampleFormat::F32 => input_stream(&device, &config, |v: f32| v, push, s),
                cpal::SampleFormat::I16 => {
                    input_stream(&device, &config, |v: i16| f32::from(v) / 32768.0, push, s)
                }
                other => {
                    return Err(device_error(&label, format!("sample format {other:?}")));
                }
            }
            .map_err(|e| device_error(&label, e))?;
            Ok((
                stream,
                Opened {
                    device: label,
                    rate,
                },
                consumer,
            ))
        })?;
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
        let (running, producer) = Running::start(move |s| {
            let device = find(&name, false)?;
            let label = device_name(&device);
            let config = device
                .default_output_config()
                .map_err(|e| device_error(&label, e))?;
            let rate = config.sample_rate();
            let channels = usize::from(config.channels()).max(1);
            tracing::debug!(
                device = %label,
                rate,
                channels,
                format = ?config.sample_format(),
                buffer = ?config.buffer_size(),
                "playback opened"
            );
            let (producer, mut consumer) = HeapRb::<f32>::new(rate as usize / 5).split();
            // Playout starts (and restarts after running dry) once two frames
            // are buffered, so one late frame is not an audible gap.
            let prime = (rate / 25) as usize;
            let mut primed = false;
            let shared = s.clone();
            let next = move || -> Option<f32> {
                if !primed {
                    if consumer.occupied_len() < prime {
                        return None;
                    }
                    primed = true;
                }
                // A device that stalled (at start, or after a hiccup) leaves a
                // backlog: skip it rather than keep the call that much late.
                let backlog = consumer.occupied_len();
                if backlog > prime * 3 {
                    let skipped = consumer.skip(backlog - prime);
                    shared.overruns.fetch_add(skipped as u64, Ordering::Relaxed);
                }
                let v = consumer.try_pop();
                if v.is_none() {
                    primed = false;
                    shared.underruns.fetch_add(1, Ordering::Relaxed);
                }
                v
            };
            let stream = match config.sample_format() {
                cpal::SampleFormat::F32 => output_stream(&device, &config, |v| v, next, s),
                cpal::SampleFormat::I16 => output_stream(&device, &config, to_i16, next, s),
                other => {
                    return Err(device_error(&label, format!("sample format {other:?}")));
                }
            }
            .map_err(|e| device_error(&label, e))?;
            Ok((
                stream,
                Opened {
                    device: label,
                    rate,
                },
                producer,
            ))
        })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(buffer: cpal::SupportedBufferSize) -> cpal::SupportedStreamConfig {
        cpal::SupportedStreamConfig::new(2, 48000, buffer, cpal::SampleFormat::I16)
    }

    #[test]
    fn capture_takes_the_shortest_period_the_device_allows() {
        use cpal::BufferSize::{Default, Fixed};
        use cpal::SupportedBufferSize::{Range, Unknown};
        let wide = config(Range { min: 64, max: 8192 });
        assert_eq!(
            low_latency(&wide, CAPTURE_PERIODS_MS).buffer_size,
            Fixed(240)
        );
        assert_eq!(
            low_latency(&wide, PLAYBACK_PERIODS_MS).buffer_size,
            Fixed(480)
        );
        // A device whose periods start above 5 ms gets 10 ms.
        let coarse = config(Range {
            min: 400,
            max: 8192,
        });
        assert_eq!(
            low_latency(&coarse, CAPTURE_PERIODS_MS).buffer_size,
            Fixed(480)
        );
        // None allowed, or nothing known: the device's own choice.
        let large = config(Range {
            min: 1024,
            max: 8192,
        });
        assert_eq!(low_latency(&large, CAPTURE_PERIODS_MS).buffer_size, Default);
        assert_eq!(
            low_latency(&config(Unknown), CAPTURE_PERIODS_MS).buffer_size,
            Default
        );
    }
}
