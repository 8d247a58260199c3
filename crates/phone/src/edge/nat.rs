//! Which address we advertise, and noticing when it changes: the local
//! address the route to the registrar leaves from (it moves when the laptop
//! changes networks), and, with a STUN server, the public address a NAT gives
//! our SIP socket. Time comes in from the driver; datagrams go out through it.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hookswitch_sip::stun::{Binding, BindingOutcome, Retransmission};

use super::local_address::LocalAddress;
use crate::event::AddressCause;

/// How often the public address is asked again while nothing else changes
/// (a NAT that reboots or a provider that renumbers gives a new one).
const STUN_REFRESH: Duration = Duration::from_secs(120);
/// After an unanswered or refused Binding.
const STUN_RETRY: Duration = Duration::from_secs(30);
/// While the kernel reports route changes (`route_monitor`), the route is
/// still looked at this often, in case a change went unreported.
const CHECK_WITH_ROUTE_EVENTS: Duration = Duration::from_secs(300);

pub struct Nat {
    local: LocalAddress,
    /// Look at the route this often (`None`: never).
    check_every: Option<Duration>,
    next_check: Option<Instant>,
    /// The kernel tells us of route changes.
    route_events: bool,
    local_ip: IpAddr,
    sip_port: u16,
    stun_server: Option<SocketAddr>,
    binding: Option<Binding>,
    next_stun: Option<Instant>,
    /// Where the STUN server sees our SIP socket.
    public: Option<SocketAddr>,
    /// The first Binding has ended (or there is no STUN server).
    settled: bool,
    /// What was last announced, and why the next change happens.
    announced: SocketAddr,
    pending_cause: AddressCause,
}

impl Nat {
    pub fn new(
        local: LocalAddress,
        check_every: Option<Duration>,
        sip_port: u16,
        stun_server: Option<SocketAddr>,
        now: Instant,
    ) -> Nat {
        let local_ip = local.initial();
        let routed = matches!(local, LocalAddress::Route { .. });
        let check_every = check_every.filter(|d| routed && !d.is_zero());
        Nat {
            local,
            check_every,
            next_check: check_every.map(|d| now + d),
            route_events: false,
            local_ip,
            sip_port,
            stun_server,
            binding: None,
            next_stun: stun_server.map(|_| now),
            public: None,
            settled: stun_server.is_none(),
            announced: SocketAddr::new(local_ip, sip_port),
            pending_cause: AddressCause::Stun,
        }
    }

    /// Whether the kernel reports route changes (`network_changed`): then
    /// the periodic look is a rare safety net; without, it is as configured.
    pub fn use_route_events(&mut self, on: bool, now: Instant) {
        self.route_events = on;
        self.next_check = self.check_interval().map(|d| now + d);
    }

    fn check_interval(&self) -> Option<Duration> {
        self.check_every.map(|d| {
            if self.route_events {
                d.max(CHECK_WITH_ROUTE_EVENTS)
            } else {
                d
            }
        })
    }

    /// Addresses, routes or links changed: look at the route now.
    pub fn network_changed(&mut self, now: Instant) {
        if self.check_every.is_some() {
            self.next_check = Some(now);
        }
    }

    /// The address Via and Contact name.
    pub fn advertised(&self) -> SocketAddr {
        self.public
            .unwrap_or(SocketAddr::new(self.local_ip, self.sip_port))
    }

    /// The address the media sockets bind to.
    pub fn local_ip(&self) -> IpAddr {
        self.local_ip
    }

    /// Registering waits for the first STUN answer, so the registrar is
    /// given the public address from the start.
    pub fn settled(&self) -> bool {
        self.settled
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.next_check,
            self.next_stun,
            self.binding.as_ref().and_then(Binding::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.next_check.is_some_and(|t| t <= now) {
            self.next_check = self.check_interval().map(|d| now + d);
            self.check_route(now);
        }
        if self.next_stun.is_some_and(|t| t <= now)
            && self.binding.is_none()
            && let Some(server) = self.stun_server
        {
            self.next_stun = None;
            self.binding = Some(Binding::new(server, now, Retransmission::default()));
        }
        if let Some(b) = &mut self.binding {
            b.handle_timeout(now);
        }
        self.finish_binding(now);
    }

    /// Our route may leave from another address now.
    fn check_route(&mut self, now: Instant) {
        let Some(ip) = self.local.current() else {
            return;
        };
        if ip == self.local_ip {
            return;
        }
        tracing::info!(from = %self.local_ip, to = %ip, "our local address changed");
        self.local_ip = ip;
        self.pending_cause = AddressCause::Network;
        if self.stun_server.is_some() {
            // The old mapping belongs to the old address: ask again before
            // announcing anything, so the registrar hears one new address.
            self.public = None;
            self.binding = None;
            self.next_stun = Some(now);
            self.settled = false;
        }
    }

    /// A request to send on the SIP socket.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.binding.as_mut()?.poll_transmit()
    }

    /// A STUN datagram arrived on the SIP socket.
    pub fn handle_stun(&mut self, now: Instant, source: SocketAddr, datagram: &[u8]) {
        if let Some(b) = &mut self.binding
            && b.handle_response(source, datagram)
        {
            self.finish_binding(now);
        }
    }

    fn finish_binding(&mut self, now: Instant) {
        let Some(outcome) = self.binding.as_ref().and_then(Binding::outcome).cloned() else {
            return;
        };
        let server = self.binding.take().map(|b| b.server());
        self.settled = true;
        match outcome {
            BindingOutcome::Mapped(public) => {
                if self.public != Some(public) {
                    tracing::info!(%public, "the STUN server sees us at this address");
                }
                self.public = Some(public);
                self.next_stun = Some(now + STUN_REFRESH);
            }
            BindingOutcome::Refused(r) => {
                tracing::warn!(?server, code = r.code, reason = %r.reason, "STUN server refused a Binding; advertising our local address");
                self.public = None;
                self.next_stun = Some(now + STUN_RETRY);
            }
            BindingOutcome::TimedOut => {
                tracing::warn!(
                    ?server,
                    "no answer from the STUN server; advertising our local address"
                );
                self.public = None;
                self.next_stun = Some(now + STUN_RETRY);
            }
        }
    }

    /// The advertised address, when it changed since last asked (and only
    /// once a pending STUN answer is in).
    pub fn take_change(&mut self) -> Option<(SocketAddr, AddressCause)> {
        let now = self.advertised();
        if !self.settled || now == self.announced {
            return None;
        }
        self.announced = now;
        let cause = std::mem::replace(&mut self.pending_cause, AddressCause::Stun);
        Some((now, cause))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_sip::stun::{TransactionId, binding_success};

    fn answer(request: &[u8], mapped: SocketAddr) -> Vec<u8> {
        let mut id = [0u8; 12];
        id.copy_from_slice(&request[8..20]);
        binding_success(TransactionId(id), mapped)
    }

    #[test]
    fn stun_gives_the_advertised_address_before_anything_registers() {
        let t0 = Instant::now();
        let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
        let local = LocalAddress::Fixed("10.0.0.5".parse().unwrap());
        let mut nat = Nat::new(local, None, 5060, Some(server), t0);
        assert!(!nat.settled(), "registering waits for STUN");
        nat.handle_timeout(t0);
        let (to, request) = nat.poll_transmit().expect("a Binding request");
        assert_eq!(to, server);
        let public: SocketAddr = "203.0.113.9:40000".parse().unwrap();
        nat.handle_stun(t0, server, &answer(&request, public));
        assert!(nat.settled());
        assert_eq!(nat.advertised(), public);
        assert_eq!(nat.take_change(), Some((public, AddressCause::Stun)));
        assert_eq!(nat.take_change(), None);
        assert_eq!(nat.local_ip(), "10.0.0.5".parse::<IpAddr>().unwrap());
        // Asked again later; the same answer changes nothing.
        let again = nat.poll_timeout().unwrap();
        assert_eq!(again - t0, STUN_REFRESH);
        nat.handle_timeout(again);
        let (_, request) = nat.poll_transmit().unwrap();
        nat.handle_stun(again, server, &answer(&request, public));
        assert_eq!(nat.take_change(), None);
    }

    #[test]
    fn a_silent_stun_server_leaves_the_local_address() {
        let t0 = Instant::now();
        let server: SocketAddr = "192.0.2.1:3478".parse().unwrap();
        let local = LocalAddress::Fixed("10.0.0.5".parse().unwrap());
        let mut nat = Nat::new(local, None, 5060, Some(server), t0);
        let mut now = t0;
        nat.handle_timeout(now);
        while !nat.settled() {
            while nat.poll_transmit().is_some() {}
            now = nat.poll_timeout().unwrap();
            nat.handle_timeout(now);
        }
        assert_eq!(now - t0, Duration::from_millis(7500));
        assert_eq!(nat.advertised(), "10.0.0.5:5060".parse().unwrap());
        assert_eq!(nat.take_change(), None, "nothing changed");
        assert_eq!(nat.poll_timeout().unwrap() - now, STUN_RETRY);
    }

    #[test]
    fn without_stun_nothing_waits_and_nothing_is_sent() {
        let t0 = Instant::now();
        let local = LocalAddress::Fixed("10.0.0.5".parse().unwrap());
        let mut nat = Nat::new(local, Some(Duration::from_secs(3)), 5060, None, t0);
        assert!(nat.settled());
        assert_eq!(nat.poll_timeout(), None, "a fixed address is never checked");
        nat.handle_timeout(t0 + Duration::from_secs(10));
        assert!(nat.poll_transmit().is_none());
    }

    #[test]
    fn with_route_events_the_route_is_looked_at_when_told_and_rarely_else() {
        let t0 = Instant::now();
        let local = LocalAddress::Route {
            probe: Some("192.0.2.1:5060".parse().unwrap()),
        };
        let every = Duration::from_secs(3);
        let mut nat = Nat::new(local, Some(every), 5060, None, t0);
        assert_eq!(nat.poll_timeout(), Some(t0 + every));
        nat.use_route_events(true, t0);
        assert_eq!(nat.poll_timeout(), Some(t0 + CHECK_WITH_ROUTE_EVENTS));
        let t1 = t0 + Duration::from_secs(7);
        nat.network_changed(t1);
        assert_eq!(nat.poll_timeout(), Some(t1), "told: at once");
        nat.handle_timeout(t1);
        assert_eq!(nat.poll_timeout(), Some(t1 + CHECK_WITH_ROUTE_EVENTS));
        // The events stop: the configured look again.
        nat.use_route_events(false, t1);
        assert_eq!(nat.poll_timeout(), Some(t1 + every));
    }
}
