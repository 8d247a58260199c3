//! A call's media sockets: RTP on an even port, RTCP on the next.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;

/// A call's RTP socket and, on the next port, its RTCP socket.
#[derive(Debug, Clone)]
pub struct MediaSockets {
    pub rtp: Arc<UdpSocket>,
    pub rtcp: Arc<UdpSocket>,
    /// Where peers send our RTP: the socket's own address, or the public one
    /// a NAT gives it. Our SDP names this.
    pub public: SocketAddr,
}

impl MediaSockets {
    /// An RTP socket on an even port of `ip` and RTCP on the next one (RFC 3550 11).
    pub fn bind(ip: std::net::IpAddr) -> std::io::Result<MediaSockets> {
        let mut last_error = None;
        for _ in 0..50 {
            let rtp = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
            let local = rtp.local_addr()?;
            if local.port() % 2 == 1 || local.port() == u16::MAX {
                continue;
            }
            match std::net::UdpSocket::bind(SocketAddr::new(ip, local.port() + 1)) {
                Ok(rtcp) => {
                    rtp.set_nonblocking(true)?;
                    rtcp.set_nonblocking(true)?;
                    return Ok(MediaSockets {
                        rtp: Arc::new(UdpSocket::from_std(rtp)?),
                        rtcp: Arc::new(UdpSocket::from_std(rtcp)?),
                        public: local,
                    });
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| std::io::Error::other("no even/odd port pair free")))
    }
}
