//! One task per call's audio: every 20 ms it takes a frame from the source, hands
//! RTP to the socket, and plays a frame into the sink; in between it receives RTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hookswitch_media::MediaSession;
use hookswitch_media::sdp::Negotiated;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use crate::api::{CallId, CallStats};
use crate::audio::{AudioSink, AudioSource};

/// Commands for a running media task.
#[derive(Debug)]
pub enum MediaControl {
    Update(Negotiated),
    Dtmf(String),
    Mute(bool),
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
        socket: Arc<UdpSocket>,
        negotiated: Negotiated,
        source: Box<dyn AudioSource>,
        sink: Box<dyn AudioSink>,
        reports: mpsc::UnboundedSender<MediaReport>,
    ) -> MediaTask {
        let (control, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(
            call,
            socket,
            MediaSession::new(negotiated),
            source,
            sink,
            rx,
            reports,
        ));
        MediaTask { control }
    }

    pub fn send(&self, c: MediaControl) {
        let _ = self.control.send(c);
    }
}

async fn run(
    call: CallId,
    socket: Arc<UdpSocket>,
    mut session: MediaSession,
    mut source: Box<dyn AudioSource>,
    mut sink: Box<dyn AudioSink>,
    mut control: mpsc::UnboundedReceiver<MediaControl>,
    reports: mpsc::UnboundedSender<MediaReport>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut frame = vec![0i16; session.frame_samples()];
    let mut played = Vec::with_capacity(frame.len());
    let mut buf = vec![0u8; 2048];
    let mut source_live = true;
    // Symmetric RTP: once the peer's packets arrive from another address than its
    // SDP said (NAT), answer where they come from.
    let mut remote: Option<SocketAddr> = session.negotiated().remote;
    let mut latched = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if source_live && !source.read_frame(&mut frame) {
                    source_live = false;
                    let _ = reports.send(MediaReport::SourceEnded(call));
                }
                if let Some(to) = remote {
                    for packet in session.send_frame(&frame) {
                        if let Err(e) = socket.try_send_to(&packet, to) {
                            tracing::trace!("RTP send failed: {e}");
                        }
                    }
                }
                played.clear();
                session.play_frame(&mut played);
                sink.write_frame(&played);
                while let Some(key) = session.poll_dtmf() {
                    let _ = reports.send(MediaReport::Dtmf(call, key));
                }
            }
            received = socket.recv_from(&mut buf) => {
                match received {
                    Ok((n, from)) => {
                        if session.receive(&buf[..n]).is_ok() && !latched && Some(from) != remote && remote.is_some() {
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
                Some(MediaControl::Stop) | None => break,
            }
        }
    }
    sink.finish();
    let s = session.stats();
    let stats = CallStats {
        packets_sent: s.packets_sent,
        packets_received: s.packets_received,
        concealed_frames: s.jitter.concealed,
        late_packets: s.jitter.late,
        dtmf_sent: s.dtmf_sent,
        dtmf_received: s.dtmf_received,
    };
    let _ = reports.send(MediaReport::Stopped(call, stats));
}
