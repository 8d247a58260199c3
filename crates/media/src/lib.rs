//! Hookswitch media, sans-IO: SDP offer/answer, RTP, codecs, DTMF, tones and the
//! jitter buffer. The edge (crates/phone) owns sockets and sound devices.

pub mod codec;
pub mod comfort_noise;
pub mod dtmf;
pub mod dtmf_inband;
pub mod jitter;
pub mod plc;
pub mod progress;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod session;
pub mod srtp;
pub mod stream;
pub mod tone;

pub use session::{MediaSession, MediaStats};
pub use stream::MediaStream;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("bad RTP packet: {0}")]
    Rtp(String),
    #[error("RTCP packet on the RTP port")]
    Rtcp,
    #[error("{0}")]
    Srtp(String),
}
