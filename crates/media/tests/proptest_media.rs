//! Property tests of the media parsers and buffers: nothing panics on any input,
//! and what we write we read back.

use hookswitch_media::MediaSession;
use hookswitch_media::codec::CodecKind;
use hookswitch_media::dtmf::{DtmfReceiver, EventPayload};
use hookswitch_media::jitter::{JitterBuffer, Playout};
use hookswitch_media::rtp::RtpPacket;
use hookswitch_media::sdp::{
    Direction, LocalMedia, Negotiated, SessionDescription, apply_answer, create_answer,
    create_offer,
};
use proptest::prelude::*;

fn negotiated() -> Negotiated {
    Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::PCMU,
        payload_type: 0,
        telephone_event: Some(101),
        telephone_event_clock: 8000,
        comfort_noise: Some(13),
        rtcp_xr: true,
        rtcp_mux: false,
        direction: Direction::SendRecv,
        ptime: 20,
        params: Default::default(),
        srtp: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = RtpPacket::parse(&bytes);
        if let Ok(sdp) = SessionDescription::parse(&bytes) {
            let _ = sdp.to_string();
            let local = local(4000, vec![CodecKind::PCMU], Direction::SendRecv);
            let _ = create_answer(&sdp, &local);
            let _ = apply_answer(&create_offer(&local), &sdp);
        }
        let _ = EventPayload::parse(&bytes);
        let _ = DtmfReceiver::default().receive(0, &bytes);
        let mut session = MediaSession::new(negotiated());
        let _ = session.receive(&bytes, std::time::Instant::now());
        let mut out = Vec::new();
        session.play_frame(&mut out);
        prop_assert_eq!(out.len(), 160);
    }

    #[test]
    fn arbitrary_sdp_text_never_panics(text in "(([a-z]=[ -~]{0,40})?\r?\n){0,20}") {
        if let Ok(sdp) = text.parse::<SessionDescription>() {
            let local = local(4000, vec![CodecKind::PCMA], Direction::SendOnly);
            let _ = create_answer(&sdp, &local);
        }
    }

    /// Payload types 64-95 collide with RTCP packet types on a shared port and
    /// must not be used with RTP/RTCP mux (RFC 5761 section 4), so they are left out.
    #[test]
    fn rtp_round_trips(pt in prop_oneof![0u8..64, 96u8..128], marker: bool, seq: u16, ts: u32, ssrc: u32, payload in proptest::collection::vec(any::<u8>(), 0..400)) {
        let p = RtpPacket { payload_type: pt, marker, sequence: seq, timestamp: ts, ssrc, payload };
        prop_assert_eq!(RtpPacket::parse(&p.to_bytes()), Ok(p));
    }

    #[test]
    fn offers_round_trip_and_answer_themselves(port in 1u16.., codecs in proptest::sample::subsequence(vec![CodecKind::PCMU, CodecKind::PCMA], 1..=2), dir in prop_oneof![Just(Direction::SendRecv), Just(Direction::SendOnly), Just(Direction::RecvOnly), Just(Direction::Inactive)]) {
        let ours = local(port, codecs.clone(), dir);
        let offer = create_offer(&ours);
        let reparsed = offer.to_string().parse::<SessionDescription>();
        prop_assert_eq!(reparsed.as_ref(), Ok(&offer));
        let (answer, at_peer) = create_answer(&offer, &local(5000, vec![CodecKind::PCMA, CodecKind::PCMU], Direction::SendRecv)).unwrap();
        prop_assert_eq!(at_peer.codec, codecs[0]);
        prop_assert_eq!(at_peer.direction, dir.reversed());
        let at_us = apply_answer(&offer, &answer).unwrap();
        prop_assert_eq!(at_us.codec, codecs[0]);
        prop_assert_eq!(at_us.direction, dir);
    }

    #[test]
    fn jitter_buffer_never_invents_frames(ops in proptest::collection::vec(prop_oneof![(any::<i8>()).prop_map(Some), Just(None)], 0..400)) {
        let mut j = JitterBuffer::new(2);
        let mut base: u16 = 65500;
        let (mut pushed, mut played) = (0u32, 0u32);
        for op in ops {
            match op {
                Some(delta) => {
                    base = base.wrapping_add(1);
                    j.push(base.wrapping_add(delta as u16), 0, vec![0], std::time::Instant::now());
                    pushed += 1;
                }
                None => if let Playout::Frame { .. } = j.pop() { played += 1 },
            }
        }
        prop_assert!(played <= pushed);
    }
}

fn local(port: u16, codecs: Vec<CodecKind>, direction: Direction) -> LocalMedia {
    LocalMedia {
        address: "192.0.2.1".parse().unwrap(),
        port,
        codecs,
        telephone_event: true,
        comfort_noise: true,
        rtcp_xr: true,
        rtcp_mux: true,
        ptime: 20,
        direction,
        session_id: 7,
        session_version: 1,
        srtp: hookswitch_media::srtp::SrtpMode::Off,
        srtp_key: [0; 30],
    }
}

proptest! {
    #[test]
    fn inband_detection_takes_any_audio(frames in proptest::collection::vec(proptest::collection::vec(any::<i16>(), 0..400), 0..30), rate in prop_oneof![Just(8000u32), Just(16000), Just(48000)]) {
        let mut d = hookswitch_media::dtmf_inband::InbandDetector::new(rate);
        for f in &frames {
            for k in d.feed(f) {
                prop_assert!("0123456789*#ABCD".contains(k));
            }
        }
    }

    #[test]
    fn any_opus_payload_decodes_or_is_dropped(payload in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut c = CodecKind::OPUS.new_codec();
        let mut out = Vec::new();
        c.decode(&payload, &mut out);
        prop_assert!(out.len() <= 5760);
        let mut g = CodecKind::G722.new_codec();
        out.clear();
        g.decode(&payload, &mut out);
        prop_assert_eq!(out.len(), payload.len() * 2);
    }
}

proptest! {
    /// Any SID is played as bounded noise; what we describe we read back.
    #[test]
    fn comfort_noise_takes_any_sid(payload in proptest::collection::vec(any::<u8>(), 0..40), n in 0usize..1000) {
        use hookswitch_media::comfort_noise::{ComfortNoise, NoiseDescription};
        if let Some(d) = NoiseDescription::parse(&payload) {
            prop_assert!(d.reflection.iter().all(|k| k.abs() < 1.0));
            let mut cn = ComfortNoise::new(9);
            cn.update(&d);
            let mut out = Vec::new();
            cn.generate(n, &mut out);
            prop_assert_eq!(out.len(), n);
            let again = NoiseDescription::parse(&d.to_payload()).unwrap();
            prop_assert_eq!(again.level_dbov, d.level_dbov);
        } else {
            prop_assert!(payload.is_empty());
        }
    }

    /// Any sequence of heard and lost frames keeps the frame size.
    #[test]
    fn concealment_takes_any_pattern(frames in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<i16>(), 160)), 0..60)) {
        let mut c = hookswitch_media::plc::Concealer::new(8000);
        for f in frames {
            let mut out = Vec::new();
            match f {
                Some(mut heard) => { c.good(&mut heard); prop_assert_eq!(heard.len(), 160); }
                None => { c.conceal(160, &mut out); prop_assert_eq!(out.len(), 160); }
            }
        }
    }
}

proptest! {
    #[test]
    fn crypto_attributes_parse_or_refuse_and_round_trip(text in ".{0,120}", tag in 0u32..1000, key in proptest::array::uniform30(any::<u8>()), short in any::<bool>()) {
        use hookswitch_media::srtp::{CryptoAttribute, CryptoSuite};
        let _ = CryptoAttribute::parse(&text);
        let suite = if short { CryptoSuite::AesCm128HmacSha1_32 } else { CryptoSuite::AesCm128HmacSha1_80 };
        let a = CryptoAttribute { tag, suite, key };
        prop_assert_eq!(CryptoAttribute::parse(&a.to_value()), Some(a));
    }
}
