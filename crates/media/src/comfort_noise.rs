//! Comfort noise (RFC 3389): a peer that stops sending during silence sends a
//! Silence Insertion Descriptor first, a noise level and optionally the
//! reflection coefficients of an all-pole model of the background; we play
//! noise like it until speech resumes, instead of dead silence that makes the
//! listener think the call dropped.
//!
//! Level: byte 0, 0..=127 in -dBov, where 0 dBov is a full-scale square wave
//! (RMS 32767 in 16-bit PCM). Coefficients: one byte each, k = (q - 127) / 128.

/// A parsed SID.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseDescription {
    /// Noise level in -dBov (0 = full scale, 127 = nothing).
    pub level_dbov: u8,
    /// Reflection coefficients, each in (-1, 1).
    pub reflection: Vec<f32>,
}

/// Coefficients beyond this are ignored (the RFC lets a decoder lower the order).
const MAX_ORDER: usize = 16;

impl NoiseDescription {
    /// Reads a CN payload; `None` for an empty one.
    pub fn parse(payload: &[u8]) -> Option<NoiseDescription> {
        let (&level, coefficients) = payload.split_first()?;
        Some(NoiseDescription {
            level_dbov: level & 0x7f,
            reflection: coefficients
                .iter()
                .take(MAX_ORDER)
                // q = 0 would be k = -0.99: keep every pole inside the unit circle.
                .map(|&q| ((f32::from(q) - 127.0) / 128.0).clamp(-0.99, 0.99))
                .collect(),
        })
    }

    /// The payload that says this.
    pub fn to_payload(&self) -> Vec<u8> {
        std::iter::once(self.level_dbov.min(127))
            .chain(
                self.reflection
                    .iter()
                    .map(|k| (k * 128.0 + 127.0).round().clamp(0.0, 254.0) as u8),
            )
            .collect()
    }

    /// Describes the background in `pcm` with a model of `order`
    /// coefficients (Levinson-Durbin on the autocorrelation).
    pub fn of(pcm: &[i16], order: usize) -> NoiseDescription {
        let x: Vec<f64> = pcm.iter().map(|&s| f64::from(s)).collect();
        let energy: f64 = x.iter().map(|v| v * v).sum();
        let rms = (energy / x.len().max(1) as f64).sqrt();
        let level = if rms < 1.0 {
            127
        } else {
            (-20.0 * (rms / 32767.0).log10()).round().clamp(0.0, 127.0) as u8
        };
        let order = order.min(MAX_ORDER).min(x.len().saturating_sub(1));
        let r: Vec<f64> = (0..=order)
            .map(|lag| x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum())
            .collect();
        NoiseDescription {
            level_dbov: level,
            reflection: reflection_of(&r),
        }
    }

    fn rms(&self) -> f32 {
        32767.0 * 10f32.powf(-f32::from(self.level_dbov) / 20.0)
    }
}

/// Levinson-Durbin: the reflection coefficients of autocorrelation `r`, in
/// the sign convention where the synthesis filter is 1 / (1 - sum a_i z^-i).
fn reflection_of(r: &[f64]) -> Vec<f32> {
    let order = r.len().saturating_sub(1);
    let mut reflection = Vec::with_capacity(order);
    if order == 0 || r[0] <= 0.0 {
        return reflection;
    }
    let mut a = vec![0.0f64; order + 1];
    let mut error = r[0];
    for i in 1..=order {
        let acc: f64 = r[i] - (1..i).map(|j| a[j] * r[i - j]).sum::<f64>();
        let k = (acc / error).clamp(-0.99, 0.99);
        let previous = a.clone();
        a[i] = k;
        for j in 1..i {
            a[j] = previous[j] - k * previous[i - j];
        }
        error *= 1.0 - k * k;
        reflection.push(k as f32);
        if error <= 0.0 {
            break;
        }
    }
    reflection
}

/// Direct-form predictor coefficients from reflection coefficients (step-up).
fn predictor_of(reflection: &[f32]) -> Vec<f32> {
    let mut a: Vec<f32> = Vec::with_capacity(reflection.len());
    for (i, &k) in reflection.iter().enumerate() {
        let previous = a.clone();
        a.push(k);
        for j in 0..i {
            a[j] = previous[j] - k * previous[i - 1 - j];
        }
    }
    a
}

/// Samples over which a new level fades in (10 ms at 16 kHz).
const RAMP: usize = 160;

/// Plays noise as the last SID describes it.
#[derive(Debug, Clone)]
pub struct ComfortNoise {
    predictor: Vec<f32>,
    /// Excitation gain that makes the filtered noise reach the level.
    gain: f32,
    /// The gain the last frame ended at (changes ramp over one frame).
    current_gain: f32,
    history: Vec<f32>,
    seed: u32,
}

impl ComfortNoise {
    pub fn new(seed: u32) -> Self {
        ComfortNoise {
            predictor: Vec::new(),
            gain: 0.0,
            current_gain: 0.0,
            history: Vec::new(),
            seed: seed | 1,
        }
    }

    /// A new SID from the peer.
    pub fn update(&mut self, description: &NoiseDescription) {
        // The all-pole filter multiplies the excitation's power by
        // 1 / prod(1 - k^2): divide it out so the output has the level.
        let prediction_gain: f32 = description.reflection.iter().map(|k| 1.0 - k * k).product();
        self.gain = description.rms() * prediction_gain.sqrt();
        self.predictor = predictor_of(&description.reflection);
        self.history.resize(self.predictor.len(), 0.0);
    }

    /// Uniform noise with unit variance (xorshift: cheap, no allocation).
    fn white(&mut self) -> f32 {
        let mut x = self.seed;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.seed = x;
        (x as f32 / u32::MAX as f32 * 2.0 - 1.0) * 3f32.sqrt()
    }

    /// Appends `n` samples of noise.
    pub fn generate(&mut self, n: usize, out: &mut Vec<i16>) {
        let start_gain = self.current_gain;
        let ramp = n.min(RAMP);
        for i in 0..n {
            let g = if i < ramp {
                start_gain + (self.gain - start_gain) * (i + 1) as f32 / ramp as f32
            } else {
                self.gain
            };
            let mut y = g * self.white();
            for (a, h) in self.predictor.iter().zip(&self.history) {
                y += a * h;
            }
            if !self.history.is_empty() {
                self.history.rotate_right(1);
                self.history[0] = y;
            }
            out.push(y.round().clamp(-32768.0, 32767.0) as i16);
        }
        self.current_gain = self.gain;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tone::rms;

    #[test]
    fn level_only_sid_gives_noise_at_that_level() {
        let mut cn = ComfortNoise::new(7);
        cn.update(&NoiseDescription::parse(&[40]).unwrap());
        let mut out = Vec::new();
        cn.generate(8000, &mut out);
        let out = &out[RAMP..];
        let expected = 32767.0 * 10f64.powf(-2.0);
        let got = rms(out);
        assert!((got / expected - 1.0).abs() < 0.05, "{got} vs {expected}");
    }

    #[test]
    fn payload_round_trip() {
        let d = NoiseDescription {
            level_dbov: 63,
            reflection: vec![0.5, -0.25, 0.0],
        };
        let p = d.to_payload();
        assert_eq!(p, vec![63, 191, 95, 127]);
        let back = NoiseDescription::parse(&p).unwrap();
        assert_eq!(back.level_dbov, 63);
        for (a, b) in back.reflection.iter().zip(&d.reflection) {
            assert!((a - b).abs() < 0.01);
        }
        assert_eq!(NoiseDescription::parse(&[]), None);
        // The unused top bit of the level is ignored.
        assert_eq!(
            NoiseDescription::parse(&[0x80 | 30]).unwrap().level_dbov,
            30
        );
    }

    /// Low-pass noise described and played back keeps its level and its
    /// colour (most energy below 1 kHz).
    #[test]
    fn described_noise_is_played_back_alike() {
        let mut white = ComfortNoise::new(99);
        white.update(&NoiseDescription {
            level_dbov: 30,
            reflection: Vec::new(),
        });
        let mut raw = Vec::new();
        white.generate(16000, &mut raw);
        // A one-pole low-pass.
        let mut y = 0.0f32;
        let coloured: Vec<i16> = raw
            .iter()
            .map(|&x| {
                y = 0.9 * y + 0.1 * f32::from(x) * 3.0;
                y as i16
            })
            .collect();
        let d = NoiseDescription::of(&coloured, 4);
        assert!(d.reflection[0] > 0.8, "{:?}", d.reflection);
        let mut cn = ComfortNoise::new(3);
        cn.update(&NoiseDescription::parse(&d.to_payload()).unwrap());
        let mut out = Vec::new();
        cn.generate(16000, &mut out);
        let ratio = rms(&out[RAMP..]) / rms(&coloured);
        assert!((0.8..1.25).contains(&ratio), "level ratio {ratio}");
        let low = |s: &[i16]| {
            crate::tone::goertzel_power(s, 200.0, 8000)
                / crate::tone::goertzel_power(s, 3000.0, 8000)
        };
        assert!(low(&out) > 10.0, "not low-pass: {}", low(&out));
    }

    #[test]
    fn any_payload_is_safe() {
        let mut cn = ComfortNoise::new(1);
        for q in 0..=255u8 {
            cn.update(&NoiseDescription::parse(&[0, q, q, q, q, q, q, q, q]).unwrap());
            let mut out = Vec::new();
            cn.generate(320, &mut out);
            assert_eq!(out.len(), 320);
        }
    }
}
