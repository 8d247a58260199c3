//! RTCP packets (RFC 3550 section 6): sender and receiver reports, SDES CNAME,
//! BYE, and extended reports with the VoIP metrics block (RFC 3611 4.7), in
//! compound packets. Other packet types (APP, feedback) and other XR blocks
//! are skipped by their length, as the RFCs ask.

use crate::MediaError;

pub const SR: u8 = 200;
pub const RR: u8 = 201;
pub const SDES: u8 = 202;
pub const BYE: u8 = 203;
pub const XR: u8 = 207;
/// RFC 3611 block type of the VoIP metrics report block.
const VOIP_METRICS: u8 = 7;
/// "Unavailable" in the metrics' 8-bit fields.
pub const UNAVAILABLE: u8 = 127;

/// The VoIP metrics report block (RFC 3611 4.7): how one end hears the other.
/// Rates are in 1/256, durations and delays in ms, levels in dBm0, R and
/// MOS as the RFC scales them (MOS x 10); 127 where a figure is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VoipMetrics {
    /// Whose stream this block reports on.
    pub ssrc: u32,
    pub loss_rate: u8,
    pub discard_rate: u8,
    pub burst_density: u8,
    pub gap_density: u8,
    pub burst_duration: u16,
    pub gap_duration: u16,
    pub round_trip_delay: u16,
    pub end_system_delay: u16,
    pub signal_level: i8,
    pub noise_level: i8,
    pub residual_echo_return_loss: u8,
    pub gmin: u8,
    pub r_factor: u8,
    pub ext_r_factor: u8,
    pub mos_lq: u8,
    pub mos_cq: u8,
    /// Packet loss concealment, jitter buffer adaptivity and rate (RFC 3611 4.7.6).
    pub rx_config: u8,
    pub jb_nominal: u16,
    pub jb_maximum: u16,
    pub jb_abs_max: u16,
}

impl VoipMetrics {
    fn parse(b: &[u8]) -> Option<VoipMetrics> {
        let u16_at = |at: usize| Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?));
        let byte = |at: usize| b.get(at).copied();
        Some(VoipMetrics {
            ssrc: u32_at(b, 0)?,
            loss_rate: byte(4)?,
            discard_rate: byte(5)?,
            burst_density: byte(6)?,
            gap_density: byte(7)?,
            burst_duration: u16_at(8)?,
            gap_duration: u16_at(10)?,
            round_trip_delay: u16_at(12)?,
            end_system_delay: u16_at(14)?,
            signal_level: byte(16)? as i8,
            noise_level: byte(17)? as i8,
            residual_echo_return_loss: byte(18)?,
            gmin: byte(19)?,
            r_factor: byte(20)?,
            ext_r_factor: byte(21)?,
            mos_lq: byte(22)?,
            mos_cq: byte(23)?,
            rx_config: byte(24)?,
            jb_nominal: u16_at(26)?,
            jb_maximum: u16_at(28)?,
            jb_abs_max: u16_at(30)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>) {
        // Block header: type, reserved, length in words minus one (8).
        out.extend_from_slice(&[VOIP_METRICS, 0, 0, 8]);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&[
            self.loss_rate,
            self.discard_rate,
            self.burst_density,
            self.gap_density,
        ]);
        for v in [
            self.burst_duration,
            self.gap_duration,
            self.round_trip_delay,
            self.end_system_delay,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[
            self.signal_level as u8,
            self.noise_level as u8,
            self.residual_echo_return_loss,
            self.gmin,
            self.r_factor,
            self.ext_r_factor,
            self.mos_lq,
            self.mos_cq,
            self.rx_config,
            0,
        ]);
        for v in [self.jb_nominal, self.jb_maximum, self.jb_abs_max] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// One reception report block (RFC 3550 6.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// Whose stream this block reports on.
    pub ssrc: u32,
    /// Lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative lost (24-bit signed).
    pub cumulative_lost: i32,
    pub highest_sequence: u32,
    /// Interarrival jitter, in RTP clock units.
    pub jitter: u32,
    /// The middle 32 bits of the NTP time of the last SR received, 0 if none.
    pub last_sr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderInfo {
    pub ntp: u64,
    pub rtp_timestamp: u32,
    pub packets: u32,
    pub octets: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcpPacket {
    SenderReport {
        ssrc: u32,
        info: SenderInfo,
        reports: Vec<ReportBlock>,
    },
    ReceiverReport {
        ssrc: u32,
        reports: Vec<ReportBlock>,
    },
    /// The CNAME of each source described.
    Sdes(Vec<(u32, String)>),
    Bye {
        ssrcs: Vec<u32>,
        reason: Option<String>,
    },
    /// An extended report (RFC 3611) from `ssrc`: its VoIP metrics blocks.
    Xr {
        ssrc: u32,
        voip_metrics: Vec<VoipMetrics>,
    },
}

fn bad(what: &str) -> MediaError {
    MediaError::Rtp(format!("RTCP: {what}"))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn report_blocks(body: &[u8], count: usize) -> Option<Vec<ReportBlock>> {
    (0..count)
        .map(|i| {
            let b = body.get(i * 24..i * 24 + 24)?;
            let lost = u32_at(b, 4)?;
            // 24-bit two's complement.
            let cumulative = ((lost & 0x00FF_FFFF) << 8) as i32 >> 8;
            Some(ReportBlock {
                ssrc: u32_at(b, 0)?,
                fraction_lost: (lost >> 24) as u8,
                cumulative_lost: cumulative,
                highest_sequence: u32_at(b, 8)?,
                jitter: u32_at(b, 12)?,
                last_sr: u32_at(b, 16)?,
                delay_since_last_sr: u32_at(b, 20)?,
            })
        })
        .collect()
}

fn sdes(body: &[u8], count: usize) -> Option<Vec<(u32, String)>> {
    let mut out = Vec::new();
    let mut at = 0;
    for _ in 0..count {
        let ssrc = u32_at(body, at)?;
        at += 4;
        let mut cname = None;
        loop {
            let kind = *body.get(at)?;
            if kind == 0 {
                // End of the item list; chunks are padded to 32 bits.
                at = (at + 4) & !3;
                break;
            }
            let len = usize::from(*body.get(at + 1)?);
            let text = body.get(at + 2..at + 2 + len)?;
            if kind == 1 {
                cname = Some(String::from_utf8_lossy(text).into_owned());
            }
            at += 2 + len;
        }
        out.push((ssrc, cname.unwrap_or_default()));
    }
    Some(out)
}

/// Parses a compound RTCP packet; unknown packet types are skipped.
pub fn parse(bytes: &[u8]) -> Result<Vec<RtcpPacket>, MediaError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    if rest.len() < 4 {
        return Err(bad("too short"));
    }
    while !rest.is_empty() {
        let header = rest.get(..4).ok_or_else(|| bad("truncated header"))?;
        if header[0] >> 6 != 2 {
            return Err(bad("not version 2"));
        }
        let count = usize::from(header[0] & 0x1F);
        let kind = header[1];
        let len = (usize::from(u16::from_be_bytes([header[2], header[3]])) + 1) * 4;
        let packet = rest
            .get(..len)
            .ok_or_else(|| bad("length past the datagram"))?;
        rest = &rest[len..];
        // Padding (P bit): the last byte says how much.
        let packet = if header[0] & 0x20 != 0 {
            let pad = usize::from(*packet.last().unwrap_or(&0));
            packet
                .get(..packet.len().saturating_sub(pad))
                .filter(|p| p.len() >= 4)
                .ok_or_else(|| bad("bad padding"))?
        } else {
            packet
        };
        let body = &packet[4..];
        let parsed = match kind {
            SR => {
                let ssrc = u32_at(body, 0).ok_or_else(|| bad("short SR"))?;
                let info = SenderInfo {
                    ntp: (u64::from(u32_at(body, 4).ok_or_else(|| bad("short SR"))?) << 32)
                        | u64::from(u32_at(body, 8).ok_or_else(|| bad("short SR"))?),
                    rtp_timestamp: u32_at(body, 12).ok_or_else(|| bad("short SR"))?,
                    packets: u32_at(body, 16).ok_or_else(|| bad("short SR"))?,
                    octets: u32_at(body, 20).ok_or_else(|| bad("short SR"))?,
                };
                let reports = body
                    .get(24..)
                    .and_then(|b| report_blocks(b, count))
                    .ok_or_else(|| bad("short SR report blocks"))?;
                Some(RtcpPacket::SenderReport {
                    ssrc,
                    info,
                    reports,
                })
            }
            RR => {
                let ssrc = u32_at(body, 0).ok_or_else(|| bad("short RR"))?;
                let reports = body
                    .get(4..)
                    .and_then(|b| report_blocks(b, count))
                    .ok_or_else(|| bad("short RR report blocks"))?;
                Some(RtcpPacket::ReceiverReport { ssrc, reports })
            }
            SDES => Some(RtcpPacket::Sdes(
                sdes(body, count).ok_or_else(|| bad("bad SDES"))?,
            )),
            BYE => {
                let ssrcs = (0..count)
                    .map(|i| u32_at(body, i * 4))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| bad("short BYE"))?;
                let reason = body.get(count * 4).and_then(|&len| {
                    body.get(count * 4 + 1..count * 4 + 1 + usize::from(len))
                        .map(|t| String::from_utf8_lossy(t).into_owned())
                });
                Some(RtcpPacket::Bye { ssrcs, reason })
            }
            XR => {
                let ssrc = u32_at(body, 0).ok_or_else(|| bad("short XR"))?;
                let mut blocks = body.get(4..).unwrap_or_default();
                let mut voip_metrics = Vec::new();
                while blocks.len() >= 4 {
                    let words = usize::from(u16::from_be_bytes([blocks[2], blocks[3]]));
                    let block = blocks
                        .get(..(words + 1) * 4)
                        .ok_or_else(|| bad("XR block past the packet"))?;
                    if blocks[0] == VOIP_METRICS {
                        voip_metrics.push(
                            VoipMetrics::parse(&block[4..])
                                .ok_or_else(|| bad("short VoIP metrics block"))?,
                        );
                    }
                    blocks = &blocks[block.len()..];
                }
                Some(RtcpPacket::Xr { ssrc, voip_metrics })
            }
            _ => None,
        };
        out.extend(parsed);
    }
    Ok(out)
}

fn header(out: &mut Vec<u8>, count: usize, kind: u8) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0x80 | (count as u8 & 0x1F), kind, 0, 0]);
    at
}

/// Writes the length field of the packet that starts at `at`, padding its body
/// to 32 bits first.
fn finish(out: &mut Vec<u8>, at: usize) {
    while !(out.len() - at).is_multiple_of(4) {
        out.push(0);
    }
    let words = ((out.len() - at) / 4 - 1) as u16;
    out[at + 2..at + 4].copy_from_slice(&words.to_be_bytes());
}

fn put_blocks(out: &mut Vec<u8>, reports: &[ReportBlock]) {
    for r in reports {
        out.extend_from_slice(&r.ssrc.to_be_bytes());
        let lost = (u32::from(r.fraction_lost) << 24) | (r.cumulative_lost as u32 & 0x00FF_FFFF);
        out.extend_from_slice(&lost.to_be_bytes());
        out.extend_from_slice(&r.highest_sequence.to_be_bytes());
        out.extend_from_slice(&r.jitter.to_be_bytes());
        out.extend_from_slice(&r.last_sr.to_be_bytes());
        out.extend_from_slice(&r.delay_since_last_sr.to_be_bytes());
    }
}

/// Serialises packets into one compound packet (callers start with SR or RR).
pub fn write(packets: &[RtcpPacket]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        match p {
            RtcpPacket::SenderReport {
                ssrc,
                info,
                reports,
            } => {
                let at = header(&mut out, reports.len().min(31), SR);
                out.extend_from_slice(&ssrc.to_be_bytes());
                out.extend_from_slice(&info.ntp.to_be_bytes());
                out.extend_from_slice(&info.rtp_timestamp.to_be_bytes());
                out.extend_from_slice(&info.packets.to_be_bytes());
                out.extend_from_slice(&info.octets.to_be_bytes());
                put_blocks(&mut out, &reports[..reports.len().min(31)]);
                finish(&mut out, at);
            }
            RtcpPacket::ReceiverReport { ssrc, reports } => {
                let at = header(&mut out, reports.len().min(31), RR);
                out.extend_from_slice(&ssrc.to_be_bytes());
                put_blocks(&mut out, &reports[..reports.len().min(31)]);
                finish(&mut out, at);
            }
            RtcpPacket::Sdes(chunks) => {
                let at = header(&mut out, chunks.len().min(31), SDES);
                for (ssrc, cname) in chunks.iter().take(31) {
                    out.extend_from_slice(&ssrc.to_be_bytes());
                    let text = &cname.as_bytes()[..cname.len().min(255)];
                    out.push(1);
                    out.push(text.len() as u8);
                    out.extend_from_slice(text);
                    // The item list ends with a zero byte, then pads to 32 bits.
                    out.push(0);
                    while !(out.len() - at).is_multiple_of(4) {
                        out.push(0);
                    }
                }
                finish(&mut out, at);
            }
            RtcpPacket::Bye { ssrcs, reason } => {
                let at = header(&mut out, ssrcs.len().min(31), BYE);
                for s in ssrcs.iter().take(31) {
                    out.extend_from_slice(&s.to_be_bytes());
                }
                if let Some(r) = reason {
                    let text = &r.as_bytes()[..r.len().min(255)];
                    out.push(text.len() as u8);
                    out.extend_from_slice(text);
                }
                finish(&mut out, at);
            }
            RtcpPacket::Xr { ssrc, voip_metrics } => {
                let at = header(&mut out, 0, XR);
                out.extend_from_slice(&ssrc.to_be_bytes());
                for m in voip_metrics {
                    m.write(&mut out);
                }
                finish(&mut out, at);
            }
        }
    }
    out
}
