//! The real edges the driver moves bytes through: SIP transports (UDP, TCP,
//! TLS), the address we advertise (route and STUN), media sockets, and the
//! configuration file that run-time settings are saved to.

pub mod address;
pub mod dns;
pub mod heap;
pub mod http;
pub mod icmp;
pub mod local_address;
pub mod media_players;
pub mod media_pool;
pub mod nat;
pub mod persist;
pub mod recvmsg;
pub mod route_monitor;
pub mod rtp_receive;
pub mod sockets;
pub mod tls;
pub mod transport;
