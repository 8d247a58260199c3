//! RTP packets (RFC 3550) through `rtp-rs`, and sequence-number arithmetic.

use rtp_rs::{RtpPacketBuilder, RtpReader, Seq};

use crate::MediaError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

impl RtpPacket {
    /// Parses an RTP packet. RTCP arriving on the same port (RFC 5761 mux:
    /// packet types 200-204) is reported as `MediaError::Rtcp`.
    pub fn parse(bytes: &[u8]) -> Result<RtpPacket, MediaError> {
        if bytes.len() >= 2 && (200..=204).contains(&bytes[1]) {
            return Err(MediaError::Rtcp);
        }
        let r = RtpReader::new(bytes).map_err(|e| MediaError::Rtp(format!("{e:?}")))?;
        Ok(RtpPacket {
            payload_type: r.payload_type(),
            marker: r.mark(),
            sequence: r.sequence_number().into(),
            timestamp: r.timestamp(),
            ssrc: r.ssrc(),
            payload: r.payload().to_vec(),
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        RtpPacketBuilder::new()
            .payload_type(self.payload_type & 0x7F)
            .marked(self.marker)
            .sequence(Seq::from(self.sequence))
            .timestamp(self.timestamp)
            .ssrc(self.ssrc)
            .payload(&self.payload)
            .build()
            .expect("payload type is masked to 7 bits, so the build cannot fail")
    }
}

/// Extends 16-bit sequence numbers to 64 bits across wrap-around, choosing the
/// value nearest to the highest seen (RFC 3550 appendix A.1 style).
#[derive(Debug, Clone, Default)]
pub struct SequenceExtender {
    highest: Option<u64>,
}

impl SequenceExtender {
    pub fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.highest {
            None => u64::from(seq) + (1 << 16),
            Some(h) => {
                let base = h & !0xFFFF;
                let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
                candidates
                    .into_iter()
                    .map(|b| b + u64::from(seq))
                    .min_by_key(|c| c.abs_diff(h))
                    .unwrap_or(base + u64::from(seq))
            }
        };
        if self.highest.is_none_or(|h| ext > h) {
            self.highest = Some(ext);
        }
        ext
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let p = RtpPacket {
            payload_type: 0,
            marker: true,
            sequence: 65535,
            timestamp: 0xFFFF_FF00,
            ssrc: 0x1234_5678,
            payload: vec![0xFF; 160],
        };
        let bytes = p.to_bytes();
        assert_eq!(bytes.len(), 12 + 160);
        assert_eq!(RtpPacket::parse(&bytes).unwrap(), p);
    }

    #[test]
    fn rejects_garbage_and_spots_rtcp() {
        assert!(RtpPacket::parse(&[0x80]).is_err());
        assert!(RtpPacket::parse(&[0x40; 20]).is_err(), "version 1");
        assert!(matches!(
            RtpPacket::parse(&[0x80, 200, 0, 6]),
            Err(MediaError::Rtcp)
        ));
    }

    #[test]
    fn sequence_wraps() {
        let mut e = SequenceExtender::default();
        let a = e.extend(65534);
        let b = e.extend(65535);
        let c = e.extend(0);
        let d = e.extend(65533); // late packet from before the wrap
        assert_eq!(b, a + 1);
        assert_eq!(c, a + 2);
        assert_eq!(d, a - 1);
    }
}
