//! Non-INVITE client transaction (RFC 3261 17.1.2).

use std::time::Instant;

use super::{Backoff, Reliability, TimerConfig, TxOutput, earliest};
use crate::message::{Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientNonInviteState {
    Trying,
    Proceeding,
    Completed,
    Terminated,
}

#[derive(Debug)]
pub struct ClientNonInvite {
    state: ClientNonInviteState,
    request: Request,
    wire: Vec<u8>,
    cfg: TimerConfig,
    reliability: Reliability,
    timer_e: Option<Backoff>,
    timer_f: Option<Instant>,
    timer_k: Option<Instant>,
}

impl ClientNonInvite {
    pub fn start(
        request: Request,
        reliability: Reliability,
        cfg: TimerConfig,
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> Self {
        let wire = request.to_bytes();
        out.push(TxOutput::Send(wire.clone()));
        ClientNonInvite {
            state: ClientNonInviteState::Trying,
            request,
            wire,
            cfg,
            reliability,
            timer_e: (reliability == Reliability::Unreliable)
                .then(|| Backoff::start(now, cfg.t1, Some(cfg.t2))),
            timer_f: Some(now + cfg.timeout()),
            timer_k: None,
        }
    }

    pub fn state(&self) -> ClientNonInviteState {
        self.state
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ClientNonInviteState::Terminated
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest([self.timer_e.map(|e| e.next), self.timer_f, self.timer_k])
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<TxOutput>) {
        if let Some(e) = &mut self.timer_e
            && now >= e.next
        {
            out.push(TxOutput::Send(self.wire.clone()));
            e.fire(now);
            // In Proceeding the interval is T2 from then on (17.1.2.2).
            if self.state == ClientNonInviteState::Proceeding {
                e.interval = self.cfg.t2;
                e.next = now + self.cfg.t2;
            }
        }
        if self.timer_f.is_some_and(|f| now >= f) {
            self.timer_f = None;
            self.timer_e = None;
            self.state = ClientNonInviteState::Terminated;
            out.push(TxOutput::Timeout);
        }
        if self.timer_k.is_some_and(|k| now >= k) {
            self.timer_k = None;
            self.state = ClientNonInviteState::Terminated;
        }
    }

    pub fn on_response(&mut self, response: Response, now: Instant, out: &mut Vec<TxOutput>) {
        use ClientNonInviteState::*;
        match (self.state, response.status) {
            (Trying | Proceeding, 100..=199) => {
                self.state = Proceeding;
                out.push(TxOutput::Response(response));
            }
            (Trying | Proceeding, _) => {
                self.state = Completed;
                self.timer_e = None;
                self.timer_f = None;
                self.timer_k = Some(match self.reliability {
                    Reliability::Unreliable => now + self.cfg.t4,
                    Reliability::Reliable => now,
                });
                out.push(TxOutput::Response(response));
            }
            // Completed: retransmitted finals are absorbed.
            _ => {}
        }
    }
}
