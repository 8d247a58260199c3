//! NAT keep-alives for registrations over UDP: a NAT forgets a UDP mapping
//! after as little as 30 s of silence, and then the registrar's calls no longer
//! reach us. Every `interval` we send the registrar (or outbound proxy) either a
//! CRLFCRLF datagram (RFC 5626 4.4.1 style; cheap, ignored by the registrar) or
//! an OPTIONS request (answered, so an unanswered one also tells us the path
//! is gone and we register again). TCP and TLS have their own CRLF pings.

use std::time::{Duration, Instant};

use super::build::{new_call_id, new_tag};
use super::{AccountId, Owner, RegistrationState, Transmit, Transport, UserAgent};
use crate::message::{HeaderName, Method, NameAddr, Request, Uri};

/// What keeps a UDP registration's NAT mapping open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keepalive {
    Off,
    Crlf(Duration),
    Options(Duration),
}

impl Keepalive {
    fn interval(self) -> Option<Duration> {
        match self {
            Keepalive::Off => None,
            Keepalive::Crlf(d) | Keepalive::Options(d) => Some(d.max(Duration::from_secs(1))),
        }
    }
}

impl UserAgent {
    /// The next keep-alive of `account`, from now (after a registration or a
    /// keep-alive): only for registered accounts over UDP.
    pub(super) fn schedule_keepalive(&mut self, account: AccountId, now: Instant) {
        let hop = self.registration_hop(account);
        let interval = self.cfg.keepalive.interval();
        let reg = &mut self.registrations[account.0];
        reg.keepalive_at = match (interval, &reg.state) {
            (Some(d), RegistrationState::Registered { .. }) if hop.transport == Transport::Udp => {
                Some(now + d)
            }
            _ => None,
        };
    }

    /// Sends the keep-alives that are due.
    pub(super) fn keepalives_on_timeout(&mut self, now: Instant) {
        for i in 0..self.registrations.len() {
            let due = self.registrations[i].keepalive_at.is_some_and(|t| t <= now);
            if !due {
                continue;
            }
            let account = AccountId(i);
            let hop = self.registration_hop(account);
            match self.cfg.keepalive {
                Keepalive::Crlf(_) => self.transmits.push_back(Transmit {
                    transport: hop.transport,
                    destination: hop.destination.clone(),
                    payload: b"\r\n\r\n".to_vec(),
                }),
                Keepalive::Options(_) => {
                    let registrar = self.registrar_uri(account);
                    let acct = &self.cfg.accounts[i];
                    let mut req = Request::new(Method::Options, Uri::Sip(registrar));
                    let from =
                        NameAddr::new(Uri::Sip(acct.aor.clone())).with_tag(&new_tag(&mut self.rng));
                    req.headers.push(HeaderName::MaxForwards, "70");
                    req.headers.push(HeaderName::From, from.to_string());
                    req.headers.push(
                        HeaderName::To,
                        NameAddr::new(Uri::Sip(acct.aor.clone())).to_string(),
                    );
                    req.headers.push(
                        HeaderName::CallId,
                        new_call_id(&mut self.rng, &self.cfg.local.ip().to_string()),
                    );
                    req.headers.push(HeaderName::CSeq, "1 OPTIONS");
                    req.headers.push(HeaderName::UserAgent, super::user_agent());
                    self.start_client_tx(req, hop, Owner::Keepalive(account), now);
                }
                Keepalive::Off => {}
            }
            self.schedule_keepalive(account, now);
        }
    }

    /// An OPTIONS keep-alive got no answer at all: the path to the registrar
    /// is gone (NAT rebinding, network change), so register again now.
    pub(super) fn on_keepalive_timeout(&mut self, account: AccountId, now: Instant) {
        tracing::info!(
            account = account.0,
            "keep-alive unanswered; registering again"
        );
        self.renew_registration_now(account, now);
    }
}
