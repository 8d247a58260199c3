//! No descriptor, however broken, panics the parser or the capability reader.

use hookswitch_hid::{capabilities, descriptor_from_hex, parse};
use proptest::prelude::*;

const FIXTURES: [&str; 7] = [
    "EPOS-ImpactDW",
    "Jabra-BIZ2400II",
    "Jabra-EvolveLinkMS",
    "Jabra-Speak810",
    "Logitech-G535",
    "Poly-BT700",
    "Poly-BlackwireC5220",
];

fn fixture(i: usize) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/{}.hex",
        env!("CARGO_MANIFEST_DIR"),
        FIXTURES[i]
    );
    descriptor_from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(d) = parse(&bytes) {
            let _ = capabilities(&d);
        }
    }

    #[test]
    fn mutated_real_descriptors(i in 0..FIXTURES.len(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = fixture(i);
        for (at, b) in edits {
            let n = at.index(bytes.len());
            bytes[n] = b;
        }
        if let Ok(d) = parse(&bytes) {
            let c = capabilities(&d);
            // Whatever is reported lies inside a report the descriptor declares.
            for o in &c.outputs {
                prop_assert!(((o.bit_offset + o.bit_size) as usize).div_ceil(8) <= o.report_len);
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_reports_never_panic(i in 0..FIXTURES.len(), reports in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..30)) {
        let d = parse(&fixture(i)).unwrap();
        let caps = capabilities(&d);
        let mut enc = hookswitch_hid::Encoder::new(&d, &caps);
        let mut dec = hookswitch_hid::Decoder::new(&d, caps, hookswitch_hid::DecoderSettings::default());
        let t0 = std::time::Instant::now();
        for (n, r) in reports.iter().enumerate() {
            let _ = dec.decode(r, t0 + std::time::Duration::from_millis(n as u64 * 7));
        }
        let state = hookswitch_hid::DeviceState { off_hook: reports.len() % 2 == 0, ..Default::default() };
        for report in enc.encode(&state) {
            prop_assert!(!report.is_empty());
        }
    }
}

proptest! {
    /// The tools' hex form reads back as the bytes it was written from.
    #[test]
    fn hex_lines_read_back(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(hookswitch_hid::hex_bytes(&hookswitch_hid::hex_line(&bytes)), Ok(bytes));
    }
}

#[test]
fn hex_bytes_take_0x_and_refuse_what_is_not_a_byte() {
    assert_eq!(hookswitch_hid::hex_bytes("0x02 03\t0a"), Ok(vec![2, 3, 10]));
    for bad in ["+1", "0x", "100", "zz", "02 -1"] {
        assert!(hookswitch_hid::hex_bytes(bad).is_err(), "{bad:?}");
    }
}
