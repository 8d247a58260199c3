//! A call's media sockets: RTP on an even port, RTCP on the next. Plain
//! non-blocking sockets, registered with no runtime: the call's media task
//! takes them to the media thread (`driver::media_thread`).

use std::net::{SocketAddr, UdpSocket};

/// A call's RTP socket and, on the next port, its RTCP socket.
#[derive(Debug)]
pub struct MediaSockets {
    pub rtp: UdpSocket,
    pub rtcp: UdpSocket,
    /// Where peers send our RTP: the socket's own address, or the public one
    /// a NAT gives it. Our SDP names this.
    pub public: SocketAddr,
}

impl MediaSockets {
    /// An RTP socket on an even port of `ip` and RTCP on the next one (RFC 3550 11).
    pub fn bind(ip: std::net::IpAddr) -> std::io::Result<MediaSockets> {
        let mut last_error = None;
        for _ in 0..50 {
            let rtp = UdpSocket::bind(SocketAddr::new(ip, 0))?;
            let local = rtp.local_addr()?;
            if local.port() % 2 == 1 || local.port() == u16::MAX {
                continue;
            }
            match UdpSocket::bind(SocketAddr::new(ip, local.port() + 1)) {
                Ok(rtcp) => {
                    rtp.set_nonblocking(true)?;
                    rtcp.set_nonblocking(true)?;
                    return Ok(MediaSockets {
                        rtp,
                        rtcp,
                        public: local,
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no even/odd port pair free")))
    }
}
