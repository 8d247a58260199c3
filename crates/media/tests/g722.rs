//! G.722 against spandsp, the implementation baresip (and Asterisk-era PBXs)
//! use, loaded at run time from Debian's libspandsp2 (installed with
//! baresip-core): our encoder must produce the same bytes and our decoder the
//! same samples, over speech-band tones, a sweep, noise and full-scale clipping.

use std::ffi::{CStr, c_int, c_void};

use hookswitch_media::codec::G722;

type Init = unsafe extern "C" fn(*mut c_void, c_int, c_int) -> *mut c_void;
type Encode = unsafe extern "C" fn(*mut c_void, *mut u8, *const i16, c_int) -> c_int;
type Decode = unsafe extern "C" fn(*mut c_void, *mut i16, *const u8, c_int) -> c_int;
type Free = unsafe extern "C" fn(*mut c_void) -> c_int;

struct Spandsp {
    lib: *mut c_void,
}

impl Spandsp {
    fn open() -> Spandsp {
        // SAFETY: dlopen with a constant NUL-terminated name.
        let lib = unsafe { libc::dlopen(c"libspandsp.so.2".as_ptr(), libc::RTLD_NOW) };
        assert!(
            !lib.is_null(),
            "libspandsp.so.2 not found (Debian package libspandsp2, pulled in by baresip-core): run `cargo xtask setup`"
        );
        Spandsp { lib }
    }

    fn sym<T: Copy>(&self, name: &CStr) -> T {
        // SAFETY: looks a symbol up in the library opened above.
        let p = unsafe { libc::dlsym(self.lib, name.as_ptr()) };
        assert!(!p.is_null(), "{name:?} missing from libspandsp");
        // SAFETY: the caller names the symbol's true C signature as `T`.
        unsafe { std::mem::transmute_copy(&p) }
    }

    fn encode(&self, pcm: &[i16]) -> Vec<u8> {
        let init: Init = self.sym(c"g722_encode_init");
        let encode: Encode = self.sym(c"g722_encode");
        let free: Free = self.sym(c"g722_encode_free");
        let mut out = vec![0u8; pcm.len()];
        // SAFETY: spandsp allocates its state (NULL), 64 kbit/s, no options;
        // `out` has room for len/2 bytes.
        unsafe {
            let s = init(std::ptr::null_mut(), 64000, 0);
            let n = encode(s, out.as_mut_ptr(), pcm.as_ptr(), pcm.len() as c_int);
            free(s);
            out.truncate(n as usize);
        }
        out
    }

    fn decode(&self, bytes: &[u8]) -> Vec<i16> {
        let init: Init = self.sym(c"g722_decode_init");
        let decode: Decode = self.sym(c"g722_decode");
        let free: Free = self.sym(c"g722_decode_free");
        let mut out = vec![0i16; bytes.len() * 2];
        // SAFETY: as above; `out` has room for two samples per byte.
        unsafe {
            let s = init(std::ptr::null_mut(), 64000, 0);
            let n = decode(s, out.as_mut_ptr(), bytes.as_ptr(), bytes.len() as c_int);
            free(s);
            out.truncate(n as usize);
        }
        out
    }
}

/// Four seconds at 16 kHz that visit every quantiser step: tones in both
/// sub-bands, a 50 Hz - 7.9 kHz sweep, noise, silence and clipped full scale.
fn test_signal() -> Vec<i16> {
    let rate = 16000.0;
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        ((seed >> 16) as i32 - 32768) as f64 / 32768.0
    };
    (0..64000)
        .map(|n| {
            let t = n as f64 / rate;
            let v = match n / 16000 {
                0 => {
                    8000.0 * (2.0 * std::f64::consts::PI * 300.0 * t).sin()
                        + 6000.0 * (2.0 * std::f64::consts::PI * 1100.0 * t).sin()
                        + 4000.0 * (2.0 * std::f64::consts::PI * 5200.0 * t).sin()
                }
                1 => {
                    let f = 50.0 + 7850.0 * t.fract();
                    12000.0 * (2.0 * std::f64::consts::PI * f * t.fract() / 2.0).sin()
                }
                2 => {
                    if n % 4000 < 1000 {
                        0.0
                    } else {
                        9000.0 * noise()
                    }
                }
                _ => 60000.0 * (2.0 * std::f64::consts::PI * 700.0 * t).sin(),
            };
            v.clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

#[test]
fn encoder_matches_spandsp_byte_for_byte() {
    let spandsp = Spandsp::open();
    let pcm = test_signal();
    let theirs = spandsp.encode(&pcm);
    let mut ours = Vec::new();
    G722::new().encode_samples(&pcm, &mut ours);
    assert_eq!(ours.len(), pcm.len() / 2);
    let first = ours.iter().zip(&theirs).position(|(a, b)| a != b);
    assert_eq!(first, None, "first differing byte");
    assert_eq!(ours, theirs);
}

#[test]
fn decoder_matches_spandsp_sample_for_sample() {
    let spandsp = Spandsp::open();
    let bytes = spandsp.encode(&test_signal());
    // Also every byte value, in a pseudo-random order.
    let mut all: Vec<u8> = (0..=255u8).cycle().take(8192).collect();
    all.iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = b.wrapping_mul(31).wrapping_add((i * 7) as u8));
    // Below full scale (the first three seconds of the signal) there is
    // nothing to saturate: identical.
    let mut ours = Vec::new();
    G722::new().decode_bytes(&bytes[..24000], &mut ours);
    assert_eq!(ours, spandsp.decode(&bytes[..24000]));
    for input in [bytes, all] {
        let theirs = spandsp.decode(&input);
        let mut ours = Vec::new();
        G722::new().decode_bytes(&input, &mut ours);
        assert_eq!(ours.len(), theirs.len());
        // spandsp casts the synthesis QMF's output to 16 bits, so a result
        // past full scale wraps to the other sign (a loud click); ours
        // saturates (docs/decisions.md). Everywhere else: identical.
        let mut wrapped = 0;
        for (i, (&a, &b)) in ours.iter().zip(&theirs).enumerate() {
            let saturated_where_spandsp_wrapped = a == i16::MAX || a == i16::MIN;
            assert!(
                a == b || saturated_where_spandsp_wrapped,
                "sample {i}: ours {a}, spandsp {b}"
            );
            wrapped += usize::from(a != b);
        }
        println!("{wrapped} samples past full scale (saturated here, wrapped by spandsp)");
    }
}

#[test]
fn a_tone_survives_the_round_trip() {
    let pcm: Vec<i16> = (0..16000)
        .map(|n| {
            (10000.0 * (2.0 * std::f64::consts::PI * 1000.0 * n as f64 / 16000.0).sin()) as i16
        })
        .collect();
    let mut codec = G722::new();
    let (mut bytes, mut back) = (Vec::new(), Vec::new());
    codec.encode_samples(&pcm, &mut bytes);
    codec.decode_bytes(&bytes, &mut back);
    let f = hookswitch_media::tone::dominant_frequency(&back[1600..], 16000, 100.0, 7900.0);
    assert!((f - 1000.0).abs() < 10.0, "{f}");
}
