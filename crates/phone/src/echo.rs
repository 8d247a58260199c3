//! The echo test: a small SIP service inside the engine that answers any call
//! and sends back what it hears a second later, so a new user can try their
//! headset, its buttons and LEDs, and the sound path with no SIP account
//! (`hookswitch call echo`). It is a real SIP peer on loopback (its own
//! sans-IO user agent), so the call is an ordinary call to the rest of the
//! engine: devices, events and statistics all work as for any call.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hookswitch_media::codec::CodecKind;
use hookswitch_media::sdp::{Direction, LocalMedia, SessionDescription, create_answer};
use hookswitch_media::srtp::SrtpMode;
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{Config as UaConfig, Event, Keepalive, UserAgent};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

/// How long the echo waits before playing back what it heard.
pub const DELAY: Duration = Duration::from_secs(1);

/// The running echo service: where to call it. Stops when dropped.
pub struct EchoService {
    pub address: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl EchoService {
    /// Binds a loopback port and starts answering.
    pub async fn start() -> std::io::Result<EchoService> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let address = socket.local_addr()?;
        let ua = UserAgent::new(UaConfig {
            local: address,
            timers: TimerConfig::default(),
            accounts: Vec::new(),
            contact_user: "echo".into(),
            keepalive: Keepalive::Off,
            tls_port: None,
            local_v6: None,
            accept_messages: hookswitch_sip::ua::AcceptMessages::No,
        });
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(serve(ua, socket, stopped));
        Ok(EchoService {
            address,
            _stop: stop,
        })
    }
}

async fn serve(mut ua: UserAgent, socket: UdpSocket, mut stopped: oneshot::Receiver<()>) {
    let mut reflectors: HashMap<u64, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut buf = vec![0u8; 65536];
    let mut session_ids = 0u64;
    loop {
        while let Some(t) = ua.poll_transmit() {
            if let hookswitch_sip::ua::Destination::Addr(to) = t.destination {
                let _ = socket.send_to(&t.payload, to).await;
            }
        }
        while let Some(e) = ua.poll_event() {
            match e {
                Event::IncomingCall { call, offer, .. } => {
                    session_ids += 1;
                    match answer(offer.as_deref(), session_ids).await {
                        Ok((sdp, rtp)) => {
                            reflectors.insert(call.0, tokio::spawn(reflect(rtp)));
                            let _ = ua.answer(Instant::now(), call, sdp);
                        }
                        Err(e) => {
                            tracing::info!("echo test: cannot answer: {e}");
                            let _ = ua.reject(Instant::now(), call, 488);
                        }
                    }
                }
                Event::Ended { call, .. } => {
                    if let Some(r) = reflectors.remove(&call.0) {
                        r.abort();
                    }
                }
                _ => {}
            }
        }
        let wake = ua.poll_timeout();
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                if let Ok((n, source)) = r {
                    ua.handle_datagram(Instant::now(), source, &buf[..n]);
                }
            }
            _ = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            } => ua.handle_timeout(Instant::now()),
            _ = &mut stopped => break,
        }
    }
    for r in reflectors.into_values() {
        r.abort();
    }
}

/// An SDP answer taking any codec we know (the echo never decodes: it
/// plays back the caller's own packets), and the RTP socket it names.
async fn answer(offer: Option<&[u8]>, session_id: u64) -> Result<(Vec<u8>, UdpSocket), String> {
    let offer = SessionDescription::parse(offer.ok_or("an offerless INVITE")?)
        .map_err(|e| e.to_string())?;
    let rtp = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let port = rtp.local_addr().map_err(|e| e.to_string())?.port();
    let local = LocalMedia {
        address: [127, 0, 0, 1].into(),
        port,
        codecs: vec![
            CodecKind::OPUS,
            CodecKind::G722,
            CodecKind::PCMU,
            CodecKind::PCMA,
        ],
        telephone_event: true,
        comfort_noise: false,
        rtcp_xr: false,
        // One port: RTCP comes to it too, and is not echoed.
        rtcp_mux: true,
        ptime: 20,
        direction: Direction::SendRecv,
        session_id,
        session_version: 1,
        srtp: SrtpMode::Off,
        srtp_key: [0; hookswitch_media::srtp::KEY_AND_SALT_LEN],
    };
    let (answer, _) = create_answer(&offer, &local).map_err(|e| e.to_string())?;
    Ok((answer.to_bytes(), rtp))
}

/// The SSRC the echo sends with: its own, so the caller does not take its
/// own packets for a loop.
const ECHO_SSRC: [u8; 4] = *b"echo";

/// Sends every RTP packet back to where it came from, `DELAY` later.
async fn reflect(socket: UdpSocket) {
    let socket = Arc::new(socket);
    let mut queue: VecDeque<(Instant, SocketAddr, Vec<u8>)> = VecDeque::new();
    let mut buf = vec![0u8; 2048];
    loop {
        let due = queue.front().map(|(at, ..)| *at);
        tokio::select! {
            r = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = r else { continue };
                let packet = &buf[..n];
                // RTP version 2 with a header; RTCP (types 200-206) stays here.
                if n < 12 || packet[0] >> 6 != 2 || (200..=206).contains(&packet[1]) {
                    continue;
                }
                let mut echoed = packet.to_vec();
                echoed[8..12].copy_from_slice(&ECHO_SSRC);
                queue.push_back((Instant::now() + DELAY, source, echoed));
            }
            _ = async {
                match due {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            } => {
                let now = Instant::now();
                while queue.front().is_some_and(|(at, ..)| *at <= now) {
                    if let Some((_, to, packet)) = queue.pop_front() {
                        let _ = socket.send_to(&packet, to).await;
                    }
                }
            }
        }
    }
}
