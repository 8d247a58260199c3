//! An encrypted call through two `MediaSession`s: the tone arrives, RTCP reports
//! arrive, and what an eavesdropper or a forger sends is refused and counted.

use std::time::{Duration, Instant};

use hookswitch_media::MediaSession;
use hookswitch_media::codec::{CodecKind, CodecParams};
use hookswitch_media::sdp::{Direction, Negotiated};
use hookswitch_media::srtp::{CryptoSuite, SrtpKeys, new_key};
use hookswitch_media::tone::{Sine, rms};

fn link(srtp: Option<SrtpKeys>, rtcp_mux: bool) -> Negotiated {
    Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::PCMU,
        payload_type: 0,
        telephone_event: Some(101),
        telephone_event_clock: 8000,
        comfort_noise: None,
        rtcp_xr: false,
        rtcp_mux,
        direction: Direction::SendRecv,
        ptime: 20,
        params: CodecParams::default(),
        srtp,
    }
}

fn pair(suite: CryptoSuite, rtcp_mux: bool) -> (MediaSession, MediaSession) {
    let (a_key, b_key) = (new_key(), new_key());
    let a = MediaSession::new(link(
        Some(SrtpKeys {
            suite,
            local: a_key,
            remote: b_key,
        }),
        rtcp_mux,
    ));
    let b = MediaSession::new(link(
        Some(SrtpKeys {
            suite,
            local: b_key,
            remote: a_key,
        }),
        rtcp_mux,
    ));
    (a, b)
}

#[test]
fn an_encrypted_tone_arrives_and_rtcp_too() {
    for suite in CryptoSuite::ALL {
        for mux in [false, true] {
            let (mut a, mut b) = pair(suite, mux);
            assert_eq!(a.srtp_suite(), Some(suite.name()));
            let mut sine = Sine::new(440.0, 8000, 8000);
            let t0 = Instant::now();
            let mut played = Vec::new();
            let mut overheard = Vec::new();
            let mut plain_peer = MediaSession::new(link(None, mux));
            for frame in 0..50u64 {
                let mut pcm = vec![0i16; 160];
                sine.fill(&mut pcm);
                let at = t0 + Duration::from_millis(20 * frame);
                for p in a.send_frame(&pcm) {
                    b.receive(&p, at).unwrap();
                    // Someone without the key takes it for plain RTP.
                    let _ = plain_peer.receive(&p, at);
                }
                b.play_frame(&mut played);
                plain_peer.play_frame(&mut overheard);
            }
            let heard = rms(&played[160 * 10..]);
            assert!(heard > 1000.0, "{suite:?}: the tone is heard ({heard})");
            assert_eq!(b.stats().srtp_refused, 0);
            // What the eavesdropper plays is noise, not the tone: it does not
            // correlate with what the key holder plays at the same instants.
            let similarity = correlation(&played[1600..], &overheard[1600..]);
            assert!(similarity.abs() < 0.2, "{suite:?}: {similarity}");
            assert!(correlation(&played[1600..], &played[1600..]) > 0.99);
            // An RTCP report, multiplexed or on its own port.
            let report = a.rtcp_report(t0 + Duration::from_secs(1), 1 << 32);
            let received = if mux {
                b.receive(&report, t0 + Duration::from_secs(1))
            } else {
                b.receive_rtcp(&report, t0 + Duration::from_secs(1))
            };
            received.unwrap();
            assert_eq!(b.rtcp_stats().reports_received, 1);
            // DTMF events go encrypted too.
            assert!(a.send_dtmf("5"));
            for _ in 0..20 {
                for p in a.send_frame(&[0; 160]) {
                    b.receive(&p, t0 + Duration::from_secs(2)).unwrap();
                }
            }
            assert_eq!(b.poll_dtmf(), Some('5'));
        }
    }
}

#[test]
fn forged_replayed_and_plain_packets_are_refused_and_counted() {
    let (mut a, mut b) = pair(CryptoSuite::AesCm128HmacSha1_80, false);
    let t0 = Instant::now();
    let packets = a.send_frame(&[100; 160]);
    let p = &packets[0];
    b.receive(p, t0).unwrap();
    // The same packet again (a replay).
    assert!(b.receive(p, t0).is_err());
    // A flipped payload bit.
    let mut forged = a.send_frame(&[100; 160]).remove(0);
    forged[20] ^= 0x40;
    assert!(b.receive(&forged, t0).is_err());
    // Plain RTP from someone without the key.
    let mut plain = MediaSession::new(link(None, false));
    let clear = plain.send_frame(&[100; 160]).remove(0);
    assert!(b.receive(&clear, t0).is_err());
    // Garbage and truncated packets.
    assert!(b.receive(&[0x80, 0, 0], t0).is_err());
    assert!(b.receive_rtcp(&[0x80, 201, 0, 1, 1, 2, 3, 4], t0).is_err());
    assert_eq!(b.stats().srtp_refused, 5);
    assert_eq!(b.stats().packets_received, 1);
}

/// Normalised cross-correlation at lag 0.
fn correlation(a: &[i16], b: &[i16]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let energy = |v: &[i16]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>();
    dot / (energy(a) * energy(b)).sqrt().max(1.0)
}
