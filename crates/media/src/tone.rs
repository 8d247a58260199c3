//! Tone generation and measurement: test tones, and Goertzel frequency estimates
//! used to check what a call carried.

use std::f64::consts::PI;

/// A sine generator that keeps its phase across frames.
#[derive(Debug, Clone)]
pub struct Sine {
    phase: f64,
    step: f64,
    amplitude: f64,
}

impl Sine {
    pub fn new(frequency: f64, sample_rate: u32, amplitude: i16) -> Self {
        Sine {
            phase: 0.0,
            step: 2.0 * PI * frequency / f64::from(sample_rate),
            amplitude: f64::from(amplitude),
        }
    }

    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            *s = (self.phase.sin() * self.amplitude).round() as i16;
            self.phase = (self.phase + self.step) % (2.0 * PI);
        }
    }
}

/// Power of one frequency in `samples` (Goertzel algorithm).
pub fn goertzel_power(samples: &[i16], frequency: f64, sample_rate: u32) -> f64 {
    let w = 2.0 * PI * frequency / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.len().max(1) as f64).powi(2)
}

/// The dominant frequency between `low` and `high` Hz: a 5 Hz Goertzel scan over
/// a short window (wide main lobe, so the scan cannot step over the peak), then a
/// 0.1 Hz scan over the whole signal around that peak.
pub fn dominant_frequency(samples: &[i16], sample_rate: u32, low: f64, high: f64) -> f64 {
    let scan = |window: &[i16], from: f64, to: f64, step: f64| {
        let mut best = (from, f64::MIN);
        let mut f = from;
        while f <= to {
            let p = goertzel_power(window, f, sample_rate);
            if p > best.1 {
                best = (f, p);
            }
            f += step;
        }
        best.0
    };
    let short = &samples[..samples.len().min(sample_rate as usize / 20)];
    let coarse = scan(short, low, high, 5.0);
    scan(
        samples,
        (coarse - 25.0).max(low),
        (coarse + 25.0).min(high),
        0.1,
    )
}

/// Root mean square level of `samples`.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_generated_tone() {
        let mut buf = vec![0i16; 8000];
        Sine::new(1004.0, 8000, 8000).fill(&mut buf);
        let f = dominant_frequency(&buf, 8000, 100.0, 3800.0);
        assert!((f - 1004.0).abs() < 1.0, "{f}");
        assert!((rms(&buf) - 8000.0 / 2f64.sqrt()).abs() < 20.0);
    }

    #[test]
    fn phase_continues_across_frames() {
        let mut a = Sine::new(440.0, 8000, 1000);
        let mut whole = vec![0i16; 320];
        a.fill(&mut whole);
        let mut b = Sine::new(440.0, 8000, 1000);
        let mut parts = vec![0i16; 320];
        b.fill(&mut parts[..160]);
        b.fill(&mut parts[160..]);
        assert_eq!(whole, parts);
    }
}
