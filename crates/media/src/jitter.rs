//! An adaptive jitter buffer: reorders, drops duplicates and late packets,
//! says when a frame is missing so the decoder can conceal it, and keeps its
//! depth just above the jitter it measures.
//!
//! Each packet's delay is measured against the earliest-arriving packet seen
//! in the recent window (arrival time minus its place in the stream). The
//! target depth covers the 95th percentile of that delay variation plus one
//! frame. The buffer grows by inserting a concealed frame (`Missing` without
//! consuming one) and shrinks by dropping a frame after staying too deep for
//! half a second, so the listener hears at most a 20 ms stretch or skip.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::rtp::SequenceExtender;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
    pub concealed: u64,
    pub underruns: u64,
    /// Frames inserted to grow the buffer, and dropped to shrink it.
    pub stretched: u64,
    pub shrunk: u64,
}

/// What to play for the next 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The encoded payload of the next frame.
    Frame { payload_type: u8, payload: Vec<u8> },
    /// The frame is missing (lost or late), or the buffer is growing: conceal it.
    Missing,
    /// Still filling up (or nothing ever arrived): play silence.
    Buffering,
}

/// Packets whose delay is remembered for the target.
const WINDOW: usize = 250;
/// Pops the buffer must stay too deep before it drops a frame (0.5 s).
const SHRINK_AFTER: u32 = 25;

#[derive(Debug)]
pub struct JitterBuffer {
    frames: BTreeMap<u64, (u8, Vec<u8>)>,
    extender: SequenceExtender,
    next: Option<u64>,
    playing: bool,
    min_frames: usize,
    max_frames: usize,
    target_frames: usize,
    frame: Duration,
    /// The first packet: its arrival and extended sequence number.
    origin: Option<(Instant, u64)>,
    /// Recent delays relative to the origin, in ms.
    delays: VecDeque<f64>,
    /// The same delays kept sorted: one insertion and one removal a packet
    /// (a sort of the whole window a packet was the media path's largest
    /// cost after the system calls, D96).
    sorted: Vec<f64>,
    too_deep_for: u32,
    missing_in_row: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// Starts at `min_frames` of 20 ms and adapts between that and 10 frames.
    pub fn new(min_frames: usize) -> Self {
        let min_frames = min_frames.max(1);
        JitterBuffer {
            frames: BTreeMap::new(),
            extender: SequenceExtender::default(),
            next: None,
            playing: false,
            min_frames,
            max_frames: 50,
            target_frames: min_frames,
            frame: Duration::from_millis(20),
            origin: None,
            delays: VecDeque::new(),
            sorted: Vec::with_capacity(WINDOW + 1),
            too_deep_for: 0,
            missing_in_row: 0,
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> &JitterStats {
        &self.stats
    }

    /// Frames waiting to be played.
    pub fn depth(&self) -> usize {
        self.frames.len()
    }

    /// The depth the buffer aims at now, in frames.
    pub fn target_frames(&self) -> usize {
        self.target_frames
    }

    /// The delay the buffer adds at its target, in ms.
    pub fn target_ms(&self) -> f64 {
        self.target_frames as f64 * self.frame.as_secs_f64() * 1000.0
    }

    fn measure(&mut self, ext: u64, arrival: Instant) {
        let (t0, s0) = *self.origin.get_or_insert((arrival, ext));
        let expected = t0 + self.frame * u32::try_from(ext.saturating_sub(s0)).unwrap_or(u32::MAX);
        let delay = if arrival >= expected {
            arrival.duration_since(expected).as_secs_f64() * 1000.0
        } else {
            -(expected.duration_since(arrival).as_secs_f64() * 1000.0)
        };
        self.delays.push_back(delay);
        let at = self.sorted.partition_point(|d| d.total_cmp(&delay).is_lt());
        self.sorted.insert(at, delay);
        if self.delays.len() > WINDOW
            && let Some(old) = self.delays.pop_front()
        {
            let at = self.sorted.partition_point(|d| d.total_cmp(&old).is_lt());
            self.sorted.remove(at);
        }
        let floor = self.sorted[0];
        let p95 = self.sorted[(self.sorted.len() - 1) * 95 / 100];
        let frame_ms = self.frame.as_secs_f64() * 1000.0;
        let frames = ((p95 - floor) / frame_ms).ceil() as usize + 1;
        self.target_frames = frames.clamp(self.min_frames, 10);
    }

    /// A packet, with the time it arrived.
    pub fn push(&mut self, sequence: u16, payload_type: u8, payload: Vec<u8>, arrival: Instant) {
        let ext = self.extender.extend(sequence);
        self.stats.received += 1;
        if self.next.is_some_and(|n| ext < n) {
            self.stats.late += 1;
            self.measure(ext, arrival);
            return;
        }
        if self.frames.contains_key(&ext) {
            self.stats.duplicates += 1;
            return;
        }
        self.measure(ext, arrival);
        self.frames.insert(ext, (payload_type, payload));
        // Bound the delay: a burst beyond the maximum drops the oldest frames.
        while self.frames.len() > self.max_frames {
            if let Some((&first, _)) = self.frames.iter().next() {
                self.frames.remove(&first);
                self.next = Some(first + 1);
            }
        }
    }

    /// The packet after a frame `pop` just reported missing, if it is here
    /// (its FEC data can rebuild the missing one).
    pub fn peek_next(&self) -> Option<&[u8]> {
        self.frames.get(&self.next?).map(|(_, p)| p.as_slice())
    }

    /// Frames buffered from the next one to play on.
    fn ahead(&self) -> usize {
        self.next.map_or(0, |n| self.frames.range(n..).count())
    }

    /// Takes what to play for the next 20 ms.
    pub fn pop(&mut self) -> Playout {
        if !self.playing {
            if self.frames.len() < self.target_frames {
                return Playout::Buffering;
            }
            self.playing = true;
            self.next = self.frames.keys().next().copied();
        }
        let Some(mut next) = self.next else {
            return Playout::Buffering;
        };
        let ahead = self.ahead();
        // Grow: hold the stream back one frame (the decoder conceals it).
        if ahead > 0 && ahead + 1 < self.target_frames {
            self.stats.stretched += 1;
            self.too_deep_for = 0;
            return Playout::Missing;
        }
        // Shrink: after staying too deep for a while, skip one frame.
        if ahead > self.target_frames + 1 {
            self.too_deep_for += 1;
            if self.too_deep_for >= SHRINK_AFTER && self.frames.remove(&next).is_some() {
                self.stats.shrunk += 1;
                self.too_deep_for = 0;
                next += 1;
            }
        } else {
            self.too_deep_for = 0;
        }
        self.next = Some(next + 1);
        match self.frames.remove(&next) {
            Some((payload_type, payload)) => {
                self.missing_in_row = 0;
                Playout::Frame {
                    payload_type,
                    payload,
                }
            }
            None => {
                self.stats.concealed += 1;
                self.missing_in_row += 1;
                if self.frames.is_empty() && self.missing_in_row >= 3 {
                    // Underrun: start buffering again so the delay is rebuilt.
                    self.stats.underruns += 1;
                    self.playing = false;
                    self.missing_in_row = 0;
                }
                Playout::Missing
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arrival on time for its place in the stream.
    fn at(seq: u64) -> Instant {
        use std::sync::OnceLock;
        static T0: OnceLock<Instant> = OnceLock::new();
        *T0.get_or_init(Instant::now) + Duration::from_millis(20 * (seq % 65536))
    }

    fn frame(n: u8) -> Playout {
        Playout::Frame {
            payload_type: 0,
            payload: vec![n],
        }
    }

    #[test]
    fn reorders_and_drops_duplicates() {
        let mut j = JitterBuffer::new(2);
        j.push(11, 0, vec![11], at(11));
        assert_eq!(j.pop(), Playout::Buffering);
        j.push(10, 0, vec![10], at(10));
        j.push(10, 0, vec![10], at(10));
        assert_eq!(j.pop(), frame(10));
        assert_eq!(j.pop(), frame(11));
        assert_eq!(j.stats().duplicates, 1);
    }

    #[test]
    fn missing_frame_is_concealed_and_late_one_dropped() {
        let mut j = JitterBuffer::new(1);
        j.push(1, 0, vec![1], at(1));
        j.push(3, 0, vec![3], at(3));
        assert_eq!(j.pop(), frame(1));
        assert_eq!(j.pop(), Playout::Missing);
        j.push(2, 0, vec![2], at(2));
        assert_eq!(j.stats().late, 1);
        assert_eq!(j.pop(), frame(3));
    }

    #[test]
    fn wraps_sequence_numbers() {
        let mut j = JitterBuffer::new(1);
        j.push(65535, 0, vec![1], at(65535));
        j.push(0, 0, vec![2], at(0));
        assert_eq!(j.pop(), frame(1));
        assert_eq!(j.pop(), frame(2));
    }

    #[test]
    fn underrun_rebuffers() {
        let mut j = JitterBuffer::new(2);
        j.push(1, 0, vec![1], at(1));
        j.push(2, 0, vec![2], at(2));
        j.pop();
        j.pop();
        for _ in 0..3 {
            assert_eq!(j.pop(), Playout::Missing);
        }
        assert_eq!(j.stats().underruns, 1);
        j.push(6, 0, vec![6], at(6));
        assert_eq!(j.pop(), Playout::Buffering);
    }

    proptest::proptest! {
        /// The kept-sorted window is always the window, sorted: through
        /// reordering, late packets and more packets than it holds.
        #[test]
        fn the_sorted_window_is_the_window_sorted(
            jitter_ms in proptest::collection::vec((0u16..200, 0u64..60), 1..600),
        ) {
            let mut j = JitterBuffer::new(2);
            for (i, (seq_jump, late_ms)) in jitter_ms.iter().enumerate() {
                let seq = (i as u16).wrapping_add(*seq_jump % 3);
                j.push(seq, 0, vec![0], at(u64::from(seq)) + Duration::from_millis(*late_ms));
                let mut expected: Vec<f64> = j.delays.iter().copied().collect();
                expected.sort_by(f64::total_cmp);
                proptest::prop_assert_eq!(&j.sorted, &expected);
                proptest::prop_assert!(j.delays.len() <= WINDOW);
            }
        }
    }
}
