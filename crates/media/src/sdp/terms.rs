//! What offer/answer is about, for one audio stream: our side of it
//! ([`LocalMedia`]), its outcome ([`Negotiated`]), which way media flows,
//! and why it can fail. `negotiate` makes offers and answers of these;
//! `sdes` adds SRTP's keys to them.

use std::net::{IpAddr, SocketAddr};

use super::{Attribute, MediaDescription, SessionDescription};
use crate::codec::{CodecKind, CodecParams};
use crate::srtp::{KEY_AND_SALT_LEN, SrtpKeys, SrtpMode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn from_parts(send: bool, recv: bool) -> Direction {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// The direction as seen from the other end.
    pub fn reversed(self) -> Direction {
        Direction::from_parts(self.receives(), self.sends())
    }

    /// What both ends allow.
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_parts(
            self.sends() && other.sends(),
            self.receives() && other.receives(),
        )
    }

    pub(super) fn of(session: &SessionDescription, m: &MediaDescription) -> Direction {
        let find = |attrs: &[Attribute]| {
            attrs.iter().find_map(|a| match a.name.as_str() {
                "sendrecv" => Some(Direction::SendRecv),
                "sendonly" => Some(Direction::SendOnly),
                "recvonly" => Some(Direction::RecvOnly),
                "inactive" => Some(Direction::Inactive),
                _ => None,
            })
        };
        find(&m.attributes)
            .or_else(|| find(&session.attributes))
            .unwrap_or(Direction::SendRecv)
    }
}

/// What we can do, for building offers and answers.
#[derive(Debug, Clone)]
pub struct LocalMedia {
    pub address: IpAddr,
    pub port: u16,
    /// In order of preference.
    pub codecs: Vec<CodecKind>,
    pub telephone_event: bool,
    /// Accept comfort noise (RFC 3389) from the peer with an 8 kHz codec.
    pub comfort_noise: bool,
    /// Offer RTCP-XR VoIP metrics (RFC 3611).
    pub rtcp_xr: bool,
    /// Offer RTCP on the RTP port (RFC 5761).
    pub rtcp_mux: bool,
    pub ptime: u32,
    pub direction: Direction,
    pub session_id: u64,
    /// Increments with every new offer or answer we make in a session.
    pub session_version: u64,
    /// Whether to offer or take SRTP, and our master key and salt for it
    /// (kept for the whole call, re-offers included).
    pub srtp: SrtpMode,
    pub srtp_key: [u8; KEY_AND_SALT_LEN],
}

/// The outcome of offer/answer for the audio stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send RTP; `None` when the peer holds with 0.0.0.0.
    pub remote: Option<SocketAddr>,
    pub codec: CodecKind,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
    /// The clock telephone-event durations count in: the codec's (RFC 4733
    /// 2.1), unless the peer has telephone-event only at another clock.
    pub telephone_event_clock: u32,
    /// The payload type of comfort noise (RFC 3389), when both ends take it.
    pub comfort_noise: Option<u8>,
    /// Both ends said `a=rtcp-xr:voip-metrics`: our reports carry the block.
    pub rtcp_xr: bool,
    /// Both ends said `a=rtcp-mux`: RTCP goes to and comes from the RTP port.
    pub rtcp_mux: bool,
    /// Our direction: whether we send and receive.
    pub direction: Direction,
    pub ptime: u32,
    /// What the peer's fmtp asks of our encoder.
    pub params: CodecParams,
    /// SRTP's suite and keys, when the stream is encrypted.
    pub srtp: Option<SrtpKeys>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    #[error("no audio stream we can use")]
    NoAudio,
    #[error("no codec in common")]
    NoCommonCodec,
    #[error("bad connection address")]
    BadAddress,
    #[error("the peer does not encrypt the call (SRTP), which is required here")]
    SrtpRequired,
    #[error("the peer requires an encrypted call (RTP/SAVP) and SRTP is off here")]
    SrtpOff,
    #[error("no SRTP crypto suite in common")]
    NoCryptoSuite,
}
