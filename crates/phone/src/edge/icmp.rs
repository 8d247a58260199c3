//! ICMP errors for what we sent over UDP (RFC 3261 8.1.3.1 and 18.4: a
//! transport error ends the transaction at once). Linux reports them on an
//! unconnected UDP socket only when asked (`IP_RECVERR`, ip(7)); each comes
//! off the socket's error queue (`MSG_ERRQUEUE`) with the address the
//! datagram was for. Without this a call to a closed port failed after
//! 32 s (Timer B) instead of at once.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use tokio::io::Interest;
use tokio::net::UdpSocket;

/// A datagram of ours that the network said it could not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// Where the datagram was going.
    pub destination: SocketAddr,
    /// What the ICMP message said, in words.
    pub reason: String,
}

/// Asks the kernel to queue ICMP errors on `socket` (IPv4, and IPv6 for an
/// IPv6 socket).
pub fn enable(socket: &UdpSocket) -> io::Result<()> {
    let set = |level, name| super::recvmsg::enable_option(socket.as_raw_fd(), level, name);
    match socket.local_addr()? {
        SocketAddr::V4(_) => set(libc::SOL_IP, libc::IP_RECVERR),
        SocketAddr::V6(_) => {
            set(libc::SOL_IPV6, libc::IPV6_RECVERR)?;
            // An IPv6 socket also carries IPv4 (mapped) traffic.
            let _ = set(libc::SOL_IP, libc::IP_RECVERR);
            Ok(())
        }
    }
}

/// Waits until the error queue has something.
pub async fn ready(socket: &UdpSocket) -> io::Result<()> {
    socket.ready(Interest::ERROR).await.map(|_| ())
}

/// Takes every queued error off `socket`.
pub fn drain(socket: &UdpSocket) -> Vec<Undelivered> {
    let mut out = Vec::new();
    while let Ok(found) = socket.try_io(Interest::ERROR, || read_one(socket)) {
        out.extend(found);
    }
    out
}

/// Takes every queued error off `socket` without waiting for tokio to say
/// the queue has some: for when a receive failed with the error an ICMP
/// message left (`ECONNREFUSED`...), which can come before, or instead of,
/// the readiness `ready` waits for.
pub fn drain_now(socket: &UdpSocket) -> Vec<Undelivered> {
    let mut out = Vec::new();
    for _ in 0..64 {
        match read_one(socket) {
            Ok(found) => out.extend(found),
            Err(_) => break,
        }
    }
    out
}

/// One entry of the error queue: `Ok(None)` for one that is not about a
/// datagram we could not deliver; `WouldBlock` when the queue is empty.
fn read_one(socket: &UdpSocket) -> io::Result<Option<Undelivered>> {
    let mut data = [0u8; 1];
    let mut found = None;
    let (_, destination) = super::recvmsg::recv_with_control(
        socket.as_raw_fd(),
        &mut data,
        libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
        |level, kind, payload| {
            let ours = (level == libc::SOL_IP && kind == libc::IP_RECVERR)
                || (level == libc::SOL_IPV6 && kind == libc::IPV6_RECVERR);
            // An IP_RECVERR message starts with a sock_extended_err.
            if let Some(err) = ours
                .then(|| super::recvmsg::payload_as::<libc::sock_extended_err>(payload))
                .flatten()
                && found.is_none()
                && (err.ee_origin == libc::SO_EE_ORIGIN_ICMP
                    || err.ee_origin == libc::SO_EE_ORIGIN_ICMP6)
            {
                found = Some(err.ee_errno as i32);
            }
        },
    )?;
    Ok(destination.zip(found).and_then(|(destination, errno)| {
        describe(errno).map(|reason| Undelivered {
            destination,
            reason,
        })
    }))
}

/// The errors that mean the datagram cannot arrive (not, say, "message too
/// long", which path MTU discovery handles).
fn describe(errno: i32) -> Option<String> {
    let what = match errno {
        libc::ECONNREFUSED => "nothing listens on that port (ICMP port unreachable)",
        libc::EHOSTUNREACH => "the host is unreachable (ICMP)",
        libc::ENETUNREACH => "the network is unreachable (ICMP)",
        libc::EACCES => "the path is administratively closed (ICMP)",
        _ => return None,
    };
    Some(what.to_string())
}

pub(crate) fn socket_addr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(s.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says it is a sockaddr_in.
            let a: &libc::sockaddr_in = unsafe { &*(s as *const _ as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says it is a sockaddr_in6.
            let a: &libc::sockaddr_in6 = unsafe { &*(s as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            let addr = match ip.to_ipv4_mapped() {
                Some(v4) => SocketAddr::V4(SocketAddrV4::new(v4, u16::from_be(a.sin6_port))),
                None => SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )),
            };
            Some(addr)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram to a closed port on loopback comes back as ICMP port
    /// unreachable, with the port it was for.
    #[tokio::test]
    async fn a_closed_port_is_reported_with_its_address() {
        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let target = closed.local_addr().unwrap();
        drop(closed);
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        enable(&socket).unwrap();
        socket.send_to(b"OPTIONS", target).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), ready(&socket))
            .await
            .expect("an error is queued")
            .unwrap();
        let found = drain(&socket);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].destination, target);
        assert!(found[0].reason.contains("port unreachable"));
        assert!(drain(&socket).is_empty());
    }
}
