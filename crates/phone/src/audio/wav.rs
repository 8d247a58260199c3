//! WAV files as call audio: any PCM WAV in (mixed to mono, resampled to the
//! codec rate), 16-bit mono WAV out.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use super::{AudioSink, AudioSource};

/// A WAV file played from disk, converted frame by frame: mixed to mono and
/// brought to the call's rate as it plays, so memory stays the same for a
/// minute's message or half an hour of music (decoding it whole took 20 bytes
/// a sample: 55 MB of peak RSS for a minute at 48 kHz, D96).
pub struct WavSource {
    reader: hound::WavReader<std::io::BufReader<File>>,
    spec: hound::WavSpec,
    /// From the file's rate to the call's (`None`: the same rate).
    converter: Option<RateConverter>,
    /// Mono samples at the call's rate, converted and not played yet.
    ready: std::collections::VecDeque<i16>,
    /// What the whole file makes at the call's rate, and what was played.
    total: u64,
    played: u64,
    /// The file's data is read to its end (zeros flush the converter).
    read_all: bool,
    /// The call's rate the file plays at.
    call_rate: u32,
    block: Vec<f32>,
    converted: Vec<f32>,
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
        let total = u64::from(reader.duration()) * u64::from(rate) / u64::from(spec.sample_rate);
        Ok(WavSource {
            reader,
            spec,
            converter: RateConverter::new(spec.sample_rate, rate),
            ready: Default::default(),
            total,
            played: 0,
            read_all: false,
            call_rate: rate,
            block: Vec::new(),
            converted: Vec::new(),
        })
    }

    /// Reads, mixes and converts about 20 ms more of the file into `ready`.
    fn convert_more(&mut self) {
        let frames = (self.spec.sample_rate / 50).max(1) as usize;
        let wanted = self
            .converter
            .as_ref()
            .map_or(frames, RateConverter::input_needed);
        self.block.clear();
        if !self.read_all {
            match read_mono(&mut self.reader, &self.spec, wanted, &mut self.block) {
                Ok(()) => self.read_all = self.block.len() < wanted,
                Err(e) => {
                    tracing::warn!("playing a WAV file stopped: {e}");
                    self.read_all = true;
                    // What was converted plays; nothing after it.
                    self.total = self.played + self.ready.len() as u64;
                    return;
                }
            }
        }
        self.converted.clear();
        match &mut self.converter {
            Some(c) => {
                // Past the end, zeros bring the converter's delayed tail out.
                self.block.resize(wanted, 0.0);
                c.push(&self.block, &mut self.converted);
            }
            None if self.block.is_empty() => {
                // Nothing more to come at the same rate.
                self.total = self.played + self.ready.len() as u64;
            }
            None => self.converted.extend_from_slice(&self.block),
        }
        self.ready.extend(
            self.converted
                .iter()
                .map(|s| (s * 32767.0).round().clamp(-32768.0, 32767.0) as i16),
        );
    }
}

/// Up to `frames` frames of the file, each mixed to one sample, into `out`
/// (fewer at its end).
fn read_mono(
    reader: &mut hound::WavReader<std::io::BufReader<File>>,
    spec: &hound::WavSpec,
    frames: usize,
    out: &mut Vec<f32>,
) -> Result<(), hound::Error> {
    let channels = usize::from(spec.channels.max(1));
    let n = frames * channels;
    let mut frame_sum = 0.0f32;
    let mut in_frame = 0;
    let mut take = |s: f32| {
        frame_sum += s;
        in_frame += 1;
        if in_frame == channels {
            out.push(frame_sum / channels as f32);
            frame_sum = 0.0;
            in_frame = 0;
        }
    };
    match spec.sample_format {
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1i64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
            for s in reader.samples::<i32>().take(n) {
                take(s? as f32 * scale);
            }
        }
        hound::SampleFormat::Float => {
            for s in reader.samples::<f32>().take(n) {
                take(s?);
            }
        }
    }
    Ok(())
}

/// Band-limited rate conversion block by block (rubato's FFT resampler, as
/// the sound devices use): linear interpolation folded everything above the
/// new Nyquist back into the speech, which took a 16 kHz recording sent as
/// G.711 from PESQ 3.9 down to 3.0. The resampler's delay is dropped, so the
/// output is in step with the input.
struct RateConverter {
    resampler: rubato::FftFixedInOut<f32>,
    /// Output samples still to drop (the resampler's delay).
    skip: usize,
}

impl RateConverter {
    fn new(from: u32, to: u32) -> Option<RateConverter> {
        use rubato::Resampler;
        if from == to || from == 0 || to == 0 {
            return None;
        }
        let resampler = rubato::FftFixedInOut::<f32>::new(
            from as usize,
            to as usize,
            (from / 50).max(1) as usize,
            1,
        )
        .ok()?;
        let skip = resampler.output_delay();
        Some(RateConverter { resampler, skip })
    }

    /// Input samples the next `push` takes.
    fn input_needed(&self) -> usize {
        use rubato::Resampler;
        self.resampler.input_frames_next()
    }

    /// Converts one block of `input_needed` samples, appending to `out`.
    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        use rubato::Resampler;
        if let Ok(frames) = self.resampler.process(&[input], None)
            && let Some(frames) = frames.first()
        {
            let skip = self.skip.min(frames.len());
            self.skip -= skip;
            out.extend_from_slice(&frames[skip..]);
        }
    }
}

/// A whole signal converted from `from` to `to` Hz, as long as the input
/// lasts at the new rate.
#[cfg(test)]
fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    let Some(mut c) = RateConverter::new(from, to) else {
        return input.to_vec();
    };
    let wanted = (input.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let mut out = Vec::with_capacity(wanted);
    let mut position = 0;
    while out.len() < wanted {
        let n = c.input_needed();
        let mut block: Vec<f32> = input.iter().skip(position).take(n).copied().collect();
        block.resize(n, 0.0);
        position += n;
        c.push(&block, &mut out);
    }
    out.truncate(wanted);
    out
}

impl WavSource {
    /// From the start again (a ring tone loops).
    pub fn rewind(&mut self) {
        if let Err(e) = self.reader.seek(0) {
            tracing::warn!("a WAV file cannot start again: {e}");
            self.total = self.played;
            return;
        }
        self.converter = RateConverter::new(self.spec.sample_rate, self.call_rate);
        self.ready.clear();
        self.played = 0;
        self.read_all = false;
        self.total = u64::from(self.reader.duration()) * u64::from(self.call_rate)
            / u64::from(self.spec.sample_rate);
    }
}

impl AudioSource for WavSource {
    fn read_frame(&mut self, out: &mut [i16]) -> bool {
        let left = self.total.saturating_sub(self.played);
        if left == 0 {
            out.fill(0);
            return false;
        }
        let want = out.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        // A few blocks at most: each adds about a frame (a converter that
        // fails adds nothing, and the frame is then short, not endless).
        for _ in 0..8 {
            if self.ready.len() >= want || self.total <= self.played {
                break;
            }
            self.convert_more();
        }
        let n = want.min(self.ready.len());
        for (o, s) in out.iter_mut().zip(self.ready.drain(..n)) {
            *o = s;
        }
        out[n..].fill(0);
        self.played += n as u64;
        if n == 0 {
            // Nothing more came: the file is done.
            self.total = self.played;
        }
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

    fn write_ramp(path: &Path, rate: u32, samples: usize) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..samples {
            w.write_sample((i % 1000) as i16).unwrap();
        }
        w.finalize().unwrap();
    }

    /// At the file's own rate every sample plays once, in order; rewound,
    /// it plays again from the start (a ring tone loops).
    #[test]
    fn a_file_plays_whole_and_again_after_a_rewind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        write_ramp(&path, 8000, 810);
        let mut src = WavSource::open(&path, 8000).unwrap();
        let mut frame = [0i16; 160];
        let mut heard = Vec::new();
        while src.read_frame(&mut frame) {
            heard.extend_from_slice(&frame);
        }
        assert_eq!(heard.len(), 6 * 160, "five whole frames and a short one");
        let expected: Vec<i16> = (0..810).map(|i| (i % 1000) as i16).collect();
        assert_eq!(&heard[..810], &expected[..]);
        assert!(heard[810..].iter().all(|&s| s == 0), "padded with silence");
        src.rewind();
        assert!(src.read_frame(&mut frame));
        assert_eq!(&frame[..], &expected[..160]);
    }

    /// Converted while it plays, a file comes out as long as it lasts, at
    /// the call's rate: 1.5 s at 16 kHz is 1.5 s at 48 kHz.
    #[test]
    fn a_converted_file_lasts_as_long_as_it_did() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp16.wav");
        write_ramp(&path, 16000, 24000);
        let mut src = WavSource::open(&path, 48000).unwrap();
        let mut frame = [0i16; 960];
        let mut frames = 0;
        while src.read_frame(&mut frame) {
            frames += 1;
            assert!(frames < 1000, "it ends");
        }
        assert_eq!(frames, 75);
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
