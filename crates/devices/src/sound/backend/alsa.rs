//! Any ALSA device through cpal: sound cards by their ALSA names (`hw:1,0`,
//! a headset's own PCM), and PulseAudio or PipeWire through their ALSA
//! plugins when the native back end does not serve the name. The device runs
//! at its own rate and period, and a cpal callback thread fills or drains the
//! ring buffer.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ringbuf::{HeapCons, HeapProd};

use super::super::stream::{Device, Feed, Opened, Playout, Shared, device_error, to_i16};
use super::super::{SoundError, device_name};
use super::Backend;

pub(super) struct Alsa;

impl Backend for Alsa {
    fn name(&self) -> &'static str {
        "alsa"
    }

    fn capture(
        &self,
        name: &str,
        _codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapCons<f32>>, SoundError>> {
        Some(open_capture(name, shared.clone()))
    }

    fn playback(
        &self,
        name: &str,
        _codec_rate: u32,
        shared: &Arc<Shared>,
    ) -> Option<Result<Device<HeapProd<f32>>, SoundError>> {
        Some(open_playback(name, shared.clone()))
    }
}

fn open_capture(name: &str, shared: Arc<Shared>) -> Result<Device<HeapCons<f32>>, SoundError> {
    let device = find(name, true)?;
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
    let (feed, consumer) = Feed::new(rate, shared.clone());
    let stream = match config.sample_format() {
        cpal::SampleFormat::F32 => input_stream(&device, &config, |v: f32| v, feed, shared),
        cpal::SampleFormat::I16 => input_stream(
            &device,
            &config,
            |v: i16| f32::from(v) / 32768.0,
            feed,
            shared,
        ),
        other => return Err(device_error(&label, format!("sample format {other:?}"))),
    }
    .map_err(|e| device_error(&label, e))?;
    playing(stream, label, rate, consumer)
}

fn open_playback(name: &str, shared: Arc<Shared>) -> Result<Device<HeapProd<f32>>, SoundError> {
    let device = find(name, false)?;
    let label = device_name(&device);
    let config = device
        .default_output_config()
        .map_err(|e| device_error(&label, e))?;
    let rate = config.sample_rate();
    tracing::debug!(
        device = %label,
        rate,
        channels = config.channels(),
        format = ?config.sample_format(),
        buffer = ?config.buffer_size(),
        "playback opened"
    );
    let (producer, playout) = Playout::new(rate, shared.clone());
    let stream = match config.sample_format() {
        cpal::SampleFormat::F32 => output_stream(&device, &config, |v| v, playout, shared),
        cpal::SampleFormat::I16 => output_stream(&device, &config, to_i16, playout, shared),
        other => return Err(device_error(&label, format!("sample format {other:?}"))),
    }
    .map_err(|e| device_error(&label, e))?;
    playing(stream, label, rate, producer)
}

/// Starts `stream`; the stream thread then only keeps it alive (cpal's own
/// thread runs the callbacks) until the handle is dropped.
fn playing<End>(
    stream: cpal::Stream,
    device: String,
    rate: u32,
    end: End,
) -> Result<Device<End>, SoundError> {
    stream.play().map_err(|e| device_error(&device, e))?;
    Ok(Device {
        opened: Opened { device, rate },
        end,
        pump: Box::new(move |stop| {
            let _ = stop.recv();
            drop(stream);
        }),
    })
}

/// The device called `name`, or the system default when `name` is "default"
/// or empty.
fn find(name: &str, input: bool) -> Result<cpal::Device, SoundError> {
    let host = cpal::default_host();
    if name.is_empty() || name == "default" {
        let d = if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        };
        return d.ok_or(SoundError::NoDefault(if input {
            "input"
        } else {
            "output"
        }));
    }
    let mut devices = if input {
        host.input_devices()
    } else {
        host.output_devices()
    }
    .map_err(|e| device_error(name, e))?;
    devices
        .find(|d| device_name(d) == name || d.to_string() == name)
        .ok_or_else(|| SoundError::NoSuchDevice(name.into()))
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
    mut feed: Feed,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(config.channels()).max(1);
    device.build_input_stream::<T, _, _>(
        low_latency(config, CAPTURE_PERIODS_MS),
        move |data: &[T], _| {
            feed.push(
                &mut data
                    .chunks(channels)
                    .map(|f| f.iter().map(|&v| to_f32(v)).sum::<f32>() / f.len() as f32),
            );
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
    mut playout: Playout,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(config.channels()).max(1);
    device.build_output_stream::<T, _, _>(
        low_latency(config, PLAYBACK_PERIODS_MS),
        move |data: &mut [T], _| {
            for frame in data.chunks_mut(channels) {
                frame.fill(from_f32(playout.next().unwrap_or(0.0)));
            }
            playout.played(data.len() / channels);
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
