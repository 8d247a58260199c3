//! INVITE client transaction (RFC 3261 17.1.1, RFC 6026 section 7.2).

use std::time::{Duration, Instant};

/// Timer D: how long to absorb retransmitted finals over UDP ("> 32 s").
pub const TIMER_D: Duration = Duration::from_secs(32);

use super::{Backoff, Reliability, TimerConfig, TxOutput, earliest};
use crate::message::{HeaderName, Method, Request, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientInviteState {
    Calling,
    Proceeding,
    /// A 2xx arrived; retransmitted 2xx still go to the TU until timer M.
    Accepted,
    /// A non-2xx final arrived and was ACKed; retransmissions get the ACK again.
    Completed,
    Terminated,
}

#[derive(Debug)]
pub struct ClientInvite {
    state: ClientInviteState,
    request: Request,
    wire: Vec<u8>,
    ack: Option<Vec<u8>>,
    cfg: TimerConfig,
    reliability: Reliability,
    timer_a: Option<Backoff>,
    timer_b: Option<Instant>,
    timer_d: Option<Instant>,
    timer_m: Option<Instant>,
}

impl ClientInvite {
    /// Starts the transaction: the request is sent at once.
    pub fn start(
        request: Request,
        reliability: Reliability,
        cfg: TimerConfig,
        now: Instant,
        out: &mut Vec<TxOutput>,
    ) -> Self {
        let wire = request.to_bytes();
        out.push(TxOutput::Send(wire.clone()));
        ClientInvite {
            state: ClientInviteState::Calling,
            request,
            wire,
            ack: None,
            cfg,
            reliability,
            timer_a: (reliability == Reliability::Unreliable)
                .then(|| Backoff::start(now, cfg.t1, None)),
            timer_b: Some(now + cfg.timeout()),
            timer_d: None,
            timer_m: None,
        }
    }

    pub fn state(&self) -> ClientInviteState {
        self.state
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    pub fn is_terminated(&self) -> bool {
        self.state == ClientInviteState::Terminated
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest([
            self.timer_a.map(|a| a.next),
            self.timer_b,
            self.timer_d,
            self.timer_m,
        ])
    }

    pub fn on_timeout(&mut self, now: Instant, out: &mut Vec<TxOutput>) {
        if let Some(a) = &mut self.timer_a
            && now >= a.next
        {
            out.push(TxOutput::Send(self.wire.clone()));
            a.fire(now);
        }
        if self.timer_b.is_some_and(|b| now >= b) {
            self.timer_b = None;
            self.timer_a = None;
            if self.state == ClientInviteState::Calling {
                out.push(TxOutput::Timeout);
                self.state = ClientInviteState::Terminated;
            }
        }
        for timer in [&mut self.timer_d, &mut self.timer_m] {
            if timer.is_some_and(|t| now >= t) {
                *timer = None;
                self.state = ClientInviteState::Terminated;
            }
        }
    }

    pub fn on_response(&mut self, response: Response, now: Instant, out: &mut Vec<TxOutput>) {
        use ClientInviteState::*;
        match (self.state, response.status) {
            (Calling | Proceeding, 100..=199) => {
                self.state = Proceeding;
                self.timer_a = None;
                self.timer_b = None;
                out.push(TxOutput::Response(response));
            }
            (Calling | Proceeding, 200..=299) => {
                self.enter(Accepted);
                self.timer_m = Some(now + self.cfg.timeout());
                out.push(TxOutput::Response(response));
            }
            // Retransmitted or forked 2xx: the TU ACKs each one (RFC 6026).
            (Accepted, 200..=299) => out.push(TxOutput::Response(response)),
            (Calling | Proceeding, _) => {
                let ack = self.ack_for(&response).to_bytes();
                out.push(TxOutput::Send(ack.clone()));
                self.ack = Some(ack);
                self.enter(Completed);
                self.timer_d = Some(match self.reliability {
                    Reliability::Unreliable => now + TIMER_D,
                    Reliability::Reliable => now,
                });
                out.push(TxOutput::Response(response));
            }
            (Completed, 300..=699) => {
                if let Some(ack) = &self.ack {
                    out.push(TxOutput::Send(ack.clone()));
                }
            }
            _ => {}
        }
    }

    fn enter(&mut self, state: ClientInviteState) {
        self.state = state;
        self.timer_a = None;
        self.timer_b = None;
    }

    /// The ACK for a non-2xx final (RFC 3261 17.1.1.3): same branch and Request-URI,
    /// To with the response's tag, CSeq method ACK.
    fn ack_for(&self, response: &Response) -> Request {
        let mut ack = Request::new(Method::Ack, self.request.uri.clone());
        for name in [
            HeaderName::Via,
            HeaderName::From,
            HeaderName::CallId,
            HeaderName::Route,
        ] {
            if name == HeaderName::Via {
                if let Some(v) = self.request.headers.values(&HeaderName::Via).next() {
                    ack.headers.push(HeaderName::Via, v);
                }
                continue;
            }
            for v in self.request.headers.get_all(&name) {
                ack.headers.push(name.clone(), v);
            }
        }
        if let Some(to) = response.headers.get(&HeaderName::To) {
            ack.headers.push(HeaderName::To, to);
        }
        let seq = self
            .request
            .headers
            .cseq()
            .map(|c| c.seq)
            .unwrap_or_default();
        ack.headers.push(HeaderName::CSeq, format!("{seq} ACK"));
        ack.headers.push(HeaderName::MaxForwards, "70");
        ack
    }
}
