//! The core's own timers, one table: what is due for ringing calls
//! (forwarding when unanswered, answering by itself, giving up). The user agent keeps
//! its transaction and refresh timers, the desk its keypad and ring-back
//! ones; the core sleeps until the earliest of all three.

use std::time::Instant;

use crate::event::CallId;

/// Something due while a call rings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Due {
    /// Forward it here if nobody answered.
    ForwardUnanswered(String),
    AutoAnswer,
    /// Nobody answered in the ring time: refused with 480 (a missed call).
    RingTimeout,
}

#[derive(Debug, Default)]
pub(super) struct Timers {
    /// In the order they were set (equal instants fire in that order).
    entries: Vec<(Instant, CallId, Due)>,
}

impl Timers {
    pub fn set(&mut self, at: Instant, call: CallId, due: Due) {
        self.entries.push((at, call, due));
    }

    pub fn next(&self) -> Option<Instant> {
        self.entries.iter().map(|(at, ..)| *at).min()
    }

    /// The call is answered or gone: nothing of it is due any more.
    pub fn cancel(&mut self, call: CallId) {
        self.entries.retain(|(_, c, _)| *c != call);
    }

    /// Takes what is due at `now`, earliest first.
    pub fn take_due(&mut self, now: Instant) -> Vec<(CallId, Due)> {
        let (mut due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|(at, ..)| *at <= now);
        self.entries = later;
        due.sort_by_key(|(at, ..)| *at);
        due.into_iter().map(|(_, call, d)| (call, d)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_timers_come_earliest_first_and_cancelled_ones_never() {
        let t0 = Instant::now();
        let mut t = Timers::default();
        t.set(t0 + Duration::from_secs(5), 1, Due::AutoAnswer);
        t.set(
            t0 + Duration::from_secs(2),
            2,
            Due::ForwardUnanswered("x".into()),
        );
        t.set(t0 + Duration::from_secs(3), 3, Due::AutoAnswer);
        t.cancel(3);
        assert_eq!(t.next(), Some(t0 + Duration::from_secs(2)));
        assert!(t.take_due(t0 + Duration::from_secs(1)).is_empty());
        assert_eq!(
            t.take_due(t0 + Duration::from_secs(6)),
            [
                (2, Due::ForwardUnanswered("x".into())),
                (1, Due::AutoAnswer)
            ]
        );
        assert_eq!(t.next(), None);
    }
}
