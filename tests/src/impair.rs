//! A bad network between two softphones, in user space: SIP passes through a
//! forwarder that rewrites each side's SDP so that RTP flows through a media
//! relay, and the relay drops and delays the sender's packets by a seeded
//! model (the same seed gives the same losses and delays to every receiver
//! put behind it). The receiver calls the sender:
//!
//! ```text
//!  receiver --INVITE--> sip front | sip back --INVITE--> sender
//!  receiver <--RTP----- media front | media back <--RTP-- sender   (lossy, jittery)
//!  receiver ---RTP----> media front | media back ---RTP-> sender   (clean)
//! ```
//!
//! In-dialog requests (ACK, BYE) go straight to each side's Contact.

use std::collections::BinaryHeap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Loss and jitter of the sender -> receiver direction.
#[derive(Debug, Clone, Copy)]
pub struct Impairment {
    /// Probability that a packet is lost (independent losses).
    pub loss: f64,
    /// Each packet is held for a uniform 0..jitter (so packets reorder once
    /// it exceeds the packet interval).
    pub jitter: Duration,
    pub seed: u64,
}

/// SplitMix64: a seeded, portable sequence (no dependency, same on every machine).
struct Seeded(u64);

impl Seeded {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Default)]
struct Ports {
    /// The receiver's real RTP port (from its offer) and the sender's (answer).
    receiver_rtp: Option<u16>,
    sender_rtp: Option<u16>,
    receiver_sip: Option<SocketAddr>,
}

pub struct ImpairedPath {
    /// Where the receiver sends its INVITE.
    pub sip_addr: SocketAddr,
    first_packet: Arc<Mutex<Option<Instant>>>,
    forwarded: Arc<AtomicU64>,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn bind() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind");
    s.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    s
}

/// Replaces the port of the `m=audio` line, returning the old one, and fixes
/// Content-Length. Messages without SDP come back unchanged.
fn rewrite_media_port(message: &[u8], port: u16) -> (Vec<u8>, Option<u16>) {
    let text = String::from_utf8_lossy(message);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (message.to_vec(), None);
    };
    let mut old = None;
    let body: String = body
        .split_inclusive("\r\n")
        .map(|line| match line.strip_prefix("m=audio ") {
            Some(rest) => {
                let (p, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                old = p.parse().ok();
                format!("m=audio {port} {tail}")
            }
            None => line.to_string(),
        })
        .collect();
    if old.is_none() {
        return (message.to_vec(), None);
    }
    let head: Vec<String> = head
        .split("\r\n")
        .map(|h| {
            let lower = h.to_ascii_lowercase();
            if lower.starts_with("content-length:") || lower.starts_with("l:") {
                format!("Content-Length: {}", body.len())
            } else {
                h.to_string()
            }
        })
        .collect();
    (
        format!("{}\r\n\r\n{body}", head.join("\r\n")).into_bytes(),
        old,
    )
}

/// A packet waiting for its release time (earliest first in the heap).
struct Held {
    due: Instant,
    order: u64,
    data: Vec<u8>,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

/// A thread that hands each datagram arriving at `socket` (and its source)
/// to `handle`, until `stop`.
fn serve(
    socket: Arc<UdpSocket>,
    stop: Arc<AtomicBool>,
    mut handle: impl FnMut(&[u8], SocketAddr) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while !stop.load(Ordering::Relaxed) {
            if let Ok((n, src)) = socket.recv_from(&mut buf) {
                handle(&buf[..n], src);
            }
        }
    })
}

impl ImpairedPath {
    /// A path to the sender listening for SIP at `sender_sip`.
    pub fn start(sender_sip: SocketAddr, impairment: Impairment) -> ImpairedPath {
        let (sip_front, sip_back) = (Arc::new(bind()), Arc::new(bind()));
        let (media_front, media_back) = (Arc::new(bind()), Arc::new(bind()));
        let front_port = media_front.local_addr().expect("addr").port();
        let back_port = media_back.local_addr().expect("addr").port();
        let ports: Arc<Mutex<Ports>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let first_packet: Arc<Mutex<Option<Instant>>> = Arc::default();
        let (forwarded, dropped) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let mut threads = Vec::new();

        // SIP, receiver -> sender: its offer now names the media relay's back.
        threads.push({
            let (to, ports) = (sip_back.clone(), ports.clone());
            serve(sip_front.clone(), stop.clone(), move |datagram, src| {
                let (out, old) = rewrite_media_port(datagram, back_port);
                let mut p = ports.lock().expect("lock");
                p.receiver_sip = Some(src);
                if old.is_some() {
                    p.receiver_rtp = old;
                }
                drop(p);
                let _ = to.send_to(&out, sender_sip);
            })
        });
        // SIP, sender -> receiver: its answer names the relay's front.
        threads.push({
            let (to, ports) = (sip_front.clone(), ports.clone());
            serve(sip_back.clone(), stop.clone(), move |datagram, _| {
                let (out, old) = rewrite_media_port(datagram, front_port);
                let mut p = ports.lock().expect("lock");
                if old.is_some() {
                    p.sender_rtp = old;
                }
                let receiver = p.receiver_sip;
                drop(p);
                if let Some(r) = receiver {
                    let _ = to.send_to(&out, r);
                }
            })
        });
        // RTP, receiver -> sender: clean.
        threads.push({
            let (to, ports) = (media_back.clone(), ports.clone());
            serve(media_front.clone(), stop.clone(), move |datagram, _| {
                let port = ports.lock().expect("lock").sender_rtp;
                if let Some(p) = port {
                    let _ = to.send_to(datagram, ("127.0.0.1", p));
                }
            })
        });
        // RTP, sender -> receiver: dropped and held by the model...
        let (held_tx, held_rx) = mpsc::channel::<Held>();
        threads.push({
            let (first, forwarded, dropped) =
                (first_packet.clone(), forwarded.clone(), dropped.clone());
            let mut rng = Seeded(impairment.seed);
            let mut order = 0;
            serve(media_back.clone(), stop.clone(), move |datagram, _| {
                let now = Instant::now();
                first.lock().expect("lock").get_or_insert(now);
                // Two draws per packet whatever happens, so every run with
                // this seed sees the same pattern.
                let (lose, hold) = (rng.next_f64(), rng.next_f64());
                if lose < impairment.loss {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                forwarded.fetch_add(1, Ordering::Relaxed);
                order += 1;
                let _ = held_tx.send(Held {
                    due: now + impairment.jitter.mul_f64(hold),
                    order,
                    data: datagram.to_vec(),
                });
            })
        });
        // ... and released when due.
        threads.push({
            let (to, ports, stop) = (media_front.clone(), ports.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut heap = BinaryHeap::new();
                while !stop.load(Ordering::Relaxed) {
                    let wait = heap.peek().map_or(Duration::from_millis(20), |h: &Held| {
                        h.due.saturating_duration_since(Instant::now())
                    });
                    match held_rx.recv_timeout(wait) {
                        Ok(h) => heap.push(h),
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                    let port = ports.lock().expect("lock").receiver_rtp;
                    while heap.peek().is_some_and(|h| h.due <= Instant::now()) {
                        let h = heap.pop().expect("peeked");
                        if let Some(p) = port {
                            let _ = to.send_to(&h.data, ("127.0.0.1", p));
                        }
                    }
                }
            })
        });
        ImpairedPath {
            sip_addr: sip_front.local_addr().expect("addr"),
            first_packet,
            forwarded,
            dropped,
            stop,
            threads,
        }
    }

    /// When the sender's first RTP packet reached the relay.
    pub fn first_packet(&self) -> Option<Instant> {
        *self.first_packet.lock().expect("lock")
    }

    /// Packets passed on and dropped so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.forwarded.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}

impl Drop for ImpairedPath {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_port_is_swapped_and_the_length_fixed() {
        let sdp =
            "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n";
        let msg = format!(
            "INVITE sip:a@b SIP/2.0\r\nVia: x\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        );
        let (out, old) = rewrite_media_port(msg.as_bytes(), 51234);
        assert_eq!(old, Some(4000));
        let out = String::from_utf8(out).unwrap();
        let (_, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(body.contains("m=audio 51234 RTP/AVP 0 101\r\n"));
        assert!(out.contains(&format!("Content-Length: {}\r\n", body.len())));
        let (same, none) = rewrite_media_port(b"ACK sip:a@b SIP/2.0\r\n\r\n", 1);
        assert_eq!(none, None);
        assert_eq!(same, b"ACK sip:a@b SIP/2.0\r\n\r\n");
    }

    #[test]
    fn the_model_is_seeded() {
        let draw = |seed| {
            let mut r = Seeded(seed);
            (0..5).map(|_| r.next_f64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(7).iter().all(|v| (0.0..1.0).contains(v)));
    }
}
