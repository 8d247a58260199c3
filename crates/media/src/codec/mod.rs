//! Audio codecs behind one small trait, so adding G.722 or Opus is a new file.

mod g711;
mod g722;
#[cfg(feature = "g729")]
mod g729;
mod opus;

pub use g711::{Alaw, Ulaw, alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use g722::G722;
#[cfg(feature = "g729")]
pub use g729::G729;
pub use opus::Opus;

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES_8K: usize = 160;

/// A codec as negotiated in SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    Pcmu,
    Pcma,
    /// G.722: 16 kHz audio, an 8000 Hz RTP clock.
    G722,
    /// Opus: mono at 48 kHz, a dynamic payload type.
    Opus,
    /// G.729 through bcg729 (the `g729` cargo feature).
    #[cfg(feature = "g729")]
    G729,
}

/// What the peer's SDP asks of our encoder (RFC 7587 fmtp for Opus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodecParams {
    /// The peer decodes in-band FEC (`useinbandfec=1`): send it.
    pub fec: bool,
    /// The peer prefers discontinuous transmission (`usedtx=1`).
    pub dtx: bool,
}

impl CodecKind {
    /// Every codec this build has.
    pub const ALL: &'static [CodecKind] = &[
        CodecKind::Opus,
        CodecKind::G722,
        CodecKind::Pcmu,
        CodecKind::Pcma,
        #[cfg(feature = "g729")]
        CodecKind::G729,
    ];

    /// The static RTP payload type (RFC 3551).
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecKind::Pcmu => Some(0),
            CodecKind::Pcma => Some(8),
            CodecKind::G722 => Some(9),
            CodecKind::Opus => None,
            #[cfg(feature = "g729")]
            CodecKind::G729 => Some(18),
        }
    }

    /// The encoding name in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
            CodecKind::Opus => "opus",
            #[cfg(feature = "g729")]
            CodecKind::G729 => "G729",
        }
    }

    /// The `a=rtpmap` encoding: name/clock, and /2 for Opus (RFC 7587 always
    /// signals two channels, whatever is sent).
    pub fn rtpmap(self) -> String {
        match self {
            CodecKind::Opus => "opus/48000/2".into(),
            c => format!("{}/{}", c.name(), c.clock_rate()),
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        match self {
            CodecKind::Opus => 48000,
            _ => 8000,
        }
    }

    /// Audio sample rate the codec works at (differs from the RTP clock for G.722).
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::G722 => 16000,
            CodecKind::Opus => 48000,
            #[cfg(feature = "g729")]
            CodecKind::G729 => 8000,
        }
    }

    /// Whether the decoder rebuilds lost frames itself (else the session's
    /// pitch-repeating concealer does).
    pub fn conceals_itself(self) -> bool {
        match self {
            CodecKind::Opus => true,
            #[cfg(feature = "g729")]
            CodecKind::G729 => true,
            _ => false,
        }
    }

    pub fn from_name(name: &str, clock: u32) -> Option<CodecKind> {
        match (name.to_ascii_uppercase().as_str(), clock) {
            ("PCMU", 8000) => Some(CodecKind::Pcmu),
            ("PCMA", 8000) => Some(CodecKind::Pcma),
            ("G722", 8000) => Some(CodecKind::G722),
            ("OPUS", 48000) => Some(CodecKind::Opus),
            #[cfg(feature = "g729")]
            ("G729", 8000) => Some(CodecKind::G729),
            _ => None,
        }
    }

    pub fn from_static_payload_type(pt: u8) -> Option<CodecKind> {
        match pt {
            0 => Some(CodecKind::Pcmu),
            8 => Some(CodecKind::Pcma),
            9 => Some(CodecKind::G722),
            #[cfg(feature = "g729")]
            18 => Some(CodecKind::G729),
            _ => None,
        }
    }

    pub fn new_codec(self) -> Box<dyn Codec> {
        self.new_codec_with(CodecParams::default())
    }

    pub fn new_codec_with(self, params: CodecParams) -> Box<dyn Codec> {
        match self {
            CodecKind::Pcmu => Box::new(Ulaw),
            CodecKind::Pcma => Box::new(Alaw),
            CodecKind::G722 => Box::new(G722::new()),
            // libopus accepts its standard settings; if it ever did not, the
            // call still has audio through G.711 rather than a panic.
            CodecKind::Opus => match Opus::new(params) {
                Some(o) => Box::new(o),
                None => Box::new(Ulaw),
            },
            #[cfg(feature = "g729")]
            CodecKind::G729 => match G729::new() {
                Some(g) => Box::new(g),
                None => Box::new(Ulaw),
            },
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
    /// A frame is missing: appends the codec's own concealment (from `next`,
    /// the following packet, when it is already here). `false`: the codec has
    /// none, and the caller conceals.
    fn conceal(&mut self, _next: Option<&[u8]>, _out: &mut Vec<i16>) -> bool {
        false
    }
    /// The peer reports losing this percentage of our packets: a codec with
    /// in-band redundancy (Opus FEC) spends bits on it accordingly.
    fn expect_loss(&mut self, _percent: u8) {}
}
