//! What the UA asks the edge to send, and where.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::transaction::Reliability;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl Transport {
    pub fn reliability(self) -> Reliability {
        match self {
            Transport::Udp => Reliability::Unreliable,
            Transport::Tcp | Transport::Tls => Reliability::Reliable,
        }
    }

    /// As written in a Via header.
    pub fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Transport::Tls => 5061,
            _ => 5060,
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        })
    }
}

impl FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            "tls" => Ok(Transport::Tls),
            other => Err(format!("unknown transport {other:?} (udp, tcp or tls)")),
        }
    }
}

/// Where a message goes. Host names are resolved by the edge (sans-IO: no DNS here).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Destination {
    Addr(SocketAddr),
    Host { host: String, port: u16 },
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Addr(a) => write!(f, "{a}"),
            Destination::Host { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// The next hop of a request: transport plus destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub transport: Transport,
    pub destination: Destination,
}

impl Target {
    /// The URI as it says: its transport parameter (or TLS for sips), its
    /// host, and its port or the transport's default. A host name without a
    /// port is located by DNS first where RFC 3263 asks it (`ua/locate.rs`).
    pub fn from_uri(uri: &crate::message::SipUri) -> Target {
        let transport = match uri.transport().as_deref() {
            Some("tcp") => Transport::Tcp,
            Some("tls") => Transport::Tls,
            _ if uri.secure => Transport::Tls,
            _ => Transport::Udp,
        };
        let port = uri.port.unwrap_or(transport.default_port());
        let host = uri.host.trim_start_matches('[').trim_end_matches(']');
        let destination = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => Destination::Addr(SocketAddr::new(ip, port)),
            Err(_) => Destination::Host {
                host: uri.host.clone(),
                port,
            },
        };
        Target {
            transport,
            destination,
        }
    }
}

/// Bytes to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub transport: Transport,
    pub destination: Destination,
    pub payload: Vec<u8>,
}
