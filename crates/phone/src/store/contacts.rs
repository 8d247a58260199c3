//! Address books and their contacts. A contact is kept whole as JSON, with
//! the columns searches and rules need beside it (name, favourite, speed
//! dial) and one caller key per address in `contact_keys`, so a caller is
//! found by an index lookup, never a scan.

use std::collections::HashMap;

use hookswitch_directory::Contact;
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError, unix_now};

/// The local book every store has.
pub const LOCAL_BOOK: i64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum BookKind {
    Local,
    Carddav,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Book {
    pub id: i64,
    pub kind: BookKind,
    pub name: String,
    pub url: Option<String>,
    pub account: Option<String>,
    pub last_sync: Option<i64>,
    pub last_error: Option<String>,
    pub read_only: bool,
    pub contacts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredContact {
    pub id: i64,
    pub book: i64,
    pub contact: Contact,
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
}

impl Store {
    /// Every address book, the local one first.
    pub fn books(&self) -> Result<Vec<Book>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT b.id, b.kind, b.name, b.url, b.account, b.last_sync, b.last_error, b.read_only,
                    (SELECT COUNT(*) FROM contacts c WHERE c.book = b.id)
             FROM books b ORDER BY b.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Book {
                id: r.get(0)?,
                kind: match r.get::<_, String>(1)?.as_str() {
                    "carddav" => BookKind::Carddav,
                    _ => BookKind::Local,
                },
                name: r.get(2)?,
                url: r.get(3)?,
                account: r.get(4)?,
                last_sync: r.get(5)?,
                last_error: r.get(6)?,
                read_only: r.get(7)?,
                contacts: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A contact added to `book`; its id.
    pub fn add_contact(&self, book: i64, contact: &Contact) -> Result<i64, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        writable(&tx, book)?;
        let id = insert(&tx, &self.plan(), book, contact, None)?;
        tx.commit()?;
        self.wrote();
        Ok(id)
    }

    /// Replaces contact `id` (same book).
    pub fn update_contact(&self, id: i64, contact: &Contact) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let book = book_of(&tx, id)?;
        writable(&tx, book)?;
        update(&tx, &self.plan(), id, contact)?;
        tx.commit()?;
        self.wrote();
        Ok(())
    }

    pub fn delete_contact(&self, id: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let book = book_of(&tx, id)?;
        writable(&tx, book)?;
        tx.execute("DELETE FROM contacts WHERE id = ?1", [id])?;
        tx.commit()?;
        self.wrote();
        Ok(())
    }

    pub fn contact(&self, id: i64) -> Result<Option<StoredContact>, StoreError> {
        let conn = self.conn();
        let row: Option<(i64, String)> = conn
            .query_row("SELECT book, body FROM contacts WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(book, body)| {
            Ok(StoredContact {
                id,
                book,
                contact: serde_json::from_str(&body)?,
            })
        })
        .transpose()
    }

    /// Every contact (of `book`, or of all), by name.
    pub fn contacts(&self, book: Option<i64>) -> Result<Vec<StoredContact>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, book, body FROM contacts WHERE ?1 IS NULL OR book = ?1 ORDER BY name COLLATE NOCASE, id",
        )?;
        let rows = stmt.query_map([book], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, book, body) = row?;
            out.push(StoredContact {
                id,
                book,
                contact: serde_json::from_str(&body)?,
            });
        }
        Ok(out)
    }

    /// Stars a contact (of any book: favourites are this phone's own).
    pub fn set_favourite(&self, id: i64, favourite: bool) -> Result<(), StoreError> {
        self.set_local(id, |c| c.favourite = favourite)
    }

    /// Puts a contact (of any book) on speed dial `digit`, taking it from
    /// whoever had it; none: off speed dial.
    pub fn set_speed_dial(&self, id: i64, digit: Option<u8>) -> Result<(), StoreError> {
        self.set_local(id, |c| c.speed_dial = digit)
    }

    fn set_local(&self, id: i64, change: impl FnOnce(&mut Contact)) -> Result<(), StoreError> {
        let plan = self.plan();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let body: String = tx
            .query_row("SELECT body FROM contacts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(StoreError::NoContact(id))?;
        let mut contact: Contact = serde_json::from_str(&body)?;
        change(&mut contact);
        update(&tx, &plan, id, &contact)?;
        tx.commit()?;
        drop(conn);
        self.wrote();
        Ok(())
    }

    /// Book `book`'s name and whether it is read-only, without counting
    /// its contacts as [`Store::books`] does (a caller's lookup asks it).
    pub fn book_name_and_access(&self, book: i64) -> Result<Option<(String, bool)>, StoreError> {
        name_and_access(&self.conn(), book)
    }

    /// Every contact's caller keys.
    pub fn contact_keys(&self) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT contact, key FROM contact_keys")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for row in rows {
            let (id, key) = row?;
            out.entry(id).or_default().push(key);
        }
        Ok(out)
    }

    /// The contact on speed dial `digit`.
    pub fn speed_dial(&self, digit: u8) -> Result<Option<StoredContact>, StoreError> {
        let id: Option<i64> = self
            .conn()
            .query_row(
                "SELECT id FROM contacts WHERE speed_dial = ?1",
                [digit],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.contact(id),
            None => Ok(None),
        }
    }

    /// The contact a caller or callee is, by its number or SIP address:
    /// local contacts before synced ones, favourites first.
    pub fn identify(&self, remote: &str) -> Result<Option<StoredContact>, StoreError> {
        let Some(key) = self.plan().key(remote) else {
            return Ok(None);
        };
        let id: Option<i64> = self
            .conn()
            .query_row(
                "SELECT c.id FROM contact_keys k JOIN contacts c ON c.id = k.contact
                 WHERE k.key = ?1 ORDER BY c.book != 1, c.favourite DESC, c.id LIMIT 1",
                [&key],
                |r| r.get(0),
            )
            .optional()?;
        match id {
            Some(id) => self.contact(id),
            None => Ok(None),
        }
    }

    /// Adds `contacts` to `book` in one transaction: a card whose UID the
    /// book has replaces that contact; one without a UID gets a new one
    /// from `unique`.
    pub fn import(
        &self,
        book: i64,
        contacts: &[Contact],
        mut unique: impl FnMut() -> u128,
    ) -> Result<ImportReport, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        writable(&tx, book)?;
        let mut report = ImportReport::default();
        for c in contacts {
            let mut c = c.clone();
            if c.uid.trim().is_empty() {
                c.uid = hookswitch_directory::contact::uid_from(unique());
            }
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM contacts WHERE book = ?1 AND uid = ?2",
                    params![book, c.uid],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(id) => {
                    update(&tx, &self.plan(), id, &c)?;
                    report.updated += 1;
                }
                None => {
                    insert(&tx, &self.plan(), book, &c, None)?;
                    report.added += 1;
                }
            }
        }
        tx.commit()?;
        self.wrote();
        Ok(report)
    }

    /// Makes the caller keys again when the number plan is not the one
    /// they were made with (the country was changed in the settings).
    pub(super) fn rekey_if_the_plan_changed(&self) -> Result<(), StoreError> {
        let plan = format!("{:?}", self.plan());
        let stored_plan = |conn: &rusqlite::Connection| -> Result<Option<String>, StoreError> {
            Ok(conn
                .query_row("SELECT value FROM meta WHERE name = 'plan'", [], |r| {
                    r.get(0)
                })
                .optional()?)
        };
        let mut conn = self.conn();
        // Every open asks; the write lock is taken only when keys are made
        // (and the plan is read again under it: another process may have).
        if stored_plan(&conn)?.as_deref() == Some(plan.as_str()) {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if stored_plan(&tx)?.as_deref() == Some(plan.as_str()) {
            return Ok(());
        }
        tx.execute("DELETE FROM contact_keys", [])?;
        let rows: Vec<(i64, String)> = {
            let mut stmt = tx.prepare("SELECT id, body FROM contacts")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, body) in rows {
            let contact: Contact = serde_json::from_str(&body)?;
            insert_keys(&tx, &self.plan(), id, &contact)?;
        }
        let history: Vec<(i64, String)> = {
            let mut stmt = tx.prepare("SELECT id, body FROM history")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, body) in history {
            let entry: crate::history::Entry = serde_json::from_str(&body)?;
            tx.execute(
                "UPDATE history SET key = ?2 WHERE id = ?1",
                params![id, self.plan().key(&entry.remote)],
            )?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('plan', ?1)",
            [&plan],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn book_of(tx: &Transaction, id: i64) -> Result<i64, StoreError> {
    tx.query_row("SELECT book FROM contacts WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or(StoreError::NoContact(id))
}

/// A book's name and whether it is read-only (none: no such book).
fn name_and_access(
    conn: &rusqlite::Connection,
    book: i64,
) -> Result<Option<(String, bool)>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT name, read_only FROM books WHERE id = ?1",
            [book],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

fn writable(tx: &Transaction, book: i64) -> Result<(), StoreError> {
    match name_and_access(tx, book)? {
        None => Err(StoreError::NoBook(book)),
        Some((name, true)) => Err(StoreError::ReadOnly(name)),
        Some(_) => Ok(()),
    }
}

/// A speed dial belongs to one contact: giving it to `id` takes it from
/// whoever had it.
fn take_speed_dial(tx: &Transaction, contact: &Contact, id: Option<i64>) -> Result<(), StoreError> {
    let Some(digit) = contact.speed_dial else {
        return Ok(());
    };
    let holders: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, body FROM contacts WHERE speed_dial = ?1")?;
        let rows = stmt.query_map([digit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (holder, body) in holders {
        if Some(holder) == id {
            continue;
        }
        let mut other: Contact = serde_json::from_str(&body)?;
        other.speed_dial = None;
        tx.execute(
            "UPDATE contacts SET speed_dial = NULL, body = ?2 WHERE id = ?1",
            params![holder, serde_json::to_string(&other)?],
        )?;
    }
    Ok(())
}

pub(super) fn insert(
    tx: &Transaction,
    plan: &hookswitch_directory::NumberPlan,
    book: i64,
    contact: &Contact,
    href: Option<(&str, &str)>,
) -> Result<i64, StoreError> {
    contact
        .validate()
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", contact.name)))?;
    take_speed_dial(tx, contact, None)?;
    tx.execute(
        "INSERT INTO contacts (book, uid, body, name, favourite, speed_dial, href, etag, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            book,
            contact.uid,
            serde_json::to_string(contact)?,
            contact.name,
            contact.favourite,
            contact.speed_dial,
            href.map(|h| h.0),
            href.map(|h| h.1),
            unix_now(),
        ],
    )?;
    let id = tx.last_insert_rowid();
    insert_keys(tx, plan, id, contact)?;
    Ok(id)
}

pub(super) fn update(
    tx: &Transaction,
    plan: &hookswitch_directory::NumberPlan,
    id: i64,
    contact: &Contact,
) -> Result<(), StoreError> {
    contact
        .validate()
        .map_err(|e| StoreError::Invalid(format!("{}: {e}", contact.name)))?;
    take_speed_dial(tx, contact, Some(id))?;
    tx.execute(
        "UPDATE contacts SET uid = ?2, body = ?3, name = ?4, favourite = ?5, speed_dial = ?6, updated = ?7
         WHERE id = ?1",
        params![
            id,
            contact.uid,
            serde_json::to_string(contact)?,
            contact.name,
            contact.favourite,
            contact.speed_dial,
            unix_now(),
        ],
    )?;
    tx.execute("DELETE FROM contact_keys WHERE contact = ?1", [id])?;
    insert_keys(tx, plan, id, contact)?;
    Ok(())
}

fn insert_keys(
    tx: &Transaction,
    plan: &hookswitch_directory::NumberPlan,
    id: i64,
    contact: &Contact,
) -> Result<(), StoreError> {
    let mut keys: Vec<String> = contact
        .addresses
        .iter()
        .filter_map(|a| plan.key(&a.value))
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        tx.execute(
            "INSERT INTO contact_keys (contact, key) VALUES (?1, ?2)",
            params![id, key],
        )?;
    }
    Ok(())
}
