//! RTP, RFC 4733 events and the media session on any packet.
#![no_main]

use hookswitch_media::MediaSession;
use hookswitch_media::codec::CodecKind;
use hookswitch_media::rtp::RtpPacket;
use hookswitch_media::sdp::{Direction, Negotiated};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = RtpPacket::parse(data);
    let mut s = MediaSession::new(Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::PCMU,
        payload_type: 0,
        telephone_event: Some(101),
        telephone_event_clock: 8000,
        comfort_noise: Some(13),
        rtcp_xr: true,
        rtcp_mux: true,
        direction: Direction::SendRecv,
        ptime: 20,
        params: Default::default(),
        srtp: None,
    });
    let t0 = std::time::Instant::now();
    let mut out = Vec::new();
    // Playing after each packet walks the concealment and comfort-noise paths.
    for (i, chunk) in data.chunks(180).enumerate() {
        let at = t0 + std::time::Duration::from_millis(20 * i as u64);
        let _ = s.receive(chunk, at);
        let _ = s.receive_rtcp(chunk, at);
        out.clear();
        s.play_frame(&mut out);
        assert_eq!(out.len(), 160);
    }
    // The same bytes into an encrypted session: refused, never a panic.
    let keys = hookswitch_media::srtp::SrtpKeys {
        suite: hookswitch_media::srtp::CryptoSuite::AesCm128HmacSha1_32,
        local: [7; 30],
        remote: [9; 30],
    };
    if let Ok(mut srtp) = hookswitch_media::srtp::Srtp::new(&keys) {
        for chunk in data.chunks(180) {
            let _ = srtp.unprotect_rtp(chunk);
            let _ = srtp.unprotect_rtcp(chunk);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = hookswitch_media::srtp::CryptoAttribute::parse(text);
    }
    let _ = hookswitch_media::rtcp::packet::parse(data);
    if let Some(d) = hookswitch_media::comfort_noise::NoiseDescription::parse(data) {
        let mut cn = hookswitch_media::comfort_noise::ComfortNoise::new(1);
        cn.update(&d);
        out.clear();
        cn.generate(320, &mut out);
        assert_eq!(out.len(), 320);
    }
});
