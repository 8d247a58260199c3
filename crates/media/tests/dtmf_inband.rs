//! In-band DTMF detection: every key at narrowband and wideband rates, through
//! noise and through the codecs, short pauses, and no false keys from speech-like
//! sound or progress tones.

use hookswitch_media::codec::CodecKind;
use hookswitch_media::dtmf_inband::{InbandDetector, generate};
use hookswitch_media::progress::{Country, ProgressTone, ToneGenerator};

const ALL: &str = "0123456789*#ABCD";

fn detect(pcm: &[i16], rate: u32) -> String {
    let mut d = InbandDetector::new(rate);
    // In 20 ms frames, as the media session feeds it.
    pcm.chunks((rate / 50) as usize)
        .flat_map(|f| d.feed(f))
        .collect()
}

fn keys(text: &str, rate: u32, ms: u32, gap: u32) -> Vec<i16> {
    let mut pcm = Vec::new();
    for k in text.chars() {
        generate(k, rate, ms, gap, &mut pcm);
    }
    pcm
}

#[test]
fn every_key_at_8_16_and_48_khz() {
    for rate in [8000, 16000, 48000] {
        assert_eq!(detect(&keys(ALL, rate, 60, 60), rate), ALL, "{rate} Hz");
    }
}

#[test]
fn repeated_keys_need_a_pause_and_get_one() {
    assert_eq!(detect(&keys("5555", 8000, 50, 40), 8000), "5555");
    // One long press is one key.
    assert_eq!(detect(&keys("7", 8000, 600, 0), 8000), "7");
}

#[test]
fn keys_survive_noise_and_g711() {
    let mut pcm = keys(ALL, 8000, 60, 60);
    let mut seed = 7u32;
    for s in pcm.iter_mut() {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = ((seed >> 16) % 1000) as i16 - 500; // about 20 dB below the keys
        *s = s.saturating_add(noise);
    }
    let mut codec = CodecKind::PCMU.new_codec();
    let (mut bytes, mut back) = (Vec::new(), Vec::new());
    codec.encode(&pcm, &mut bytes);
    codec.decode(&bytes, &mut back);
    assert_eq!(detect(&back, 8000), ALL);
}

#[test]
fn speech_like_sound_and_progress_tones_are_not_keys() {
    // A vowel: a 140 Hz voice with harmonics falling 6 dB per octave.
    let vowel: Vec<i16> = (0..16000)
        .map(|i| {
            let t = i as f64 / 8000.0;
            let v: f64 = (1..25)
                .map(|h| (2.0 * std::f64::consts::PI * 140.0 * h as f64 * t).sin() / h as f64)
                .sum();
            (v * 6000.0) as i16
        })
        .collect();
    assert_eq!(detect(&vowel, 8000), "");
    for country in [Country::Us, Country::Uk, Country::De] {
        for tone in [
            ProgressTone::Dial,
            ProgressTone::Ringback,
            ProgressTone::Busy,
        ] {
            let mut pcm = vec![0i16; 16000];
            ToneGenerator::new(country.tone(tone), 8000).fill(&mut pcm);
            assert_eq!(detect(&pcm, 8000), "", "{country:?} {tone:?}");
        }
    }
}

#[test]
fn a_media_session_without_telephone_events_hears_keys_in_the_audio() {
    use hookswitch_media::MediaSession;
    use hookswitch_media::sdp::{Direction, Negotiated};
    let link = |te: Option<u8>| Negotiated {
        remote: Some("127.0.0.1:4000".parse().unwrap()),
        codec: CodecKind::G722,
        payload_type: 9,
        telephone_event: te,
        telephone_event_clock: 8000,
        comfort_noise: None,
        rtcp_xr: false,
        rtcp_mux: false,
        direction: Direction::SendRecv,
        ptime: 20,
        params: Default::default(),
        srtp: None,
    };
    let audio = keys("90#", 16000, 80, 80);
    for (te, expected) in [(None, "90#"), (Some(101), "")] {
        let mut sender = MediaSession::new(link(None));
        let mut receiver = MediaSession::new(link(te));
        let mut played = Vec::new();
        let t0 = std::time::Instant::now();
        for (i, frame) in audio.chunks(320).enumerate() {
            let at = t0 + std::time::Duration::from_millis(20 * i as u64);
            for p in sender.send_frame(frame) {
                receiver.receive(&p, at).unwrap();
            }
            receiver.play_frame(&mut played);
        }
        let heard: String = std::iter::from_fn(|| receiver.poll_dtmf()).collect();
        // With RFC 4733 negotiated, tones in the audio are not keys (the
        // events are): no double keys.
        assert_eq!(heard, expected, "telephone-event {te:?}");
        assert_eq!(receiver.stats().dtmf_received_inband, expected.len() as u64);
    }
}
