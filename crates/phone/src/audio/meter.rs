//! A level meter for the app's microphone and earpiece bars: the peak of each
//! 20 ms frame in dBFS, rising at once and falling 0.6 dB a frame (about
//! 30 dB a second, the ballistics of a broadcast peak meter), so a bar
//! polled a few times a second still shows speech.

/// The quietest level shown; silence reads as this.
pub const FLOOR_DB: f64 = -60.0;
const FALL_PER_FRAME_DB: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meter {
    level_db: f64,
}

impl Default for Meter {
    fn default() -> Self {
        Meter { level_db: FLOOR_DB }
    }
}

impl Meter {
    pub fn frame(&mut self, samples: &[i16]) {
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        let db = if peak == 0 {
            FLOOR_DB
        } else {
            (20.0 * (f64::from(peak) / 32768.0).log10()).max(FLOOR_DB)
        };
        self.level_db = db.max(self.level_db - FALL_PER_FRAME_DB);
    }

    /// dBFS, `FLOOR_DB` to 0.
    pub fn level_db(&self) -> f64 {
        (self.level_db * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_rise_at_once_and_fall_slowly() {
        let mut m = Meter::default();
        assert_eq!(m.level_db(), FLOOR_DB);
        m.frame(&[0, 16384, -8000]);
        assert!((m.level_db() - -6.0).abs() < 0.1, "{}", m.level_db());
        m.frame(&[0; 160]);
        assert!((m.level_db() - -6.6).abs() < 0.1, "{}", m.level_db());
        for _ in 0..200 {
            m.frame(&[0; 160]);
        }
        assert_eq!(m.level_db(), FLOOR_DB);
        m.frame(&[i16::MIN]);
        assert_eq!(m.level_db(), 0.0);
    }
}
