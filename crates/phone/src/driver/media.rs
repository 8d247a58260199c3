//! Calls' media at the edge: what the core asks to prepare (sockets and
//! sound, opened before a call goes out or is answered), and one task per
//! running call, on the media thread, that moves 20 ms frames between the
//! sound and the sans-IO `MediaSession`, and RTP between the session and its
//! sockets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_media::MediaStream;
use hookswitch_media::stream::{StreamEvent, Via};
use tokio::sync::{mpsc, oneshot};

use crate::action::Reply;
use crate::audio::{
    AudioSink, AudioSource, AudioSpec, Bridge, BridgeLeg, CallAudio, CallRecorder, CallSound,
};
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
    /// Join the conference mix.
    Join(Bridge),
}

pub struct MediaEdge {
    prepared: HashMap<CallId, Prepared>,
    running: HashMap<CallId, mpsc::UnboundedSender<Control>>,
    reports: mpsc::UnboundedSender<(CallId, MediaReport)>,
    rtcp_interval: Duration,
    /// The local conference's mix (one at a time; empty when none).
    bridge: Bridge,
    /// Where the tasks run. Dropped last (declared last): a task stopped at
    /// exit may finish its recording first.
    thread: super::media_thread::MediaThread,
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
            bridge: Bridge::new(),
            thread: super::media_thread::MediaThread::start(),
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
            (MediaCommand::Conference(true), _) => Control::Join(self.bridge.clone()),
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
        self.thread.spawn(run(
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

/// Datagrams taken off the RTP socket per frame at most: a flood at our
/// port cannot hold the task; what is left waits in the socket (or the
/// kernel drops it).
const MAX_DATAGRAMS_PER_FRAME: usize = 32;

/// One call's media: every 20 ms what came in on RTP is taken (stamped with
/// its arrival by the kernel), a frame goes from the sound to the stream and
/// one back; RTCP comes in when it comes. The sans-IO `MediaStream` decides
/// where datagrams go and when RTCP is due.
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
    let rtp = sockets.rtp;
    if let Err(e) = crate::edge::rtp_receive::enable_timestamps(&rtp) {
        // Arrivals are then the tick's time: the jitter estimate coarsens.
        tracing::debug!("no arrival stamps on RTP: {e}");
    }
    let rtcp = match tokio::net::UdpSocket::from_std(sockets.rtcp) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("RTCP socket: {e}; reports from the peer are not read");
            None
        }
    };
    let mut stream = MediaStream::new(start.negotiated, start.seed, rtcp_interval, Instant::now());
    stream.session_mut().set_muted(start.muted);
    stream.session_mut().set_held(start.held);
    let samples = stream.session().frame_samples();
    let mut sound = CallSound::new(audio, samples, start.speaker, start.microphone);
    // In a conference our mute silences the microphone only: the others
    // still hear each other through this leg.
    let mut muted = start.muted;
    let mut conference: Option<BridgeLeg> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let (mut rtp_buf, mut rtcp_buf) = (vec![0u8; 2048], vec![0u8; 1500]);
    // When the peer was last heard (RTP or RTCP), for the media timeout;
    // waiting for the peer (it should not send) starts the count again.
    let mut heard_at = Instant::now();
    let mut silent_reported = false;
    loop {
        let rtcp_due = stream.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = tick.tick() => {
                if take_rtp(&rtp, &mut rtp_buf, &mut stream) {
                    heard_at = Instant::now();
                }
                if !sound.capture() {
                    report(MediaReport::SourceEnded);
                }
                if let Some(leg) = &mut conference {
                    if muted {
                        sound.frame.fill(0);
                    }
                    leg.mix_into(&mut sound.frame);
                }
                stream.send_frame(&sound.frame);
                sound.played.clear();
                stream.play_frame(&mut sound.played);
                if let Some(leg) = &mut conference {
                    leg.post(&sound.played);
                }
                sound.play(stream.session().is_muted());
                if let Some(limit) = start.media_timeout {
                    if !stream.session().negotiated().direction.receives() {
                        heard_at = Instant::now();
                    } else if !silent_reported && heard_at.elapsed() >= limit {
                        silent_reported = true;
                        report(MediaReport::Failed(format!(
                            "nothing from the other side for {} s (audio.media_timeout_secs)",
                            limit.as_secs()
                        )));
                    }
                }
            }
            _ = super::sleep_until(rtcp_due) => stream.handle_timeout(Instant::now(), ntp_now()),
            Some(Ok((n, from))) = recv_rtcp(rtcp.as_ref(), &mut rtcp_buf) => {
                let from = crate::edge::transport::canonical(from);
                heard_at = Instant::now();
                stream.handle_receive(Instant::now(), Via::Rtcp, from, &rtcp_buf[..n]);
            }
            c = control.recv() => match c {
                Some(Control::Command(MediaCommand::Update(n))) => stream.update(*n),
                Some(Control::Command(MediaCommand::Dtmf(keys))) => stream.send_dtmf(&keys),
                Some(Control::Command(MediaCommand::Mute(m))) => {
                    muted = m;
                    stream.session_mut().set_muted(m && conference.is_none());
                }
                Some(Control::Join(bridge)) => {
                    let rate = stream.session().negotiated().codec.sample_rate();
                    conference = Some(bridge.join(call, rate));
                    stream.session_mut().set_muted(false);
                }
                Some(Control::Command(MediaCommand::Conference(false))) => {
                    conference = None;
                    stream.session_mut().set_muted(muted);
                }
                Some(Control::Command(MediaCommand::Conference(true))) => {}
                Some(Control::Command(MediaCommand::Record(to))) => {
                    let rate = stream.session().negotiated().codec.sample_rate();
                    report(record(&mut sound, to, rate));
                }
                Some(Control::Command(MediaCommand::Hold(h))) => stream.session_mut().set_held(h),
                Some(Control::Command(MediaCommand::Volume { speaker, microphone })) => {
                    sound.speaker_gain = speaker.unwrap_or(sound.speaker_gain);
                    sound.microphone_gain = microphone.unwrap_or(sound.microphone_gain);
                }
                Some(Control::Stats(reply)) => {
                    let mut stats = CallStats::of(stream.session());
                    stats.microphone_level_db = Some(sound.sent_meter.level_db());
                    stats.speaker_level_db = Some(sound.heard_meter.level_db());
                    let _ = reply.send(Ok(Reply::Stats(Box::new(stats))));
                }
                Some(Control::Command(MediaCommand::Start(_) | MediaCommand::Stats(_))) => {}
                Some(Control::Command(MediaCommand::Stop)) | None => break,
            }
        }
        carry_out(&mut stream, &rtp, rtcp.as_ref(), &report);
    }
    stream.close(Instant::now(), ntp_now());
    carry_out(&mut stream, &rtp, rtcp.as_ref(), &report);
    sound.finish();
    report(MediaReport::Stopped(CallStats::of(stream.session())));
}

/// Takes what waits on the RTP socket into the stream; whether anything came.
fn take_rtp(rtp: &std::net::UdpSocket, buf: &mut [u8], stream: &mut MediaStream) -> bool {
    let (now, wall) = (Instant::now(), std::time::SystemTime::now());
    let mut heard = false;
    for _ in 0..MAX_DATAGRAMS_PER_FRAME {
        match crate::edge::rtp_receive::recv(rtp, buf, now, wall) {
            Ok(d) => {
                heard = true;
                let from = crate::edge::transport::canonical(d.from);
                stream.handle_receive(d.at, Via::Rtp, from, &buf[..d.len]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            // An ICMP error left by a datagram of ours (the peer's port is
            // closed for now): the next read goes on.
            Err(e) => tracing::trace!("RTP receive: {e}"),
        }
    }
    heard
}

/// The next RTCP datagram; never, without a socket.
async fn recv_rtcp(
    rtcp: Option<&tokio::net::UdpSocket>,
    buf: &mut [u8],
) -> Option<std::io::Result<(usize, SocketAddr)>> {
    match rtcp {
        Some(s) => Some(s.recv_from(buf).await),
        None => std::future::pending().await,
    }
}

/// Starts a recording in `to`'s folder (stops it: `None`), and says so.
fn record(sound: &mut CallSound, to: Option<crate::core::RecordTo>, rate: u32) -> MediaReport {
    let Some(to) = to else {
        sound.stop_recording();
        return MediaReport::Recording(None);
    };
    if sound.recording() {
        return MediaReport::RecordingFailed("the call is being recorded already".into());
    }
    if let Err(e) = std::fs::create_dir_all(&to.folder) {
        return MediaReport::RecordingFailed(format!("{}: {e}", to.folder.display()));
    }
    let path = to.folder.join(crate::audio::recording_name(
        std::time::SystemTime::now(),
        &to.label,
        |name| to.folder.join(name).exists(),
    ));
    match CallRecorder::create(&path, rate) {
        Ok(r) => {
            sound.start_recording(r);
            MediaReport::Recording(Some(path.display().to_string()))
        }
        Err(e) => MediaReport::RecordingFailed(e),
    }
}

/// Sends what the stream queued and passes on what it said.
fn carry_out(
    stream: &mut MediaStream,
    rtp: &std::net::UdpSocket,
    rtcp: Option<&tokio::net::UdpSocket>,
    report: &impl Fn(MediaReport),
) {
    while let Some(t) = stream.poll_transmit() {
        let sent = match (t.via, rtcp) {
            (Via::Rtp, _) => rtp.send_to(&t.bytes, t.to),
            (Via::Rtcp, Some(rtcp)) => rtcp.try_send_to(&t.bytes, t.to),
            (Via::Rtcp, None) => continue,
        };
        if let Err(e) = sent {
            tracing::trace!("media send failed: {e}");
        }
    }
    while let Some(e) = stream.poll_event() {
        report(match e {
            StreamEvent::Dtmf(key) => MediaReport::Dtmf(key),
            StreamEvent::DtmfNeedsInfo(keys) => MediaReport::DtmfNeedsInfo(keys),
        });
    }
}
