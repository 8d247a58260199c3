//! Offline PLC comparison: G.711 speech with seeded losses (independent, as
//! `tests/src/impair.rs` draws them) concealed by our `Concealer`, by
//! spandsp's `plc_fillin` (what baresip's plc module uses, loaded from
//! Debian's libspandsp2) and by zeros; writes `ours.wav`, `spandsp.wav` and
//! `zero.wav` for PESQ (see docs/decisions.md D24 for the figures).
//! Usage: cargo run -p hookswitch-media --example plc_compare IN.wav LOSS SEED OUTDIR
//! (IN: 8 kHz mono 16-bit; LOSS: 0.03 for 3 %).
use hookswitch_media::codec::CodecKind;
use hookswitch_media::plc::Concealer;

type Init = unsafe extern "C" fn(*mut libc::c_void) -> *mut libc::c_void;
type Io = unsafe extern "C" fn(*mut libc::c_void, *mut i16, libc::c_int) -> libc::c_int;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (input, loss, seed, out) = (
        &a[1],
        a[2].parse::<f64>().unwrap(),
        a[3].parse::<u64>().unwrap(),
        std::path::PathBuf::from(&a[4]),
    );
    let mut r = hound::WavReader::open(input).unwrap();
    let pcm: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    // SAFETY: dlopen/dlsym with constant NUL-terminated names; the symbols
    // are spandsp's plc API with these C signatures (spandsp/plc.h).
    let lib = unsafe { libc::dlopen(c"libspandsp.so.2".as_ptr(), libc::RTLD_NOW) };
    assert!(
        !lib.is_null(),
        "libspandsp.so.2 (Debian libspandsp2) not found"
    );
    let sym = |n: &std::ffi::CStr| unsafe { libc::dlsym(lib, n.as_ptr()) };
    let init: Init = unsafe { std::mem::transmute(sym(c"plc_init")) };
    let rx: Io = unsafe { std::mem::transmute(sym(c"plc_rx")) };
    let fill: Io = unsafe { std::mem::transmute(sym(c"plc_fillin")) };
    let sp = unsafe { init(std::ptr::null_mut()) };
    let mut ours = Concealer::new(8000);
    let mut codec = CodecKind::PCMU.new_codec();
    let mut state = seed;
    let mut rnd = || {
        state = state.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut o1, mut o2, mut o3) = (Vec::new(), Vec::new(), Vec::new());
    let mut lost = 0;
    for f in pcm.chunks(160) {
        let mut frame = f.to_vec();
        frame.resize(160, 0);
        let mut enc = Vec::new();
        codec.encode(&frame, &mut enc);
        let mut dec = Vec::new();
        codec.decode(&enc, &mut dec);
        if rnd() < loss {
            lost += 1;
            let mut a = Vec::new();
            ours.conceal(160, &mut a);
            o1.extend(a);
            let mut b = vec![0i16; 160];
            unsafe { fill(sp, b.as_mut_ptr(), 160) };
            o2.extend(b);
            o3.extend(std::iter::repeat_n(0, 160));
        } else {
            let mut a = dec.clone();
            ours.good(&mut a);
            o1.extend(a);
            let mut b = dec.clone();
            unsafe { rx(sp, b.as_mut_ptr(), 160) };
            o2.extend(b);
            o3.extend(dec);
        }
    }
    eprintln!("lost {lost}");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    for (name, data) in [("ours", o1), ("spandsp", o2), ("zero", o3)] {
        let mut w = hound::WavWriter::create(out.join(format!("{name}.wav")), spec).unwrap();
        for s in data {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }
}
