//! HID report descriptors of any shape through the parser and capability reader,
//! then the rest of the input as reports through the decoder and the encoder.
#![no_main]

use std::time::{Duration, Instant};

use hookswitch_hid::{Decoder, DecoderSettings, DeviceState, Encoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: descriptor length; then the descriptor; then reports split at 0xFF.
    let Some((&n, rest)) = data.split_first() else { return };
    let (descriptor, reports) = rest.split_at(usize::from(n).min(rest.len()));
    let Ok(d) = hookswitch_hid::parse(descriptor) else { return };
    let c = hookswitch_hid::capabilities(&d);
    for o in &c.outputs {
        assert!(((o.bit_offset + o.bit_size) as usize).div_ceil(8) <= o.report_len);
    }
    let mut enc = Encoder::new(&d, &c);
    let mut dec = Decoder::new(&d, c, DecoderSettings::default());
    let t0 = Instant::now();
    for (i, r) in reports.split(|&b| b == 0xFF).enumerate() {
        let _ = dec.decode(r, t0 + Duration::from_millis(i as u64 * 10));
    }
    let _ = enc.encode(&DeviceState { off_hook: true, ring: true, ..Default::default() });
});
