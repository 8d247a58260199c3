//! G.711 against an independent implementation (SoX) and the quantiser's own
//! definition. SoX rounds 16-bit input to 14 (µ-law) or 13 (A-law) bits before
//! encoding and negates µ-law magnitudes (Sun code) where ITU-T G.191 takes the one's
//! complement; so its encodings are an exact reference only for inputs that
//! rounding cannot move: non-negative multiples of 4 (µ-law), multiples of 8 (A-law).
//! Decoding is exact for every code.

use hookswitch_media::codec::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn check_encode(name: &str, encode: fn(i16) -> u8, exact: fn(i16) -> bool) {
    let reference = fixture(name);
    assert_eq!(reference.len(), 65536);
    let mismatches: Vec<(i16, u8, u8)> = (i16::MIN..=i16::MAX)
        .zip(&reference)
        .filter(|(s, _)| exact(*s))
        .map(|(s, &r)| (s, encode(s), r))
        .filter(|(_, ours, r)| ours != r)
        .collect();
    assert!(
        mismatches.is_empty(),
        "{name}: {} mismatches, first {:?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(5)]
    );
}

fn check_decode(name: &str, decode: fn(u8) -> i16) {
    let reference = fixture(name);
    for b in 0..=255u8 {
        let r = i16::from_le_bytes([reference[2 * b as usize], reference[2 * b as usize + 1]]);
        assert_eq!(decode(b), r, "{name}: byte {b:#04x}");
    }
}

#[test]
fn ulaw_matches_reference() {
    check_encode("g711_ulaw_encode_all.bin", linear_to_ulaw, |s| {
        s >= 0 && s % 4 == 0 && s < 32764
    });
    check_decode("g711_ulaw_decode_all.s16le", ulaw_to_linear);
}

#[test]
fn alaw_matches_reference() {
    check_encode("g711_alaw_encode_all.bin", linear_to_alaw, |s| {
        s % 8 == 0 && s > -32760 && s < 32760
    });
    check_decode("g711_alaw_decode_all.s16le", alaw_to_linear);
}

/// Every input lands in the quantisation interval of its code: the decoded value
/// is within half a step (plus G.191's one-unit offset for negatives) of the input.
#[test]
fn every_input_is_quantised_to_its_interval() {
    for s in i16::MIN..=i16::MAX {
        for (law, enc, dec, max_err) in [
            (
                "ulaw",
                linear_to_ulaw as fn(i16) -> u8,
                ulaw_to_linear as fn(u8) -> i16,
                1024 + 4,
            ),
            ("alaw", linear_to_alaw, alaw_to_linear, 512 + 8),
        ] {
            let back = i32::from(dec(enc(s)));
            let err = (i32::from(s) - back).abs();
            // Step size grows with the segment: half a step is |x|/32 at most, or the
            // clip region at the top of the range.
            let bound = (i32::from(s).abs() / 32).max(8) + 8;
            assert!(
                err <= bound.min(max_err) || i32::from(s).abs() > 31_000,
                "{law}: {s} -> {back}"
            );
            assert!(
                back.signum() * i32::from(s).signum() >= 0,
                "{law}: sign of {s}"
            );
        }
    }
}

#[test]
fn well_known_values() {
    // ITU-T G.191: -1 is µ-law 0x7F (negative zero); the Sun code gives 0x7E.
    assert_eq!(linear_to_ulaw(-1), 0x7F);
    assert_eq!(linear_to_ulaw(32767), 0x80);
    assert_eq!(linear_to_ulaw(-32768), 0x00);
    assert_eq!(linear_to_ulaw(0), 0xFF);
    assert_eq!(ulaw_to_linear(0xFF), 0);
    assert_eq!(ulaw_to_linear(0x00), -32124);
    assert_eq!(linear_to_alaw(0), 0xD5);
    assert_eq!(alaw_to_linear(0xD5), 8);
    assert_eq!(alaw_to_linear(0x55), -8);
}

#[test]
fn decode_encode_is_identity_on_codewords() {
    for b in 0..=255u8 {
        // 0x7F (negative zero in µ-law) encodes back as 0xFF.
        if b != 0x7F {
            assert_eq!(linear_to_ulaw(ulaw_to_linear(b)), b, "ulaw {b:#x}");
        }
        assert_eq!(linear_to_alaw(alaw_to_linear(b)), b, "alaw {b:#x}");
    }
}
