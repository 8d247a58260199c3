//! Opus (RFC 6716) through libopus (the `opus` crate, libopus built from its
//! bundled source): mono at 48 kHz, 20 ms frames, as RFC 7587 puts it in RTP.
//! In-band FEC and DTX are used when the peer's SDP asks for them; a lost frame
//! is rebuilt from the next packet's FEC data when that packet is already
//! here, else by libopus's own concealment.

use super::{Codec, CodecInfo, CodecKind, CodecParams};

/// Opus (RFC 7587): mono at 48 kHz, a dynamic payload type, `/2` in the
/// rtpmap; we decode in-band FEC and do not ask the peer for DTX (silence
/// gaps would read as losses to the jitter buffer).
pub const INFO: CodecInfo = CodecInfo {
    name: "opus",
    clock_rate: 48000,
    sdp_channels: Some(2),
    sample_rate: 48000,
    static_payload_type: None,
    fmtp: Some("useinbandfec=1; usedtx=0"),
    conceals_itself: true,
    impairment: (0.0, 30.0),
    make: |params| Opus::new(params).map(|o| Box::new(o) as Box<dyn Codec>),
};

pub const RATE: u32 = 48000;
/// The largest Opus packet (RFC 6716 3.4).
const MAX_PACKET: usize = 1275;
/// The longest Opus frame: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;
/// Speech at 32 kbit/s is full-band and well above the quality of G.722.
const BITRATE: i32 = 32000;
/// libopus adds in-band FEC to 20 ms voice at 32 kbit/s only when told to
/// expect at least this much loss (6 % gave none, 7 % did). FEC is on at that
/// level until the peer's first report, on whenever it reports any loss, and
/// off while it reports none.
const FEC_LOSS_PERCENT: i32 = 7;

pub struct Opus {
    encoder: opus::Encoder,
    decoder: opus::Decoder,
    packet: Vec<u8>,
    decoded: Vec<i16>,
    /// Samples in the last decoded frame (what a concealed frame lasts).
    last_frame: usize,
}

impl Opus {
    /// `None` only if libopus refuses its own standard settings.
    pub fn new(params: CodecParams) -> Option<Opus> {
        let mut encoder =
            opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip).ok()?;
        encoder.set_bitrate(opus::Bitrate::Bits(BITRATE)).ok()?;
        encoder.set_inband_fec(params.fec).ok()?;
        // FEC costs the primary encoding bits, so it follows the loss the
        // peer's RTCP reports (`expect_loss`); see FEC_LOSS_PERCENT and
        // docs/decisions.md D28 for the measurements.
        if params.fec {
            encoder.set_packet_loss_perc(FEC_LOSS_PERCENT).ok()?;
        }
        encoder.set_dtx(params.dtx).ok()?;
        let decoder = opus::Decoder::new(RATE, opus::Channels::Mono).ok()?;
        Some(Opus {
            encoder,
            decoder,
            packet: vec![0; MAX_PACKET],
            decoded: vec![0; MAX_FRAME],
            last_frame: (RATE / 50) as usize,
        })
    }
}

impl Codec for Opus {
    fn kind(&self) -> CodecKind {
        CodecKind::OPUS
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        match self.encoder.encode(pcm, &mut self.packet) {
            Ok(n) => out.extend_from_slice(&self.packet[..n]),
            Err(e) => tracing::debug!("opus encode: {e}"),
        }
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) {
        match self.decoder.decode(payload, &mut self.decoded, false) {
            Ok(n) => {
                self.last_frame = n;
                out.extend_from_slice(&self.decoded[..n]);
            }
            Err(e) => tracing::debug!("opus decode: {e}"),
        }
    }

    fn expect_loss(&mut self, percent: u8) {
        let percent = match i32::from(percent.min(100)) {
            0 => 0,
            p => p.max(FEC_LOSS_PERCENT),
        };
        if let Err(e) = self.encoder.set_packet_loss_perc(percent) {
            tracing::debug!("opus packet loss setting: {e}");
        }
    }

    fn conceal(&mut self, next: Option<&[u8]>, out: &mut Vec<i16>) -> bool {
        let frame = self.last_frame.min(MAX_FRAME);
        let (input, fec) = match next {
            Some(p) => (p, true),
            None => (&[][..], false),
        };
        match self.decoder.decode(input, &mut self.decoded[..frame], fec) {
            Ok(n) => {
                out.extend_from_slice(&self.decoded[..n]);
                true
            }
            Err(_) => false,
        }
    }
}
