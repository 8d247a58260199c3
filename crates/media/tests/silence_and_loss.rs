//! What the listener hears when packets stop: comfort noise while the peer is
//! silent (RFC 3389), pitch repetition when G.711 packets are lost (G.711
//! Appendix I), both through a whole `MediaSession`.

use std::time::{Duration, Instant};

use hookswitch_media::MediaSession;
use hookswitch_media::codec::{CodecKind, CodecParams};
use hookswitch_media::comfort_noise::NoiseDescription;
use hookswitch_media::rtp::RtpPacket;
use hookswitch_media::sdp::{Direction, Negotiated};
use hookswitch_media::tone::{Sine, rms};

fn link() -> Negotiated {
    Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::PCMU,
        payload_type: 0,
        telephone_event: None,
        telephone_event_clock: 8000,
        comfort_noise: Some(13),
        rtcp_xr: false,
        rtcp_mux: false,
        direction: Direction::SendRecv,
        ptime: 20,
        params: CodecParams::default(),
        srtp: None,
    }
}

fn packet(payload_type: u8, sequence: u16, frame: u32, payload: Vec<u8>) -> Vec<u8> {
    RtpPacket {
        payload_type,
        marker: false,
        sequence,
        timestamp: frame * 160,
        ssrc: 42,
        payload,
    }
    .to_bytes()
}

/// Speech, then a SID and 40 frames with no packets (the peer's DTX), then
/// speech again: the gap is noise at the SID's level, not silence, and not
/// counted as loss.
#[test]
fn a_silent_peer_is_heard_as_comfort_noise() {
    let mut b = MediaSession::new(link());
    let mut codec = CodecKind::PCMU.new_codec();
    let mut sine = Sine::new(440.0, 8000, 8000);
    let t0 = Instant::now();
    let at = |frame: u32| t0 + Duration::from_millis(20 * u64::from(frame));
    let mut speech = |seq: u16, frame: u32| {
        let mut pcm = vec![0i16; 160];
        sine.fill(&mut pcm);
        let mut payload = Vec::new();
        codec.encode(&pcm, &mut payload);
        packet(0, seq, frame, payload)
    };
    let sid = NoiseDescription {
        level_dbov: 50,
        reflection: vec![0.3],
    };
    let mut played = Vec::new();
    let mut seq = 100u16;
    for frame in 0..80u32 {
        if !(20..60).contains(&frame) {
            b.receive(&speech(seq, frame), at(frame)).unwrap();
            seq += 1;
        } else if frame == 20 {
            b.receive(&packet(13, seq, frame, sid.to_payload()), at(frame))
                .unwrap();
            seq += 1;
        }
        b.play_frame(&mut played);
    }
    let frame_at = |f: usize| &played[f * 160..(f + 1) * 160];
    // Well inside the gap (the buffer delays playout by a few frames).
    let gap: Vec<i16> = (30..55).flat_map(|f| frame_at(f).to_vec()).collect();
    let expected = 32767.0 * 10f64.powf(-50.0 / 20.0);
    let level = rms(&gap);
    assert!(
        (level / expected - 1.0).abs() < 0.2,
        "noise at {level:.0}, expected {expected:.0}"
    );
    let stats = b.stats();
    assert!(stats.comfort_noise_frames >= 30, "{stats:?}");
    assert_eq!(stats.jitter.concealed, 0, "silence is not loss: {stats:?}");
    // Speech is back at the end.
    assert!(rms(frame_at(78)) > 3000.0);
}

/// A voiced sound over PCMU with every fifth packet lost: the lost frames are
/// rebuilt from the pitch, far closer to what was said than silence.
#[test]
fn lost_g711_frames_are_rebuilt_from_the_pitch() {
    let mut b = MediaSession::new(link());
    let mut codec = CodecKind::PCMU.new_codec();
    // A voice with vibrato (the pitch glides 120-140 Hz), so no frame is a
    // copy of an earlier one.
    let voice = |i: usize| -> i16 {
        let t = i as f64 / 8000.0;
        let tau = 2.0 * std::f64::consts::PI;
        let phase = tau * (130.0 * t - 10.0 / (tau * 0.7) * (tau * 0.7 * t).cos());
        let v: f64 = (1..=4).map(|h| (phase * h as f64).sin() / h as f64).sum();
        (v * 7000.0) as i16
    };
    let t0 = Instant::now();
    let mut played = Vec::new();
    let mut lost = Vec::new();
    for frame in 0..60u32 {
        let pcm: Vec<i16> = (0..160).map(|i| voice(frame as usize * 160 + i)).collect();
        let mut payload = Vec::new();
        codec.encode(&pcm, &mut payload);
        if frame % 5 == 4 && frame > 10 {
            lost.push(frame as usize);
        } else {
            let at = t0 + Duration::from_millis(20 * u64::from(frame));
            b.receive(&packet(0, frame as u16, frame, payload), at)
                .unwrap();
        }
        b.play_frame(&mut played);
    }
    // Playout runs behind the stream by the buffer's depth: find it.
    let said: Vec<i16> = (0..60 * 160).map(voice).collect();
    let delay = (0..1600)
        .min_by_key(|d| {
            let start = 5 * 160;
            (start..start + 800)
                .map(|i| (i64::from(played[i + d]) - i64::from(said[i])).abs())
                .sum::<i64>()
        })
        .unwrap();
    let snr = |truth: &[i16], heard: &[i16]| {
        let signal: f64 = truth.iter().map(|&v| f64::from(v).powi(2)).sum();
        let noise: f64 = truth
            .iter()
            .zip(heard)
            .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
            .sum();
        10.0 * (signal / noise.max(1.0)).log10()
    };
    let played_lost: Vec<usize> = lost
        .iter()
        .copied()
        .filter(|&f| (f + 1) * 160 + delay <= played.len())
        .collect();
    let snr_of_lost: Vec<f64> = played_lost
        .iter()
        .map(|&f| {
            snr(
                &said[f * 160..(f + 1) * 160],
                &played[f * 160 + delay..(f + 1) * 160 + delay],
            )
        })
        .collect();
    // What simpler softphones do: the previous frame again, 6 dB down.
    let repeated: Vec<f64> = played_lost
        .iter()
        .map(|&f| {
            let again: Vec<i16> = said[(f - 1) * 160..f * 160]
                .iter()
                .map(|v| v >> 1)
                .collect();
            snr(&said[f * 160..(f + 1) * 160], &again)
        })
        .collect();
    let baseline = repeated.iter().sum::<f64>() / repeated.len().max(1) as f64;
    assert!(!snr_of_lost.is_empty());
    let mean = snr_of_lost.iter().sum::<f64>() / snr_of_lost.len() as f64;
    // Silence would be 0 dB.
    assert!(mean > 6.0, "SNR of the rebuilt frames: {snr_of_lost:?}");
    println!(
        "SNR of rebuilt frames: mean {mean:.1} dB, each {snr_of_lost:.1?}; repeating the last frame: {baseline:.1} dB"
    );
    assert!(mean > baseline + 6.0);
    // Each loss played so far was concealed once (the last may still be queued).
    let concealed = b.stats().jitter.concealed as usize;
    assert!(
        (snr_of_lost.len()..=lost.len()).contains(&concealed),
        "{concealed}"
    );
}
