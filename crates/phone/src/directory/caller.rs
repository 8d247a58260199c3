//! Who a caller is. The store is asked first (an index lookup by the
//! caller's E.164 key, off the driver's thread so a store busy with another
//! process's write cannot hold the phone up).

use std::sync::Arc;

use super::Directory;

/// A name found for a caller, and the book it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub source: String,
}

impl Directory {
    /// The contact kept here that `remote` is (blocking: a store query).
    pub fn identify_local(&self, remote: &str) -> Option<Identity> {
        match self.store.identify(remote) {
            Ok(Some(stored)) => {
                let source = self
                    .store
                    .books()
                    .ok()
                    .and_then(|books| books.into_iter().find(|b| b.id == stored.book))
                    .map_or_else(String::new, |b| b.name);
                Some(Identity {
                    name: stored.contact.name,
                    source,
                })
            }
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("caller lookup: {e}");
                None
            }
        }
    }

    /// Who `remote` is, from any source; None when nobody knows.
    pub async fn identify(self: Arc<Self>, remote: String) -> Option<Identity> {
        let me = self.clone();
        let local = tokio::task::spawn_blocking(move || me.identify_local(&remote))
            .await
            .ok()
            .flatten();
        if local.is_some() {
            return local;
        }
        None
    }
}
