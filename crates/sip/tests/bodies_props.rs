//! Property tests of the XML bodies read from the network: any bytes, and
//! valid documents cut or spliced anywhere, give a value or an error, never
//! a panic; what parses respects the caps; a tree written out as XML with
//! any text in it reads back the same.

use hookswitch_sip::bodies::{dialog_info, is_composing, pidf, xml};
use proptest::prelude::*;

fn depth(e: &xml::Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const SEEDS: [&str; 3] = [
    r#"<?xml version="1.0"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>90</refresh></isComposing>"#,
    r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:b@h"><tuple id="a"><status><basic>open</basic></status><note>x &amp; y</note></tuple></presence>"#,
    r#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:1@h"><dialog id="d" call-id="c" local-tag="l" remote-tag="r" direction="recipient"><state>early</state></dialog></dialog-info>"#,
];

proptest! {
    #[test]
    fn any_bytes_give_a_tree_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(root) = xml::parse(&bytes) {
            prop_assert!(depth(&root) <= xml::MAX_DEPTH);
        }
        let _ = is_composing::parse(&bytes);
        let _ = pidf::parse(&bytes);
        if let Ok(info) = dialog_info::parse(&bytes) {
            let mut lamp = dialog_info::LampState::default();
            let _ = lamp.apply(info);
            let _ = lamp.lamp();
        }
    }

    #[test]
    fn valid_documents_cut_or_spliced_never_panic(
        seed in 0..SEEDS.len(),
        cut in 0usize..400,
        splice in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let doc = SEEDS[seed].as_bytes();
        let at = cut.min(doc.len());
        let mut bytes = doc[..at].to_vec();
        bytes.extend_from_slice(&splice);
        bytes.extend_from_slice(&doc[at..]);
        let _ = xml::parse(&bytes);
        let _ = xml::parse(&doc[..at]);
        let _ = is_composing::parse(&bytes);
        let _ = pidf::parse(&bytes);
        let _ = dialog_info::parse(&bytes);
    }

    #[test]
    fn our_presence_reads_back_whatever_the_note(
        which in 0usize..6,
        note in proptest::option::of("[^\u{0}-\u{1f}\u{7f}\u{fffe}\u{ffff}]{1,80}"),
    ) {
        use pidf::Availability::*;
        let availability = [Available, Away, Busy, DoNotDisturb, OnThePhone, Offline][which];
        let p = pidf::Presence { availability, note: note.clone() };
        let doc = pidf::document("sip:a@example.com", &p, "1");
        let back = pidf::parse(&doc).unwrap();
        prop_assert_eq!(back.availability, availability);
        prop_assert_eq!(back.note, note.as_deref().and_then(pidf::clean_note));
    }

    #[test]
    fn text_and_attributes_read_back_as_written(
        text in "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}]{0,64}",
        value in "[a-zA-Z0-9 &<>\"'.:@;=-]{0,32}",
    ) {
        let doc = format!(
            "<root a=\"{}\"><child>{}</child></root>",
            escape(&value),
            escape(&text)
        );
        let root = xml::parse(doc.as_bytes()).unwrap();
        prop_assert_eq!(root.attribute("a"), Some(value.as_str()));
        // XML 1.0 reads a lone CR as a line end.
        let expected = text.replace("\r\n", "\n").replace('\r', "\n");
        prop_assert_eq!(&root.child("child").unwrap().text, &expected);
    }
}
