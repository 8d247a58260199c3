//! Opus through libopus: audio survives, the SDP says what RFC 7587 asks, FEC
//! is negotiated from the peer's fmtp, and a lost packet is rebuilt from the
//! next one's FEC data.

use hookswitch_media::MediaSession;
use hookswitch_media::codec::{CodecKind, CodecParams};
use hookswitch_media::sdp::{
    Direction, LocalMedia, Negotiated, SessionDescription, create_answer, create_offer,
};
use hookswitch_media::tone::{Sine, dominant_frequency, rms};

const FRAME: usize = 960;

fn tone(hz: f64, frames: usize) -> Vec<i16> {
    let mut pcm = vec![0i16; FRAME * frames];
    Sine::new(hz, 48000, 8000).fill(&mut pcm);
    pcm
}

fn through_opus(pcm: &[i16], params: CodecParams) -> Vec<i16> {
    let mut enc = CodecKind::OPUS.new_codec_with(params);
    let mut dec = CodecKind::OPUS.new_codec_with(params);
    let mut out = Vec::new();
    for frame in pcm.chunks(FRAME) {
        let mut packet = Vec::new();
        enc.encode(frame, &mut packet);
        assert!(!packet.is_empty() && packet.len() <= 1275);
        dec.decode(&packet, &mut out);
    }
    out
}

#[test]
fn speech_band_and_super_wideband_tones_survive() {
    for hz in [1000.0, 10000.0] {
        let out = through_opus(&tone(hz, 50), CodecParams::default());
        assert_eq!(out.len(), 50 * FRAME);
        let f = dominant_frequency(&out[FRAME * 10..], 48000, 100.0, 20000.0);
        assert!((f - hz).abs() < hz / 100.0, "{hz} Hz came out at {f} Hz");
    }
}

fn local(codecs: Vec<CodecKind>) -> LocalMedia {
    LocalMedia {
        address: "127.0.0.1".parse().unwrap(),
        port: 4000,
        codecs,
        telephone_event: true,
        comfort_noise: true,
        rtcp_xr: true,
        rtcp_mux: true,
        ptime: 20,
        direction: Direction::SendRecv,
        session_id: 1,
        session_version: 1,
        srtp: hookswitch_media::srtp::SrtpMode::Off,
        srtp_key: [0; 30],
    }
}

#[test]
fn offers_use_a_dynamic_payload_type_with_rfc_7587_rtpmap_and_fmtp() {
    let offer = create_offer(&local(vec![
        CodecKind::OPUS,
        CodecKind::G722,
        CodecKind::PCMU,
    ]));
    let text = String::from_utf8(offer.to_bytes()).unwrap();
    assert!(
        text.contains("m=audio 4000 RTP/AVP 111 9 0 13 100 101\r\n"),
        "{text}"
    );
    // RFC 4733 2.1: telephone-event at each codec clock on offer.
    assert!(
        text.contains("a=rtpmap:100 telephone-event/48000\r\n"),
        "{text}"
    );
    assert!(
        text.contains("a=rtpmap:101 telephone-event/8000\r\n"),
        "{text}"
    );
    assert!(text.contains("a=rtpmap:111 opus/48000/2\r\n"), "{text}");
    assert!(
        text.contains("a=fmtp:111 useinbandfec=1; usedtx=0\r\n"),
        "{text}"
    );
}

#[test]
fn the_peers_fmtp_decides_fec_and_dtx() {
    let offer = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 96 0\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=0;useinbandfec=1; usedtx=1\r\n";
    let offer = SessionDescription::parse(offer.as_bytes()).unwrap();
    let (answer, n) =
        create_answer(&offer, &local(vec![CodecKind::OPUS, CodecKind::PCMU])).unwrap();
    assert_eq!((n.codec, n.payload_type), (CodecKind::OPUS, 96));
    assert_eq!(
        n.params,
        CodecParams {
            fec: true,
            dtx: true
        }
    );
    let text = String::from_utf8(answer.to_bytes()).unwrap();
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\n"), "{text}");
    assert!(text.contains("a=fmtp:96 useinbandfec=1"), "{text}");
    // Without fmtp: neither.
    let plain = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 97\r\na=rtpmap:97 OPUS/48000/2\r\n";
    let (_, n) = create_answer(
        &SessionDescription::parse(plain.as_bytes()).unwrap(),
        &local(vec![CodecKind::OPUS]),
    )
    .unwrap();
    assert_eq!(n.params, CodecParams::default());
}

fn opus_link(fec: bool) -> Negotiated {
    Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::OPUS,
        payload_type: 111,
        telephone_event: None,
        telephone_event_clock: 8000,
        comfort_noise: None,
        rtcp_xr: false,
        rtcp_mux: false,
        direction: Direction::SendRecv,
        ptime: 20,
        params: CodecParams { fec, dtx: false },
        srtp: None,
    }
}

#[test]
fn a_lost_packet_is_rebuilt_from_the_next_ones_fec() {
    // The error of the frame rebuilt after one loss, when the peer's RTCP
    // has told the sender of 10 % loss (FEC on) or of none (FEC off).
    let rebuilt_error = |loss_reported: bool| -> (f64, f64) {
        let pcm = tone(700.0, 40);
        let mut sender = MediaSession::new(opus_link(true));
        let mut receiver = MediaSession::new(opus_link(true));
        let mut packets = sender.send_frame(&pcm[..FRAME]);
        {
            let ssrc = hookswitch_media::rtp::RtpPacket::parse(&packets[0])
                .unwrap()
                .ssrc;
            let rr = hookswitch_media::rtcp::packet::write(&[
                hookswitch_media::rtcp::RtcpPacket::ReceiverReport {
                    ssrc: 99,
                    reports: vec![hookswitch_media::rtcp::ReportBlock {
                        ssrc,
                        fraction_lost: if loss_reported { 26 } else { 0 },
                        ..Default::default()
                    }],
                },
            ]);
            sender.receive_rtcp(&rr, std::time::Instant::now()).unwrap();
        }
        for frame in pcm.chunks(FRAME).skip(1) {
            packets.extend(sender.send_frame(frame));
        }
        assert_eq!(packets.len(), 40);
        let lost = 20;
        let mut played = Vec::new();
        let t0 = std::time::Instant::now();
        for (i, p) in packets.iter().enumerate() {
            if i != lost {
                let at = t0 + std::time::Duration::from_millis(20 * i as u64);
                receiver.receive(p, at).unwrap();
            }
            if i >= 2 {
                receiver.play_frame(&mut played);
            }
        }
        assert_eq!(
            receiver.stats().codec_concealed,
            1,
            "{:?}",
            receiver.stats()
        );
        let frame_of = |k: usize| {
            let at = played.len() - (packets.len() - 2 - k) * FRAME;
            &played[at - FRAME..at]
        };
        let (normal, rebuilt) = (frame_of(lost - 1), frame_of(lost));
        // The tone repeats every 1/700 s: compare with the frame before, in phase.
        let error: f64 = normal
            .iter()
            .zip(rebuilt)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum::<f64>()
            .sqrt();
        (error, rms(rebuilt) / rms(normal))
    };
    let (with_fec, level) = rebuilt_error(true);
    let (without, _) = rebuilt_error(false);
    println!("rebuilt frame error: with FEC {with_fec:.0}, concealment only {without:.0}");
    assert!(
        level > 0.5,
        "the rebuilt frame is at {level:.2} of the level"
    );
    assert!(
        with_fec < without,
        "FEC {with_fec:.0} vs concealment {without:.0}"
    );
}

/// RFC 4733 2.1: telephone-event goes at the clock of the codec chosen;
/// a peer with telephone-event/8000 only (common next to Opus) still gets
/// events, counted in 8 kHz.
#[test]
fn telephone_event_follows_the_codec_clock() {
    let sdp = |te: &str| {
        SessionDescription::parse(
            format!(
                "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=audio 5000 RTP/AVP 96 0 98 101\r\na=rtpmap:96 opus/48000/2\r\n{te}"
            )
            .as_bytes(),
        )
        .unwrap()
    };
    let ours = local(vec![CodecKind::OPUS, CodecKind::PCMU]);
    let both = sdp("a=rtpmap:98 telephone-event/48000\r\na=rtpmap:101 telephone-event/8000\r\n");
    let (answer, n) = create_answer(&both, &ours).unwrap();
    assert_eq!(
        (n.telephone_event, n.telephone_event_clock),
        (Some(98), 48000)
    );
    let text = String::from_utf8(answer.to_bytes()).unwrap();
    assert!(
        text.contains("a=rtpmap:98 telephone-event/48000\r\n"),
        "{text}"
    );
    assert!(!text.contains("telephone-event/8000"), "{text}");

    let only_8k = sdp("a=rtpmap:101 telephone-event/8000\r\n");
    let (_, n) = create_answer(&only_8k, &ours).unwrap();
    assert_eq!(
        (n.telephone_event, n.telephone_event_clock),
        (Some(101), 8000)
    );

    // Our offer, their answer with Opus and telephone-event/48000.
    let offer = create_offer(&ours);
    let answer = SessionDescription::parse(
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
          m=audio 5000 RTP/AVP 111 100\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:100 telephone-event/48000\r\n",
    )
    .unwrap();
    let n = hookswitch_media::sdp::apply_answer(&offer, &answer).unwrap();
    assert_eq!(
        (n.telephone_event, n.telephone_event_clock),
        (Some(100), 48000)
    );
}
