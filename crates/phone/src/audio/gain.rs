//! Per-call volume: a gain on the microphone (what the other side hears) and
//! on the earpiece (what the user hears), in percent so that a slider, the
//! CLI and the API say the same thing.

/// The loudest a call can be turned up (12 dB).
pub const MAX_PERCENT: u16 = 400;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain(f32);

impl Gain {
    pub const UNITY: Gain = Gain(1.0);

    /// `percent` of the level as it is: 100 leaves it, 0 silences, 200 is
    /// twice the amplitude (+6 dB). `None` above `MAX_PERCENT`.
    pub fn from_percent(percent: u16) -> Option<Gain> {
        (percent <= MAX_PERCENT).then(|| Gain(f32::from(percent) / 100.0))
    }

    pub fn percent(self) -> u16 {
        (self.0 * 100.0).round() as u16
    }

    /// Scales `pcm` in place, saturating instead of wrapping.
    pub fn apply(self, pcm: &mut [i16]) {
        if self == Gain::UNITY {
            return;
        }
        for s in pcm {
            *s = (f32::from(*s) * self.0)
                .round()
                .clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_and_saturates() {
        let mut pcm = [1000, -1000, 20000, -20000];
        Gain::from_percent(200).unwrap().apply(&mut pcm);
        assert_eq!(pcm, [2000, -2000, 32767, -32768]);
        Gain::from_percent(50).unwrap().apply(&mut pcm);
        assert_eq!(pcm, [1000, -1000, 16384, -16384]);
        Gain::from_percent(0).unwrap().apply(&mut pcm);
        assert_eq!(pcm, [0; 4]);
        assert_eq!(Gain::from_percent(MAX_PERCENT + 1), None);
        assert_eq!(Gain::from_percent(150).unwrap().percent(), 150);
    }
}
