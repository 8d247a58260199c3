//! WAV files as call audio: any PCM WAV in (mixed to mono, resampled to the
//! codec rate), 16-bit mono WAV out.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use super::{AudioSink, AudioSource};

pub struct WavSource {
    samples: Vec<i16>,
    position: usize,
}

/// The longest file taken, at its own rate (a ring tone or a played
/// message; half an hour of 48 kHz stereo is 660 MB as f32).
const MAX_SECONDS: u64 = 30 * 60;

/// What a WAV header says, checked before anything is sized by it: a rate a
/// person could hear (8-192 kHz), 1-8 channels, a sample size PCM has, and
/// no more samples than the file holds or [`MAX_SECONDS`] allows.
fn check_header(
    spec: &hound::WavSpec,
    claimed_samples: u64,
    file_bytes: u64,
) -> Result<(), String> {
    if !(8_000..=192_000).contains(&spec.sample_rate) {
        return Err(format!(
            "a sample rate of {} Hz (8000 to 192000 taken)",
            spec.sample_rate
        ));
    }
    if !(1..=8).contains(&spec.channels) {
        return Err(format!("{} channels (1 to 8 taken)", spec.channels));
    }
    let sizes: &[u16] = match spec.sample_format {
        hound::SampleFormat::Int => &[8, 16, 24, 32],
        hound::SampleFormat::Float => &[32],
    };
    if !sizes.contains(&spec.bits_per_sample) {
        return Err(format!(
            "{}-bit {:?} samples",
            spec.bits_per_sample, spec.sample_format
        ));
    }
    let bytes_each = u64::from(spec.bits_per_sample).div_ceil(8);
    if claimed_samples.saturating_mul(bytes_each) > file_bytes {
        return Err(format!(
            "the header claims {claimed_samples} samples, more than the file's {file_bytes} bytes hold"
        ));
    }
    let seconds = claimed_samples / u64::from(spec.channels) / u64::from(spec.sample_rate);
    if seconds > MAX_SECONDS {
        return Err(format!("{seconds} s long ({MAX_SECONDS} s at most)"));
    }
    Ok(())
}

impl WavSource {
    pub fn open(path: &Path, rate: u32) -> Result<WavSource, String> {
        let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        let file_bytes = std::fs::metadata(path).map_err(|e| named(&e))?.len();
        let reader = hound::WavReader::open(path).map_err(|e| named(&e))?;
        let spec = reader.spec();
        check_header(&spec, u64::from(reader.len()), file_bytes).map_err(|e| named(&e))?;
        let channels = usize::from(spec.channels.max(1));
        let raw: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Int => {
                let scale = 1.0 / (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
                reader
                    .into_samples::<i32>()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .into_iter()
                    .map(|s| s as f32 * scale)
                    .collect()
            }
            hound::SampleFormat::Float => reader
                .into_samples::<f32>()
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?,
        };
        let mono: Vec<f32> = raw
            .chunks(channels)
            .map(|c| c.iter().sum::<f32>() / c.len() as f32)
            .collect();
        let samples = resample(&mono, spec.sample_rate, rate)
            .into_iter()
            .map(|s| (s * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        Ok(WavSource {
            samples,
            position: 0,
        })
    }
}

/// Band-limited resampling (rubato's FFT resampler, as the sound devices
/// use): linear interpolation folded everything above the new Nyquist back
/// into the speech, which took a 16 kHz recording sent as G.711 from PESQ
/// 3.9 down to 3.0.
fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    use rubato::Resampler;
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let Ok(mut r) = rubato::FftFixedInOut::<f32>::new(
        from as usize,
        to as usize,
        (from / 50).max(1) as usize,
        1,
    ) else {
        return input.to_vec();
    };
    let wanted = (input.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let delay = r.output_delay();
    let chunk = r.input_frames_next();
    let mut out = Vec::with_capacity(wanted + delay + r.output_frames_max());
    let mut block = vec![0.0f32; chunk];
    let mut position = 0;
    // Past the end with zeros until the delayed tail is out too.
    while out.len() < wanted + delay {
        block.fill(0.0);
        if position < input.len() {
            let n = chunk.min(input.len() - position);
            block[..n].copy_from_slice(&input[position..position + n]);
        }
        position += chunk;
        match r.process(&[&block[..]], None) {
            Ok(mut frames) => out.append(&mut frames[0]),
            Err(_) => break,
        }
    }
    out.into_iter().skip(delay).take(wanted).collect()
}

impl WavSource {
    /// From the start again (a ring tone loops).
    pub fn rewind(&mut self) {
        self.position = 0;
    }
}

impl AudioSource for WavSource {
    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        if self.position >= self.samples.len() {
            out.fill(0);
            return false;
        }
        let end = (self.position + out.len()).min(self.samples.len());
        let n = end - self.position;
        out[..n].copy_from_slice(&self.samples[self.position..end]);
        out[n..].fill(0);
        self.position = end;
        true
    }
}

pub struct WavSink {
    writer: Option<hound::WavWriter<BufWriter<File>>>,
}

impl WavSink {
    pub fn create(path: &Path, rate: u32) -> Result<WavSink, String> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(path, spec).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(WavSink {
            writer: Some(writer),
        })
    }
}

impl AudioSink for WavSink {
    fn write_frame(&mut self, pcm: &[i16]) {
        if let Some(w) = &mut self.writer {
            for &s in pcm {
                if w.write_sample(s).is_err() {
                    tracing::warn!("recording stopped: write failed");
                    self.writer = None;
                    return;
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.take()
            && let Err(e) = w.finalize()
        {
            tracing::warn!("recording could not be finalised: {e}");
        }
    }
}

/// A whole call in one stereo WAV: what we sent on the left, what we heard on
/// the right (opt-in; `--record-call`).
pub struct CallRecorder {
    writer: Option<hound::WavWriter<BufWriter<File>>>,
}

impl CallRecorder {
    pub fn create(path: &Path, rate: u32) -> Result<CallRecorder, String> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(path, spec).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(CallRecorder {
            writer: Some(writer),
        })
    }

    /// One 20 ms frame each way (a missing side is silence).
    pub fn write(&mut self, sent: &[i16], heard: &[i16]) {
        let Some(w) = &mut self.writer else { return };
        let n = sent.len().max(heard.len());
        for i in 0..n {
            let left = sent.get(i).copied().unwrap_or(0);
            let right = heard.get(i).copied().unwrap_or(0);
            if w.write_sample(left)
                .and_then(|()| w.write_sample(right))
                .is_err()
            {
                tracing::warn!("call recording stopped: write failed");
                self.writer = None;
                return;
            }
        }
    }

    pub fn finish(&mut self) {
        if let Some(w) = self.writer.take()
            && let Err(e) = w.finalize()
        {
            tracing::warn!("call recording could not be finalised: {e}");
        }
    }
}

impl Drop for CallRecorder {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_48k_file_plays_as_mono_8k() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 48000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&path, spec).unwrap();
        for _ in 0..48000 {
            w.write_sample(1000i16).unwrap();
            w.write_sample(3000i16).unwrap();
        }
        w.finalize().unwrap();
        let mut src = WavSource::open(&path, 8000).unwrap();
        let mut frame = [0i16; 160];
        let mut frames = 0;
        while src.read_frame(&mut frame) {
            frames += 1;
            // The channels' mean; the band-limited resampler rings for a few
            // ms at the file's abrupt start and end.
            if (3..48).contains(&frames) {
                assert!(frame.iter().all(|&s| (s - 2000).abs() <= 2), "{frame:?}");
            }
        }
        assert_eq!(frames, 50);
    }

    #[test]
    fn a_header_that_lies_is_refused_before_anything_is_allocated() {
        let dir = tempfile::tempdir().unwrap();
        // A valid file, then the same with its rate set to 1 Hz (bytes
        // 24-27), then with its data size claiming 4 GB (bytes 40-43).
        let good = dir.path().join("good.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&good, spec).unwrap();
        for i in 0..800 {
            w.write_sample((i % 100) as i16).unwrap();
        }
        w.finalize().unwrap();
        assert!(WavSource::open(&good, 8000).is_ok());
        let bytes = std::fs::read(&good).unwrap();
        let patched = |name: &str, at: usize, value: u32| {
            let mut b = bytes.clone();
            b[at..at + 4].copy_from_slice(&value.to_le_bytes());
            let path = dir.path().join(name);
            std::fs::write(&path, b).unwrap();
            path
        };
        // 1 Hz, with the byte rate to match (bytes 28-31), as a crafted file has.
        let slow = {
            let path = patched("1hz.wav", 24, 1);
            let mut b = std::fs::read(&path).unwrap();
            b[28..32].copy_from_slice(&2u32.to_le_bytes());
            std::fs::write(&path, b).unwrap();
            path
        };
        let e = WavSource::open(&slow, 48_000).err().expect("1 Hz refused");
        assert!(e.contains("sample rate of 1 Hz"), "{e}");
        let long = patched("4gb.wav", 40, 0xffff_fff0);
        let e = WavSource::open(&long, 8000)
            .err()
            .expect("a lying size refused");
        assert!(e.contains("more than the file"), "{e}");
        assert!(
            check_header(&spec, 8000 * 60 * 31, u64::MAX).is_err(),
            "31 minutes"
        );
        let mut wide = spec;
        wide.channels = 0;
        assert!(check_header(&wide, 0, 100).is_err());
        wide.channels = 2;
        wide.bits_per_sample = 12;
        assert!(check_header(&wide, 0, 100).is_err());
    }

    #[test]
    fn recording_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        let mut sink = WavSink::create(&path, 8000).unwrap();
        sink.write_frame(&[1, 2, 3]);
        sink.finish();
        let r = hound::WavReader::open(&path).unwrap();
        assert_eq!(
            r.into_samples::<i16>()
                .map(Result::unwrap)
                .collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }
}

#[cfg(test)]
mod resample_tests {
    use super::resample;

    fn sine(f: f32, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn keeps_the_band_and_drops_what_would_alias() {
        let kept = resample(&sine(1000.0, 16000, 16000), 16000, 8000);
        assert_eq!(kept.len(), 8000);
        assert!((rms(&kept[800..7200]) / 0.3536 - 1.0).abs() < 0.02);
        // 6 kHz does not exist at 8 kHz: linear interpolation made it 2 kHz.
        let folded = resample(&sine(6000.0, 16000, 16000), 16000, 8000);
        assert!(
            rms(&folded[800..7200]) < 0.01,
            "{}",
            rms(&folded[800..7200])
        );
        // Up, and in step with the input (no delay added).
        let up = resample(&sine(440.0, 8000, 8000), 8000, 48000);
        assert_eq!(up.len(), 48000);
        let reference = sine(440.0, 48000, 48000);
        let error = rms(&up[4800..43200]
            .iter()
            .zip(&reference[4800..43200])
            .map(|(a, b)| a - b)
            .collect::<Vec<_>>());
        assert!(error < 0.01, "{error}");
    }
}
