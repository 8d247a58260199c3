//! INVITE server transaction (RFC 3261 17.2.1, RFC 6026 section 7.1).

use std::time::Instant;

use super::{Backoff, Reliability, TimerConfig, TxOutput, earliest};
use crate::message::{Method, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerInviteState {
    Proceeding,
    /// A 2xx was sent; the TU retransmits it until the ACK (13.3.1.4). Timer L
    /// keeps the transaction to absorb INVITE retransmissions.
    Accepted,
    /// A non-2xx final was sent and is retransmitted (timer G) until the ACK.
    Completed,
    /// The ACK arrived; timer I absorbs ACK retransmissions.
    Confirmed,
    Terminated,
}

/// What an incoming request means for the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerRequestOutcome {
    /// A retransmission that was answered or absorbed here.
    Absorbed,
    /// The ACK of a non-2xx final: absorbed, the transaction is confirmed.
    AckAbsorbed,
}

#[derive(Debug)]
pub struct ServerInvite {
    state: ServerInviteState,
    /// The response retransmissions of the INVITE are answered with: all a
    /// server transaction keeps (not the request, which may be 64 kB).
    last_response: Option<Vec<u8>>,
    cfg: TimerConfig,
    reliability: Reliability,
    timer_g: Option<Backoff>,
    timer_h: Option<Instant>,
    timer_i: Option<Instant>,
    timer_l: Option<Instant>,
}

impl ServerInvite {
    /// A new INVITE arrived. The transaction does not send 100 Trying by itself;
    /// the UA sends it at once (it has no proxy-style delay to cover).
    pub fn new(reliability: Reliability, cfg: TimerConfig) -> Self {
        ServerInvite {
            state: ServerInviteState::Proceeding,
            last_response: None,
            cfg,
            reliability,
            timer_g: None,
            timer_h: None,
            timer_i: None,
            timer_l: None,
        }
    }

    pub fn state(&self) -> ServerInviteState {
        self.state
    }

    /// Bytes kept for retransmissions.
    pub fn held_bytes(&self) -> usize {
        self.last_response.as_ref().map_or(0, Vec::len)
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ServerInviteState::Terminated
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest([
            self.timer_g.map(|g| g.next),
            self.timer_h,
            self.timer_i,
            self.timer_l,
        ])
    }

    /// The TU answers. Responses after a final one are ignored.
    pub fn send_response(&mut self, response: &Response, now: Instant, out: &mut Vec<TxOutput>) {
        if self.state != ServerInviteState::Proceeding {
            return;
        }
        let wire = response.to_bytes();
        out.push(TxOutput::Send(wire.clone()));
        self.last_response = Some(wire);
        match response.status {
            100..=199 => {}
            200..=299 => {
                self.state = ServerInviteState::Accepted;
                self.timer_l = Some(now + self.cfg.timeout());
            }
            _ => {
                self.state = ServerInviteState::Completed;
                if self.reliability == Reliability::Unreliable {
                    self.timer_g = Some(Backoff::start(now, self.cfg.t1, Some(self.cfg.t2)));
                }
                self.timer_h = Some(now + self.cfg.timeout());
            }
        }
    }

    /// A request that matched this transaction: an INVITE retransmission or an ACK.
    pub fn on_request(
        &mut self,
        request: &Request,
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> ServerRequestOutcome {
        use ServerInviteState::*;
        match (self.state, &request.method) {
            (Proceeding | Completed, Method::Invite) => {
                if let Some(r) = &self.last_response {
                    out.push(TxOutput::Send(r.clone()));
                }
                ServerRequestOutcome::Absorbed
            }
            (Completed, Method::Ack) => {
                self.state = Confirmed;
                self.timer_g = None;
                self.timer_h = None;
                self.timer_i = Some(match self.reliability {
                    Reliability::Unreliable => now + self.cfg.t4,
                    Reliability::Reliable => now,
                });
                ServerRequestOutcome::AckAbsorbed
            }
            (Confirmed, Method::Ack) => ServerRequestOutcome::AckAbsorbed,
            _ => ServerRequestOutcome::Absorbed,
        }
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<TxOutput>) {
        if let Some(g) = &mut self.timer_g
            && now >= g.next
        {
            if let Some(r) = &self.last_response {
                out.push(TxOutput::Send(r.clone()));
            }
            g.fire(now);
        }
        if self.timer_h.is_some_and(|h| now >= h) {
            self.timer_h = None;
            self.timer_g = None;
            self.state = ServerInviteState::Terminated;
            out.push(TxOutput::Timeout);
        }
        for timer in [&mut self.timer_i, &mut self.timer_l] {
            if timer.is_some_and(|t| now >= t) {
                *timer = None;
                self.state = ServerInviteState::Terminated;
            }
        }
    }
}
