//! Cost per report of the pure HID path: decoding an input report into gestures
//! and encoding the phone's state into output reports, for a Jabra (all LEDs in one
//! report) and a Poly (one report per LED). Run with `cargo xtask bench hid`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use hookswitch_hid::{
    Decoder, DecoderSettings, DeviceState, Encoder, capabilities, descriptor_from_hex, parse,
};

fn load(name: &str) -> hookswitch_hid::ReportDescriptor {
    let path = format!("{}/tests/fixtures/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    parse(&descriptor_from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()).unwrap()
}

fn bench(c: &mut Criterion) {
    for (name, hook_on, hook_off) in [
        (
            "Jabra-EvolveLinkMS",
            [0x02u8, 0x01, 0x00],
            [0x02u8, 0x00, 0x00],
        ),
        (
            "Poly-BlackwireC5220",
            [0x08, 0x02, 0x00],
            [0x08, 0x00, 0x00],
        ),
    ] {
        let d = load(name);
        let raw = std::fs::read_to_string(format!(
            "{}/tests/fixtures/{name}.hex",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let bytes = descriptor_from_hex(&raw).unwrap();
        c.bench_function(&format!("parse_descriptor/{name}"), |b| {
            b.iter(|| parse(black_box(&bytes)).unwrap())
        });
        let mut dec = Decoder::new(
            &d,
            capabilities(&d),
            DecoderSettings {
                debounce: Duration::ZERO,
                ..Default::default()
            },
        );
        let report_len = if name.starts_with("Poly") { 2 } else { 3 };
        let (on, off) = (&hook_on[..report_len], &hook_off[..report_len]);
        let t0 = Instant::now();
        let mut flip = false;
        c.bench_function(&format!("decode_report/{name}"), |b| {
            b.iter(|| {
                flip = !flip;
                dec.decode(black_box(if flip { on } else { off }), t0)
            })
        });
        let mut enc = Encoder::new(&d, &capabilities(&d));
        let states = [
            DeviceState {
                off_hook: true,
                ..Default::default()
            },
            DeviceState {
                off_hook: true,
                mute: true,
                ..Default::default()
            },
        ];
        let mut i = 0;
        c.bench_function(&format!("encode_state_change/{name}"), |b| {
            b.iter(|| {
                i ^= 1;
                enc.encode(black_box(&states[i]))
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
