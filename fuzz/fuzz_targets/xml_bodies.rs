//! The XML bodies SIP brings (is-composing, PIDF, dialog-info): any bytes through the safe tree and each body's reader. Nothing
//! may panic, and the tree's caps must hold on whatever parses.
#![no_main]

use hookswitch_sip::bodies::{dialog_info, is_composing, pidf, xml};
use libfuzzer_sys::fuzz_target;

fn depth(e: &xml::Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = xml::parse(data) {
        assert!(depth(&root) <= xml::MAX_DEPTH);
    }
    let _ = is_composing::parse(data);
    if let Ok(p) = pidf::parse(data) {
        // What we read, we can write, and read back the same.
        let doc = pidf::document("sip:x@example.com", &p, "f");
        if p.availability != pidf::Availability::Unknown {
            assert_eq!(pidf::parse(&doc).ok(), Some(p));
        }
    }
    if let Ok(info) = dialog_info::parse(data) {
        let mut lamp = dialog_info::LampState::default();
        let _ = lamp.apply(info);
        let _ = lamp.lamp();
    }
});
