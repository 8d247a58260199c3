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

/// What a codec is, as SDP, the media session and the quality estimate need
/// to know it. Each codec file declares its own; adding a codec is that file
/// and one line in [`CodecKind::ALL`].
#[derive(Debug)]
pub struct CodecInfo {
    /// The encoding name in `a=rtpmap`.
    pub name: &'static str,
    /// The RTP clock rate.
    pub clock_rate: u32,
    /// Channels as `a=rtpmap` signals them (`/2` for Opus, RFC 7587, whatever
    /// is sent); `None`: not written.
    pub sdp_channels: Option<u8>,
    /// The audio sample rate it works at (G.722: 16 kHz on an 8 kHz clock).
    pub sample_rate: u32,
    /// Its static RTP payload type (RFC 3551), if it has one.
    pub static_payload_type: Option<u8>,
    /// Our `a=fmtp` for it, if any.
    pub fmtp: Option<&'static str>,
    /// The decoder rebuilds lost frames itself (else the session's pitch
    /// concealer does).
    pub conceals_itself: bool,
    /// Equipment impairment Ie and packet-loss robustness Bpl with its
    /// concealment (ITU-T G.113 Appendix I), for the E-model's MOS.
    pub impairment: (f64, f64),
    /// A fresh encoder/decoder for what the peer's fmtp asked; `None` when the
    /// library refuses (the call then falls back to G.711 rather than fail).
    pub make: fn(CodecParams) -> Option<Box<dyn Codec>>,
}

/// A codec as negotiated in SDP: a handle on its [`CodecInfo`].
#[derive(Clone, Copy)]
pub struct CodecKind(&'static CodecInfo);

impl PartialEq for CodecKind {
    fn eq(&self, other: &Self) -> bool {
        self.0.name == other.0.name && self.0.clock_rate == other.0.clock_rate
    }
}

impl Eq for CodecKind {}

impl std::hash::Hash for CodecKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.0.name, self.0.clock_rate).hash(state);
    }
}

impl std::fmt::Debug for CodecKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
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
    pub const PCMU: CodecKind = CodecKind(&g711::PCMU);
    pub const PCMA: CodecKind = CodecKind(&g711::PCMA);
    pub const G722: CodecKind = CodecKind(&g722::INFO);
    pub const OPUS: CodecKind = CodecKind(&opus::INFO);
    #[cfg(feature = "g729")]
    pub const G729: CodecKind = CodecKind(&g729::INFO);

    /// Every codec this build has: the registry.
    pub const ALL: &'static [CodecKind] = &[
        CodecKind::OPUS,
        CodecKind::G722,
        CodecKind::PCMU,
        CodecKind::PCMA,
        #[cfg(feature = "g729")]
        CodecKind::G729,
    ];

    pub fn info(self) -> &'static CodecInfo {
        self.0
    }

    /// The static RTP payload type (RFC 3551).
    pub fn static_payload_type(self) -> Option<u8> {
        self.0.static_payload_type
    }

    /// The encoding name in `a=rtpmap`.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The `a=rtpmap` encoding: name/clock, and the channels where signalled.
    pub fn rtpmap(self) -> String {
        match self.0.sdp_channels {
            Some(ch) => format!("{}/{}/{ch}", self.0.name, self.0.clock_rate),
            None => format!("{}/{}", self.0.name, self.0.clock_rate),
        }
    }

    /// RTP clock rate.
    pub fn clock_rate(self) -> u32 {
        self.0.clock_rate
    }

    /// Audio sample rate the codec works at (differs from the RTP clock for G.722).
    pub fn sample_rate(self) -> u32 {
        self.0.sample_rate
    }

    /// Whether the decoder rebuilds lost frames itself (else the session's
    /// pitch-repeating concealer does).
    pub fn conceals_itself(self) -> bool {
        self.0.conceals_itself
    }

    /// The codec an `a=rtpmap` names (encoding names are case-insensitive).
    pub fn from_name(name: &str, clock: u32) -> Option<CodecKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.0.name.eq_ignore_ascii_case(name) && c.0.clock_rate == clock)
    }

    pub fn from_static_payload_type(pt: u8) -> Option<CodecKind> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.0.static_payload_type == Some(pt))
    }

    pub fn new_codec(self) -> Box<dyn Codec> {
        self.new_codec_with(CodecParams::default())
    }

    pub fn new_codec_with(self, params: CodecParams) -> Box<dyn Codec> {
        // A library that refuses its standard settings would leave the call
        // silent; G.711 keeps it audible instead of a panic.
        (self.0.make)(params).unwrap_or_else(|| Box::new(Ulaw))
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
