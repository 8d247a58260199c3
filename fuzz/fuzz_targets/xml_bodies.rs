//! The XML bodies SIP brings (is-composing now; PIDF and dialog-info join
//! here): any bytes through the safe tree and each body's reader. Nothing
//! may panic, and the tree's caps must hold on whatever parses.
#![no_main]

use hookswitch_sip::bodies::{is_composing, xml};
use libfuzzer_sys::fuzz_target;

fn depth(e: &xml::Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = xml::parse(data) {
        assert!(depth(&root) <= xml::MAX_DEPTH);
    }
    let _ = is_composing::parse(data);
});
