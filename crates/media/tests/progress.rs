//! Every country's progress tones: the right frequencies while on, and on/off
//! periods as the national plan says (measured from the signal's envelope).

use hookswitch_media::progress::{Country, ProgressTone, ToneGenerator};
use hookswitch_media::tone::{goertzel_power, rms};

const RATE: u32 = 8000;

/// On/off runs in ms, from 10 ms blocks of the signal.
fn runs(samples: &[i16]) -> Vec<(bool, u32)> {
    let mut out: Vec<(bool, u32)> = Vec::new();
    for block in samples.chunks((RATE / 100) as usize) {
        let on = rms(block) > 500.0;
        match out.last_mut() {
            Some((state, ms)) if *state == on => *ms += 10,
            _ => out.push((on, 10)),
        }
    }
    out
}

#[test]
fn every_tone_has_its_frequencies_and_cadence() {
    let tones = [
        ProgressTone::Dial,
        ProgressTone::Ringback,
        ProgressTone::Busy,
        ProgressTone::Congestion,
        ProgressTone::CallWaiting,
    ];
    for country in [
        Country::Us,
        Country::Uk,
        Country::De,
        Country::Fr,
        Country::Itu,
    ] {
        for tone in tones {
            let spec = country.tone(tone);
            let mut generator = ToneGenerator::new(spec, RATE);
            let mut pcm = vec![0i16; RATE as usize * 24];
            // Frame by frame, as the phone plays it.
            for frame in pcm.chunks_mut(160) {
                generator.fill(frame);
            }
            let what = format!("{country:?} {tone:?}");
            // Frequencies: each component strong, off-tone bins weak.
            let first_on = &pcm[..800];
            for f in spec.frequencies {
                let p = goertzel_power(first_on, *f, RATE);
                let off = goertzel_power(first_on, *f + 150.0, RATE);
                assert!(p > off * 100.0, "{what}: {f} Hz not dominant");
            }
            let r = runs(&pcm);
            if spec.cadence.is_empty() {
                assert_eq!(r, vec![(true, 24000)], "{what}: continuous");
                continue;
            }
            // The first full cycle matches the cadence within one block.
            let expected: Vec<(bool, u32)> = spec
                .cadence
                .iter()
                .flat_map(|(on, off)| [(true, *on), (false, *off)])
                .collect();
            for (i, (want, got)) in expected.iter().zip(&r).enumerate() {
                assert_eq!(want.0, got.0, "{what}: run {i}");
                assert!(
                    want.1.abs_diff(got.1) <= 10,
                    "{what}: run {i} {} ms, want {}",
                    got.1,
                    want.1
                );
            }
            // And it repeats: the cycle after it starts sounding again on time.
            let cycle: u32 = expected.iter().map(|r| r.1).sum();
            if cycle < 12000 {
                let at = (cycle as usize) * RATE as usize / 1000;
                assert!(rms(&pcm[at + 40..at + 120]) > 500.0, "{what}: repeats");
            }
        }
    }
}

#[test]
fn tones_work_at_wideband_rates_too() {
    let spec = Country::De.tone(ProgressTone::Dial);
    let mut g = ToneGenerator::new(spec, 48000);
    let mut pcm = vec![0i16; 48000];
    g.fill(&mut pcm);
    let f = hookswitch_media::tone::dominant_frequency(&pcm, 48000, 100.0, 2000.0);
    assert!((f - 425.0).abs() < 1.0, "{f}");
}
