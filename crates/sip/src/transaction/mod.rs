//! RFC 3261 section 17 transactions (with the RFC 6026 Accepted state), sans-IO.
//!
//! Each transaction is a small state machine fed with messages and `now`. It
//! answers with [`TxOutput`]s (bytes to send to its peer, messages for the
//! transaction user) and says when it next needs a timer via `poll_timeout`.

mod client_invite;
mod client_non_invite;
mod key;
mod server_invite;
mod server_non_invite;

use std::time::{Duration, Instant};

pub use client_invite::{ClientInvite, ClientInviteState};
pub use client_non_invite::{ClientNonInvite, ClientNonInviteState};
pub use key::{MAGIC_COOKIE, TxKey, new_branch};
pub use server_invite::{ServerInvite, ServerInviteState};
pub use server_non_invite::ServerNonInvite;

use crate::message::Response;

/// T1, T2, T4 of RFC 3261 (section 17.1.1.1, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Round-trip estimate; initial retransmit interval (default 500 ms).
    pub t1: Duration,
    /// Cap on non-INVITE and response retransmit intervals (default 4 s).
    pub t2: Duration,
    /// How long a message may stay in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64*T1: the lifetime bound of timers B, F, H, J, L, M.
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// Whether the transport retransmits for us (TCP, TLS) or not (UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reliability {
    Reliable,
    Unreliable,
}

/// What a transaction asks of its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutput {
    /// Send these bytes to the transaction's peer (a request, retransmission,
    /// ACK for a non-2xx, or a response).
    Send(Vec<u8>),
    /// A response for the transaction user (client transactions).
    Response(Response),
    /// The transaction timed out (timer B or F for clients, H for INVITE servers
    /// that never saw an ACK).
    Timeout,
}

/// A retransmission timer that doubles up to a cap: timers A, E, G.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub next: Instant,
    pub interval: Duration,
    pub cap: Option<Duration>,
}

impl Backoff {
    pub fn start(now: Instant, t1: Duration, cap: Option<Duration>) -> Self {
        Backoff {
            next: now + t1,
            interval: t1,
            cap,
        }
    }

    /// Advances after a firing: the interval doubles (up to the cap).
    pub fn fire(&mut self, now: Instant) {
        self.interval *= 2;
        if let Some(cap) = self.cap {
            self.interval = self.interval.min(cap);
        }
        self.next = now + self.interval;
    }
}

pub(crate) fn earliest(times: impl IntoIterator<Item = Option<Instant>>) -> Option<Instant> {
    times.into_iter().flatten().min()
}
