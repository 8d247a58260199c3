//! In-band DTMF (ITU-T Q.23/Q.24): detecting keys in the audio itself, for
//! peers that neither send RFC 4733 events nor SIP INFO, and generating them
//! (for tests, and for gateways that only understand tones).
//!
//! Detection runs Goertzel filters on the eight DTMF frequencies over blocks
//! of 12.75 ms (102 samples at 8 kHz), and accepts a key when one row and one
//! column tone stand 8 dB above the others of their group, their levels are
//! within the allowed twist, and together they carry most of the block's
//! energy (which speech does not). A key must last two blocks and is reported
//! once, until a pause of two blocks.

use crate::tone::goertzel_power;

const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Goertzel power of a tone of amplitude ~200 (about -40 dBm0): the floor.
const MIN_POWER: f64 = 1.0e4;
/// 8 dB: how far a group's strongest tone must stand above the rest.
const RELATIVE_PEAK: f64 = 6.3;
/// Column over row: at most +4 dB (normal twist), at least -8 dB (reverse).
const TWIST: (f64, f64) = (0.158, 2.51);
/// Share of the block's energy the two tones must carry.
const TONE_SHARE: f64 = 0.6;

#[derive(Debug, Clone)]
pub struct InbandDetector {
    rate: u32,
    block: usize,
    pending: Vec<i16>,
    /// The key in the last block, and for how many blocks in a row.
    current: Option<char>,
    run: u32,
    silent_blocks: u32,
    reported: Option<char>,
}

impl InbandDetector {
    pub fn new(rate: u32) -> InbandDetector {
        InbandDetector {
            rate,
            block: (rate as usize * 102 / 8000).max(16),
            pending: Vec::new(),
            current: None,
            run: 0,
            silent_blocks: 2,
            reported: None,
        }
    }

    /// Feeds decoded audio; returns the keys that completed in it.
    pub fn feed(&mut self, pcm: &[i16]) -> Vec<char> {
        self.pending.extend_from_slice(pcm);
        let mut keys = Vec::new();
        let mut start = 0;
        while self.pending.len() - start >= self.block {
            let key = self.block_key(start);
            start += self.block;
            if key.is_some() && key == self.current {
                self.run += 1;
            } else {
                self.current = key;
                self.run = 1;
            }
            match key {
                Some(k) if self.run == 2 => {
                    if self.silent_blocks >= 2 || self.reported != Some(k) {
                        keys.push(k);
                        self.reported = Some(k);
                    }
                    self.silent_blocks = 0;
                }
                Some(_) => {}
                None => {
                    self.silent_blocks = self.silent_blocks.saturating_add(1);
                    if self.silent_blocks >= 2 {
                        self.reported = None;
                    }
                }
            }
        }
        self.pending.drain(..start);
        keys
    }

    fn block_key(&self, start: usize) -> Option<char> {
        let block = &self.pending[start..start + self.block];
        let rows: Vec<f64> = ROWS
            .iter()
            .map(|f| goertzel_power(block, *f, self.rate))
            .collect();
        let cols: Vec<f64> = COLS
            .iter()
            .map(|f| goertzel_power(block, *f, self.rate))
            .collect();
        let (r, row) = strongest(&rows)?;
        let (c, col) = strongest(&cols)?;
        if row < MIN_POWER || col < MIN_POWER {
            return None;
        }
        let twist = col / row;
        if twist < TWIST.0 || twist > TWIST.1 {
            return None;
        }
        let mean_square =
            block.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / block.len() as f64;
        // A sine of amplitude A has Goertzel power ~A²/4 here and mean square A²/2.
        if 2.0 * (row + col) < TONE_SHARE * mean_square {
            return None;
        }
        Some(KEYS[r][c])
    }
}

/// The strongest of four powers, if it stands 8 dB above the other three.
fn strongest(p: &[f64]) -> Option<(usize, f64)> {
    let (i, &max) = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    p.iter()
        .enumerate()
        .all(|(j, &v)| j == i || max > v * RELATIVE_PEAK)
        .then_some((i, max))
}

/// Appends `key` as `ms` of tone then `gap_ms` of silence (each tone -7 dBm0-ish).
pub fn generate(key: char, rate: u32, ms: u32, gap_ms: u32, out: &mut Vec<i16>) {
    let Some((r, c)) = KEYS
        .iter()
        .enumerate()
        .find_map(|(r, row)| row.iter().position(|&k| k == key).map(|c| (r, c)))
    else {
        return;
    };
    let n = (rate * ms / 1000) as usize;
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let v = (2.0 * std::f64::consts::PI * ROWS[r] * t).sin()
            + (2.0 * std::f64::consts::PI * COLS[c] * t).sin();
        out.push((v * 7000.0) as i16);
    }
    out.extend(std::iter::repeat_n(0, (rate * gap_ms / 1000) as usize));
}
