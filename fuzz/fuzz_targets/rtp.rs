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
        codec: CodecKind::Pcmu,
        payload_type: 0,
        telephone_event: Some(101),
        direction: Direction::SendRecv,
        ptime: 20,
    });
    for chunk in data.chunks(180) {
        let _ = s.receive(chunk);
    }
    let mut out = Vec::new();
    s.play_frame(&mut out);
    assert_eq!(out.len(), 160);
});
