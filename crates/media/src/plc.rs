//! Packet loss concealment for codecs without their own (G.711, G.722), after
//! ITU-T G.711 Appendix I: a lost frame is rebuilt by repeating the last pitch
//! period of what was heard, adding a period for each further 10 ms lost (up
//! to three, so a long gap does not buzz), fading 20 % per 10 ms after the
//! first 10 ms and reaching silence at 60 ms; the first good frame after a
//! gap is cross-faded with the continued repetition so it starts without a
//! click.
//!
//! One deviation: Appendix I delays all output by 3.75 ms so it can also
//! smooth the junction into the first repeated period. A softphone would pay
//! that delay on every frame for a gain only on lost ones, so the junction
//! is left as it is; the pitch search picks the period that matches best,
//! which keeps the junction close to continuous for voiced speech.

/// G.711 Appendix I constants at 8 kHz, scaled by the sample rate.
const PITCH_MIN_8K: usize = 40; // 200 Hz
const PITCH_MAX_8K: usize = 120; // 66.7 Hz
const CORRELATION_8K: usize = 160; // 20 ms compared

#[derive(Debug, Clone)]
pub struct Concealer {
    /// Samples per millisecond.
    per_ms: usize,
    pitch_min: usize,
    pitch_max: usize,
    correlation: usize,
    /// The last samples heard (3 longest periods + a correlation window).
    history: Vec<f32>,
    /// Samples concealed in the current gap (0: not in a gap).
    erased: usize,
    pitch: usize,
    /// The last three periods before the gap, which the repetition cycles over.
    periods: Vec<f32>,
    /// How many of the last periods are being repeated (1..=3).
    periods_used: usize,
    /// Position in the repetition.
    offset: usize,
}

impl Concealer {
    pub fn new(sample_rate: u32) -> Self {
        let scale = (sample_rate as usize / 8000).max(1);
        let pitch_max = PITCH_MAX_8K * scale;
        let correlation = CORRELATION_8K * scale;
        Concealer {
            per_ms: sample_rate as usize / 1000,
            pitch_min: PITCH_MIN_8K * scale,
            pitch_max,
            correlation,
            history: Vec::with_capacity(pitch_max * 3 + correlation),
            erased: 0,
            pitch: pitch_max,
            periods: Vec::new(),
            periods_used: 1,
            offset: 0,
        }
    }

    fn history_len(&self) -> usize {
        self.pitch_max * 3 + self.correlation
    }

    /// A frame that arrived: cross-faded with the repetition if it ends a
    /// gap, then remembered.
    pub fn good(&mut self, frame: &mut [i16]) {
        if self.erased > 0 {
            // 1/4 period, plus 4 ms for each further 10 ms lost, at most 10 ms.
            let extra = (self.erased / (10 * self.per_ms)).saturating_sub(1) * 4 * self.per_ms;
            let len = (self.pitch / 4 + extra)
                .min(10 * self.per_ms)
                .min(frame.len());
            let mut synthetic = Vec::with_capacity(len);
            self.synthesize(len, &mut synthetic);
            for (i, (s, v)) in frame.iter_mut().zip(synthetic).enumerate() {
                let w = (i + 1) as f32 / (len + 1) as f32;
                *s = (w * f32::from(*s) + (1.0 - w) * v)
                    .round()
                    .clamp(-32768.0, 32767.0) as i16;
            }
            self.erased = 0;
        }
        self.remember(frame.iter().map(|&s| f32::from(s)));
    }

    fn remember(&mut self, samples: impl Iterator<Item = f32>) {
        self.history.extend(samples);
        let excess = self.history.len().saturating_sub(self.history_len());
        if excess > 0 {
            self.history.drain(..excess);
        }
    }

    /// Appends `n` samples standing in for a lost frame.
    pub fn conceal(&mut self, n: usize, out: &mut Vec<i16>) {
        if self.history.len() < self.history_len() {
            // Too little heard to find a pitch: silence.
            out.extend(std::iter::repeat_n(0, n));
            self.erased += n;
            return;
        }
        if self.erased == 0 {
            self.pitch = self.find_pitch();
            let end = self.history.len();
            self.periods = self.history[end - 3 * self.pitch..].to_vec();
            self.periods_used = 1;
            self.offset = 0;
        }
        let mut synthetic = Vec::with_capacity(n);
        let ten_ms = 10 * self.per_ms;
        for _ in 0..n {
            // One more period for each 10 ms lost, up to three.
            let wanted = (1 + self.erased / ten_ms).min(3);
            if wanted > self.periods_used {
                self.periods_used = wanted;
            }
            // Fade: full for the first 10 ms, then -20 % per 10 ms; silent at 60 ms.
            let gain = if self.erased < ten_ms {
                1.0
            } else {
                (1.0 - 0.2 * (self.erased - ten_ms) as f32 / ten_ms as f32).max(0.0)
            };
            synthetic.push(self.next_repeated() * gain);
            self.erased += 1;
        }
        out.extend(
            synthetic
                .iter()
                .map(|v| v.round().clamp(-32768.0, 32767.0) as i16),
        );
        // What was played belongs to the history a later gap starts from.
        self.remember(synthetic.into_iter());
    }

    /// The next sample of the repetition (no fading, no bookkeeping of the gap).
    fn next_repeated(&mut self) -> f32 {
        let span = self.pitch * self.periods_used;
        let start = self.periods.len() - span;
        let v = self.periods[start + self.offset % span];
        self.offset = (self.offset + 1) % span;
        v
    }

    /// The continued repetition, faded as the gap had reached.
    fn synthesize(&mut self, n: usize, out: &mut Vec<f32>) {
        if self.periods.is_empty() {
            out.extend(std::iter::repeat_n(0.0, n));
            return;
        }
        let ten_ms = 10 * self.per_ms;
        let gain = if self.erased < ten_ms {
            1.0
        } else {
            (1.0 - 0.2 * (self.erased - ten_ms) as f32 / ten_ms as f32).max(0.0)
        };
        for _ in 0..n {
            let v = self.next_repeated();
            out.push(v * gain);
        }
    }

    /// The period whose repetition best matches the last 20 ms heard
    /// (normalised cross-correlation).
    fn find_pitch(&self) -> usize {
        let h = &self.history;
        let end = h.len();
        let target = &h[end - self.correlation..];
        let mut best = (self.pitch_max, f32::MIN);
        for lag in self.pitch_min..=self.pitch_max {
            let earlier = &h[end - self.correlation - lag..end - lag];
            let (mut cross, mut energy) = (0.0f32, 0.0f32);
            for (a, b) in target.iter().zip(earlier) {
                cross += a * b;
                energy += b * b;
            }
            let score = if energy > 0.0 {
                cross / energy.sqrt()
            } else {
                0.0
            };
            if score > best.1 {
                best = (lag, score);
            }
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voiced sound: 125 Hz with harmonics, at 8 kHz.
    fn vowel(from: usize, n: usize) -> Vec<i16> {
        (from..from + n)
            .map(|i| {
                let t = i as f32 / 8000.0;
                let v: f32 = (1..=5)
                    .map(|h| (2.0 * std::f32::consts::PI * 125.0 * h as f32 * t).sin() / h as f32)
                    .sum();
                (v * 6000.0) as i16
            })
            .collect()
    }

    fn snr(reference: &[i16], got: &[i16]) -> f32 {
        let signal: f32 = reference.iter().map(|&v| f32::from(v).powi(2)).sum();
        let noise: f32 = reference
            .iter()
            .zip(got)
            .map(|(&a, &b)| (f32::from(a) - f32::from(b)).powi(2))
            .sum();
        10.0 * (signal / noise.max(1.0)).log10()
    }

    #[test]
    fn finds_the_pitch_and_repeats_it() {
        let mut c = Concealer::new(8000);
        for f in 0..10 {
            c.good(&mut vowel(f * 160, 160));
        }
        let mut out = Vec::new();
        c.conceal(160, &mut out);
        assert_eq!(c.pitch, 64, "8000 / 125 Hz");
        // The first 10 ms of a lost frame of a steady vowel come back almost exactly.
        assert!(snr(&vowel(1600, 80), &out[..80]) > 20.0);
        // The last 10 ms are faded by up to 20 %.
        assert!(snr(&vowel(1680, 80), &out[80..]) > 10.0);
    }

    #[test]
    fn long_gaps_fade_to_silence_and_recovery_is_smooth() {
        let mut c = Concealer::new(8000);
        for f in 0..10 {
            c.good(&mut vowel(f * 160, 160));
        }
        let mut out = Vec::new();
        for _ in 0..4 {
            c.conceal(160, &mut out);
        }
        let peak = |s: &[i16]| s.iter().map(|v| v.unsigned_abs()).max().unwrap_or(0);
        assert!(
            peak(&out[400..480]) < peak(&out[..80]) / 4,
            "faded by 50-60 ms"
        );
        assert!(out[480..].iter().all(|&v| v == 0), "silent after 60 ms");
        let mut next = vowel(14 * 160, 160);
        let untouched = next.clone();
        c.good(&mut next);
        // The cross-fade starts from the (silent) repetition and ends on the frame.
        assert!(next[0].abs() < untouched[0].abs().max(1) || untouched[0] == 0);
        assert_eq!(next[159], untouched[159]);
    }

    #[test]
    fn beats_fading_the_last_frame() {
        let mut c = Concealer::new(16000);
        let wide = |from: usize, n: usize| -> Vec<i16> {
            (from..from + n)
                .map(|i| {
                    let t = i as f32 / 16000.0;
                    ((2.0 * std::f32::consts::PI * 180.0 * t).sin() * 8000.0
                        + (2.0 * std::f32::consts::PI * 540.0 * t).sin() * 3000.0)
                        as i16
                })
                .collect()
        };
        for f in 0..10 {
            c.good(&mut wide(f * 320, 320));
        }
        let mut out = Vec::new();
        c.conceal(320, &mut out);
        let reference = wide(3200, 320);
        let repeated: Vec<i16> = wide(2880, 320).iter().map(|v| v >> 1).collect();
        assert!(
            snr(&reference, &out) > snr(&reference, &repeated) + 6.0,
            "{} vs {}",
            snr(&reference, &out),
            snr(&reference, &repeated)
        );
    }

    #[test]
    fn silence_before_enough_history() {
        let mut c = Concealer::new(8000);
        c.good(&mut vowel(0, 160));
        let mut out = Vec::new();
        c.conceal(160, &mut out);
        assert!(out.iter().all(|&v| v == 0));
        let mut next = vowel(320, 160);
        c.good(&mut next);
    }
}
