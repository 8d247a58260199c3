//! RTCP for one call: what we report (SR when we send, else RR, with SDES
//! CNAME; BYE at the end), and what the peer's reports tell us (round-trip
//! time, how our stream arrives). Sans-IO: arrival times and the wall clock
//! (NTP format) are passed in.

pub mod packet;
pub mod stats;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use packet::{ReportBlock, RtcpPacket, SenderInfo, VoipMetrics};
pub use stats::{ReceptionStats, mos, r_factor};

use crate::MediaError;

/// The middle 32 bits of an NTP timestamp (RFC 3550 LSR/DLSR units).
fn middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// Converts a wall-clock time since the Unix epoch to NTP format.
pub fn ntp_from_unix(since_epoch: Duration) -> u64 {
    const UNIX_TO_NTP: u64 = 2_208_988_800;
    let secs = since_epoch.as_secs() + UNIX_TO_NTP;
    let frac = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RtcpStats {
    pub reports_sent: u64,
    pub reports_received: u64,
    pub malformed: u64,
    /// The latest round-trip time from the peer's reports.
    pub rtt: Option<Duration>,
    /// The peer's view of our stream: loss fraction (0-1) and jitter (ms).
    pub remote_fraction_lost: Option<f64>,
    pub remote_jitter_ms: Option<f64>,
    /// How the peer hears us, when it sends RTCP-XR VoIP metrics.
    pub remote_voip_metrics: Option<VoipMetrics>,
    pub bye_received: bool,
}

#[derive(Debug)]
pub struct RtcpState {
    ssrc: u32,
    cname: String,
    clock_rate: u32,
    reception: Option<(u32, ReceptionStats)>,
    /// The peer's last SR: its NTP middle bits, and when it arrived.
    last_sr: Option<(u32, Instant)>,
    /// Our recent SRs (NTP middle bits, when sent): a report that names one
    /// gives the round trip on our monotonic clock, whatever the wall clocks say.
    sent_srs: VecDeque<(u32, Instant)>,
    packets_sent: u32,
    octets_sent: u32,
    last_timestamp: u32,
    sent_since_report: bool,
    stats: RtcpStats,
}

impl RtcpState {
    pub fn new(ssrc: u32, cname: String, clock_rate: u32) -> RtcpState {
        RtcpState {
            ssrc,
            cname,
            clock_rate,
            reception: None,
            last_sr: None,
            sent_srs: VecDeque::new(),
            packets_sent: 0,
            octets_sent: 0,
            last_timestamp: 0,
            sent_since_report: false,
            stats: RtcpStats::default(),
        }
    }

    pub fn stats(&self) -> &RtcpStats {
        &self.stats
    }

    pub fn reception(&self) -> Option<&ReceptionStats> {
        self.reception.as_ref().map(|(_, r)| r)
    }

    /// We sent an RTP packet with `payload_len` bytes of payload.
    pub fn on_sent(&mut self, payload_len: usize, timestamp: u32) {
        self.packets_sent = self.packets_sent.wrapping_add(1);
        self.octets_sent = self.octets_sent.wrapping_add(payload_len as u32);
        self.last_timestamp = timestamp;
        self.sent_since_report = true;
    }

    /// An RTP packet of the peer's arrived. A new SSRC restarts the statistics
    /// (the peer restarted its stream).
    pub fn on_received(&mut self, ssrc: u32, sequence: u16, timestamp: u32, at: Instant) {
        match &mut self.reception {
            Some((s, stats)) if *s == ssrc => stats.on_packet(sequence, timestamp, at),
            _ => {
                let mut stats = ReceptionStats::new(self.clock_rate);
                stats.on_packet(sequence, timestamp, at);
                self.reception = Some((ssrc, stats));
            }
        }
    }

    /// A compound RTCP packet from the peer, arrived at `at`.
    pub fn on_rtcp(&mut self, bytes: &[u8], at: Instant) -> Result<(), MediaError> {
        let packets = packet::parse(bytes).inspect_err(|_| self.stats.malformed += 1)?;
        self.stats.reports_received += 1;
        for p in packets {
            let reports = match p {
                RtcpPacket::SenderReport { info, reports, .. } => {
                    self.last_sr = Some((middle(info.ntp), at));
                    reports
                }
                RtcpPacket::ReceiverReport { reports, .. } => reports,
                RtcpPacket::Bye { .. } => {
                    self.stats.bye_received = true;
                    continue;
                }
                RtcpPacket::Sdes(_) => continue,
                RtcpPacket::Xr { voip_metrics, .. } => {
                    if let Some(m) = voip_metrics.iter().find(|m| m.ssrc == self.ssrc) {
                        self.stats.remote_voip_metrics = Some(*m);
                    }
                    continue;
                }
            };
            for r in reports.iter().filter(|r| r.ssrc == self.ssrc) {
                self.stats.remote_fraction_lost = Some(f64::from(r.fraction_lost) / 256.0);
                self.stats.remote_jitter_ms =
                    Some(f64::from(r.jitter) * 1000.0 / f64::from(self.clock_rate));
                if let Some(&(_, sent)) = self.sent_srs.iter().find(|(m, _)| *m == r.last_sr) {
                    let held = Duration::from_secs_f64(f64::from(r.delay_since_last_sr) / 65536.0);
                    if let Some(rtt) = at.saturating_duration_since(sent).checked_sub(held) {
                        self.stats.rtt = Some(rtt);
                    }
                }
            }
        }
        Ok(())
    }

    fn report_blocks(&mut self, at: Instant) -> Vec<ReportBlock> {
        let (lsr, dlsr) = match self.last_sr {
            Some((lsr, when)) => {
                let delay = at.saturating_duration_since(when).as_secs_f64() * 65536.0;
                (lsr, delay as u32)
            }
            None => (0, 0),
        };
        match &mut self.reception {
            Some((ssrc, stats)) => vec![stats.report(*ssrc, lsr, dlsr)],
            None => Vec::new(),
        }
    }

    /// Our report now: an SR if we sent since the last one, else an RR; with
    /// our CNAME.
    pub fn report(&mut self, at: Instant, ntp: u64) -> Vec<u8> {
        self.report_with(at, ntp, None)
    }

    /// The stream we receive, if any (whose SSRC VoIP metrics report on).
    pub fn remote_ssrc(&self) -> Option<u32> {
        self.reception.as_ref().map(|(ssrc, _)| *ssrc)
    }

    /// As `report`, with an RTCP-XR VoIP metrics block when given.
    pub fn report_with(&mut self, at: Instant, ntp: u64, xr: Option<VoipMetrics>) -> Vec<u8> {
        let reports = self.report_blocks(at);
        let first = if self.sent_since_report {
            self.sent_srs.push_back((middle(ntp), at));
            if self.sent_srs.len() > 8 {
                self.sent_srs.pop_front();
            }
            RtcpPacket::SenderReport {
                ssrc: self.ssrc,
                info: SenderInfo {
                    ntp,
                    rtp_timestamp: self.last_timestamp,
                    packets: self.packets_sent,
                    octets: self.octets_sent,
                },
                reports,
            }
        } else {
            RtcpPacket::ReceiverReport {
                ssrc: self.ssrc,
                reports,
            }
        };
        self.sent_since_report = false;
        self.stats.reports_sent += 1;
        let mut packets = vec![
            first,
            RtcpPacket::Sdes(vec![(self.ssrc, self.cname.clone())]),
        ];
        if let Some(m) = xr {
            packets.push(RtcpPacket::Xr {
                ssrc: self.ssrc,
                voip_metrics: vec![m],
            });
        }
        packet::write(&packets)
    }

    /// The last report, with BYE: the call is over.
    pub fn bye(&mut self, at: Instant, ntp: u64) -> Vec<u8> {
        let mut out = self.report(at, ntp);
        out.extend(packet::write(&[RtcpPacket::Bye {
            ssrcs: vec![self.ssrc],
            reason: None,
        }]));
        out
    }
}
