//! Where a call's audio comes from and goes to: the sound devices (a headset's
//! microphone and earpiece, through crates/devices), files and tones (scripts
//! and tests), silence.

mod call_sound;
mod conference;
mod gain;
mod meter;
mod recording_file;
mod ringer;
mod wav;

use hookswitch_devices::sound::SoundStats;
use hookswitch_media::tone::Sine;

use crate::config::EchoMode;

pub use call_sound::{CallAudio, CallSound};
pub use conference::{Bridge, BridgeLeg};
pub use gain::{Gain, MAX_PERCENT};
pub use meter::Meter;
pub(crate) use recording_file::civil_from_days;
pub use recording_file::recording_name;
pub use ringer::{RingSound, Ringer};
pub use wav::{CallRecorder, WavSink, WavSource};

/// Produces 20 ms frames of mono PCM at the codec's rate.
pub trait AudioSource: Send {
    /// Fills `out`; returns false once the source has nothing more (a file ended).
    fn read_frame(&mut self, out: &mut [i16]) -> bool;
}

/// Consumes 20 ms frames of mono PCM at the codec's rate.
pub trait AudioSink: Send {
    fn write_frame(&mut self, pcm: &[i16]);
    /// Flushes and closes (a WAV header is completed here).
    fn finish(&mut self) {}
}

/// Silence for ever.
pub struct Silence;

impl AudioSource for Silence {
    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        out.fill(0);
        true
    }
}

/// A continuous sine tone.
pub struct Tone(Sine);

impl Tone {
    pub fn new(frequency: f64, sample_rate: u32) -> Self {
        Tone(Sine::new(frequency, sample_rate, 8000))
    }
}

impl AudioSource for Tone {
    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        self.0.fill(out);
        true
    }
}

/// Discards what it is given.
pub struct Discard;

impl AudioSink for Discard {
    fn write_frame(&mut self, _pcm: &[i16]) {}
}

/// The microphone, as a call's source (reopened if the device goes away).
struct Microphone(hookswitch_devices::sound::Microphone);

impl AudioSource for Microphone {
    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        self.0.read_frame(out)
    }
}

/// A sound device's figures at the end of a call ("capture" or "playback").
fn log_ended(what: &str, (stats, reopened): (Option<SoundStats>, u64)) {
    if let Some(s) = stats {
        tracing::info!(
            device = %s.device,
            rate = s.device_rate,
            underruns = s.underruns,
            overruns = s.overruns,
            xruns = s.xruns,
            errors = s.errors,
            samples = s.samples,
            reopened,
            "{what} ended"
        );
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        log_ended("capture", self.0.stats());
    }
}

/// The earpiece or speaker, as a call's sink (reopened if the device goes away).
struct Speaker(hookswitch_devices::sound::Speaker);

impl AudioSink for Speaker {
    fn write_frame(&mut self, pcm: &[i16]) {
        self.0.write_frame(pcm);
    }

    fn finish(&mut self) {
        log_ended("playback", self.0.stats());
    }
}

/// Both: the speaker and a recording.
struct Tee(Vec<Box<dyn AudioSink>>);

impl AudioSink for Tee {
    fn write_frame(&mut self, pcm: &[i16]) {
        for s in &mut self.0 {
            s.write_frame(pcm);
        }
    }

    fn finish(&mut self) {
        for s in &mut self.0 {
            s.finish();
        }
    }
}

/// What the user asked a call to play and record.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioSpec {
    /// A WAV file to play into the call; `None` for silence.
    pub play: Option<std::path::PathBuf>,
    /// Play a sine tone of this frequency instead of a file.
    pub tone_hz: Option<f64>,
    /// A WAV file to record what the peer sends.
    pub record: Option<std::path::PathBuf>,
    /// Capture from this sound device ("default": the system's).
    pub microphone: Option<String>,
    /// Play what the peer sends on this sound device ("default": the system's).
    pub speaker: Option<String>,
    /// Record the whole call, both ways, to this stereo WAV file.
    pub record_call: Option<std::path::PathBuf>,
    /// Cancel the speaker's echo in the microphone (`None`: the configuration's choice).
    pub echo_cancellation: Option<EchoMode>,
}

impl AudioSpec {
    pub fn source(&self, sample_rate: u32) -> Result<Box<dyn AudioSource>, String> {
        if let Some(path) = &self.play {
            return WavSource::open(path, sample_rate).map(|s| Box::new(s) as Box<dyn AudioSource>);
        }
        if let Some(hz) = self.tone_hz {
            return Ok(Box::new(Tone::new(hz, sample_rate)));
        }
        if let Some(name) = &self.microphone {
            let capture = hookswitch_devices::sound::Microphone::open(name, sample_rate)
                .map_err(|e| e.to_string())?;
            return Ok(Box::new(Microphone(capture)));
        }
        Ok(Box::new(Silence))
    }

    /// An echo canceller, when a microphone and a speaker are both in use and
    /// `mode` (this call's, else `default`) asks for one.
    pub fn echo_canceller(
        &self,
        default: EchoMode,
        sample_rate: u32,
    ) -> Option<hookswitch_devices::sound::echo::EchoCanceller> {
        let (Some(mic), Some(speaker)) = (&self.microphone, &self.speaker) else {
            return None;
        };
        let wanted = match self.echo_cancellation.unwrap_or(default) {
            EchoMode::Off => false,
            EchoMode::On => true,
            EchoMode::Auto => !hookswitch_devices::sound::any_is_headset(&[mic, speaker]),
        };
        if !wanted {
            return None;
        }
        let canceller = hookswitch_devices::sound::echo::EchoCanceller::new(sample_rate);
        if canceller.is_none() {
            tracing::warn!(sample_rate, "echo cancellation is not available");
        }
        canceller
    }

    /// The whole-call recorder, when asked for.
    pub fn recorder(&self, sample_rate: u32) -> Result<Option<CallRecorder>, String> {
        self.record_call
            .as_deref()
            .map(|p| CallRecorder::create(p, sample_rate))
            .transpose()
    }

    pub fn sink(&self, sample_rate: u32) -> Result<Box<dyn AudioSink>, String> {
        let mut sinks: Vec<Box<dyn AudioSink>> = Vec::new();
        if let Some(path) = &self.record {
            sinks.push(Box::new(WavSink::create(path, sample_rate)?));
        }
        if let Some(name) = &self.speaker {
            let playback = hookswitch_devices::sound::Speaker::open(name, sample_rate)
                .map_err(|e| e.to_string())?;
            sinks.push(Box::new(Speaker(playback)));
        }
        Ok(match sinks.len() {
            0 => Box::new(Discard),
            1 => sinks.remove(0),
            _ => Box::new(Tee(sinks)),
        })
    }
}
