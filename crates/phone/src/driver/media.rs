//! Calls' media at the edge: what the core asks to prepare (sockets and
//! sound, opened before a call goes out or is answered), and one task per
//! running call that moves 20 ms frames between the sound and the sans-IO
//! `MediaSession`, and RTP between the session and its sockets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hookswitch_devices::sound::echo::EchoCanceller;
use hookswitch_media::MediaSession;
use tokio::sync::{mpsc, oneshot};

use crate::action::Reply;
use crate::audio::{AudioSink, AudioSource, AudioSpec, CallRecorder, Meter};
use crate::core::{MediaCommand, MediaReport, MediaStart};
use crate::edge::sockets::MediaSockets;
use crate::error::EngineError;
use crate::event::{CallId, CallStats};

/// A call's sockets and sound, opened ahead of its media.
struct Prepared {
    sockets: MediaSockets,
    audio: AudioSpec,
    rate: u32,
    source: Box<dyn AudioSource>,
    sink: Box<dyn AudioSink>,
    recorder: Option<CallRecorder>,
}

type StatsReply = oneshot::Sender<Result<Reply, EngineError>>;

/// Commands for a running media task.
enum Control {
    Command(MediaCommand),
    Stats(StatsReply),
}

pub struct MediaEdge {
    prepared: HashMap<CallId, Prepared>,
    running: HashMap<CallId, mpsc::UnboundedSender<Control>>,
    reports: mpsc::UnboundedSender<(CallId, MediaReport)>,
    rtcp_interval: Duration,
}

impl MediaEdge {
    pub fn new(
        rtcp_interval: Duration,
    ) -> (MediaEdge, mpsc::UnboundedReceiver<(CallId, MediaReport)>) {
        let (reports, rx) = mpsc::unbounded_channel();
        let edge = MediaEdge {
            prepared: HashMap::new(),
            running: HashMap::new(),
            reports,
            rtcp_interval,
        };
        (edge, rx)
    }

    /// Opens a call's sound at `rate` on `sockets`: the public RTP address,
    /// or why it could not be had.
    pub fn prepare(
        &mut self,
        call: CallId,
        audio: AudioSpec,
        rate: u32,
        sockets: std::io::Result<MediaSockets>,
    ) -> Result<SocketAddr, String> {
        let sockets = sockets.map_err(|e| format!("no media port: {e}"))?;
        let source = audio.source(rate)?;
        let sink = audio.sink(rate)?;
        let recorder = audio.recorder(rate)?;
        let public = sockets.public;
        self.prepared.insert(
            call,
            Prepared {
                sockets,
                audio,
                rate,
                source,
                sink,
                recorder,
            },
        );
        Ok(public)
    }

    pub fn release(&mut self, call: CallId) {
        self.prepared.remove(&call);
    }

    /// Carries out a command; what a call without a task cannot do is
    /// answered here (a stop is reported at once, figures are refused).
    pub fn command(
        &mut self,
        call: CallId,
        command: MediaCommand,
        stats_reply: Option<StatsReply>,
    ) -> Option<MediaReport> {
        if let MediaCommand::Start(start) = command {
            return self.start(call, *start).err().map(MediaReport::Failed);
        }
        let Some(task) = self.running.get(&call) else {
            return match command {
                MediaCommand::Stop => Some(MediaReport::Stopped(CallStats::default())),
                _ => {
                    if let Some(r) = stats_reply {
                        let _ = r.send(Err(EngineError::WrongState));
                    }
                    None
                }
            };
        };
        let stop = command == MediaCommand::Stop;
        let control = match (command, stats_reply) {
            (MediaCommand::Stats(_), Some(reply)) => Control::Stats(reply),
            (MediaCommand::Stats(_), None) => return None,
            (c, _) => Control::Command(c),
        };
        let _ = task.send(control);
        if stop {
            self.running.remove(&call);
        }
        None
    }

    fn start(&mut self, call: CallId, start: MediaStart) -> Result<(), String> {
        let mut p = self
            .prepared
            .remove(&call)
            .ok_or("no media was prepared for the call")?;
        let rate = start.negotiated.codec.sample_rate();
        if rate != p.rate {
            // The peer chose a codec of another rate: the sound reopens at it.
            p.source = p.audio.source(rate)?;
            p.sink = p.audio.sink(rate)?;
            p.recorder = p.audio.recorder(rate)?;
        }
        let echo = p.audio.echo_canceller(start.echo_cancellation, rate);
        let (control, rx) = mpsc::unbounded_channel();
        let audio = CallAudio {
            source: p.source,
            sink: p.sink,
            recorder: p.recorder,
            echo,
        };
        let reports = self.reports.clone();
        tokio::spawn(run(
            call,
            p.sockets,
            start,
            audio,
            self.rtcp_interval,
            rx,
            reports,
        ));
        self.running.insert(call, control);
        Ok(())
    }

    /// At exit: every task stops.
    pub fn stop_all(&mut self) {
        for (_, task) in self.running.drain() {
            let _ = task.send(Control::Command(MediaCommand::Stop));
        }
        self.prepared.clear();
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
struct CallAudio {
    source: Box<dyn AudioSource>,
    sink: Box<dyn AudioSink>,
    recorder: Option<CallRecorder>,
    /// Removes the speaker's echo from the microphone (speakerphones).
    echo: Option<EchoCanceller>,
}

async fn run(
    call: CallId,
    sockets: MediaSockets,
    start: MediaStart,
    audio: CallAudio,
    rtcp_interval: Duration,
    mut control: mpsc::UnboundedReceiver<Control>,
    reports: mpsc::UnboundedSender<(CallId, MediaReport)>,
) {
    let report = |r: MediaReport| {
        let _ = reports.send((call, r));
    };
    let CallAudio {
        mut source,
        mut sink,
        mut recorder,
        mut echo,
    } = audio;
    let mut session = MediaSession::seeded(start.negotiated, start.seed);
    session.set_muted(start.muted);
    session.set_held(start.held);
    let mut silence = Vec::new();
    let (mut speaker_gain, mut microphone_gain) = (start.speaker, start.microphone);
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
                    report(MediaReport::SourceEnded);
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
                    report(MediaReport::Dtmf(key));
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
                Some(Control::Command(MediaCommand::Update(n))) => {
                    if !latched || n.remote.is_none() {
                        remote = n.remote;
                    }
                    session.update(*n);
                }
                Some(Control::Command(MediaCommand::Dtmf(keys))) => {
                    if !session.send_dtmf(&keys) {
                        report(MediaReport::DtmfNeedsInfo(keys));
                    }
                }
                Some(Control::Command(MediaCommand::Mute(m))) => session.set_muted(m),
                Some(Control::Command(MediaCommand::Hold(h))) => session.set_held(h),
                Some(Control::Command(MediaCommand::Volume { speaker, microphone })) => {
                    speaker_gain = speaker.unwrap_or(speaker_gain);
                    microphone_gain = microphone.unwrap_or(microphone_gain);
                }
                Some(Control::Stats(reply)) => {
                    let mut stats = call_stats(&session);
                    stats.microphone_level_db = Some(sent_meter.level_db());
                    stats.speaker_level_db = Some(heard_meter.level_db());
                    let _ = reply.send(Ok(Reply::Stats(Box::new(stats))));
                }
                Some(Control::Command(MediaCommand::Start(_) | MediaCommand::Stats(_))) => {}
                Some(Control::Command(MediaCommand::Stop)) | None => break,
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
    report(MediaReport::Stopped(call_stats(&session)));
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
