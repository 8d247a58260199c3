//! Where a call's audio comes from and goes to. Sound devices (cpal) plug in here
//! with the audio issue; files and tones serve scripts and tests now.

mod wav;

use hookswitch_media::tone::Sine;

pub use wav::{WavSink, WavSource};

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

/// What the user asked a call to play and record.
#[derive(Debug, Clone, Default)]
pub struct AudioSpec {
    /// A WAV file to play into the call; `None` for silence.
    pub play: Option<std::path::PathBuf>,
    /// Play a sine tone of this frequency instead of a file.
    pub tone_hz: Option<f64>,
    /// A WAV file to record what the peer sends.
    pub record: Option<std::path::PathBuf>,
}

impl AudioSpec {
    pub fn source(&self, sample_rate: u32) -> Result<Box<dyn AudioSource>, String> {
        if let Some(path) = &self.play {
            return WavSource::open(path, sample_rate).map(|s| Box::new(s) as Box<dyn AudioSource>);
        }
        if let Some(hz) = self.tone_hz {
            return Ok(Box::new(Tone::new(hz, sample_rate)));
        }
        Ok(Box::new(Silence))
    }

    pub fn sink(&self, sample_rate: u32) -> Result<Box<dyn AudioSink>, String> {
        match &self.record {
            Some(path) => {
                WavSink::create(path, sample_rate).map(|s| Box::new(s) as Box<dyn AudioSink>)
            }
            None => Ok(Box::new(Discard)),
        }
    }
}
