//! The search index over the store's contacts. Built on the first search
//! and again whenever the contacts changed: `PRAGMA data_version` moves
//! when another process (the CLI beside the app) committed, the store's own
//! write count when this one did. Calls made count towards the ranking at
//! the next change, or within five minutes.

use std::collections::HashMap;

use hookswitch_directory::NumberPlan;
use hookswitch_directory::search::{Entry, Index};

use super::DirectoryHit;
use crate::store::{Store, StoreError};

const RECOUNT_CALLS: std::time::Duration = std::time::Duration::from_secs(300);

pub struct LocalSearch {
    plan: NumberPlan,
    index: Index,
    /// The store's change marks the index was built at.
    built_at: Option<(i64, u64)>,
    /// The history's mark then, and when: calls counted anew at most
    /// every [`RECOUNT_CALLS`] (a rebuild of 100,000 takes most of a second).
    built_history: (u64, Option<std::time::Instant>),
    book_names: HashMap<i64, String>,
}

impl LocalSearch {
    pub fn new(plan: NumberPlan) -> LocalSearch {
        LocalSearch {
            index: Index::new(plan.clone()),
            plan,
            built_at: None,
            built_history: (0, None),
            book_names: HashMap::new(),
        }
    }

    pub fn search(
        &mut self,
        store: &Store,
        text: &str,
        limit: usize,
    ) -> Result<Vec<DirectoryHit>, StoreError> {
        self.refresh(store)?;
        let mut out = Vec::new();
        for hit in self.index.search(text, limit) {
            if let Some(stored) = store.contact(hit.id)? {
                out.push(DirectoryHit {
                    id: Some(stored.id),
                    source: self
                        .book_names
                        .get(&stored.book)
                        .cloned()
                        .unwrap_or_default(),
                    contact: stored.contact,
                });
            }
        }
        Ok(out)
    }

    fn refresh(&mut self, store: &Store) -> Result<(), StoreError> {
        let mark = store.change_mark()?;
        let plan = store.plan();
        let history = store.history_mark();
        let recount = history != self.built_history.0
            && self
                .built_history
                .1
                .is_none_or(|at| at.elapsed() >= RECOUNT_CALLS);
        if self.built_at == Some(mark) && plan == self.plan && !recount {
            return Ok(());
        }
        self.built_history = (history, Some(std::time::Instant::now()));
        self.plan = plan;
        let counts = store.call_counts()?;
        let keys = store.contact_keys()?;
        let mut index = Index::new(self.plan.clone());
        for stored in store.contacts(None)? {
            let c = &stored.contact;
            let calls = keys
                .get(&stored.id)
                .into_iter()
                .flatten()
                .filter_map(|k| counts.get(k))
                .sum();
            index.insert(Entry {
                id: stored.id,
                name: c.name.clone(),
                also: [&c.organization, &c.department, &c.title]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect(),
                addresses: c.addresses.iter().map(|a| a.value.clone()).collect(),
                favourite: c.favourite,
                calls,
            });
        }
        self.book_names = store.books()?.into_iter().map(|b| (b.id, b.name)).collect();
        self.index = index;
        self.built_at = Some(mark);
        Ok(())
    }
}
