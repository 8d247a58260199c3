//! Who a caller is. The store is asked first (an index lookup by the
//! caller's E.164 key, off the driver's thread so a store busy with another
//! process's write cannot hold the phone up), then the LDAP directory,
//! within 300 ms. The call rings meanwhile; the name follows when known.

use std::sync::Arc;
use std::time::Duration;

use hookswitch_directory::NumberPlan;

use super::Directory;

/// How long the LDAP lookup of a caller may take: the name is worth having
/// only while the call still rings.
pub const LDAP_BUDGET: Duration = Duration::from_millis(300);

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
                    .book_name_and_access(stored.book)
                    .ok()
                    .flatten()
                    .map_or_else(String::new, |(name, _)| name);
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
        let asked = remote.clone();
        let local = tokio::task::spawn_blocking(move || me.identify_local(&asked))
            .await
            .ok()
            .flatten();
        if local.is_some() {
            return local;
        }
        // Only E.164 numbers are looked for in the directory.
        let key = self
            .store
            .plan()
            .key(&remote)
            .filter(|k| k.starts_with('+'))?;
        self.identify_in_ldap(&key).await
    }

    /// The directory's entry with the caller's number, within
    /// [`LDAP_BUDGET`]: a slow directory names nobody rather than late.
    async fn identify_in_ldap(&self, key: &str) -> Option<Identity> {
        let ldap = self.ldap()?;
        let national = NumberPlan::national_digits(key)?;
        let e164 = key.trim_start_matches('+');
        match ldap.identify(&national, e164, LDAP_BUDGET).await {
            Ok(found) => {
                let plan = self.store.plan();
                found
                    .into_iter()
                    .find(|c| {
                        c.addresses
                            .iter()
                            .any(|a| plan.key(&a.value).as_deref() == Some(key))
                    })
                    .map(|c| Identity {
                        name: c.name,
                        source: "LDAP".into(),
                    })
            }
            Err(e) => {
                tracing::info!("caller lookup in LDAP: {e}");
                None
            }
        }
    }
}
