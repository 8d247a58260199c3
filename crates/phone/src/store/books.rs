//! Synced address books (CardDAV): each server book a row in `books`, its
//! cards contacts with the href and etag the server gave them. A sync's
//! changes go in as one transaction with the new sync state, so an
//! interrupted sync is done again, never half applied.

use std::collections::HashMap;

use hookswitch_directory::Contact;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError, unix_now};

/// What a sync brings.
#[derive(Debug, Default)]
pub struct SyncBatch {
    /// Cards new or changed: href, etag, contact.
    pub upserts: Vec<(String, String, Contact)>,
    /// Cards gone from the server.
    pub deleted: Vec<String>,
    /// A full listing: cards kept here and not in `upserts` or `kept` go.
    pub full: bool,
    /// (full listings) hrefs unchanged on the server.
    pub kept: Vec<String>,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
}

/// Where a synced contact lives on its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCard {
    pub book: i64,
    pub book_url: String,
    pub href: String,
    pub etag: Option<String>,
}

impl Store {
    /// The book at `url` (added when new); its id. `read_only`: the
    /// server (or the settings) do not let us write.
    pub fn carddav_book(
        &self,
        name: &str,
        url: &str,
        account: Option<&str>,
        read_only: bool,
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM books WHERE kind = 'carddav' AND url = ?1",
                [url],
                |r| r.get(0),
            )
            .optional()?;
        let id = match id {
            Some(id) => {
                tx.execute(
                    "UPDATE books SET name = ?2, account = ?3, read_only = ?4 WHERE id = ?1",
                    params![id, name, account, read_only],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO books (kind, name, url, account, read_only) VALUES ('carddav', ?1, ?2, ?3, ?4)",
                    params![name, url, account, read_only],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.commit()?;
        drop(conn);
        self.wrote();
        Ok(id)
    }

    /// Forgets the synced books whose URL is not in `keep` (the settings
    /// dropped them), with their contacts.
    pub fn forget_carddav_books_except(&self, keep: &[String]) -> Result<usize, StoreError> {
        let books: Vec<(i64, String)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT id, url FROM books WHERE kind = 'carddav'")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut gone = 0;
        for (id, url) in books {
            if !keep.contains(&url) {
                self.conn()
                    .execute("DELETE FROM books WHERE id = ?1", [id])?;
                gone += 1;
            }
        }
        if gone > 0 {
            self.wrote();
        }
        Ok(gone)
    }

    /// The sync state kept for `book`: (ctag, sync token).
    pub fn sync_state(&self, book: i64) -> Result<(Option<String>, Option<String>), StoreError> {
        Ok(self.conn().query_row(
            "SELECT ctag, sync_token FROM books WHERE id = ?1",
            [book],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Each card's etag in `book`, by href.
    pub fn synced_etags(&self, book: i64) -> Result<HashMap<String, String>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT href, etag FROM contacts WHERE book = ?1 AND href IS NOT NULL")?;
        let rows = stmt.query_map([book], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (href, etag) = row?;
            out.insert(href, etag.unwrap_or_default());
        }
        Ok(out)
    }

    /// Applies a sync to `book` in one transaction; the book's error is
    /// cleared.
    pub fn apply_sync(&self, book: i64, batch: &SyncBatch) -> Result<(), StoreError> {
        let plan = self.plan();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for href in &batch.deleted {
            tx.execute(
                "DELETE FROM contacts WHERE book = ?1 AND href = ?2",
                params![book, href],
            )?;
        }
        if batch.full {
            let listed: std::collections::HashSet<&str> = batch
                .upserts
                .iter()
                .map(|(h, _, _)| h.as_str())
                .chain(batch.kept.iter().map(String::as_str))
                .collect();
            let here: Vec<String> = {
                let mut stmt =
                    tx.prepare("SELECT href FROM contacts WHERE book = ?1 AND href IS NOT NULL")?;
                let rows = stmt.query_map([book], |r| r.get::<_, String>(0))?;
                rows.collect::<Result<_, _>>()?
            };
            for href in here.iter().filter(|h| !listed.contains(h.as_str())) {
                tx.execute(
                    "DELETE FROM contacts WHERE book = ?1 AND href = ?2",
                    params![book, href],
                )?;
            }
        }
        for (href, etag, contact) in &batch.upserts {
            let mut contact = contact.clone();
            // Speed dials and favourites are this phone's, not the card's.
            let existing: Option<(i64, String)> = tx
                .query_row(
                    "SELECT id, body FROM contacts WHERE book = ?1 AND href = ?2",
                    params![book, href],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if contact.uid.is_empty() {
                contact.uid = href.clone();
            }
            match existing {
                Some((id, body)) => {
                    let old: Contact = serde_json::from_str(&body)?;
                    contact.favourite = old.favourite;
                    contact.speed_dial = old.speed_dial;
                    super::contacts::update(&tx, &plan, id, &contact)?;
                    tx.execute(
                        "UPDATE contacts SET etag = ?2 WHERE id = ?1",
                        params![id, etag],
                    )?;
                }
                None => {
                    contact.favourite = false;
                    contact.speed_dial = None;
                    // Another card with the same UID in this book: the href wins.
                    tx.execute(
                        "DELETE FROM contacts WHERE book = ?1 AND uid = ?2",
                        params![book, contact.uid],
                    )?;
                    super::contacts::insert(&tx, &plan, book, &contact, Some((href, etag)))?;
                }
            }
        }
        tx.execute(
            "UPDATE books SET ctag = ?2, sync_token = ?3, last_sync = ?4, last_error = NULL WHERE id = ?1",
            params![book, batch.ctag, batch.sync_token, unix_now()],
        )?;
        tx.commit()?;
        drop(conn);
        self.wrote();
        Ok(())
    }

    /// A sync of `book` failed: said in the window; its copy stays.
    pub fn record_sync_error(&self, book: i64, error: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE books SET last_error = ?2 WHERE id = ?1",
            params![book, error],
        )?;
        self.wrote();
        Ok(())
    }

    /// Where contact `id` lives on its server (none: a local contact).
    pub fn remote_card(&self, id: i64) -> Result<Option<RemoteCard>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT c.book, b.url, c.href, c.etag FROM contacts c JOIN books b ON b.id = c.book
                 WHERE c.id = ?1 AND b.kind = 'carddav' AND c.href IS NOT NULL",
                [id],
                |r| {
                    Ok(RemoteCard {
                        book: r.get(0)?,
                        book_url: r.get(1)?,
                        href: r.get(2)?,
                        etag: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// A synced card's edit, once its server took it (the book may be
    /// read-only for edits made here otherwise).
    pub fn update_contact_synced(&self, id: i64, contact: &Contact) -> Result<(), StoreError> {
        let plan = self.plan();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::contacts::update(&tx, &plan, id, contact)?;
        tx.commit()?;
        drop(conn);
        self.wrote();
        Ok(())
    }

    /// A synced card deleted on its server.
    pub fn delete_contact_synced(&self, id: i64) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM contacts WHERE id = ?1", [id])?;
        self.wrote();
        Ok(())
    }

    /// After a write-back: the card's new etag (none: unknown until the
    /// next sync).
    pub fn set_etag(&self, id: i64, etag: Option<&str>) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE contacts SET etag = ?2 WHERE id = ?1",
            params![id, etag],
        )?;
        Ok(())
    }
}
