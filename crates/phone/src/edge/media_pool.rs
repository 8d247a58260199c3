//! With a STUN server, one pair of media sockets waits ready with its public
//! address known, so a call's SDP names where peers reach us without a STUN
//! round trip in the middle of call set-up. The waiting pair's mapping is
//! asked again every `REFRESH` (which also keeps it open in the NAT); a call
//! takes the pair and another is prepared.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hookswitch_sip::stun::{Binding, BindingOutcome, Retransmission};
use tokio::net::UdpSocket;
use tokio::sync::{Notify, watch};

use super::sockets::MediaSockets;

/// NATs forget an idle UDP mapping after 30 s or more.
const REFRESH: Duration = Duration::from_secs(20);
/// A media socket's Binding: the STUN server answered the SIP socket already,
/// so a short schedule (0, 0.25, 0.75 s; given up at 1.75 s) is enough.
const SCHEDULE: Retransmission = Retransmission {
    rto: Duration::from_millis(250),
    requests: 3,
    last_wait: Duration::from_secs(1),
};

struct Prepared {
    sockets: MediaSockets,
    ip: IpAddr,
    mapped_at: Instant,
}

pub struct MediaPool {
    slot: Arc<Mutex<Option<Prepared>>>,
    bind_ip: watch::Sender<IpAddr>,
    wake: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl MediaPool {
    pub fn start(server: SocketAddr, ip: IpAddr) -> MediaPool {
        let slot = Arc::new(Mutex::new(None));
        let (bind_ip, ip_rx) = watch::channel(ip);
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(keep_one_ready(server, slot.clone(), ip_rx, wake.clone()));
        MediaPool {
            slot,
            bind_ip,
            wake,
            task,
        }
    }

    /// The ready pair, if it is bound to `ip` and its mapping is fresh.
    pub fn take(&self, ip: IpAddr) -> Option<MediaSockets> {
        let taken = self.slot.lock().ok()?.take();
        self.wake.notify_one();
        taken
            .filter(|p| p.ip == ip && p.mapped_at.elapsed() < REFRESH + Duration::from_secs(5))
            .map(|p| p.sockets)
    }

    /// Our local address moved: the waiting pair is bound to the old one.
    pub fn set_bind_ip(&self, ip: IpAddr) {
        self.bind_ip.send_replace(ip);
        self.wake.notify_one();
    }
}

impl Drop for MediaPool {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn keep_one_ready(
    server: SocketAddr,
    slot: Arc<Mutex<Option<Prepared>>>,
    ip: watch::Receiver<IpAddr>,
    wake: Arc<Notify>,
) {
    loop {
        let ip_now = *ip.borrow();
        let waiting = slot.lock().ok().and_then(|mut s| s.take());
        let sockets = match waiting {
            Some(p) if p.ip == ip_now && p.mapped_at.elapsed() < REFRESH => {
                let due = p.mapped_at + REFRESH;
                if let Ok(mut s) = slot.lock() {
                    *s = Some(p);
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(due.into()) => {}
                    _ = wake.notified() => {}
                }
                continue;
            }
            Some(p) if p.ip == ip_now => Some(p.sockets),
            _ => MediaSockets::bind(ip_now)
                .inspect_err(|e| tracing::warn!("cannot bind media sockets on {ip_now}: {e}"))
                .ok(),
        };
        let mapped = match sockets {
            Some(mut sockets) => match public_address_of(&sockets.rtp, server).await {
                Some(public) => {
                    sockets.public = public;
                    Some(sockets)
                }
                None => None,
            },
            None => None,
        };
        match mapped {
            Some(sockets) => {
                if let Ok(mut s) = slot.lock() {
                    *s = Some(Prepared {
                        sockets,
                        ip: ip_now,
                        mapped_at: Instant::now(),
                    });
                }
            }
            // The STUN server is away: calls bind their own sockets meanwhile.
            None => tokio::select! {
                _ = tokio::time::sleep(REFRESH) => {}
                _ = wake.notified() => {}
            },
        }
    }
}

/// Where `server` sees a media socket: asked through a copy of it that
/// this runtime watches for the answer and lets go of afterwards.
async fn public_address_of(socket: &std::net::UdpSocket, server: SocketAddr) -> Option<SocketAddr> {
    let copy = socket
        .try_clone()
        .and_then(UdpSocket::from_std)
        .inspect_err(|e| tracing::debug!("media socket for STUN: {e}"))
        .ok()?;
    public_address(&copy, server).await
}

/// Where `server` sees `socket`, or `None` without an answer.
pub async fn public_address(socket: &UdpSocket, server: SocketAddr) -> Option<SocketAddr> {
    let mut binding = Binding::new(server, Instant::now(), SCHEDULE);
    let mut buf = [0u8; 1500];
    loop {
        while let Some((to, request)) = binding.poll_transmit() {
            let _ = socket.send_to(&request, to).await;
        }
        match binding.outcome() {
            Some(BindingOutcome::Mapped(public)) => return Some(*public),
            Some(other) => {
                tracing::debug!(?other, "no public address for a media socket");
                return None;
            }
            None => {}
        }
        let deadline = binding.poll_timeout()?;
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = r {
                    binding.handle_response(source, &buf[..n]);
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => binding.handle_timeout(Instant::now()),
        }
    }
}
