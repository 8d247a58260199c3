//! Search as you type over contacts from every source. Names, organisation
//! and department are folded once (see [`crate::fold`]); numbers are kept
//! as digit strings in each form a user may type. A query matches when
//! every word of it is found: as the start of a word of the name (best),
//! anywhere in it, or, for digits, inside a number. Hits are ranked:
//! favourites, then how well they match, then how often they were called,
//! then by name.

use crate::fold::{digits, fold};
use crate::number::NumberPlan;

/// Digits typed that start matching numbers (fewer match nearly everything).
const MIN_NUMBER_DIGITS: usize = 3;

/// What the index is told about a contact.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The caller's own id (the store's row).
    pub id: i64,
    pub name: String,
    /// Organisation, department and the like: found, ranked below the name.
    pub also: Vec<String>,
    /// Numbers and SIP addresses as written.
    pub addresses: Vec<String>,
    pub favourite: bool,
    pub calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchQuality {
    /// In the organisation or a number, or inside a word of the name.
    Inside,
    /// Every word typed starts a word of the name.
    WordPrefix,
    /// The name starts with what was typed.
    NamePrefix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub id: i64,
    pub quality: MatchQuality,
    pub favourite: bool,
    pub calls: u32,
}

struct Indexed {
    id: i64,
    /// The folded name.
    name: String,
    /// The folded name, organisation, department and SIP users, one string.
    text: String,
    numbers: Vec<String>,
    favourite: bool,
    calls: u32,
    sort_name: String,
}

#[derive(Default)]
pub struct Index {
    plan: NumberPlan,
    entries: Vec<Indexed>,
}

impl Index {
    pub fn new(plan: NumberPlan) -> Index {
        Index {
            plan,
            entries: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces the entry with `entry.id`.
    pub fn insert(&mut self, entry: Entry) {
        self.remove(entry.id);
        let name = fold(&entry.name);
        let mut text = name.clone();
        // SIP users are found by name; numbers by their digits only.
        let sip_addresses = entry.addresses.iter().filter(|a| a.contains('@'));
        for a in entry.also.iter().chain(sip_addresses) {
            let f = fold(a);
            if !f.is_empty() {
                text.push_str(" | ");
                text.push_str(&f);
            }
        }
        let mut numbers: Vec<String> = entry
            .addresses
            .iter()
            .flat_map(|a| self.plan.search_digits(a))
            .collect();
        numbers.sort();
        numbers.dedup();
        self.entries.push(Indexed {
            id: entry.id,
            sort_name: name.clone(),
            name,
            text,
            numbers,
            favourite: entry.favourite,
            calls: entry.calls,
        });
    }

    pub fn remove(&mut self, id: i64) {
        self.entries.retain(|e| e.id != id);
    }

    /// The best `limit` hits for `query`, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = fold(query);
        let words: Vec<&str> = q.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let number_typed = digits(query);
        let whole_number = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()/.".contains(c));
        let mut hits: Vec<(Hit, &str)> = Vec::new();
        for e in &self.entries {
            let quality = if whole_number && number_typed.len() >= MIN_NUMBER_DIGITS {
                e.numbers
                    .iter()
                    .any(|n| n.contains(&number_typed))
                    .then_some(MatchQuality::Inside)
                    .or_else(|| text_match(e, &q, &words))
            } else {
                text_match(e, &q, &words)
            };
            if let Some(quality) = quality {
                hits.push((
                    Hit {
                        id: e.id,
                        quality,
                        favourite: e.favourite,
                        calls: e.calls,
                    },
                    &e.sort_name,
                ));
            }
        }
        let rank = |a: &(Hit, &str), b: &(Hit, &str)| {
            b.0.favourite
                .cmp(&a.0.favourite)
                .then(b.0.quality.cmp(&a.0.quality))
                .then(b.0.calls.cmp(&a.0.calls))
                .then(a.1.cmp(b.1))
                .then(a.0.id.cmp(&b.0.id))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, rank);
            hits.truncate(limit);
        }
        hits.sort_by(rank);
        hits.into_iter().map(|(h, _)| h).collect()
    }
}

/// How the folded words match an entry's text, if every one does.
fn text_match(e: &Indexed, query: &str, words: &[&str]) -> Option<MatchQuality> {
    if e.name.starts_with(query) {
        return Some(MatchQuality::NamePrefix);
    }
    let mut all_prefix = true;
    for w in words {
        if word_prefix(&e.name, w) {
            continue;
        }
        all_prefix = false;
        let in_digits = w.len() >= MIN_NUMBER_DIGITS
            && w.bytes().all(|b| b.is_ascii_digit())
            && e.numbers.iter().any(|n| n.contains(w));
        if !in_digits && !e.text.contains(w) {
            return None;
        }
    }
    Some(if all_prefix {
        MatchQuality::WordPrefix
    } else {
        MatchQuality::Inside
    })
}

/// `word` starts one of the words of `text`.
fn word_prefix(text: &str, word: &str) -> bool {
    text.match_indices(word)
        .any(|(i, _)| i == 0 || text.as_bytes()[i - 1] == b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, name: &str, number: &str) -> Entry {
        Entry {
            id,
            name: name.into(),
            also: vec![],
            addresses: vec![number.into()],
            favourite: false,
            calls: 0,
        }
    }

    fn ids(hits: &[Hit]) -> Vec<i64> {
        hits.iter().map(|h| h.id).collect()
    }

    fn index() -> Index {
        let mut i = Index::new(NumberPlan::new(Some("DE"), None).unwrap());
        i.insert(entry(1, "Ayşe Öztürk", "+49 30 5550 777"));
        i.insert(entry(2, "Bozt Müller", "+49 40 1234"));
        i.insert(entry(3, "Carla Ozturkova", "2001"));
        let mut sales = entry(4, "Dieter Zander", "sip:dz@acme.example");
        sales.also = vec!["ACME".into(), "Sales".into()];
        i.insert(sales);
        i
    }

    #[test]
    fn case_and_diacritics_do_not_matter() {
        let i = index();
        assert_eq!(
            ids(&i.search("ozt", 10)),
            [1, 3, 2],
            "word prefixes before inside"
        );
        assert_eq!(ids(&i.search("ÖZTÜRK", 10)), [1, 3]);
        assert_eq!(ids(&i.search("ayse", 10)), [1]);
        assert_eq!(ids(&i.search("mull", 10)), [2]);
        assert!(i.search("", 10).is_empty());
        assert!(i.search("zzz", 10).is_empty());
    }

    #[test]
    fn number_fragments_match_in_every_form() {
        let i = index();
        assert_eq!(ids(&i.search("5550", 10)), [1]);
        assert_eq!(ids(&i.search("030 5550", 10)), [1], "the national form");
        assert_eq!(ids(&i.search("+49305", 10)), [1]);
        assert_eq!(ids(&i.search("200", 10)), [3]);
        assert!(i.search("12", 10).is_empty(), "two digits are too few");
    }

    #[test]
    fn organisation_and_words_in_any_order() {
        let i = index();
        assert_eq!(ids(&i.search("sales", 10)), [4]);
        assert_eq!(ids(&i.search("zander dieter", 10)), [4]);
        assert_eq!(ids(&i.search("acme dieter", 10)), [4]);
        assert_eq!(ids(&i.search("dz", 10)), [4], "the SIP user");
    }

    #[test]
    fn favourites_then_quality_then_calls_then_name() {
        let mut i = index();
        let mut often = entry(5, "Oz Often", "1");
        often.calls = 9;
        i.insert(often);
        assert_eq!(
            ids(&i.search("oz", 10)),
            [5, 1, 3, 2],
            "name prefix first, then calls"
        );
        let mut fav = entry(2, "Bozt Müller", "+49 40 1234");
        fav.favourite = true;
        i.insert(fav);
        assert_eq!(ids(&i.search("oz", 10)), [2, 5, 1, 3]);
        assert_eq!(ids(&i.search("oz", 2)), [2, 5], "the limit keeps the best");
        i.remove(2);
        assert_eq!(ids(&i.search("oz", 10)), [5, 1, 3]);
    }
}
