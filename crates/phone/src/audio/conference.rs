//! The local conference mix. Each call keeps its own media task, sound and
//! codec; the calls in a conference meet here. Every 20 ms each leg posts
//! the frame its peer sent (what it plays on our speaker) and takes, to send
//! to its own peer, the frames the other legs posted, resampled to its rate
//! and added to our microphone. So every party hears the other two, and we
//! hear both (each leg plays its peer on our speaker, the sound server adds
//! them).
//!
//! The legs' tasks tick on the same clock but not in step: a small queue per
//! pair of legs takes up the difference, primed with two frames so a tick
//! that comes early does not find it empty every other frame.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use rubato::{FftFixedInOut, Resampler};

use crate::event::CallId;

/// Frames queued from one leg to another before the oldest is dropped
/// (100 ms: a leg whose task stalled catches up rather than lagging).
const MAX_QUEUED: usize = 5;
/// Frames waited for before a queue is read (again, after it ran dry).
const PRIMED_AT: usize = 2;

/// The meeting point of a conference's legs.
#[derive(Clone, Default)]
pub struct Bridge {
    legs: Arc<Mutex<HashMap<CallId, LegQueues>>>,
}

/// What waits for one leg: per other leg, its frames at this leg's rate.
struct LegQueues {
    rate: u32,
    from: HashMap<CallId, Queue>,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Vec<i16>>,
    primed: bool,
}

impl Bridge {
    pub fn new() -> Bridge {
        Bridge::default()
    }

    /// The calls in the mix now.
    pub fn members(&self) -> Vec<CallId> {
        let mut v: Vec<CallId> = self.lock().keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// `call` joins the mix at `rate` (its codec's); it leaves when the
    /// returned leg is dropped.
    pub fn join(&self, call: CallId, rate: u32) -> BridgeLeg {
        self.lock().insert(
            call,
            LegQueues {
                rate,
                from: HashMap::new(),
            },
        );
        BridgeLeg {
            call,
            rate,
            bridge: self.clone(),
            resamplers: HashMap::new(),
            mix: Vec::new(),
            converted: Vec::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CallId, LegQueues>> {
        // A leg's task that panicked holding the lock leaves frames, not a
        // broken invariant: the others go on.
        self.legs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One call's place in the mix.
pub struct BridgeLeg {
    call: CallId,
    rate: u32,
    bridge: Bridge,
    /// Per destination leg: from our rate to its.
    resamplers: HashMap<CallId, FrameResampler>,
    mix: Vec<i16>,
    converted: Vec<(CallId, Vec<i16>)>,
}

impl BridgeLeg {
    /// Adds what the other legs said (one frame of each, at this leg's
    /// rate) into `frame`, which holds our microphone.
    pub fn mix_into(&mut self, frame: &mut [i16]) {
        self.follow_rate(frame.len());
        self.mix.clear();
        self.mix.resize(frame.len(), 0);
        {
            let mut legs = self.bridge.lock();
            let Some(ours) = legs.get_mut(&self.call) else {
                return;
            };
            for queue in ours.from.values_mut() {
                if !queue.primed && queue.frames.len() >= PRIMED_AT {
                    queue.primed = true;
                }
                if !queue.primed {
                    continue;
                }
                match queue.frames.pop_front() {
                    Some(f) => {
                        for (m, s) in self.mix.iter_mut().zip(f) {
                            *m = m.saturating_add(s);
                        }
                    }
                    None => queue.primed = false,
                }
            }
        }
        for (f, m) in frame.iter_mut().zip(&self.mix) {
            *f = f.saturating_add(*m);
        }
    }

    /// Offers the frame this leg's peer sent (at this leg's rate) to the
    /// other legs.
    pub fn post(&mut self, heard: &[i16]) {
        if heard.is_empty() {
            return;
        }
        self.follow_rate(heard.len());
        let others: Vec<(CallId, u32)> = self
            .bridge
            .lock()
            .iter()
            .filter(|(id, _)| **id != self.call)
            .map(|(id, l)| (*id, l.rate))
            .collect();
        self.resamplers
            .retain(|id, r| others.iter().any(|(o, rate)| o == id && *rate == r.to));
        // Resampled outside the lock: it is the costly part.
        self.converted.clear();
        for (id, rate) in others {
            let frame = if rate == self.rate {
                heard.to_vec()
            } else {
                self.resamplers
                    .entry(id)
                    .or_insert_with(|| FrameResampler::new(self.rate, rate))
                    .convert(heard)
            };
            self.converted.push((id, frame));
        }
        let mut legs = self.bridge.lock();
        for (id, frame) in self.converted.drain(..) {
            if let Some(leg) = legs.get_mut(&id) {
                let q = leg.from.entry(self.call).or_default();
                q.frames.push_back(frame);
                while q.frames.len() > MAX_QUEUED {
                    q.frames.pop_front();
                }
            }
        }
    }

    /// The codec changed rate (a re-offer chose another): what was queued
    /// for this leg at the old one is dropped.
    fn follow_rate(&mut self, frame_len: usize) {
        let rate = (frame_len * 50) as u32;
        if rate == self.rate || rate == 0 {
            return;
        }
        self.rate = rate;
        self.resamplers.clear();
        if let Some(ours) = self.bridge.lock().get_mut(&self.call) {
            ours.rate = rate;
            ours.from.clear();
        }
    }
}

impl Drop for BridgeLeg {
    fn drop(&mut self) {
        let mut legs = self.bridge.lock();
        legs.remove(&self.call);
        for leg in legs.values_mut() {
            leg.from.remove(&self.call);
        }
    }
}

/// 20 ms frames from one rate to another, band-limited (rubato, as the
/// sound devices and WAV files use), with its fixed delay.
struct FrameResampler {
    to: u32,
    inner: Option<FftFixedInOut<f32>>,
    input: Vec<f32>,
}

impl FrameResampler {
    fn new(from: u32, to: u32) -> FrameResampler {
        let inner =
            FftFixedInOut::<f32>::new(from as usize, to as usize, (from / 50).max(1) as usize, 1)
                .ok()
                .filter(|r| {
                    r.input_frames_next() == (from / 50) as usize
                        && r.output_frames_next() == (to / 50) as usize
                });
        if inner.is_none() {
            tracing::warn!(
                from,
                to,
                "no frame resampler; the conference leg hears silence"
            );
        }
        FrameResampler {
            to,
            inner,
            input: Vec::new(),
        }
    }

    fn convert(&mut self, frame: &[i16]) -> Vec<i16> {
        let wanted = (self.to / 50) as usize;
        let Some(r) = &mut self.inner else {
            return vec![0; wanted];
        };
        if frame.len() != r.input_frames_next() {
            return vec![0; wanted];
        }
        self.input.clear();
        self.input
            .extend(frame.iter().map(|s| f32::from(*s) / 32768.0));
        let mut out = match r.process(&[&self.input[..]], None) {
            Ok(mut o) => o.swap_remove(0),
            Err(_) => Vec::new(),
        };
        out.resize(wanted, 0.0);
        out.into_iter()
            .map(|s| (s * 32768.0).clamp(-32768.0, 32767.0) as i16)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(hz: f64, rate: u32, n: usize, offset: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                let t = (i + offset) as f64 / f64::from(rate);
                ((2.0 * std::f64::consts::PI * hz * t).sin() * 8000.0) as i16
            })
            .collect()
    }

    /// The energy of `x` at `hz` (Goertzel), relative to its length.
    fn power_at(x: &[i16], hz: f64, rate: u32) -> f64 {
        let w = 2.0 * std::f64::consts::PI * hz / f64::from(rate);
        let (mut s1, mut s2) = (0.0, 0.0);
        for v in x {
            let s = f64::from(*v) + 2.0 * w.cos() * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        (s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2) / (x.len() as f64).powi(2)
    }

    #[test]
    fn each_leg_sends_its_microphone_and_what_the_other_legs_heard() {
        let bridge = Bridge::new();
        let mut a = bridge.join(1, 8000);
        let mut b = bridge.join(2, 48000);
        let mut c = bridge.join(3, 16000);
        let mut sent_to_a = Vec::new();
        for n in 0..50 {
            a.post(&sine(500.0, 8000, 160, n * 160));
            b.post(&sine(1500.0, 48000, 960, n * 960));
            c.post(&sine(3000.0, 16000, 320, n * 320));
            let mut frame = sine(700.0, 8000, 160, n * 160);
            a.mix_into(&mut frame);
            sent_to_a.extend(frame);
            let mut f = vec![0; 960];
            b.mix_into(&mut f);
            let mut f = vec![0; 320];
            c.mix_into(&mut f);
        }
        let tail = &sent_to_a[2000..];
        let ours = power_at(tail, 700.0, 8000);
        assert!(power_at(tail, 1500.0, 8000) > ours / 4.0, "b is heard by a");
        // 3 kHz from the 16 kHz leg fits under 8 kHz's Nyquist.
        assert!(power_at(tail, 3000.0, 8000) > ours / 4.0, "c is heard by a");
        assert!(
            power_at(tail, 500.0, 8000) < ours / 1000.0,
            "a does not hear itself"
        );
    }

    #[test]
    fn a_leg_that_leaves_is_no_longer_mixed_and_nothing_waits_for_it() {
        let bridge = Bridge::new();
        let mut a = bridge.join(1, 8000);
        let b = bridge.join(2, 8000);
        a.post(&[1000; 160]);
        assert_eq!(bridge.members(), vec![1, 2]);
        drop(b);
        assert_eq!(bridge.members(), vec![1]);
        let mut frame = vec![5; 160];
        a.mix_into(&mut frame);
        assert!(frame.iter().all(|s| *s == 5));
    }

    #[test]
    fn a_stalled_leg_is_caught_up_not_lagged_and_a_dry_queue_primes_again() {
        let bridge = Bridge::new();
        let mut a = bridge.join(1, 8000);
        let mut b = bridge.join(2, 8000);
        for n in 0..20 {
            a.post(&[n; 160]);
        }
        let mut got = Vec::new();
        for _ in 0..7 {
            let mut f = vec![0; 160];
            b.mix_into(&mut f);
            got.push(f[0]);
        }
        // The newest five were kept; then it ran dry and waits for two.
        assert_eq!(got, vec![15, 16, 17, 18, 19, 0, 0]);
        a.post(&[30; 160]);
        let mut f = vec![0; 160];
        b.mix_into(&mut f);
        assert_eq!(f[0], 0, "one frame is not enough to prime");
        a.post(&[31; 160]);
        b.mix_into(&mut f);
        assert_eq!(f[0], 30);
    }

    #[test]
    fn a_rate_change_drops_what_was_queued_at_the_old_rate() {
        let bridge = Bridge::new();
        let mut a = bridge.join(1, 8000);
        let mut b = bridge.join(2, 8000);
        a.post(&[100; 160]);
        a.post(&[100; 160]);
        let mut f = vec![0; 320];
        b.mix_into(&mut f);
        assert!(f.iter().all(|s| *s == 0));
        a.post(&[100; 160]);
        a.post(&[100; 160]);
        b.mix_into(&mut f);
        assert!(
            f.iter().skip(100).any(|s| *s != 0),
            "resampled to 16 kHz now"
        );
    }
}
