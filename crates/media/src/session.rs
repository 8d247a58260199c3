//! One call's audio stream, sans-IO: 20 ms frames of PCM in and out, RTP packets
//! out and in. The edge moves the packets and the samples; this decides the bytes.

use std::collections::VecDeque;
use std::time::Instant;

use rand::RngExt;

use crate::MediaError;
use crate::codec::{Codec, CodecKind};
use crate::comfort_noise::{ComfortNoise, NoiseDescription};
use crate::dtmf::{DtmfReceiver, DtmfSender, DtmfStep};
use crate::dtmf_inband::InbandDetector;
use crate::jitter::{JitterBuffer, JitterStats, Playout};
use crate::plc::Concealer;
use crate::rtcp::packet::UNAVAILABLE;
use crate::rtcp::{RtcpState, RtcpStats, VoipMetrics};
use crate::rtp::RtpPacket;
use crate::sdp::Negotiated;
use crate::srtp::{Srtp, SrtpError};

/// Frames buffered before playout (40 ms).
const JITTER_TARGET_FRAMES: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaStats {
    pub packets_sent: u64,
    pub packets_received: u64,
    pub bad_packets: u64,
    pub foreign_payload_types: u64,
    pub ssrc_changes: u64,
    pub dtmf_sent: u64,
    pub dtmf_received: u64,
    /// Of `dtmf_received`, the keys heard in the audio (no RFC 4733 events).
    pub dtmf_received_inband: u64,
    /// Lost frames the codec rebuilt itself (Opus FEC or concealment).
    pub codec_concealed: u64,
    /// Frames of comfort noise played while the peer was silent (RFC 3389).
    pub comfort_noise_frames: u64,
    /// SRTP/SRTCP packets refused: failed authentication, replays, wrong key.
    pub srtp_refused: u64,
    /// Packets not sent because they could not be protected.
    pub srtp_unsent: u64,
    pub jitter: JitterStats,
}

/// Call quality as the E-model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    pub packets_expected: u64,
    pub packets_lost: u64,
    pub loss_percent: f64,
    pub jitter_ms: f64,
    pub rtt_ms: Option<f64>,
    pub one_way_delay_ms: f64,
    pub r_factor: f64,
    pub mos: f64,
    /// How the peer hears us, from its RTCP-XR VoIP metrics (when it sends them).
    pub remote: Option<RemoteQuality>,
}

/// The peer's own view of our stream (RFC 3611 VoIP metrics).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteQuality {
    pub loss_percent: f64,
    pub discard_percent: f64,
    /// Its jitter buffer, decoder and device: mouth-to-ear within the peer.
    pub end_system_delay_ms: f64,
    /// Its MOS estimate, when it gives one.
    pub mos: Option<f64>,
}

pub struct MediaSession {
    negotiated: Negotiated,
    encoder: Box<dyn Codec>,
    decoder: Box<dyn Codec>,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    /// The first packet after a silence or an event carries the marker bit.
    marker_next: bool,
    muted: bool,
    /// We hold the call: the microphone is not sent (the stream goes on with
    /// silence, keeping NAT bindings, until the peer's answer stops it).
    held: bool,
    jitter: JitterBuffer,
    playout: VecDeque<i16>,
    /// Rebuilds lost frames of codecs that cannot (G.711 Appendix I).
    concealer: Option<Concealer>,
    comfort_noise: ComfortNoise,
    /// The peer sent CN and has not spoken since: gaps are its silence.
    peer_silent: bool,
    /// Gaps filled with comfort noise: the jitter buffer counted them as lost.
    silence_gaps: u64,
    /// The loss the peer last reported (percent), as told to the encoder;
    /// `None` before its first report.
    expected_loss: Option<u8>,
    remote_ssrc: Option<u32>,
    dtmf_out: DtmfSender,
    dtmf_event_timestamp: u32,
    dtmf_in: DtmfReceiver,
    /// Listens for keys in the audio when the peer sends no RFC 4733 events.
    inband: Option<InbandDetector>,
    keys_in: VecDeque<char>,
    stats: MediaStats,
    scratch: Vec<u8>,
    decoded: Vec<i16>,
    /// Zeros sent in place of the microphone while muted (kept, not reallocated).
    silence: Vec<i16>,
    rtcp: RtcpState,
    /// The stream's SRTP contexts when it is encrypted. `Some(Err)`: set-up
    /// failed, and nothing is sent or taken in the clear instead.
    srtp: Option<Result<Srtp, SrtpError>>,
}

fn concealer_for(codec: CodecKind) -> Option<Concealer> {
    (!codec.conceals_itself()).then(|| Concealer::new(codec.sample_rate()))
}

/// In-band detection only when the peer sends no telephone-events.
fn inband_detector(negotiated: &Negotiated) -> Option<InbandDetector> {
    negotiated
        .telephone_event
        .is_none()
        .then(|| InbandDetector::new(negotiated.codec.sample_rate()))
}

impl MediaSession {
    /// A stream whose SSRC, first sequence number and timestamp are drawn
    /// from the operating system's randomness.
    pub fn new(negotiated: Negotiated) -> Self {
        Self::with_rng(negotiated, &mut rand::rng())
    }

    /// A stream drawing its random values from `seed` (the phone hands each
    /// call one from its own seeded generator).
    pub fn seeded(negotiated: Negotiated, seed: u64) -> Self {
        use rand::SeedableRng;
        Self::with_rng(negotiated, &mut rand::rngs::StdRng::seed_from_u64(seed))
    }

    fn with_rng(negotiated: Negotiated, rng: &mut impl rand::Rng) -> Self {
        let inband = inband_detector(&negotiated);
        let ssrc: u32 = rng.random();
        let cname = format!("hookswitch-{:016x}", rng.random::<u64>());
        let rtcp = RtcpState::new(ssrc, cname, negotiated.codec.clock_rate());
        let concealer = concealer_for(negotiated.codec);
        let comfort_noise = ComfortNoise::new(rng.random());
        let srtp = negotiated.srtp.as_ref().map(Srtp::new);
        MediaSession {
            encoder: negotiated.codec.new_codec_with(negotiated.params),
            decoder: negotiated.codec.new_codec_with(negotiated.params),
            negotiated,
            ssrc,
            sequence: rng.random(),
            timestamp: rng.random(),
            marker_next: true,
            muted: false,
            held: false,
            jitter: JitterBuffer::new(JITTER_TARGET_FRAMES),
            playout: VecDeque::new(),
            concealer,
            comfort_noise,
            peer_silent: false,
            silence_gaps: 0,
            expected_loss: None,
            remote_ssrc: None,
            dtmf_out: DtmfSender::default(),
            dtmf_event_timestamp: 0,
            dtmf_in: DtmfReceiver::default(),
            inband,
            keys_in: VecDeque::new(),
            stats: MediaStats::default(),
            scratch: Vec::with_capacity(320),
            decoded: Vec::with_capacity(960),
            silence: Vec::new(),
            rtcp,
            srtp,
        }
    }

    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// A new offer/answer changed the stream (hold, resume, new address or codec).
    pub fn update(&mut self, negotiated: Negotiated) {
        if negotiated.codec != self.negotiated.codec || negotiated.params != self.negotiated.params
        {
            self.encoder = negotiated.codec.new_codec_with(negotiated.params);
            if let Some(percent) = self.expected_loss {
                self.encoder.expect_loss(percent);
            }
            self.decoder = negotiated.codec.new_codec_with(negotiated.params);
            self.concealer = concealer_for(negotiated.codec);
        }
        if negotiated.telephone_event.is_some() != self.negotiated.telephone_event.is_some()
            || negotiated.codec != self.negotiated.codec
        {
            self.inband = inband_detector(&negotiated);
        }
        if negotiated.srtp != self.negotiated.srtp {
            // New keys (or none): the old contexts' counters no longer apply.
            self.srtp = negotiated.srtp.as_ref().map(Srtp::new);
        }
        self.negotiated = negotiated;
        self.marker_next = true;
    }

    /// Whether the stream is encrypted (SRTP), with which suite.
    pub fn srtp_suite(&self) -> Option<&'static str> {
        match &self.srtp {
            Some(Ok(s)) => Some(s.suite().name()),
            _ => None,
        }
    }

    /// Protects an outgoing packet when the stream is encrypted; `None` when
    /// it cannot be (it is then not sent at all).
    fn protect(&mut self, packet: Vec<u8>, rtcp: bool) -> Option<Vec<u8>> {
        let protected = match &mut self.srtp {
            None => return Some(packet),
            Some(Ok(srtp)) if rtcp => srtp.protect_rtcp(&packet),
            Some(Ok(srtp)) => srtp.protect_rtp(&packet),
            Some(Err(e)) => Err(e.clone()),
        };
        protected
            .inspect_err(|e| {
                self.stats.srtp_unsent += 1;
                tracing::debug!("{e}");
            })
            .ok()
    }

    /// Checks and decrypts an incoming packet when the stream is encrypted.
    fn unprotect(&mut self, packet: &[u8], rtcp: bool) -> Result<Option<Vec<u8>>, MediaError> {
        let plain = match &mut self.srtp {
            None => return Ok(None),
            Some(Ok(srtp)) if rtcp => srtp.unprotect_rtcp(packet),
            Some(Ok(srtp)) => srtp.unprotect_rtp(packet),
            Some(Err(e)) => Err(e.clone()),
        };
        match plain {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                self.stats.srtp_refused += 1;
                Err(MediaError::Srtp(e.to_string()))
            }
        }
    }

    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
    }

    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// We put the call on hold (or took it off): the microphone stops (or
    /// resumes) going to the peer at once, whatever the user's mute says.
    pub fn set_held(&mut self, held: bool) {
        self.held = held;
    }

    pub fn stats(&self) -> MediaStats {
        let mut s = self.stats.clone();
        s.jitter = self.jitter.stats().clone();
        // A silent peer's gaps are not losses.
        s.jitter.concealed = s.jitter.concealed.saturating_sub(self.silence_gaps);
        s
    }

    /// Samples per 20 ms frame at the codec's sample rate.
    pub fn frame_samples(&self) -> usize {
        (self.negotiated.codec.sample_rate() / 50) as usize
    }

    fn rtp_ticks_per_frame(&self) -> u32 {
        self.negotiated.codec.clock_rate() / 50
    }

    /// Queues keys as RFC 4733 events. Returns false when the peer did not
    /// negotiate telephone-event (then use SIP INFO).
    pub fn send_dtmf(&mut self, keys: &str) -> bool {
        if self.negotiated.telephone_event.is_none() {
            return false;
        }
        self.dtmf_out.queue(keys);
        true
    }

    /// A key the peer pressed.
    pub fn poll_dtmf(&mut self) -> Option<char> {
        self.keys_in.pop_front()
    }

    /// Called every 20 ms with the captured frame: the RTP packets to send now.
    pub fn send_frame(&mut self, pcm: &[i16]) -> Vec<Vec<u8>> {
        let ticks = self.rtp_ticks_per_frame();
        let mut packets = Vec::new();
        if !self.negotiated.direction.sends() || self.negotiated.remote.is_none() {
            self.timestamp = self.timestamp.wrapping_add(ticks);
            self.marker_next = true;
            return packets;
        }
        // Event durations count in telephone-event's own clock.
        let event_ticks = self.negotiated.telephone_event_clock / 50;
        match (
            self.negotiated.telephone_event,
            self.dtmf_out.step(event_ticks),
        ) {
            (Some(pt), DtmfStep::Event { start, payloads }) => {
                if start {
                    self.dtmf_event_timestamp = self.timestamp;
                    self.stats.dtmf_sent += 1;
                }
                for (i, p) in payloads.iter().enumerate() {
                    packets.extend(self.packet(
                        pt,
                        start && i == 0,
                        self.dtmf_event_timestamp,
                        p.to_bytes().to_vec(),
                    ));
                }
                self.marker_next = true;
            }
            (_, DtmfStep::Pause) => {}
            _ => {
                self.scratch.clear();
                if self.muted || self.held {
                    // Mute at the source: keep the stream (and NAT bindings) alive with silence.
                    self.silence.resize(pcm.len(), 0);
                    self.encoder.encode(&self.silence, &mut self.scratch);
                } else {
                    self.encoder.encode(pcm, &mut self.scratch);
                }
                let payload = std::mem::take(&mut self.scratch);
                let marker = std::mem::replace(&mut self.marker_next, false);
                packets.extend(self.packet(
                    self.negotiated.payload_type,
                    marker,
                    self.timestamp,
                    payload,
                ));
            }
        }
        self.timestamp = self.timestamp.wrapping_add(ticks);
        packets
    }

    fn packet(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: Vec<u8>,
    ) -> Option<Vec<u8>> {
        let p = RtpPacket {
            payload_type,
            marker,
            sequence: self.sequence,
            timestamp,
            ssrc: self.ssrc,
            payload,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.stats.packets_sent += 1;
        self.rtcp.on_sent(p.payload.len(), timestamp);
        self.protect(p.to_bytes(), false)
    }

    /// An RTP packet from the peer (or RTCP, when the peer multiplexes it on
    /// the RTP port, RFC 5761), arrived at `at`. Bad packets are counted and
    /// dropped.
    pub fn receive(&mut self, bytes: &[u8], at: Instant) -> Result<(), MediaError> {
        if self.srtp.is_some() && bytes.get(1).is_some_and(|pt| (200..=204).contains(pt)) {
            return self.receive_rtcp(bytes, at);
        }
        let decrypted = self.unprotect(bytes, false)?;
        let bytes = decrypted.as_deref().unwrap_or(bytes);
        let packet = match RtpPacket::parse(bytes) {
            Ok(p) => p,
            Err(MediaError::Rtcp) => return self.receive_rtcp(bytes, at),
            Err(e) => {
                self.stats.bad_packets += 1;
                return Err(e);
            }
        };
        if !self.negotiated.direction.receives() {
            return Ok(());
        }
        self.stats.packets_received += 1;
        if self.remote_ssrc.is_some_and(|s| s != packet.ssrc) {
            // A new source (re-INVITE, transfer, media server): start over.
            self.stats.ssrc_changes += 1;
            self.jitter = JitterBuffer::new(JITTER_TARGET_FRAMES);
        }
        self.remote_ssrc = Some(packet.ssrc);
        self.rtcp
            .on_received(packet.ssrc, packet.sequence, packet.timestamp, at);
        if Some(packet.payload_type) == self.negotiated.telephone_event {
            if let Some(key) = self.dtmf_in.receive(packet.timestamp, &packet.payload) {
                self.stats.dtmf_received += 1;
                self.keys_in.push_back(key);
            }
            return Ok(());
        }
        if packet.payload_type != self.negotiated.payload_type
            && Some(packet.payload_type) != self.negotiated.comfort_noise
        {
            self.stats.foreign_payload_types += 1;
            return Ok(());
        }
        self.jitter
            .push(packet.sequence, packet.payload_type, packet.payload, at);
        Ok(())
    }

    /// A compound RTCP packet from the peer.
    pub fn receive_rtcp(&mut self, bytes: &[u8], at: Instant) -> Result<(), MediaError> {
        let decrypted = self.unprotect(bytes, true)?;
        let bytes = decrypted.as_deref().unwrap_or(bytes);
        self.rtcp.on_rtcp(bytes, at)?;
        // The encoder spends redundancy on the loss the peer sees.
        if let Some(lost) = self.rtcp.stats().remote_fraction_lost {
            let percent = (lost * 100.0).ceil().clamp(0.0, 100.0) as u8;
            if self.expected_loss != Some(percent) {
                self.expected_loss = Some(percent);
                self.encoder.expect_loss(percent);
            }
        }
        Ok(())
    }

    /// Our RTCP report, to send every few seconds (`ntp`: the wall clock now,
    /// in NTP format; see `rtcp::ntp_from_unix`). Empty when it cannot be
    /// protected.
    pub fn rtcp_report(&mut self, at: Instant, ntp: u64) -> Vec<u8> {
        let xr = self.voip_metrics();
        let report = self.rtcp.report_with(at, ntp, xr);
        self.protect(report, true).unwrap_or_default()
    }

    /// The final report with BYE.
    pub fn rtcp_bye(&mut self, at: Instant, ntp: u64) -> Vec<u8> {
        let bye = self.rtcp.bye(at, ntp);
        self.protect(bye, true).unwrap_or_default()
    }

    /// Our RTCP-XR VoIP metrics about the stream we receive, when both ends
    /// asked for them and a stream has arrived (RFC 3611 4.7).
    fn voip_metrics(&self) -> Option<VoipMetrics> {
        if !self.negotiated.rtcp_xr {
            return None;
        }
        let ssrc = self.rtcp.remote_ssrc()?;
        let q = self.quality();
        let jitter = self.jitter.stats();
        let per_256 = |part: f64| (part * 256.0).round().clamp(0.0, 255.0) as u8;
        let received = jitter.received.max(1) as f64;
        let discard = per_256(jitter.late as f64 / received);
        let loss = per_256(q.loss_percent / 100.0);
        let ms = |v: f64| v.round().clamp(0.0, 65535.0) as u16;
        let frame_ms = 20.0;
        Some(VoipMetrics {
            ssrc,
            loss_rate: loss,
            discard_rate: discard,
            // No burst tracking: every loss counts as in a gap (Gmin 16).
            burst_density: 0,
            gap_density: loss.saturating_add(discard),
            burst_duration: 0,
            gap_duration: 0,
            round_trip_delay: q.rtt_ms.map_or(0, ms),
            end_system_delay: ms(self.jitter.target_ms() + frame_ms),
            signal_level: UNAVAILABLE as i8,
            noise_level: UNAVAILABLE as i8,
            residual_echo_return_loss: UNAVAILABLE,
            gmin: 16,
            r_factor: q.r_factor.round().clamp(0.0, 100.0) as u8,
            ext_r_factor: UNAVAILABLE,
            mos_lq: (q.mos * 10.0).round().clamp(10.0, 50.0) as u8,
            mos_cq: (q.mos * 10.0).round().clamp(10.0, 50.0) as u8,
            // PLC: 11 enhanced (Opus's own), 10 standard (pitch repetition);
            // jitter buffer: 11 adaptive.
            rx_config: if self.negotiated.codec.conceals_itself() {
                0b1111_0000
            } else {
                0b1011_0000
            },
            jb_nominal: ms(self.jitter.target_ms()),
            jb_maximum: ms(10.0 * frame_ms),
            jb_abs_max: ms(50.0 * frame_ms),
        })
    }

    pub fn rtcp_stats(&self) -> &RtcpStats {
        self.rtcp.stats()
    }

    /// How the call sounds: loss and jitter as we receive, the round trip, and
    /// the E-model's MOS for them.
    pub fn quality(&self) -> Quality {
        let reception = self.rtcp.reception();
        let expected = reception.map_or(0, |r| r.expected());
        let lost = reception.map_or(0, |r| r.cumulative_lost().max(0) as u64);
        let loss_percent = if expected == 0 {
            0.0
        } else {
            lost as f64 * 100.0 / expected as f64
        };
        let rtt = self.rtcp.stats().rtt;
        // One way: half the round trip (or 20 ms on a LAN guess), our buffer,
        // and a frame of packetisation.
        let network = rtt.map_or(20.0, |r| r.as_secs_f64() * 500.0);
        let buffer = self.jitter.target_ms();
        let delay = network + buffer + 20.0;
        let r = crate::rtcp::r_factor(self.negotiated.codec, delay, loss_percent);
        let remote = self
            .rtcp
            .stats()
            .remote_voip_metrics
            .map(|m| RemoteQuality {
                loss_percent: f64::from(m.loss_rate) * 100.0 / 256.0,
                discard_percent: f64::from(m.discard_rate) * 100.0 / 256.0,
                end_system_delay_ms: f64::from(m.end_system_delay),
                mos: (m.mos_lq != UNAVAILABLE && m.mos_lq > 0).then(|| f64::from(m.mos_lq) / 10.0),
            });
        Quality {
            remote,
            packets_expected: expected,
            packets_lost: lost,
            loss_percent,
            jitter_ms: reception.map_or(0.0, |r| r.jitter_ms()),
            rtt_ms: rtt.map(|r| r.as_secs_f64() * 1000.0),
            one_way_delay_ms: delay,
            r_factor: r,
            mos: crate::rtcp::mos(r),
        }
    }

    /// Called every 20 ms: fills `out` with exactly one frame to play.
    pub fn play_frame(&mut self, out: &mut Vec<i16>) {
        let n = self.frame_samples();
        while self.playout.len() < n {
            let missing = n - self.playout.len();
            match self.jitter.pop() {
                Playout::Frame {
                    payload_type,
                    payload,
                } if Some(payload_type) == self.negotiated.comfort_noise => {
                    if let Some(d) = NoiseDescription::parse(&payload) {
                        self.comfort_noise.update(&d);
                    }
                    self.peer_silent = true;
                    self.play_comfort_noise(missing);
                }
                Playout::Frame { payload, .. } => {
                    self.peer_silent = false;
                    self.decoded.clear();
                    self.decoder.decode(&payload, &mut self.decoded);
                    if let Some(c) = &mut self.concealer {
                        c.good(&mut self.decoded);
                    }
                    self.playout.extend(self.decoded.drain(..));
                }
                Playout::Missing if self.peer_silent => {
                    self.silence_gaps += 1;
                    self.play_comfort_noise(missing);
                }
                Playout::Missing => self.conceal(n),
                Playout::Buffering if self.peer_silent => self.play_comfort_noise(missing),
                Playout::Buffering => self.playout.extend(std::iter::repeat_n(0, missing)),
            }
        }
        let start = out.len();
        out.extend(self.playout.drain(..n));
        if let Some(d) = &mut self.inband {
            for key in d.feed(&out[start..]) {
                self.stats.dtmf_received += 1;
                self.stats.dtmf_received_inband += 1;
                self.keys_in.push_back(key);
            }
        }
    }
}

impl MediaSession {
    fn play_comfort_noise(&mut self, samples: usize) {
        self.stats.comfort_noise_frames += 1;
        self.decoded.clear();
        self.comfort_noise.generate(samples, &mut self.decoded);
        self.playout.extend(self.decoded.drain(..));
    }

    /// A lost frame: the codec's own concealment (Opus, with FEC from the
    /// next packet when it is here), else pitch repetition.
    fn conceal(&mut self, n: usize) {
        self.decoded.clear();
        if self
            .decoder
            .conceal(self.jitter.peek_next(), &mut self.decoded)
            && !self.decoded.is_empty()
        {
            self.stats.codec_concealed += 1;
        } else {
            self.decoded.clear();
            match &mut self.concealer {
                Some(c) => c.conceal(n, &mut self.decoded),
                None => self.decoded.resize(n, 0),
            }
        }
        self.playout.extend(self.decoded.drain(..));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecKind;
    use crate::sdp::Direction;
    use crate::tone::{Sine, dominant_frequency};

    fn negotiated(te: bool) -> Negotiated {
        Negotiated {
            remote: Some("127.0.0.1:4000".parse().unwrap()),
            codec: CodecKind::PCMU,
            payload_type: 0,
            telephone_event: te.then_some(101),
            telephone_event_clock: 8000,
            comfort_noise: None,
            rtcp_xr: false,
            rtcp_mux: false,
            direction: Direction::SendRecv,
            ptime: 20,
            params: Default::default(),
            srtp: None,
        }
    }

    /// Runs `frames` frames of a tone from `a` to `b` and returns what `b` plays.
    fn transfer(
        a: &mut MediaSession,
        b: &mut MediaSession,
        frames: usize,
        lose_every: Option<usize>,
    ) -> Vec<i16> {
        let mut sine = Sine::new(1000.0, 8000, 10000);
        let mut played = Vec::new();
        let t0 = Instant::now();
        for i in 0..frames {
            let at = t0 + std::time::Duration::from_millis(20 * i as u64);
            let mut frame = vec![0i16; 160];
            sine.fill(&mut frame);
            for p in a.send_frame(&frame) {
                if lose_every.is_some_and(|n| i % n == n - 1) {
                    continue;
                }
                b.receive(&p, at).unwrap();
            }
            b.play_frame(&mut played);
        }
        played
    }

    #[test]
    fn a_tone_crosses_intact() {
        let (mut a, mut b) = (
            MediaSession::new(negotiated(true)),
            MediaSession::new(negotiated(true)),
        );
        let played = transfer(&mut a, &mut b, 50, None);
        assert_eq!(played.len(), 50 * 160);
        let f = dominant_frequency(&played[800..], 8000, 100.0, 3800.0);
        assert!((f - 1000.0).abs() < 10.0, "{f}");
        assert_eq!(b.stats().packets_received, 50);
    }

    #[test]
    fn losses_are_concealed() {
        let (mut a, mut b) = (
            MediaSession::new(negotiated(true)),
            MediaSession::new(negotiated(true)),
        );
        let played = transfer(&mut a, &mut b, 50, Some(10));
        assert_eq!(played.len(), 50 * 160);
        assert!(b.stats().jitter.concealed >= 4);
    }

    #[test]
    fn dtmf_round_trip_and_info_fallback() {
        let (mut a, mut b) = (
            MediaSession::new(negotiated(true)),
            MediaSession::new(negotiated(true)),
        );
        assert!(a.send_dtmf("12#"));
        transfer(&mut a, &mut b, 40, None);
        let keys: String = std::iter::from_fn(|| b.poll_dtmf()).collect();
        assert_eq!(keys, "12#");
        let mut c = MediaSession::new(negotiated(false));
        assert!(
            !c.send_dtmf("1"),
            "no telephone-event: the caller must use SIP INFO"
        );
    }

    #[test]
    fn muted_sends_silence_and_hold_sends_nothing() {
        let mut a = MediaSession::new(negotiated(true));
        a.set_muted(true);
        let frame = vec![5000i16; 160];
        let p = a.send_frame(&frame);
        let rtp = RtpPacket::parse(&p[0]).unwrap();
        assert!(rtp.payload.iter().all(|&b| b == 0xFF), "µ-law silence");
        let mut held = negotiated(true);
        held.direction = Direction::RecvOnly;
        a.update(held);
        assert!(a.send_frame(&frame).is_empty());
    }

    #[test]
    fn garbage_is_counted_not_fatal() {
        let mut b = MediaSession::new(negotiated(true));
        assert!(b.receive(&[1, 2, 3], Instant::now()).is_err());
        assert_eq!(b.stats().bad_packets, 1);
        let mut out = Vec::new();
        b.play_frame(&mut out);
        assert_eq!(out, vec![0; 160]);
    }
}
