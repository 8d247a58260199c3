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
    fn the_index_finds_what_a_scan_finds(ops in proptest::collection::vec((0i64..20, any::<bool>(), "[a-c]{1,4}"), 1..60), query in "[a-c]{1,2}") {
        let mut index = Index::new(NumberPlan::default());
        let mut model: std::collections::BTreeMap<i64, String> = Default::default();
        for (id, insert, name) in ops {
            if insert {
                index.insert(hookswitch_directory::search::Entry {
                    id, name: name.clone(), also: vec![], addresses: vec![], favourite: false, calls: 0,
                });
                model.insert(id, name);
            } else {
                index.remove(id);
                model.remove(&id);
            }
        }
        prop_assert_eq!(index.len(), model.len());
        let mut found: Vec<i64> = index.search(&query, 100).iter().map(|h| h.id).collect();
        found.sort();
        let expected: Vec<i64> = model.iter().filter(|(_, n)| n.contains(&query)).map(|(id, _)| *id).collect();
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn a_shorter_limit_is_the_start_of_a_longer_one(
        people in proptest::collection::vec(("[ab]{1,3}( [ab]{1,3})?", any::<bool>(), 0u32..3), 1..80),
        query in "[ab]{1,2}",
        limit in 1usize..10,
    ) {
        let mut index = Index::new(NumberPlan::default());
        for (id, (name, favourite, calls)) in people.iter().enumerate() {
            index.insert(hookswitch_directory::search::Entry {
                id: id as i64, name: name.clone(), also: vec![], addresses: vec![],
                favourite: *favourite, calls: *calls,
            });
        }
        let all: Vec<_> = index.search(&query, 1000);
        let some: Vec<_> = index.search(&query, limit);
        prop_assert_eq!(&some[..], &all[..limit.min(all.len())]);
        // Against a model: a scan of everyone, ranked by the stated rule.
        let mut model: Vec<(bool, u8, std::cmp::Reverse<u32>, String, i64)> = people
            .iter()
            .enumerate()
            .filter_map(|(id, (name, favourite, calls))| {
                let quality = if name.starts_with(query.as_str()) {
                    0
                } else if name.split(' ').any(|w| w.starts_with(query.as_str())) {
                    1
                } else if name.contains(query.as_str()) {
                    2
                } else {
                    return None;
                };
                Some((!favourite, quality, std::cmp::Reverse(*calls), name.clone(), id as i64))
            })
            .collect();
        model.sort();
        let expected: Vec<i64> = model.iter().take(limit).map(|m| m.4).collect();
        let got: Vec<i64> = some.iter().map(|h| h.id).collect();
        prop_assert_eq!(got, expected);
        // Ranked: favourites, then quality, then calls.
        for w in all.windows(2) {
            let key = |h: &hookswitch_directory::Hit| (!h.favourite, h.quality, std::cmp::Reverse(h.calls));
            prop_assert!(key(&w[0]) <= key(&w[1]), "{:?}", all);
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

proptest! {
    #[test]
    fn server_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut rest = &bytes[..];
        while let Ok(Some((_, _, used))) = hookswitch_directory::ldap::message::read(rest) {
            rest = &rest[used..];
        }
        let _ = hookswitch_directory::carddav::multistatus(&bytes);
    }

    #[test]
    fn anything_typed_stays_one_value_of_the_filter(text in "\\PC{0,40}") {
        use hookswitch_directory::ldap::filter;
        let filled = filter::fill("(|(cn=*{text}*)(mail={text}))", &[("text", &text)]);
        let encoded = filter::encode(&filled);
        prop_assert!(encoded.is_ok(), "{filled}: {encoded:?}");
        prop_assert_eq!(encoded.unwrap()[0], 0xa1);
    }
}
