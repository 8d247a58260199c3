//! One task per call's audio: every 20 ms it takes a frame from the source, hands
//! RTP to the socket, and plays a frame into the sink; in between it receives RTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hookswitch_devices::sound::echo::EchoCanceller;
use hookswitch_media::MediaSession;
use hookswitch_media::sdp::Negotiated;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::api::{CallId, CallStats, EngineError};
use crate::audio::{AudioSink, AudioSource, CallRecorder, Gain, Meter};

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

/// Commands for a running media task.
#[derive(Debug)]
pub enum MediaControl {
    Update(Negotiated),
    Dtmf(String),
    Mute(bool),
    /// We hold the call (or resume it): the microphone stops going out.
    Hold(bool),
    /// The call's figures so far.
    Stats(tokio::sync::oneshot::Sender<Result<CallStats, EngineError>>),
    /// New gains for the earpiece and the microphone (`None`: unchanged).
    Volume {
        speaker: Option<Gain>,
        microphone: Option<Gain>,
    },
    Stop,
}

/// What a media task reports to the driver.
#[derive(Debug)]
pub enum MediaReport {
    Dtmf(CallId, char),
    /// Keys the peer cannot take as RFC 4733 events: send them by SIP INFO.
    DtmfNeedsInfo(CallId, String),
    SourceEnded(CallId),
    Stopped(CallId, CallStats),
}

pub struct MediaTask {
    pub control: mpsc::UnboundedSender<MediaControl>,
}

impl MediaTask {
    pub fn spawn(
        call: CallId,
        sockets: MediaSockets,
        negotiated: Negotiated,
        audio: CallAudio,
        rtcp_interval: Duration,
        reports: mpsc::UnboundedSender<MediaReport>,
    ) -> MediaTask {
        let (control, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(
            call,
            sockets,
            MediaSession::new(negotiated),
            audio,
            rtcp_interval,
            rx,
            reports,
        ));
        MediaTask { control }
    }

    pub fn send(&self, c: MediaControl) {
        let _ = self.control.send(c);
    }
}

fn ntp_now() -> u64 {
    hookswitch_media::rtcp::ntp_from_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// Each interval is drawn from 0.5 to 1.5 times the mean (RFC 3550 6.3.1), so
/// peers do not synchronise.
fn next_rtcp_interval(mean: Duration) -> Duration {
    use rand::RngExt;
    mean.mul_f64(rand::rng().random_range(0.5..1.5))
}

/// Where our RTCP goes: the RTP address itself when multiplexed (RFC 5761);
/// else where the peer's RTCP comes from once it has (symmetric RTCP, for
/// NATs), else its RTP port + 1 (RFC 3550 11).
fn rtcp_target(
    mux: bool,
    rtp: Option<SocketAddr>,
    rtcp_source: Option<SocketAddr>,
) -> Option<SocketAddr> {
    if mux {
        return rtp;
    }
    rtcp_source.or_else(|| rtp.map(|a| SocketAddr::new(a.ip(), a.port().wrapping_add(1))))
}

/// Where a call's audio comes from and goes to.
pub struct CallAudio {
    pub source: Box<dyn AudioSource>,
    pub sink: Box<dyn AudioSink>,
    pub recorder: Option<CallRecorder>,
    /// Removes the speaker's echo from the microphone (speakerphones).
    pub echo: Option<EchoCanceller>,
}

async fn run(
    call: CallId,
    sockets: MediaSockets,
    mut session: MediaSession,
    audio: CallAudio,
    rtcp_interval: Duration,
    mut control: mpsc::UnboundedReceiver<MediaControl>,
    reports: mpsc::UnboundedSender<MediaReport>,
) {
    let CallAudio {
        mut source,
        mut sink,
        mut recorder,
        mut echo,
    } = audio;
    let mut silence = Vec::new();
    let (mut speaker_gain, mut microphone_gain) = (Gain::UNITY, Gain::UNITY);
    // The earpiece's copy of a frame, at the user's volume (the recording
    // keeps the call's own level).
    let mut heard = Vec::new();
    let (mut sent_meter, mut heard_meter) = (Meter::default(), Meter::default());
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut frame = vec![0i16; session.frame_samples()];
    let mut played = Vec::with_capacity(frame.len());
    let socket = sockets.rtp.clone();
    let mut buf = vec![0u8; 2048];
    let mut rtcp_buf = vec![0u8; 1500];
    let mut rtcp_due = tokio::time::Instant::now() + next_rtcp_interval(rtcp_interval);
    let mut source_live = true;
    // Symmetric RTP: once the peer's packets arrive from another address than its
    // SDP said (NAT), answer where they come from.
    let mut remote: Option<SocketAddr> = session.negotiated().remote;
    let mut latched = false;
    let mut rtcp_source: Option<SocketAddr> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if source_live && !source.read_frame(&mut frame) {
                    source_live = false;
                    let _ = reports.send(MediaReport::SourceEnded(call));
                }
                if let Some(e) = &mut echo {
                    e.capture(&mut frame);
                }
                microphone_gain.apply(&mut frame);
                if let Some(to) = remote {
                    for packet in session.send_frame(&frame) {
                        if let Err(e) = socket.try_send_to(&packet, to) {
                            tracing::trace!("RTP send failed: {e}");
                        }
                    }
                }
                played.clear();
                session.play_frame(&mut played);
                heard.clone_from(&played);
                speaker_gain.apply(&mut heard);
                if let Some(e) = &mut echo {
                    e.render(&heard);
                }
                sink.write_frame(&heard);
                heard_meter.frame(&heard);
                if session.is_muted() {
                    sent_meter.frame(&[]);
                } else {
                    sent_meter.frame(&frame);
                }
                if let Some(r) = &mut recorder {
                    // What actually went out: silence while muted.
                    let sent = if session.is_muted() {
                        silence.resize(frame.len(), 0);
                        &silence
                    } else {
                        &frame
                    };
                    r.write(sent, &played);
                }
                while let Some(key) = session.poll_dtmf() {
                    let _ = reports.send(MediaReport::Dtmf(call, key));
                }
            }
            _ = tokio::time::sleep_until(rtcp_due) => {
                rtcp_due = tokio::time::Instant::now() + next_rtcp_interval(rtcp_interval);
                let mux = session.negotiated().rtcp_mux;
                if let Some(to) = rtcp_target(mux, remote, rtcp_source) {
                    let report = session.rtcp_report(std::time::Instant::now(), ntp_now());
                    let via = if mux { &socket } else { &sockets.rtcp };
                    if let Err(e) = via.try_send_to(&report, to) {
                        tracing::trace!("RTCP send failed: {e}");
                    }
                }
            }
            received = sockets.rtcp.recv_from(&mut rtcp_buf) => {
                if let Ok((n, from)) = received {
                    match session.receive_rtcp(&rtcp_buf[..n], std::time::Instant::now()) {
                        Ok(()) if rtcp_source != Some(from) => {
                            tracing::debug!(%from, "RTCP latched to the reports' source");
                            rtcp_source = Some(from);
                        }
                        Ok(()) => {}
                        Err(e) => tracing::debug!("RTCP from the peer dropped: {e}"),
                    }
                }
            }
            received = socket.recv_from(&mut buf) => {
                match received {
                    Ok((n, from)) => {
                        if session.receive(&buf[..n], std::time::Instant::now()).is_ok() && !latched && Some(from) != remote && remote.is_some() {
                            tracing::debug!(%from, "RTP latched to the packets' source");
                            remote = Some(from);
                            latched = true;
                        }
                    }
                    Err(e) => tracing::debug!("RTP receive error: {e}"),
                }
            }
            c = control.recv() => match c {
                Some(MediaControl::Update(n)) => {
                    if !latched || n.remote.is_none() {
                        remote = n.remote;
                    }
                    session.update(n);
                }
                Some(MediaControl::Dtmf(keys)) => {
                    if !session.send_dtmf(&keys) {
                        let _ = reports.send(MediaReport::DtmfNeedsInfo(call, keys));
                    }
                }
                Some(MediaControl::Mute(m)) => session.set_muted(m),
                Some(MediaControl::Hold(h)) => session.set_held(h),
                Some(MediaControl::Volume { speaker, microphone }) => {
                    speaker_gain = speaker.unwrap_or(speaker_gain);
                    microphone_gain = microphone.unwrap_or(microphone_gain);
                }
                Some(MediaControl::Stats(reply)) => {
                    let mut stats = call_stats(&session);
                    stats.microphone_level_db = Some(sent_meter.level_db());
                    stats.speaker_level_db = Some(heard_meter.level_db());
                    let _ = reply.send(Ok(stats));
                }
                Some(MediaControl::Stop) | None => break,
            }
        }
    }
    let mux = session.negotiated().rtcp_mux;
    if let Some(to) = rtcp_target(mux, remote, rtcp_source) {
        let bye = session.rtcp_bye(std::time::Instant::now(), ntp_now());
        let via = if mux { &socket } else { &sockets.rtcp };
        let _ = via.try_send_to(&bye, to);
    }
    sink.finish();
    if let Some(e) = &echo {
        tracing::info!(
            erle_db = e.erle_db(),
            errors = e.errors(),
            "echo canceller ended"
        );
    }
    if let Some(r) = &mut recorder {
        r.finish();
    }
    let _ = reports.send(MediaReport::Stopped(call, call_stats(&session)));
}

/// What the session has seen and estimated so far.
fn call_stats(session: &MediaSession) -> CallStats {
    let q = session.quality();
    let s = session.stats();
    CallStats {
        packets_sent: s.packets_sent,
        packets_received: s.packets_received,
        concealed_frames: s.jitter.concealed,
        late_packets: s.jitter.late,
        dtmf_sent: s.dtmf_sent,
        dtmf_received: s.dtmf_received,
        packets_lost: q.packets_lost,
        loss_percent: q.loss_percent,
        jitter_ms: q.jitter_ms,
        rtt_ms: q.rtt_ms,
        mos: q.mos,
        codec_concealed_frames: s.codec_concealed,
        remote_loss_percent: q.remote.as_ref().map(|r| r.loss_percent),
        remote_end_system_delay_ms: q.remote.as_ref().map(|r| r.end_system_delay_ms),
        remote_mos: q.remote.as_ref().and_then(|r| r.mos),
        encryption: session.srtp_suite().map(str::to_string),
        srtp_refused: s.srtp_refused,
        microphone_level_db: None,
        speaker_level_db: None,
    }
}
