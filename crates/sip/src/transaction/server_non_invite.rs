//! Non-INVITE server transaction (RFC 3261 17.2.2).

use std::time::Instant;

use super::{Reliability, TimerConfig, TxOutput};
use crate::message::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerNonInviteState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub struct ServerNonInvite {
    state: ServerNonInviteState,
    /// What a retransmission of the request is answered with: all a server
    /// transaction keeps (not the request, which may be 64 kB).
    last_response: Option<Vec<u8>>,
    cfg: TimerConfig,
    reliability: Reliability,
    timer_j: Option<Instant>,
}

impl ServerNonInvite {
    pub fn new(reliability: Reliability, cfg: TimerConfig) -> Self {
        ServerNonInvite {
            state: ServerNonInviteState::Trying,
            last_response: None,
            cfg,
            reliability,
            timer_j: None,
        }
    }

    pub fn state(&self) -> ServerNonInviteState {
        self.state
    }

    /// Bytes kept for retransmissions.
    pub fn held_bytes(&self) -> usize {
        self.last_response.as_ref().map_or(0, Vec::len)
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ServerNonInviteState::Terminated
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer_j
    }

    pub fn send_response(&mut self, response: &Response, now: Instant, out: &mut Vec<TxOutput>) {
        use ServerNonInviteState::*;
        if !matches!(self.state, Trying | Proceeding) {
            return;
        }
        let wire = response.to_bytes();
        out.push(TxOutput::Send(wire.clone()));
        self.last_response = Some(wire);
        if response.status < 200 {
            self.state = Proceeding;
        } else {
            self.state = Completed;
            self.timer_j = Some(match self.reliability {
                Reliability::Unreliable => now + self.cfg.timeout(),
                Reliability::Reliable => now,
            });
        }
    }

    /// A retransmission of the request: answered with the last response, if any.
    pub fn on_request(&mut self, out: &mut Vec<TxOutput>) {
        if let Some(r) = &self.last_response {
            out.push(TxOutput::Send(r.clone()));
        }
    }

    pub fn on_timeout(&mut self, now: Instant, _out: &mut Vec<TxOutput>) {
        if self.timer_j.is_some_and(|j| now >= j) {
            self.timer_j = None;
            self.state = ServerNonInviteState::Terminated;
        }
    }
}
