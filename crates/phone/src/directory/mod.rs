//! The address book as the phone uses it: the store's contacts (local and
//! synced books) behind a search index kept in memory, and the sources
//! searched live (LDAP). Two questions: "who is this caller?" (never
//! holding up the ring) and "who matches what I typed?" (at every key).
//!
//! - `caller.rs`: identify a caller, local first, then LDAP within a budget;
//! - `ldap.rs`: the LDAP server's socket edge (the protocol is sans-IO);
//! - `carddav.rs`: CardDAV servers' HTTP edge: discovery, sync, write-back;
//! - `sync.rs`: every configured book synced at start and every N minutes;
//! - `local_search.rs`: the in-memory index over the store, rebuilt when
//!   the store changed (here or in another process);
//! - `settings.rs`: `[directory]` in the configuration.

mod caller;
mod carddav;
mod ldap;
mod local_search;
mod settings;
mod sync;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use hookswitch_directory::Contact;
use serde::Serialize;

use crate::store::{RemoteCard, Store};

pub use caller::Identity;
pub use carddav::{CardDavClient, CardDavError, FoundBook, SyncReport};
pub use ldap::{LdapError, LdapSource};
pub use settings::{CardDavSettings, DirectorySettings, LdapSettings};
pub use sync::{BookSync, keep_in_sync};

/// One search result, from whichever source.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DirectoryHit {
    /// The store's id for contacts kept here (none for live LDAP results).
    pub id: Option<i64>,
    /// The book it came from ("Contacts", a CardDAV book's name, "LDAP").
    pub source: String,
    pub contact: Contact,
}

/// The keyring entry (and `HOOKSWITCH_PASSWORD_LDAP`) of the LDAP bind
/// password: `hookswitch password set ldap`.
pub const LDAP_PASSWORD: &str = "ldap";

pub struct Directory {
    store: Arc<Store>,
    local: Mutex<local_search::LocalSearch>,
    ldap: Mutex<Option<Arc<LdapSource>>>,
    carddav: Mutex<Vec<CardDavSettings>>,
}

/// What the live sources answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RemoteSearch {
    /// Entries not already among the contacts kept here.
    pub hits: Vec<DirectoryHit>,
    /// Why the directory could not be searched (down, slow, refused).
    pub error: Option<String>,
    /// Whether a directory was asked at all (configured, text long enough).
    pub asked: bool,
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
            ldap: Mutex::new(None),
            carddav: Mutex::new(Vec::new()),
        })
    }

    /// Follows the settings: the number plan, and the LDAP server (its
    /// bind password from the keyring or `HOOKSWITCH_PASSWORD_LDAP`). What
    /// cannot be used is said in the error; the rest is applied.
    pub fn apply(&self, settings: &DirectorySettings) -> Result<(), String> {
        let mut problems = Vec::new();
        match settings.plan() {
            Ok(plan) => {
                if let Err(e) = self.store.set_plan(plan) {
                    problems.push(e.to_string());
                }
            }
            Err(e) => problems.push(format!("[directory]: {e}")),
        }
        let ldap = match &settings.ldap {
            Some(l) if !l.url.is_empty() => {
                let password = match &l.bind_dn {
                    Some(_) => match crate::config::password(LDAP_PASSWORD) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            problems.push(format!("LDAP: {e}"));
                            None
                        }
                    },
                    None => None,
                };
                match LdapSource::new(l.clone(), password) {
                    Ok(source) => Some(source),
                    Err(e) => {
                        problems.push(format!("LDAP: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        self.set_ldap(ldap);
        *self.carddav.lock().unwrap_or_else(PoisonError::into_inner) = settings.carddav.clone();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// What speed dial key `digit` calls: its contact's first address.
    pub fn speed_dial(&self, digit: u8) -> Option<String> {
        match self.store.speed_dial(digit) {
            Ok(found) => found.and_then(|c| c.contact.first_address().map(|a| a.value.clone())),
            Err(e) => {
                tracing::warn!("speed dial {digit}: {e}");
                None
            }
        }
    }

    /// Searches `ldap` live from now on (none: no LDAP).
    pub fn set_ldap(&self, ldap: Option<LdapSource>) {
        *self.ldap.lock().unwrap_or_else(PoisonError::into_inner) = ldap.map(Arc::new);
    }

    pub fn carddav_settings(&self) -> Vec<CardDavSettings> {
        self.carddav
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Saves a contact: a new one (`id` none) into `book`, or an edit.
    /// Contacts of a CardDAV book go to the server first (PUT, If-Match);
    /// the copy here changes once it took them.
    pub async fn save_contact(
        &self,
        id: Option<i64>,
        book: i64,
        contact: Contact,
    ) -> Result<i64, String> {
        contact.validate().map_err(|e| e.to_string())?;
        let Some(id) = id else {
            return self
                .store
                .add_contact(book, &contact)
                .map_err(|e| e.to_string());
        };
        let remote = self.store.remote_card(id).map_err(|e| e.to_string())?;
        if let Some(card) = remote {
            let client = self.writable_client(&card)?;
            let etag = client
                .put(&card.book_url, &card.href, card.etag.as_deref(), &contact)
                .await
                .map_err(|e| e.to_string())?;
            self.store
                .update_contact_synced(id, &contact)
                .map_err(|e| e.to_string())?;
            self.store
                .set_etag(id, etag.as_deref())
                .map_err(|e| e.to_string())?;
            return Ok(id);
        }
        self.store
            .update_contact(id, &contact)
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// Deletes a contact, on its CardDAV server first when it has one.
    pub async fn delete_contact(&self, id: i64) -> Result<(), String> {
        if let Some(card) = self.store.remote_card(id).map_err(|e| e.to_string())? {
            let client = self.writable_client(&card)?;
            client
                .delete(&card.book_url, &card.href, card.etag.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            return self
                .store
                .delete_contact_synced(id)
                .map_err(|e| e.to_string());
        }
        self.store.delete_contact(id).map_err(|e| e.to_string())
    }

    /// The client to change `card` on its server with: refused when its
    /// book is read-only or its server has no settings or password here.
    fn writable_client(&self, card: &RemoteCard) -> Result<CardDavClient, String> {
        let access = self
            .store
            .book_name_and_access(card.book)
            .map_err(|e| e.to_string())?;
        if access.is_some_and(|(_, read_only)| read_only) {
            return Err(CardDavError::ReadOnly.to_string());
        }
        self.client_for(&card.book_url).ok_or_else(|| {
            "the address book's server is not configured (or has no password)".into()
        })
    }

    fn ldap(&self) -> Option<Arc<LdapSource>> {
        self.ldap
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The live directory's entries for `text`, less those kept here
    /// (same number); at once when none is configured or `text` is short.
    pub async fn search_remote(&self, text: &str) -> RemoteSearch {
        let Some(ldap) = self.ldap() else {
            return RemoteSearch::default();
        };
        if text.trim().chars().count() < ldap.settings().min_length {
            return RemoteSearch::default();
        }
        match ldap.search(text).await {
            Ok(found) => {
                let store = self.store.clone();
                let hits = tokio::task::spawn_blocking(move || {
                    found
                        .into_iter()
                        .filter(|c| {
                            !c.addresses
                                .iter()
                                .any(|a| matches!(store.identify(&a.value), Ok(Some(_))))
                        })
                        .map(|contact| DirectoryHit {
                            id: None,
                            source: "LDAP".into(),
                            contact,
                        })
                        .collect()
                })
                .await
                .unwrap_or_default();
                RemoteSearch {
                    hits,
                    error: None,
                    asked: true,
                }
            }
            Err(e) => {
                tracing::info!("LDAP search: {e}");
                RemoteSearch {
                    hits: Vec::new(),
                    error: Some(e.to_string()),
                    asked: true,
                }
            }
        }
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
