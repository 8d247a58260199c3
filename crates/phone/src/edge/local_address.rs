//! Which of our addresses to advertise in Via, Contact and SDP when we listen on
//! every interface. A UDP `connect` only asks the routing table; nothing is sent.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs, UdpSocket};

use crate::config::{Config, account_config};

/// How we find our own address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalAddress {
    /// Set by `sip.advertise`, or the socket is bound to one address: it never changes.
    Fixed(IpAddr),
    /// We listen on every interface: the address is the one the routing table
    /// would send from towards `probe` (the first registrar) or, without one,
    /// towards the default gateway. It changes when the network does.
    Route { probe: Option<SocketAddr> },
}

impl LocalAddress {
    /// Decided once at start; resolving the registrar's name may block, so
    /// this runs before the engine's loop does.
    pub fn from_config(config: &Config, bound: IpAddr) -> LocalAddress {
        if let Some(ip) = config.sip.advertise {
            return LocalAddress::Fixed(ip);
        }
        if !bound.is_unspecified() {
            return LocalAddress::Fixed(bound);
        }
        let probe = config.accounts.iter().find_map(|a| {
            let acct = account_config(a, None).ok()?;
            let uri = acct.outbound_proxy.or(acct.registrar).unwrap_or(acct.aor);
            (uri.host.as_str(), uri.port.unwrap_or(5060))
                .to_socket_addrs()
                .ok()?
                .next()
        });
        LocalAddress::Route { probe }
    }

    /// The address now, if there is one (no route: `None`). Cheap: a UDP
    /// `connect` asks the routing table and sends nothing.
    pub fn current(&self) -> Option<IpAddr> {
        match *self {
            LocalAddress::Fixed(ip) => Some(ip),
            LocalAddress::Route { probe } => {
                let gateway = || {
                    let table = std::fs::read_to_string("/proc/net/route").ok()?;
                    default_gateway(&table).map(|g| SocketAddr::from((g, 9)))
                };
                probe
                    .and_then(route_source)
                    .or_else(|| gateway().and_then(route_source))
            }
        }
    }

    /// The address to start with: the current one, else 127.0.0.1 (with a warning).
    pub fn initial(&self) -> IpAddr {
        self.current().unwrap_or_else(|| {
            tracing::warn!(
                "no route to a registrar or a gateway: advertising 127.0.0.1 until there is one; set sip.advertise"
            );
            IpAddr::from([127, 0, 0, 1])
        })
    }
}

/// Listening on `[::]` takes IPv4 and IPv6 alike: the IPv6 address peers
/// reach us at then is `sip.advertise_v6`, else the one the route to the
/// IPv6 Internet leaves from, else ::1 (peers on this machine). `None`
/// when not listening on both.
pub fn dual_stack_v6(config: &Config, bound: SocketAddr) -> Option<SocketAddr> {
    if bound.ip() != IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED) {
        return None;
    }
    let ip = config
        .sip
        .advertise_v6
        .map(IpAddr::V6)
        .or_else(|| route_source("[2001:db8::1]:9".parse().ok()?))
        .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST));
    Some(SocketAddr::new(ip, bound.port()))
}

/// The local address packets to `dest` would leave from.
fn route_source(dest: SocketAddr) -> Option<IpAddr> {
    let any: IpAddr = if dest.is_ipv4() {
        Ipv4Addr::UNSPECIFIED.into()
    } else {
        std::net::Ipv6Addr::UNSPECIFIED.into()
    };
    let probe = UdpSocket::bind((any, 0)).ok()?;
    probe.connect(dest).ok()?;
    probe
        .local_addr()
        .ok()
        .map(|a| a.ip())
        .filter(|ip| !ip.is_unspecified())
}

/// The IPv4 default gateway in a Linux `/proc/net/route` table (hex, little-endian).
fn default_gateway(table: &str) -> Option<Ipv4Addr> {
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (destination, gateway, mask) = (f.get(1)?, f.get(2)?, f.get(7)?);
        if *destination != "00000000" || *mask != "00000000" {
            return None;
        }
        let g = u32::from_str_radix(gateway, 16).ok()?;
        (g != 0).then(|| Ipv4Addr::from(g.to_le_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_default_gateway() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
                     eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        assert_eq!(default_gateway(table), Some(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(default_gateway("Iface\n"), None);
    }

    #[test]
    fn configured_and_specific_addresses_win() {
        let mut c = Config::default();
        let bound: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(
            LocalAddress::from_config(&c, bound),
            LocalAddress::Fixed(bound)
        );
        c.sip.advertise = Some("192.0.2.9".parse().unwrap());
        let fixed = LocalAddress::from_config(&c, "0.0.0.0".parse().unwrap());
        assert_eq!(fixed.current(), Some("192.0.2.9".parse().unwrap()));
    }

    #[test]
    fn the_route_towards_the_registrar_names_our_address() {
        let route = LocalAddress::Route {
            probe: Some("127.0.0.1:5060".parse().unwrap()),
        };
        assert_eq!(route.current(), Some("127.0.0.1".parse().unwrap()));
    }
}
