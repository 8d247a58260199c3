//! SDP parsing and offer/answer on any bytes.
#![no_main]

use hookswitch_media::codec::CodecKind;
use hookswitch_media::sdp::{Direction, LocalMedia, SessionDescription, apply_answer, create_answer, create_offer};
use hookswitch_media::srtp::SrtpMode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else { return };
    let local = LocalMedia {
        address: "192.0.2.1".parse().unwrap(),
        port: 4000,
        codecs: vec![CodecKind::PCMU, CodecKind::PCMA],
        telephone_event: true,
        comfort_noise: true,
        rtcp_xr: true,
        rtcp_mux: true,
        ptime: 20,
        direction: Direction::SendRecv,
        session_id: 1,
        session_version: 1,
        srtp: SrtpMode::Off,
        srtp_key: [5; 30],
    };
    // Every SRTP mode, so the a=crypto paths see the fuzzer's bytes too.
    for srtp in [SrtpMode::Off, SrtpMode::Optional, SrtpMode::Required] {
        let local = LocalMedia { srtp, ..local.clone() };
        let _ = create_answer(&sdp, &local);
        let _ = apply_answer(&create_offer(&local), &sdp);
    }
    let again = sdp.to_string().parse::<SessionDescription>().expect("what parsed must re-parse");
    assert_eq!(again, sdp);
});
