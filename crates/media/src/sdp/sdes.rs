//! SDES (RFC 4568) in offer/answer: which profile and `a=crypto` lines we offer,
//! which of the peer's we take, and the keys both ends end up with.

use super::terms::{LocalMedia, NegotiationError};
use super::{Attribute, MediaDescription};
use crate::srtp::{CryptoAttribute, CryptoSuite, SrtpKeys, SrtpMode};

const PLAIN: &str = "RTP/AVP";
const SECURE: &str = "RTP/SAVP";

/// Whether we can take a stream with this transport profile at all.
pub(super) fn is_rtp_profile(proto: &str) -> bool {
    proto == PLAIN || proto == SECURE
}

/// The crypto lines of `m` we can use, in the peer's order of preference.
fn crypto_of(m: &MediaDescription) -> Vec<CryptoAttribute> {
    m.attributes
        .iter()
        .filter(|a| a.name == "crypto")
        .filter_map(|a| a.value.as_deref().and_then(CryptoAttribute::parse))
        .collect()
}

fn attribute(c: &CryptoAttribute) -> Attribute {
    Attribute::new("crypto", Some(&c.to_value()))
}

/// Our offer's profile and crypto lines: RTP/SAVP when SRTP is required,
/// RTP/AVP with keys when it is optional (best effort), plain when off.
pub(super) fn offer(local: &LocalMedia) -> (String, Vec<Attribute>) {
    let lines = || {
        CryptoSuite::ALL
            .iter()
            .zip(1..)
            .map(|(suite, tag)| {
                attribute(&CryptoAttribute {
                    tag,
                    suite: *suite,
                    key: local.srtp_key,
                })
            })
            .collect()
    };
    match local.srtp {
        SrtpMode::Off => (PLAIN.into(), Vec::new()),
        SrtpMode::Optional => (PLAIN.into(), lines()),
        SrtpMode::Required => (SECURE.into(), lines()),
    }
}

/// Our answer to an offered stream: `None` for plain RTP, else the keys and the
/// crypto line to answer with (the peer's tag and suite, our key). An error
/// when the stream cannot be taken as it is offered.
pub(super) fn answer(
    m: &MediaDescription,
    local: &LocalMedia,
) -> Result<Option<(SrtpKeys, Attribute)>, NegotiationError> {
    let secure = m.proto == SECURE;
    let theirs = crypto_of(m).into_iter().next();
    match (local.srtp, theirs) {
        (SrtpMode::Off, _) if secure => Err(NegotiationError::SrtpOff),
        (SrtpMode::Off, _) => Ok(None),
        (_, Some(c)) => {
            let ours = CryptoAttribute {
                tag: c.tag,
                suite: c.suite,
                key: local.srtp_key,
            };
            let keys = SrtpKeys {
                suite: c.suite,
                local: local.srtp_key,
                remote: c.key,
            };
            Ok(Some((keys, attribute(&ours))))
        }
        (_, None) if secure => Err(NegotiationError::NoCryptoSuite),
        (SrtpMode::Required, None) => Err(NegotiationError::SrtpRequired),
        (SrtpMode::Optional, None) => Ok(None),
    }
}

/// The keys from the peer's answer to our offered stream `ours`: the crypto
/// line it accepted (by tag and suite) gives its key; ours is in our offer.
pub(super) fn apply(
    ours: &MediaDescription,
    answer: &MediaDescription,
) -> Result<Option<SrtpKeys>, NegotiationError> {
    let offered = crypto_of(ours);
    let chosen = crypto_of(answer).into_iter().find_map(|c| {
        offered
            .iter()
            .find(|o| o.tag == c.tag && o.suite == c.suite)
            .map(|o| SrtpKeys {
                suite: c.suite,
                local: o.key,
                remote: c.key,
            })
    });
    match chosen {
        Some(keys) => Ok(Some(keys)),
        None if ours.proto == SECURE || answer.proto == SECURE => {
            Err(NegotiationError::SrtpRequired)
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecKind;
    use crate::sdp::{Direction, SessionDescription, apply_answer, create_answer, create_offer};
    use crate::srtp::new_key;

    fn local(srtp: SrtpMode) -> LocalMedia {
        LocalMedia {
            address: "127.0.0.1".parse().unwrap(),
            port: 40000,
            codecs: vec![CodecKind::PCMU],
            telephone_event: true,
            comfort_noise: false,
            rtcp_xr: false,
            rtcp_mux: false,
            ptime: 20,
            direction: Direction::SendRecv,
            session_id: 1,
            session_version: 1,
            srtp,
            srtp_key: new_key(),
        }
    }

    #[test]
    fn both_ends_get_each_others_key() {
        for (offerer, answerer, proto) in [
            (SrtpMode::Required, SrtpMode::Required, "RTP/SAVP"),
            (SrtpMode::Required, SrtpMode::Optional, "RTP/SAVP"),
            (SrtpMode::Optional, SrtpMode::Optional, "RTP/AVP"),
            (SrtpMode::Optional, SrtpMode::Required, "RTP/AVP"),
        ] {
            let (alice, bob) = (local(offerer), local(answerer));
            let offer = create_offer(&alice);
            let text = offer.to_string();
            assert!(
                text.contains(&format!("m=audio 40000 {proto} 0 101")),
                "{text}"
            );
            assert!(
                text.contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"),
                "{text}"
            );
            assert!(
                text.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"),
                "{text}"
            );
            let (answer, at_bob) = create_answer(&offer, &bob).unwrap();
            let text = answer.to_string();
            assert!(
                text.contains(&format!("m=audio 40000 {proto} 0 101")),
                "{text}"
            );
            assert_eq!(text.matches("a=crypto:").count(), 1, "{text}");
            let at_alice = apply_answer(&offer, &answer).unwrap();
            let (a, b) = (at_alice.srtp.unwrap(), at_bob.srtp.unwrap());
            assert_eq!(a.suite, CryptoSuite::AesCm128HmacSha1_80);
            assert_eq!((a.local, a.remote), (alice.srtp_key, bob.srtp_key));
            assert_eq!((b.local, b.remote), (bob.srtp_key, alice.srtp_key));
        }
    }

    #[test]
    fn optional_falls_back_to_plain_and_required_refuses() {
        // An optional offer to an answerer with SRTP off: plain RTP both ends.
        let offer = create_offer(&local(SrtpMode::Optional));
        let (answer, at_bob) = create_answer(&offer, &local(SrtpMode::Off)).unwrap();
        assert!(!answer.to_string().contains("a=crypto"));
        assert_eq!(at_bob.srtp, None);
        assert_eq!(apply_answer(&offer, &answer).unwrap().srtp, None);
        // RTP/SAVP to an answerer with SRTP off; plain RTP to one that requires it.
        let required = create_offer(&local(SrtpMode::Required));
        assert_eq!(
            create_answer(&required, &local(SrtpMode::Off)).unwrap_err(),
            NegotiationError::SrtpOff
        );
        let plain = create_offer(&local(SrtpMode::Off));
        assert_eq!(
            create_answer(&plain, &local(SrtpMode::Required)).unwrap_err(),
            NegotiationError::SrtpRequired
        );
        // Our required offer answered without a key.
        let (plain_answer, _) = create_answer(&plain, &local(SrtpMode::Off)).unwrap();
        assert_eq!(
            apply_answer(&required, &plain_answer).unwrap_err(),
            NegotiationError::SrtpRequired
        );
    }

    #[test]
    fn the_first_suite_we_know_is_taken() {
        let key = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR";
        let offer = |lines: &str| {
            SessionDescription::parse(
                format!(
                    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
                     m=audio 5004 RTP/SAVP 0\r\n{lines}"
                )
                .as_bytes(),
            )
            .unwrap()
        };
        let bob = local(SrtpMode::Optional);
        let o = offer(&format!(
            "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:x\r\n\
             a=crypto:7 AES_CM_128_HMAC_SHA1_32 {key}\r\n\
             a=crypto:9 AES_CM_128_HMAC_SHA1_80 {key}\r\n"
        ));
        let (answer, at_bob) = create_answer(&o, &bob).unwrap();
        assert!(
            answer
                .to_string()
                .contains("a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:"),
            "{answer}"
        );
        assert_eq!(at_bob.srtp.unwrap().suite, CryptoSuite::AesCm128HmacSha1_32);
        let only_unknown = offer("a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:x\r\n");
        assert_eq!(
            create_answer(&only_unknown, &bob).unwrap_err(),
            NegotiationError::NoCryptoSuite
        );
    }
}
