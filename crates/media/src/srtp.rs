//! SRTP (RFC 3711) with keys exchanged in SDP (SDES, RFC 4568): the `a=crypto`
//! attribute, and the two contexts of a call (ours to protect what we send, the
//! peer's to check and decrypt what we receive), over the rtc-srtp crate.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rtc_srtp::context::Context;
use rtc_srtp::crypto::RTCCryptoProvider as _;
use rtc_srtp::crypto::providers::RingProvider;
use rtc_srtp::option::{srtcp_replay_protection, srtp_replay_protection};
use rtc_srtp::protection_profile::ProtectionProfile;

/// Master key (16 bytes) then master salt (14 bytes), as `inline:` carries them.
pub const KEY_AND_SALT_LEN: usize = 30;
const KEY_LEN: usize = 16;

/// Packets a replayed or reordered packet may trail by and still be accepted
/// (libsrtp's default window).
const REPLAY_WINDOW: usize = 128;

/// Whether a call's media is encrypted. Keys travel in the SDP, so SRTP is only
/// used when the call's signaling runs over TLS (the phone decides that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum SrtpMode {
    /// Plain RTP; `a=crypto` in an offer is ignored and RTP/SAVP refused.
    Off,
    /// Offer RTP/AVP with `a=crypto` (best effort): SRTP if the peer answers
    /// with a key, plain RTP if it does not. Offers either way are accepted.
    #[default]
    Optional,
    /// Offer RTP/SAVP; calls without SRTP are refused (488).
    Required,
}

impl std::str::FromStr for SrtpMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(SrtpMode::Off),
            "optional" => Ok(SrtpMode::Optional),
            "required" => Ok(SrtpMode::Required),
            other => Err(format!(
                "unknown SRTP mode {other:?} (off, optional or required)"
            )),
        }
    }
}

/// The crypto suites we offer, in order of preference (RFC 4568 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoSuite {
    AesCm128HmacSha1_80,
    AesCm128HmacSha1_32,
}

impl CryptoSuite {
    pub const ALL: [CryptoSuite; 2] = [
        CryptoSuite::AesCm128HmacSha1_80,
        CryptoSuite::AesCm128HmacSha1_32,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            CryptoSuite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
        }
    }

    pub fn from_name(name: &str) -> Option<CryptoSuite> {
        CryptoSuite::ALL.into_iter().find(|s| s.name() == name)
    }

    fn profile(self) -> ProtectionProfile {
        match self {
            CryptoSuite::AesCm128HmacSha1_80 => ProtectionProfile::Aes128CmHmacSha1_80,
            CryptoSuite::AesCm128HmacSha1_32 => ProtectionProfile::Aes128CmHmacSha1_32,
        }
    }
}

/// One `a=crypto` line: `<tag> <suite> inline:<key||salt>[|lifetime]`. Lines with
/// an MKI or several keys are not taken (we do not rekey).
#[derive(Clone, PartialEq, Eq)]
pub struct CryptoAttribute {
    pub tag: u32,
    pub suite: CryptoSuite,
    pub key: [u8; KEY_AND_SALT_LEN],
}

// Keys stay out of logs.
impl fmt::Debug for CryptoAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crypto:{} {} inline:<key>", self.tag, self.suite.name())
    }
}

impl CryptoAttribute {
    /// The attribute's value (after `a=crypto:`).
    pub fn to_value(&self) -> String {
        format!(
            "{} {} inline:{}",
            self.tag,
            self.suite.name(),
            BASE64.encode(self.key)
        )
    }

    /// Parses an attribute value; `None` for suites or key forms we cannot use.
    pub fn parse(value: &str) -> Option<CryptoAttribute> {
        let mut parts = value.split_whitespace();
        let tag: u32 = parts.next()?.parse().ok()?;
        let suite = CryptoSuite::from_name(parts.next()?)?;
        let key_params = parts.next()?;
        // Session parameters (UNENCRYPTED_SRTP, KDR...) change the transform: refuse.
        if parts.next().is_some() || key_params.contains(';') {
            return None;
        }
        let inline = key_params.strip_prefix("inline:")?;
        let mut fields = inline.split('|');
        let key_b64 = fields.next()?;
        for field in fields {
            // A lifetime (`2^31` or a number) is fine; an MKI (`1:4`) is not.
            if field.contains(':') {
                return None;
            }
        }
        let decoded = BASE64.decode(key_b64).ok()?;
        let key: [u8; KEY_AND_SALT_LEN] = decoded.try_into().ok()?;
        Some(CryptoAttribute { tag, suite, key })
    }
}

/// A fresh random master key and salt.
pub fn new_key() -> [u8; KEY_AND_SALT_LEN] {
    use rand::RngExt;
    let mut key = [0u8; KEY_AND_SALT_LEN];
    rand::rng().fill(&mut key[..]);
    key
}

/// What offer/answer agreed: one suite, and each side's key.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    pub suite: CryptoSuite,
    /// Protects what we send (the key in our SDP).
    pub local: [u8; KEY_AND_SALT_LEN],
    /// Protects what the peer sends (the key in its SDP).
    pub remote: [u8; KEY_AND_SALT_LEN],
}

impl fmt::Debug for SrtpKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SrtpKeys({})", self.suite.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    #[error("SRTP set-up failed: {0}")]
    Setup(String),
    #[error("SRTP protect failed: {0}")]
    Protect(String),
    /// Authentication failed, a replay, or a packet too short: dropped.
    #[error("SRTP packet refused: {0}")]
    Refused(String),
}

/// The two SRTP contexts of a call.
pub struct Srtp {
    suite: CryptoSuite,
    outbound: Context,
    inbound: Context,
}

impl fmt::Debug for Srtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Srtp({})", self.suite.name())
    }
}

impl Srtp {
    pub fn new(keys: &SrtpKeys) -> Result<Srtp, SrtpError> {
        let provider = RingProvider::new();
        let context = |key: &[u8; KEY_AND_SALT_LEN], replay: bool| {
            let (master_key, salt) = key.split_at(KEY_LEN);
            let (srtp_opt, srtcp_opt) = if replay {
                (
                    Some(srtp_replay_protection(REPLAY_WINDOW)),
                    Some(srtcp_replay_protection(REPLAY_WINDOW)),
                )
            } else {
                (None, None)
            };
            Context::new(
                master_key,
                salt,
                keys.suite.profile(),
                srtp_opt,
                srtcp_opt,
                provider.crypto(),
            )
            .map_err(|e| SrtpError::Setup(e.to_string()))
        };
        Ok(Srtp {
            suite: keys.suite,
            outbound: context(&keys.local, false)?,
            inbound: context(&keys.remote, true)?,
        })
    }

    pub fn suite(&self) -> CryptoSuite {
        self.suite
    }

    pub fn protect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.outbound
            .encrypt_rtp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| SrtpError::Protect(e.to_string()))
    }

    pub fn unprotect_rtp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.inbound
            .decrypt_rtp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| SrtpError::Refused(e.to_string()))
    }

    pub fn protect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.outbound
            .encrypt_rtcp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| SrtpError::Protect(e.to_string()))
    }

    pub fn unprotect_rtcp(&mut self, packet: &[u8]) -> Result<Vec<u8>, SrtpError> {
        self.inbound
            .decrypt_rtcp(packet)
            .map(|b| b.to_vec())
            .map_err(|e| SrtpError::Refused(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crypto_attribute_round_trip_and_rfc_4568_example() {
        // RFC 4568 section 4's example key, with a lifetime and an MKI: the MKI
        // makes it unusable for us.
        let example = "1 AES_CM_128_HMAC_SHA1_80 \
            inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4";
        assert_eq!(CryptoAttribute::parse(example), None);
        let without_mki = "1 AES_CM_128_HMAC_SHA1_80 \
            inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20";
        let a = CryptoAttribute::parse(without_mki).expect("usable");
        assert_eq!(a.tag, 1);
        assert_eq!(a.suite, CryptoSuite::AesCm128HmacSha1_80);
        assert_eq!(
            a.to_value(),
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
        );
        assert_eq!(CryptoAttribute::parse(&a.to_value()), Some(a.clone()));
        for bad in [
            "",
            "x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
            "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=",
            "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR UNENCRYPTED_SRTP",
            "1 AES_CM_128_HMAC_SHA1_80 inline:!!",
        ] {
            assert_eq!(CryptoAttribute::parse(bad), None, "{bad}");
        }
        assert!(!format!("{a:?}").contains("PS1u"), "keys stay out of logs");
    }

    fn rtp(seq: u16) -> Vec<u8> {
        let mut p = vec![
            0x80,
            0,
            (seq >> 8) as u8,
            seq as u8,
            0,
            0,
            0,
            160,
            1,
            2,
            3,
            4,
        ];
        p.extend(std::iter::repeat_n(0x55, 160));
        p
    }

    #[test]
    fn protected_packets_come_back_and_tampered_ones_are_refused() {
        for suite in CryptoSuite::ALL {
            let (a_key, b_key) = (new_key(), new_key());
            let mut a = Srtp::new(&SrtpKeys {
                suite,
                local: a_key,
                remote: b_key,
            })
            .unwrap();
            let mut b = Srtp::new(&SrtpKeys {
                suite,
                local: b_key,
                remote: a_key,
            })
            .unwrap();
            let plain = rtp(7);
            let sent = a.protect_rtp(&plain).unwrap();
            let tag = match suite {
                CryptoSuite::AesCm128HmacSha1_80 => 10,
                CryptoSuite::AesCm128HmacSha1_32 => 4,
            };
            assert_eq!(sent.len(), plain.len() + tag);
            assert_ne!(&sent[12..plain.len()], &plain[12..], "payload encrypted");
            assert_eq!(b.unprotect_rtp(&sent).unwrap(), plain);
            // The same packet again is a replay.
            assert!(b.unprotect_rtp(&sent).is_err());
            let mut tampered = a.protect_rtp(&rtp(8)).unwrap();
            tampered[20] ^= 1;
            assert!(matches!(
                b.unprotect_rtp(&tampered),
                Err(SrtpError::Refused(_))
            ));
            // RTCP: a receiver report with no blocks.
            let rr = [0x80, 201, 0, 1, 1, 2, 3, 4];
            let sent = a.protect_rtcp(&rr).unwrap();
            assert_eq!(b.unprotect_rtcp(&sent).unwrap(), rr);
            // A packet under the wrong key is refused.
            assert!(a.unprotect_rtp(&b.protect_rtp(&rtp(1)).unwrap()).is_ok());
            let mut stranger = Srtp::new(&SrtpKeys {
                suite,
                local: new_key(),
                remote: new_key(),
            })
            .unwrap();
            assert!(
                b.unprotect_rtp(&stranger.protect_rtp(&rtp(9)).unwrap())
                    .is_err()
            );
        }
    }
}
