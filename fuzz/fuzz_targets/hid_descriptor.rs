//! HID report descriptors of any shape through the parser and capability reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = hookswitch_hid::parse(data) {
        let c = hookswitch_hid::capabilities(&d);
        for o in &c.outputs {
            assert!(((o.bit_offset + o.bit_size) as usize).div_ceil(8) <= o.report_len);
        }
    }
});
