//! Audio codecs behind one small trait, so adding G.722 or Opus is a new file.

mod g711;
mod g722;

pub use g711::{Alaw, Ulaw, alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use g722::G722;

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES_8K: usize = 160;

/// A codec as negotiated in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    Pcmu,
    Pcma,
    /// G.722: 16 kHz audio, an 8000 Hz RTP clock.
    G722,
}

impl CodecKind {
    /// The static RTP payload type (RFC 3551).
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecKind::Pcmu => Some(0),
            CodecKind::Pcma => Some(8),
            CodecKind::G722 => Some(9),
        }
    }

    /// The encoding name in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        8000
    }

    /// Audio sample rate the codec works at (differs from the RTP clock for G.722).
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::G722 => 16000,
        }
    }

    pub fn from_name(name: &str, clock: u32) -> Option<CodecKind> {
        match (name.to_ascii_uppercase().as_str(), clock) {
            ("PCMU", 8000) => Some(CodecKind::Pcmu),
            ("PCMA", 8000) => Some(CodecKind::Pcma),
            ("G722", 8000) => Some(CodecKind::G722),
            _ => None,
        }
    }

    pub fn from_static_payload_type(pt: u8) -> Option<CodecKind> {
        match pt {
            0 => Some(CodecKind::Pcmu),
            8 => Some(CodecKind::Pcma),
            9 => Some(CodecKind::G722),
            _ => None,
        }
    }

    pub fn new_codec(self) -> Box<dyn Codec> {
        match self {
            CodecKind::Pcmu => Box::new(Ulaw),
            CodecKind::Pcma => Box::new(Alaw),
            CodecKind::G722 => Box::new(G722::new()),
        }
    }
}

/// Encodes and decodes one frame of audio.
pub trait Codec: Send {
    fn kind(&self) -> CodecKind;
    /// Appends the encoded form of `pcm` to `out`.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>);
    /// Appends the decoded samples of `payload` to `out`.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>);
}
