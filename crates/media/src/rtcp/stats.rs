//! Reception statistics (RFC 3550 appendix A.1, A.3, A.8) and the E-model's
//! estimate of call quality (ITU-T G.107, simplified as G.107 Annex B does for
//! planning): R from delay and packet loss, then MOS.

use std::time::Instant;

use super::packet::ReportBlock;
use crate::codec::CodecKind;

const RTP_SEQ_MOD: u64 = 1 << 16;

/// What we know of one incoming stream.
#[derive(Debug, Clone)]
pub struct ReceptionStats {
    clock_rate: u32,
    base: Option<Instant>,
    base_seq: u32,
    max_seq: u16,
    cycles: u64,
    received: u64,
    expected_prior: u64,
    received_prior: u64,
    /// Relative transit time of the last packet, in RTP units.
    transit: Option<f64>,
    /// Interarrival jitter estimate, in RTP units (A.8).
    jitter: f64,
    started: bool,
}

impl ReceptionStats {
    pub fn new(clock_rate: u32) -> ReceptionStats {
        ReceptionStats {
            clock_rate,
            base: None,
            base_seq: 0,
            max_seq: 0,
            cycles: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            transit: None,
            jitter: 0.0,
            started: false,
        }
    }

    /// One RTP packet of the stream, with the time it arrived.
    pub fn on_packet(&mut self, sequence: u16, timestamp: u32, arrival: Instant) {
        let base = *self.base.get_or_insert(arrival);
        if !self.started {
            self.started = true;
            self.base_seq = u32::from(sequence);
            self.max_seq = sequence;
        } else {
            let delta = sequence.wrapping_sub(self.max_seq);
            if delta < 0x8000 {
                if sequence < self.max_seq {
                    self.cycles += RTP_SEQ_MOD;
                }
                self.max_seq = sequence;
            }
        }
        self.received += 1;
        let arrival_units = arrival.duration_since(base).as_secs_f64() * f64::from(self.clock_rate);
        let transit = arrival_units - f64::from(timestamp);
        if let Some(prev) = self.transit {
            // Timestamps wrap at 2^32: the difference is taken modulo it.
            let mut d = (transit - prev).abs();
            if d > 2f64.powi(31) {
                d = (d - 2f64.powi(32)).abs();
            }
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.transit = Some(transit);
    }

    pub fn extended_max(&self) -> u64 {
        self.cycles + u64::from(self.max_seq)
    }

    pub fn expected(&self) -> u64 {
        if !self.started {
            return 0;
        }
        self.extended_max() + 1 - u64::from(self.base_seq)
    }

    /// Packets lost so far (duplicates can make it negative).
    pub fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    pub fn received(&self) -> u64 {
        self.received
    }

    pub fn jitter_ms(&self) -> f64 {
        self.jitter * 1000.0 / f64::from(self.clock_rate)
    }

    /// The report block for this stream; starts a new reporting interval.
    pub fn report(&mut self, ssrc: u32, last_sr: u32, delay_since_last_sr: u32) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected - self.expected_prior.min(expected);
        let received_interval = self.received - self.received_prior.min(self.received);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = expected_interval as i64 - received_interval as i64;
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval as i64).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7F_FFFF) as i32,
            highest_sequence: self.extended_max() as u32,
            jitter: self.jitter as u32,
            last_sr,
            delay_since_last_sr,
        }
    }
}

/// The E-model's transmission rating R for a one-way delay and a random loss.
pub fn r_factor(codec: CodecKind, one_way_delay_ms: f64, loss_percent: f64) -> f64 {
    let ta = one_way_delay_ms.max(0.0);
    let id = 0.024 * ta + if ta > 177.3 { 0.11 * (ta - 177.3) } else { 0.0 };
    // Each codec's Ie and Bpl (G.113 Appendix I; G.722 and Opus on the
    // narrowband scale as G.711-class speech at no loss: assumed, D21).
    let (ie, bpl) = codec.info().impairment;
    let ppl = loss_percent.clamp(0.0, 100.0);
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    (93.2 - id - ie_eff).clamp(0.0, 100.0)
}

/// R to a mean opinion score, 1.0 to 4.5 (G.107 Annex B).
pub fn mos(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6
    }
}
