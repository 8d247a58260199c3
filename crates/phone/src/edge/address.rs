//! Where peers reach us, as the driver needs it: the advertised address
//! (`Nat`: the route's local address, or STUN's public one) and calls'
//! media sockets (from the STUN-mapped pool when there is one).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use super::media_pool::MediaPool;
use super::nat::Nat;
use super::sockets::MediaSockets;
use crate::event::AddressCause;

/// What changed about our address since it was last asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressNews {
    /// Peers now reach us at `sip` (and our media at its address).
    Changed {
        sip: SocketAddr,
        cause: AddressCause,
    },
    /// The first look at our address is over: registering may start.
    Settled,
}

pub struct Address {
    nat: Nat,
    /// With STUN: media sockets whose public address is known before a call.
    media_pool: Option<MediaPool>,
    /// The media pool's sockets are bound to this address.
    media_ip: IpAddr,
    /// SIP listens on `[::]`: media sockets too, for both families.
    dual_stack: bool,
    settled: bool,
}

impl Address {
    /// Media sockets on `[::]` (SIP listens there, for both families).
    pub fn with_dual_stack(mut self, on: bool) -> Address {
        self.dual_stack = on;
        self
    }

    pub fn new(nat: Nat, stun_server: Option<SocketAddr>) -> Address {
        let media_ip = nat.local_ip();
        Address {
            media_pool: stun_server.map(|s| MediaPool::start(s, media_ip)),
            media_ip,
            dual_stack: false,
            nat,
            settled: false,
        }
    }

    pub fn nat(&mut self) -> &mut Nat {
        &mut self.nat
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.nat.poll_timeout()
    }

    /// STUN requests to send, then what changed.
    pub fn poll(&mut self, send: impl Fn(SocketAddr, &[u8])) -> Vec<AddressNews> {
        while let Some((to, request)) = self.nat.poll_transmit() {
            send(to, &request);
        }
        let ip = self.nat.local_ip();
        if ip != self.media_ip {
            self.media_ip = ip;
            if let Some(pool) = &self.media_pool {
                pool.set_bind_ip(ip);
            }
        }
        let mut news = Vec::new();
        if let Some((sip, cause)) = self.nat.take_change() {
            tracing::info!(%sip, ?cause, "our address changed");
            news.push(AddressNews::Changed { sip, cause });
        }
        if !self.settled && self.nat.settled() {
            self.settled = true;
            news.push(AddressNews::Settled);
        }
        news
    }

    /// A call's media sockets: a pair whose public address STUN has learnt,
    /// if one is ready, else a new pair (behind a NAT, assumed to keep its
    /// port at our public address, as most NATs do).
    pub fn media_sockets(&self) -> std::io::Result<MediaSockets> {
        let ip = self.nat.local_ip();
        if let Some(sockets) = self.media_pool.as_ref().and_then(|p| p.take(ip)) {
            tracing::debug!(public = %sockets.public, "media sockets mapped by STUN");
            return Ok(sockets);
        }
        // Taking IPv4 and IPv6 calls alike: sockets on [::] serve both (the
        // SDP names the address of the call's family).
        let bind_ip = if self.dual_stack {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        } else {
            ip
        };
        let mut sockets = MediaSockets::bind(bind_ip)?;
        sockets.public.set_ip(self.nat.advertised().ip());
        tracing::debug!(public = %sockets.public, "media sockets bound now");
        Ok(sockets)
    }
}
