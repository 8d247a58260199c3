//! The search index over the store's contacts. Built on the first search
//! and again whenever the store changed: `PRAGMA data_version` moves when
//! another process (the CLI beside the app) committed, the store's own
//! write count when this one did.

use std::collections::HashMap;

use hookswitch_directory::NumberPlan;
use hookswitch_directory::search::{Entry, Index};

use super::DirectoryHit;
use crate::store::{Store, StoreError};

pub struct LocalSearch {
    plan: NumberPlan,
    index: Index,
    /// The store's change marks the index was built at.
    built_at: Option<(i64, u64)>,
    book_names: HashMap<i64, String>,
}

impl LocalSearch {
    pub fn new(plan: NumberPlan) -> LocalSearch {
        LocalSearch {
            index: Index::new(plan.clone()),
            plan,
            built_at: None,
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
        if self.built_at == Some(mark) && plan == self.plan {
            return Ok(());
        }
        self.plan = plan;
        let counts = store.call_counts()?;
        let mut index = Index::new(self.plan.clone());
        for stored in store.contacts(None)? {
            let c = &stored.contact;
            let calls = c
                .addresses
                .iter()
                .filter_map(|a| self.plan.key(&a.value))
                .filter_map(|k| counts.get(&k))
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
