//! A jitter buffer: reorders, drops duplicates and late packets, and says when a
//! frame is missing so the decoder can conceal it. The target depth is fixed
//! here; the adaptive buffer of the audio issue replaces the policy, not the API.

use std::collections::BTreeMap;

use crate::rtp::SequenceExtender;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
    pub concealed: u64,
    pub underruns: u64,
}

/// What to play for the next 20 ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The encoded payload of the next frame.
    Frame { payload_type: u8, payload: Vec<u8> },
    /// The frame is missing (lost or late): conceal it.
    Missing,
    /// Still filling up (or nothing ever arrived): play silence.
    Buffering,
}

#[derive(Debug)]
pub struct JitterBuffer {
    frames: BTreeMap<u64, (u8, Vec<u8>)>,
    extender: SequenceExtender,
    next: Option<u64>,
    playing: bool,
    target_frames: usize,
    max_frames: usize,
    missing_in_row: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// `target_frames` of 20 ms are buffered before playout starts.
    pub fn new(target_frames: usize) -> Self {
        JitterBuffer {
            frames: BTreeMap::new(),
            extender: SequenceExtender::default(),
            next: None,
            playing: false,
            target_frames: target_frames.max(1),
            max_frames: 50,
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

    pub fn push(&mut self, sequence: u16, payload_type: u8, payload: Vec<u8>) {
        let ext = self.extender.extend(sequence);
        self.stats.received += 1;
        if self.next.is_some_and(|n| ext < n) {
            self.stats.late += 1;
            return;
        }
        if self.frames.contains_key(&ext) {
            self.stats.duplicates += 1;
            return;
        }
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

    /// Takes what to play for the next 20 ms.
    pub fn pop(&mut self) -> Playout {
        if !self.playing {
            if self.frames.len() < self.target_frames {
                return Playout::Buffering;
            }
            self.playing = true;
            self.next = self.frames.keys().next().copied();
        }
        let Some(next) = self.next else {
            return Playout::Buffering;
        };
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

    fn frame(n: u8) -> Playout {
        Playout::Frame {
            payload_type: 0,
            payload: vec![n],
        }
    }

    #[test]
    fn reorders_and_drops_duplicates() {
        let mut j = JitterBuffer::new(2);
        j.push(11, 0, vec![11]);
        assert_eq!(j.pop(), Playout::Buffering);
        j.push(10, 0, vec![10]);
        j.push(10, 0, vec![10]);
        assert_eq!(j.pop(), frame(10));
        assert_eq!(j.pop(), frame(11));
        assert_eq!(j.stats().duplicates, 1);
    }

    #[test]
    fn missing_frame_is_concealed_and_late_one_dropped() {
        let mut j = JitterBuffer::new(1);
        j.push(1, 0, vec![1]);
        j.push(3, 0, vec![3]);
        assert_eq!(j.pop(), frame(1));
        assert_eq!(j.pop(), Playout::Missing);
        j.push(2, 0, vec![2]);
        assert_eq!(j.stats().late, 1);
        assert_eq!(j.pop(), frame(3));
    }

    #[test]
    fn wraps_sequence_numbers() {
        let mut j = JitterBuffer::new(1);
        j.push(65535, 0, vec![1]);
        j.push(0, 0, vec![2]);
        assert_eq!(j.pop(), frame(1));
        assert_eq!(j.pop(), frame(2));
    }

    #[test]
    fn underrun_rebuffers() {
        let mut j = JitterBuffer::new(2);
        j.push(1, 0, vec![1]);
        j.push(2, 0, vec![2]);
        j.pop();
        j.pop();
        for _ in 0..3 {
            assert_eq!(j.pop(), Playout::Missing);
        }
        assert_eq!(j.stats().underruns, 1);
        j.push(6, 0, vec![6]);
        assert_eq!(j.pop(), Playout::Buffering);
    }
}
