//! How fast the desk reacts, measured in the engine itself (the budgets of
//! PHONE-BEHAVIOUR.md): device input -> the SIP message it caused handed to
//! the socket, and a change of state -> the LED reports written. Kept for the
//! last `KEEP` samples; `cargo xtask bench phone` reads them.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Serialize;

const KEEP: usize = 10_000;

/// Percentiles of one measurement, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DeskLatency {
    pub input_to_sip: Percentiles,
    pub state_to_led: Percentiles,
    pub state_to_light: Percentiles,
}

#[derive(Debug, Default)]
pub struct Samples(VecDeque<u64>);

impl Samples {
    pub fn record(&mut self, d: Duration) {
        if self.0.len() == KEEP {
            self.0.pop_front();
        }
        self.0
            .push_back(d.as_micros().min(u128::from(u64::MAX)) as u64);
    }

    pub fn percentiles(&self) -> Percentiles {
        let mut v: Vec<u64> = self.0.iter().copied().collect();
        v.sort_unstable();
        let at = |q: f64| {
            v.get(((v.len() as f64 * q).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        Percentiles {
            count: v.len(),
            p50_us: at(0.50),
            p99_us: at(0.99),
            max_us: v.last().copied().unwrap_or_default(),
        }
    }
}

/// What is being timed right now.
#[derive(Debug, Default)]
pub struct Stopwatch {
    /// A device input not yet followed by a SIP message (this loop turn only).
    pub input_at: Option<Instant>,
    /// The first cause of a state change not yet shown on the devices.
    pub changed_at: Option<Instant>,
    pub input_to_sip: Samples,
    pub state_to_led: Samples,
    /// To the last busylight's report written (only changes a light shows).
    pub state_to_light: Samples,
}

impl Stopwatch {
    pub fn report(&self) -> DeskLatency {
        DeskLatency {
            input_to_sip: self.input_to_sip.percentiles(),
            state_to_led: self.state_to_led.percentiles(),
            state_to_light: self.state_to_light.percentiles(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_known_samples() {
        let mut s = Samples::default();
        for us in 1..=100 {
            s.record(Duration::from_micros(us));
        }
        let p = s.percentiles();
        assert_eq!((p.count, p.p50_us, p.p99_us, p.max_us), (100, 50, 99, 100));
        for _ in 0..KEEP {
            s.record(Duration::from_micros(7));
        }
        assert_eq!(s.percentiles().max_us, 7, "only the last {KEEP} are kept");
        assert_eq!(Samples::default().percentiles(), Percentiles::default());
    }
}
