//! Keeping the CardDAV copies current: every configured server's books are
//! found and synced at start and then every `interval_minutes`. A server
//! that cannot be reached, or refuses the password, leaves its copies as
//! they are (still searched) with the reason on each book, which the
//! window shows.

use std::sync::Arc;
use std::time::Duration;

use super::Directory;
use super::carddav::{CardDavClient, SyncReport};
use super::settings::CardDavSettings;

/// How one book (or, when it failed before any book was found, a whole
/// server) fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookSync {
    pub server: String,
    pub result: Result<SyncReport, String>,
}

impl Directory {
    /// Syncs every configured server once.
    pub async fn sync_carddav(&self) -> Vec<BookSync> {
        let servers = self.carddav_settings();
        self.forget_unconfigured_books(&servers);
        let mut out = Vec::new();
        for s in servers {
            out.extend(self.sync_server(&s).await);
        }
        out
    }

    /// Books of servers no longer in the settings go, with their contacts
    /// (a server that is only down keeps its copy).
    fn forget_unconfigured_books(&self, servers: &[CardDavSettings]) {
        let origins: Vec<String> = servers.iter().map(|s| origin_of(&s.url)).collect();
        let keep: Vec<String> = match self.store.books() {
            Ok(books) => books
                .into_iter()
                .filter_map(|b| b.url)
                .filter(|u| origins.contains(&origin_of(u)))
                .collect(),
            Err(_) => return,
        };
        if let Err(e) = self.store.forget_carddav_books_except(&keep) {
            tracing::warn!("{e}");
        }
    }

    async fn sync_server(&self, s: &CardDavSettings) -> Vec<BookSync> {
        let fail = |why: String| {
            self.record_server_error(s, &why);
            vec![BookSync {
                server: s.name.clone(),
                result: Err(why),
            }]
        };
        let password = match crate::config::password(&s.password_entry()) {
            Ok(p) => p,
            Err(e) => return fail(e.to_string()),
        };
        let client = match CardDavClient::new(s.clone(), password) {
            Ok(c) => c,
            Err(e) => return fail(e.to_string()),
        };
        let books = match client.discover().await {
            Ok(b) => b,
            Err(e) => return fail(e.to_string()),
        };
        self.forget_books_gone_from(s, &books);
        let mut out = Vec::new();
        for book in books {
            let read_only = !(s.write_back && book.writable);
            let id = match self.store.carddav_book(
                &book.name,
                &book.url,
                s.account.as_deref(),
                read_only,
            ) {
                Ok(id) => id,
                Err(e) => {
                    out.push(BookSync {
                        server: s.name.clone(),
                        result: Err(e.to_string()),
                    });
                    continue;
                }
            };
            let result = client.sync(&self.store, id, &book).await.map_err(|e| {
                let why = e.to_string();
                let _ = self.store.record_sync_error(id, &why);
                why
            });
            if let Ok(r) = &result {
                for bad in &r.bad_cards {
                    tracing::warn!("CardDAV {}: card not read: {bad}", book.name);
                }
            }
            out.push(BookSync {
                server: s.name.clone(),
                result,
            });
        }
        out
    }

    /// A server failed before its books were listed: each book of it kept
    /// here says why; a server never reached yet gets a book of its own
    /// name, empty, so the window can say so (the first sync replaces it).
    fn record_server_error(&self, s: &CardDavSettings, why: &str) {
        tracing::info!("CardDAV {}: {why}", s.name);
        let origin = origin_of(&s.url);
        let Ok(books) = self.store.books() else {
            return;
        };
        let mut ids: Vec<i64> = books
            .iter()
            .filter(|b| b.url.as_deref().is_some_and(|u| origin_of(u) == origin))
            .map(|b| b.id)
            .collect();
        if ids.is_empty()
            && let Ok(id) = self
                .store
                .carddav_book(&s.name, &s.url, s.account.as_deref(), true)
        {
            ids.push(id);
        }
        for id in ids {
            let _ = self.store.record_sync_error(id, why);
        }
    }

    /// The server listed its books: those of it kept here and not listed
    /// (removed or unshared there, or the stand-in of a server not yet
    /// reached) go, with their contacts.
    fn forget_books_gone_from(&self, s: &CardDavSettings, found: &[super::FoundBook]) {
        let origin = origin_of(&s.url);
        let Ok(books) = self.store.books() else {
            return;
        };
        let keep: Vec<String> = books
            .into_iter()
            .filter_map(|b| b.url)
            .filter(|u| origin_of(u) != origin || found.iter().any(|f| &f.url == u))
            .collect();
        if let Err(e) = self.store.forget_carddav_books_except(&keep) {
            tracing::warn!("{e}");
        }
    }

    /// A client for the server `book_url` belongs to.
    pub(super) fn client_for(&self, book_url: &str) -> Option<CardDavClient> {
        let origin = origin_of(book_url);
        let s = self
            .carddav_settings()
            .into_iter()
            .find(|s| origin_of(&s.url) == origin)?;
        let password = crate::config::password(&s.password_entry()).ok()?;
        CardDavClient::new(s, password).ok()
    }
}

fn origin_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let end = url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j);
            url[..end].to_ascii_lowercase()
        }
        None => url.to_ascii_lowercase(),
    }
}

/// Syncs at once, then every server's interval (the shortest of them),
/// for as long as the task runs (a face spawns it on its runtime).
pub async fn keep_in_sync(directory: Arc<Directory>) {
    loop {
        for r in directory.sync_carddav().await {
            match &r.result {
                Ok(report) if !report.unchanged => tracing::info!(
                    "CardDAV {} / {}: {} changed, {} deleted",
                    r.server,
                    report.book,
                    report.changed,
                    report.deleted
                ),
                Ok(_) => {}
                Err(why) => tracing::warn!("CardDAV {}: {why}", r.server),
            }
        }
        let minutes = directory
            .carddav_settings()
            .iter()
            .map(|s| s.interval_minutes.max(1))
            .min()
            .unwrap_or(15);
        tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)).await;
    }
}
