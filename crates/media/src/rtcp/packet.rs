//! RTCP packets (RFC 3550 section 6): sender and receiver reports, SDES CNAME,
//! BYE, in compound packets. Other packet types (APP, feedback, XR) are skipped
//! by their length, as the RFC asks.

use crate::MediaError;

pub const SR: u8 = 200;
pub const RR: u8 = 201;
pub const SDES: u8 = 202;
pub const BYE: u8 = 203;

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
        }
    }
    out
}
