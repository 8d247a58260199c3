//! Echo cancellation for speakerphone use: WebRTC's AudioProcessing (the
//! PulseAudio packaging Debian ships) through a small C++ shim
//! (`csrc/echo_shim.cc`). It hears what is about to be played (the far end)
//! and removes its echo from what the microphone picks up, with noise
//! suppression and a high-pass filter; the extended filter and
//! delay-agnostic mode find the speaker-to-microphone delay themselves.
//! Works on 10 ms mono frames; a 20 ms call frame is two.

use std::ffi::c_int;

#[repr(C)]
struct RawEcho {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn hs_echo_new(sample_rate: c_int) -> *mut RawEcho;
    fn hs_echo_free(echo: *mut RawEcho);
    fn hs_echo_render(echo: *mut RawEcho, frame: *mut f32) -> c_int;
    fn hs_echo_capture(echo: *mut RawEcho, frame: *mut f32, delay_ms: c_int) -> c_int;
    fn hs_echo_erle(echo: *mut RawEcho) -> c_int;
}

/// The rates AudioProcessing takes.
pub const RATES: [u32; 4] = [8000, 16000, 32000, 48000];

pub struct EchoCanceller {
    raw: *mut RawEcho,
    chunk: usize,
    scratch: Vec<f32>,
    /// Our guess of the speaker-to-microphone delay (the canceller refines it).
    delay_ms: c_int,
    errors: u64,
}

// SAFETY: the AudioProcessing instance is owned by this value and only used
// through `&mut self`, from one thread at a time.
unsafe impl Send for EchoCanceller {}

impl EchoCanceller {
    /// A canceller for audio at `sample_rate` (one of `RATES`); `None` for
    /// another rate or if the library refuses.
    pub fn new(sample_rate: u32) -> Option<EchoCanceller> {
        if !RATES.contains(&sample_rate) {
            return None;
        }
        // SAFETY: a plain constructor; null is checked.
        let raw = unsafe { hs_echo_new(sample_rate as c_int) };
        (!raw.is_null()).then(|| EchoCanceller {
            raw,
            chunk: (sample_rate / 100) as usize,
            scratch: Vec::with_capacity((sample_rate / 100) as usize),
            delay_ms: 80,
            errors: 0,
        })
    }

    /// Runs `f` on 10 ms chunk number `index` of `pcm` as floats (left in
    /// `scratch`); false if the library refused it.
    fn run_chunk(
        &mut self,
        pcm: &[i16],
        index: usize,
        f: impl Fn(*mut RawEcho, *mut f32, c_int) -> c_int,
    ) -> bool {
        let chunk = &pcm[index * self.chunk..(index + 1) * self.chunk];
        self.scratch.clear();
        self.scratch
            .extend(chunk.iter().map(|&s| f32::from(s) / 32768.0));
        if f(self.raw, self.scratch.as_mut_ptr(), self.delay_ms) != 0 {
            self.errors += 1;
            return false;
        }
        true
    }

    /// What is about to be played (left unchanged, not copied).
    pub fn render(&mut self, pcm: &[i16]) {
        for index in 0..pcm.len() / self.chunk {
            // SAFETY: `raw` is valid, `scratch` holds one 10 ms chunk.
            self.run_chunk(pcm, index, |raw, frame, _| unsafe {
                hs_echo_render(raw, frame)
            });
        }
    }

    /// What the microphone took: the echo of what was rendered is removed.
    pub fn capture(&mut self, pcm: &mut [i16]) {
        for index in 0..pcm.len() / self.chunk {
            // SAFETY: `raw` is valid, `scratch` holds one 10 ms chunk.
            let cleaned = self.run_chunk(pcm, index, |raw, frame, delay| unsafe {
                hs_echo_capture(raw, frame, delay)
            });
            if cleaned {
                let chunk = &mut pcm[index * self.chunk..(index + 1) * self.chunk];
                for (s, v) in chunk.iter_mut().zip(&self.scratch) {
                    *s = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                }
            }
        }
    }

    /// Echo return loss enhancement so far (dB), if measured yet.
    pub fn erle_db(&self) -> Option<i32> {
        // SAFETY: `raw` is valid.
        let v = unsafe { hs_echo_erle(self.raw) };
        (v > -100).then_some(v)
    }

    /// Chunks the library refused.
    pub fn errors(&self) -> u64 {
        self.errors
    }
}

impl Drop for EchoCanceller {
    fn drop(&mut self) {
        // SAFETY: `raw` came from hs_echo_new and is freed once.
        unsafe { hs_echo_free(self.raw) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A far-end voice and its echo (delayed 40 ms, 6 dB down) in the
    /// microphone: after the canceller converges the echo is far quieter.
    #[test]
    fn removes_a_delayed_echo() {
        let rate = 16000;
        let mut aec = EchoCanceller::new(rate).unwrap();
        let far = |i: usize| -> i16 {
            // A voice-like signal: harmonics with a slowly moving pitch and level.
            let t = i as f64 / f64::from(rate);
            let f0 = 140.0 + 30.0 * (t * 0.9).sin();
            let env = 0.6 + 0.4 * (t * 2.3).sin();
            let v: f64 = (1..=6)
                .map(|h| (2.0 * std::f64::consts::PI * f0 * h as f64 * t).sin() / h as f64)
                .sum();
            (v * env * 6000.0) as i16
        };
        let delay = (rate / 25) as usize; // 40 ms
        let frame = (rate / 50) as usize;
        let (mut before, mut after) = (0.0f64, 0.0f64);
        for n in 0..400 {
            let start = n * frame;
            let played: Vec<i16> = (start..start + frame).map(far).collect();
            aec.render(&played);
            let mut mic: Vec<i16> = (start..start + frame)
                .map(|i| if i >= delay { far(i - delay) / 2 } else { 0 })
                .collect();
            let energy = |x: &[i16]| x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>();
            let e_in = energy(&mic);
            aec.capture(&mut mic);
            // The last 3 s, once converged.
            if n >= 250 {
                before += e_in;
                after += energy(&mic);
            }
        }
        let reduction = 10.0 * (before / after.max(1.0)).log10();
        assert!(reduction > 20.0, "echo reduced by {reduction:.1} dB only");
        assert_eq!(aec.errors(), 0);
        assert!(EchoCanceller::new(44100).is_none());
    }
}
