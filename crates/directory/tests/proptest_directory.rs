//! Properties: no input makes the vCard reader or the number plan panic,
//! what we write reads back as it was, and folding is idempotent.

use hookswitch_directory::contact::{Address, AddressKind, Contact};
use hookswitch_directory::fold::fold;
use hookswitch_directory::vcard::{self, Version};
use hookswitch_directory::{Index, NumberPlan};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Letters with diacritics, the characters vCard escapes, and newlines.
    "[a-zA-ZäöüßÖçñ ,;:\\\\\n\"é0-9]{1,40}"
}

fn contact() -> impl Strategy<Value = Contact> {
    (
        text(),
        proptest::option::of(text()),
        proptest::collection::vec(("[a-z]{0,8}", "\\+?[0-9]{3,14}"), 0..4),
        proptest::collection::vec("[a-z]{1,8}@[a-z]{1,8}\\.example", 0..3),
        any::<bool>(),
        proptest::option::of(1u8..=9),
        proptest::option::of(text()),
    )
        .prop_filter("a name", |(name, ..)| !name.trim().is_empty())
        .prop_map(
            |(name, org, tels, sips, favourite, speed_dial, note)| Contact {
                uid: "urn:uuid:1".into(),
                name: name.trim().to_string(),
                organization: org,
                department: None,
                title: None,
                addresses: tels
                    .iter()
                    .map(|(l, v)| Address::tel(l, v))
                    .chain(sips.iter().map(|s| Address::sip("", &format!("sip:{s}"))))
                    .collect(),
                emails: vec![],
                note,
                favourite,
                speed_dial,
                extra: vec![],
            },
        )
}

proptest! {
    #[test]
    fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = vcard::parse(&bytes);
    }

    #[test]
    fn any_card_shaped_text_is_read_without_panicking(lines in proptest::collection::vec("[A-Za-z0-9;:=,\"\\.\\- \t]{0,30}", 0..30)) {
        let text = format!("BEGIN:VCARD\n{}\nEND:VCARD\n", lines.join("\n"));
        let parsed = vcard::parse(text.as_bytes());
        prop_assert_eq!(parsed.contacts.len() + parsed.errors.len() >= 1, true);
    }

    #[test]
    fn written_cards_read_back(c in contact(), v4 in any::<bool>()) {
        let version = if v4 { Version::V4 } else { Version::V3 };
        let text = vcard::write(std::slice::from_ref(&c), version);
        let parsed = vcard::parse(text.as_bytes());
        prop_assert!(parsed.errors.is_empty(), "{:?}\n{}", parsed.errors, text);
        let back = &parsed.contacts[0];
        prop_assert_eq!(&back.name, &c.name);
        prop_assert_eq!(&back.note, &c.note.clone().filter(|n| !n.is_empty()));
        prop_assert_eq!(back.favourite, c.favourite);
        prop_assert_eq!(back.speed_dial, c.speed_dial);
        prop_assert_eq!(back.addresses.len(), c.addresses.len());
        for (a, b) in back.addresses.iter().zip(&c.addresses) {
            prop_assert_eq!(a.kind, b.kind);
            if a.kind == AddressKind::Tel {
                prop_assert_eq!(hookswitch_directory::fold::digits(&a.value), hookswitch_directory::fold::digits(&b.value));
            } else {
                prop_assert_eq!(&a.value, &b.value);
            }
        }
    }

    #[test]
    fn folding_twice_is_folding_once(s in "\\PC{0,40}") {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn numbers_and_searches_never_panic(s in "\\PC{0,40}") {
        let plan = NumberPlan::new(Some("DE"), None).unwrap();
        let _ = plan.key(&s);
        let mut index = Index::new(plan);
        index.insert(hookswitch_directory::search::Entry {
            id: 1, name: s.clone(), also: vec![], addresses: vec![s.clone()], favourite: false, calls: 0,
        });
        let _ = index.search(&s, 5);
    }
}
