//! The address book as the phone uses it: the store's contacts (local and
//! synced books) behind a search index kept in memory, and the sources
//! searched live (LDAP). Two questions: "who is this caller?" (never
//! holding up the ring) and "who matches what I typed?" (at every key).
//!
//! - `caller.rs`: identify a caller, local first, then LDAP within a budget;
//! - `local_search.rs`: the in-memory index over the store, rebuilt when
//!   the store changed (here or in another process);
//! - `settings.rs`: `[directory]` in the configuration.

mod caller;
mod local_search;
mod settings;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hookswitch_directory::Contact;
use serde::Serialize;

use crate::store::Store;

pub use caller::Identity;
pub use settings::DirectorySettings;

/// One search result, from whichever source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryHit {
    /// The store's id for contacts kept here (none for live LDAP results).
    pub id: Option<i64>,
    /// The book it came from ("Contacts", a CardDAV book's name, "LDAP").
    pub source: String,
    pub contact: Contact,
}

pub struct Directory {
    store: Arc<Store>,
    local: Mutex<local_search::LocalSearch>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("store", &self.store.path())
            .finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(store: Arc<Store>) -> Arc<Directory> {
        Arc::new(Directory {
            local: Mutex::new(local_search::LocalSearch::new(store.plan())),
            store,
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    fn local(&self) -> MutexGuard<'_, local_search::LocalSearch> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The contacts kept here that match `text`, best first.
    pub fn search_local(&self, text: &str, limit: usize) -> Vec<DirectoryHit> {
        let mut local = self.local();
        match local.search(&self.store, text, limit) {
            Ok(hits) => hits,
            Err(e) => {
                tracing::warn!("address book search: {e}");
                Vec::new()
            }
        }
    }
}
