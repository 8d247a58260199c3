//! Call progress tones (dial, ringback, busy, congestion, call waiting) with
//! the frequencies and cadences of ITU-T E.180 and of national plans: US
//! (ANSI T1.401), UK (BT SIN 350), Germany (1TR110), France (France Télécom),
//! and the ITU's generic recommendation for everyone else.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Country {
    Us,
    Uk,
    De,
    Fr,
    /// ITU-T E.180's recommended values.
    Itu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProgressTone {
    Dial,
    Ringback,
    Busy,
    Congestion,
    CallWaiting,
}

/// Frequencies (one or two) and a cadence of on/off periods in ms, repeated;
/// no cadence means continuous.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSpec {
    pub frequencies: &'static [f64],
    pub cadence: &'static [(u32, u32)],
}

impl Country {
    pub fn tone(self, tone: ProgressTone) -> ToneSpec {
        use Country::*;
        use ProgressTone::*;
        let spec = |frequencies, cadence| ToneSpec {
            frequencies,
            cadence,
        };
        match (self, tone) {
            (Us, Dial) => spec(&[350.0, 440.0], &[]),
            (Us, Ringback) => spec(&[440.0, 480.0], &[(2000, 4000)]),
            (Us, Busy) => spec(&[480.0, 620.0], &[(500, 500)]),
            (Us, Congestion) => spec(&[480.0, 620.0], &[(250, 250)]),
            (Us, CallWaiting) => spec(&[440.0], &[(300, 9700)]),
            (Uk, Dial) => spec(&[350.0, 440.0], &[]),
            (Uk, Ringback) => spec(&[400.0, 450.0], &[(400, 200), (400, 2000)]),
            (Uk, Busy) => spec(&[400.0], &[(375, 375)]),
            (Uk, Congestion) => spec(&[400.0], &[(400, 350), (225, 525)]),
            (Uk, CallWaiting) => spec(&[400.0], &[(100, 2000)]),
            (De, Dial) => spec(&[425.0], &[]),
            (De, Ringback) => spec(&[425.0], &[(1000, 4000)]),
            (De, Busy) => spec(&[425.0], &[(480, 480)]),
            (De, Congestion) => spec(&[425.0], &[(240, 240)]),
            (De, CallWaiting) => spec(&[425.0], &[(200, 200), (200, 5000)]),
            (Fr, Dial) => spec(&[440.0], &[]),
            (Fr, Ringback) => spec(&[440.0], &[(1500, 3500)]),
            (Fr, Busy) => spec(&[440.0], &[(500, 500)]),
            (Fr, Congestion) => spec(&[440.0], &[(250, 250)]),
            (Fr, CallWaiting) => spec(&[440.0], &[(300, 10000)]),
            (Itu, Dial) => spec(&[425.0], &[]),
            (Itu, Ringback) => spec(&[425.0], &[(1000, 4000)]),
            (Itu, Busy) => spec(&[425.0], &[(500, 500)]),
            (Itu, Congestion) => spec(&[425.0], &[(250, 250)]),
            (Itu, CallWaiting) => spec(&[425.0], &[(200, 200), (200, 4400)]),
        }
    }
}

/// Plays a tone at any sample rate, frame after frame, keeping phase and cadence.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    spec: ToneSpec,
    rate: u32,
    /// Samples into the current cadence cycle.
    position: u64,
    phases: Vec<f64>,
    /// Per component: about -16 dBm0 each, a comfortable level in an earpiece.
    amplitude: f64,
}

impl ToneGenerator {
    pub fn new(spec: ToneSpec, rate: u32) -> ToneGenerator {
        ToneGenerator {
            spec,
            rate,
            position: 0,
            phases: vec![0.0; spec.frequencies.len()],
            amplitude: 2600.0,
        }
    }

    /// Each component's peak amplitude (a ringer wants more than an earpiece).
    pub fn with_amplitude(mut self, amplitude: f64) -> ToneGenerator {
        self.amplitude = amplitude;
        self
    }

    /// Whether the tone sounds at `position` samples into the cycle.
    fn sounding(&self, position: u64) -> bool {
        if self.spec.cadence.is_empty() {
            return true;
        }
        let ms = |v: u32| u64::from(v) * u64::from(self.rate) / 1000;
        let cycle: u64 = self
            .spec
            .cadence
            .iter()
            .map(|(on, off)| ms(*on) + ms(*off))
            .sum();
        let mut at = position % cycle.max(1);
        for (on, off) in self.spec.cadence {
            if at < ms(*on) {
                return true;
            }
            at -= ms(*on);
            if at < ms(*off) {
                return false;
            }
            at -= ms(*off);
        }
        false
    }

    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out.iter_mut() {
            let on = self.sounding(self.position);
            let mut v = 0.0;
            for (phase, f) in self.phases.iter_mut().zip(self.spec.frequencies) {
                if on {
                    v += phase.sin();
                }
                *phase = (*phase + 2.0 * PI * f / f64::from(self.rate)) % (2.0 * PI);
            }
            *s = (v * self.amplitude).round() as i16;
            self.position += 1;
        }
    }
}
