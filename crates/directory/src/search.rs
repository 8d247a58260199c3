//! Search as you type over contacts from every source. Names, organisation
//! and department are folded once (see [`crate::fold`]); numbers are kept
//! as digit strings in each form a user may type. A query matches when
//! every word of it is found: as the start of a word of the name (best),
//! anywhere in it, or, for digits, inside a number. Hits are ranked:
//! favourites, then how well they match, then how often they were called,
//! then by name.

use std::collections::HashMap;

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

/// How well a hit matches; better ones compare smaller (they come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchQuality {
    /// The name starts with what was typed.
    NamePrefix = 0,
    /// Every word typed starts a word of the name.
    WordPrefix = 1,
    /// In the organisation or a number, or inside a word of the name.
    Inside = 2,
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
    /// Where each id's entry is in `entries`.
    positions: HashMap<i64, usize>,
    /// The search's layout; none after a change.
    prepared: Option<Prepared>,
}

#[derive(Default)]
struct Prepared {
    /// Entry positions in rank order: favourites, then most called, then
    /// by name.
    order: Vec<u32>,
    /// Every entry's folded text, then its digit strings, in rank order,
    /// one line each; where each rank's line starts (and the end).
    text_blob: Vec<u8>,
    text_starts: Vec<u32>,
    digit_blob: Vec<u8>,
    digit_starts: Vec<u32>,
    /// Every word of every name with its entry's rank, sorted by word: the
    /// ranks a word-prefix match can be at, found by binary search.
    name_words: Vec<(Box<str>, u32)>,
    /// Every name with its rank, sorted by name: name-prefix matches are a
    /// range of it.
    names: Vec<(Box<str>, u32)>,
    /// How many entries are favourites (they lead the rank order).
    favourites: u32,
}

impl Index {
    pub fn new(plan: NumberPlan) -> Index {
        Index {
            plan,
            entries: Vec::new(),
            positions: HashMap::new(),
            prepared: None,
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
        let indexed = Indexed {
            id: entry.id,
            sort_name: name.clone(),
            name,
            text,
            numbers,
            favourite: entry.favourite,
            calls: entry.calls,
        };
        self.prepared = None;
        match self.positions.get(&entry.id) {
            Some(&at) => self.entries[at] = indexed,
            None => {
                self.positions.insert(entry.id, self.entries.len());
                self.entries.push(indexed);
            }
        }
    }

    pub fn remove(&mut self, id: i64) {
        let Some(at) = self.positions.remove(&id) else {
            return;
        };
        self.prepared = None;
        self.entries.swap_remove(at);
        if let Some(moved) = self.entries.get(at) {
            self.positions.insert(moved.id, at);
        }
    }

    /// The rank order and the text and digits of every entry in it, laid
    /// end to end for one SIMD substring search per query; made again
    /// after a change.
    fn prepared(&mut self) -> &Prepared {
        if self.prepared.is_none() {
            let mut order: Vec<u32> = (0..self.entries.len() as u32).collect();
            let e = &self.entries;
            order.sort_by(|&a, &b| {
                let (a, b) = (&e[a as usize], &e[b as usize]);
                b.favourite
                    .cmp(&a.favourite)
                    .then(b.calls.cmp(&a.calls))
                    .then(a.sort_name.cmp(&b.sort_name))
                    .then(a.id.cmp(&b.id))
            });
            let mut p = Prepared {
                order,
                ..Prepared::default()
            };
            for (rank, &i) in p.order.iter().enumerate() {
                let entry = &self.entries[i as usize];
                p.favourites += u32::from(entry.favourite);
                p.names.push((entry.name.as_str().into(), rank as u32));
                for word in entry.name.split(' ').filter(|w| !w.is_empty()) {
                    p.name_words.push((word.into(), rank as u32));
                }
                p.text_starts.push(p.text_blob.len() as u32);
                p.text_blob.extend_from_slice(entry.text.as_bytes());
                p.text_blob.push(b'\n');
                p.digit_starts.push(p.digit_blob.len() as u32);
                for n in &entry.numbers {
                    p.digit_blob.extend_from_slice(n.as_bytes());
                    p.digit_blob.push(b' ');
                }
                p.digit_blob.push(b'\n');
            }
            p.text_starts.push(p.text_blob.len() as u32);
            p.digit_starts.push(p.digit_blob.len() as u32);
            p.name_words.sort_unstable();
            p.names.sort_unstable();
            self.prepared = Some(p);
        }
        self.prepared.as_ref().expect("just made")
    }

    /// The best `limit` hits for `query`, best first.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<Hit> {
        let q = fold(query);
        let words: Vec<&str> = q.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let number_typed = digits(query);
        let whole_number = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()/.".contains(c))
            && number_typed.len() >= MIN_NUMBER_DIGITS;
        // The longest word drives the search (the rarest, mostly); the
        // others are checked. Digits typed among words may be in a number,
        // not the text: a word with letters drives when there is one.
        let driver = *words
            .iter()
            .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
            .max_by_key(|w| w.len())
            .or_else(|| words.iter().max_by_key(|w| w.len()))
            .expect("a word");
        self.prepared();
        let p = self.prepared.as_ref().expect("prepared");
        let entries = &self.entries;
        let text_ranks = Occurrences::new(&p.text_blob, &p.text_starts, driver.as_bytes());
        let ranks: Box<dyn Iterator<Item = u32>> = if whole_number {
            // Digits typed may be in a number or in the text: both, merged.
            let mut all: Vec<u32> = text_ranks.collect();
            all.extend(Occurrences::new(
                &p.digit_blob,
                &p.digit_starts,
                number_typed.as_bytes(),
            ));
            all.sort_unstable();
            all.dedup();
            Box::new(all.into_iter())
        } else {
            Box::new(text_ranks)
        };
        // A name or word prefix needs the driver to start a word of the
        // name: past the last rank where one does, only "inside" matches
        // are left, which rank below everything found so far.
        let last_prefix_rank = {
            let from = p.name_words.partition_point(|(w, _)| w.as_ref() < driver);
            p.name_words[from..]
                .iter()
                .take_while(|(w, _)| w.starts_with(driver))
                .map(|&(_, r)| r)
                .max()
        };
        let mut favourites: Vec<(MatchQuality, u32)> = Vec::new();
        // Others by quality, each already in rank order (calls, then name).
        let mut others: [Vec<u32>; 3] = Default::default();
        // Name-prefix matches (the best) are a range of the sorted names:
        // the first `limit` of them by rank, without a scan. A scan walking
        // in rank order would meet them late when calls tie and the order is
        // the names' (`s` after every name from a to r).
        {
            let from = p.names.partition_point(|(n, _)| n.as_ref() < q.as_str());
            let mut prefixed: Vec<u32> = p.names[from..]
                .iter()
                .take_while(|(n, _)| n.starts_with(q.as_str()))
                .map(|&(_, r)| r)
                .filter(|&r| r >= p.favourites)
                .collect();
            if prefixed.len() > limit {
                prefixed.select_nth_unstable(limit - 1);
                prefixed.truncate(limit);
            }
            prefixed.sort_unstable();
            others[MatchQuality::NamePrefix as usize] = prefixed;
        }
        for rank in ranks {
            // Every favourite seen and a full page of name prefixes: done.
            if rank >= p.favourites && others[MatchQuality::NamePrefix as usize].len() >= limit {
                break;
            }
            let e = &entries[p.order[rank as usize] as usize];
            if !e.favourite && e.name.starts_with(q.as_str()) {
                continue;
            }
            let quality = if whole_number && e.numbers.iter().any(|n| n.contains(&number_typed)) {
                Some(MatchQuality::Inside)
            } else {
                text_match(e, &q, &words)
            };
            let Some(quality) = quality else { continue };
            if e.favourite {
                favourites.push((quality, rank));
                continue;
            }
            let bucket = &mut others[quality as usize];
            if bucket.len() < limit {
                bucket.push(rank);
            }
            let found = favourites.len() + others.iter().map(Vec::len).sum::<usize>();
            if found >= limit
                && rank + 1 >= p.favourites
                && last_prefix_rank.is_none_or(|last| rank >= last)
            {
                break;
            }
        }
        favourites.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let hit = |quality: MatchQuality, rank: u32| {
            let e = &entries[p.order[rank as usize] as usize];
            Hit {
                id: e.id,
                quality,
                favourite: e.favourite,
                calls: e.calls,
            }
        };
        let mut out: Vec<Hit> = favourites.iter().map(|&(q, r)| hit(q, r)).collect();
        for quality in [
            MatchQuality::NamePrefix,
            MatchQuality::WordPrefix,
            MatchQuality::Inside,
        ] {
            out.extend(others[quality as usize].iter().map(|&r| hit(quality, r)));
        }
        out.truncate(limit);
        out
    }
}

/// The ranks whose part of a blob holds `needle`, in order, each once.
struct Occurrences<'a> {
    blob: &'a [u8],
    starts: &'a [u32],
    finder: memchr::memmem::Finder<'a>,
    pos: usize,
}

impl<'a> Occurrences<'a> {
    fn new(blob: &'a [u8], starts: &'a [u32], needle: &'a [u8]) -> Occurrences<'a> {
        Occurrences {
            blob,
            starts,
            finder: memchr::memmem::Finder::new(needle),
            pos: 0,
        }
    }
}

impl Iterator for Occurrences<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let found = self.pos + self.finder.find(self.blob.get(self.pos..)?)?;
        // The entry it is in: the last start at or before it.
        let rank = self.starts.partition_point(|&s| s as usize <= found) - 1;
        // On from the next entry: each entry once.
        self.pos = *self.starts.get(rank + 1)? as usize;
        Some(rank as u32)
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
        let mut i = index();
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
        let mut i = index();
        assert_eq!(ids(&i.search("5550", 10)), [1]);
        assert_eq!(ids(&i.search("ayse 5550", 10)), [1], "a name and digits");
        assert_eq!(ids(&i.search("030 5550", 10)), [1], "the national form");
        assert_eq!(ids(&i.search("+49305", 10)), [1]);
        assert_eq!(ids(&i.search("200", 10)), [3]);
        assert!(i.search("12", 10).is_empty(), "two digits are too few");
    }

    #[test]
    fn organisation_and_words_in_any_order() {
        let mut i = index();
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
