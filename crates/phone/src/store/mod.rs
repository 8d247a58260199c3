//! The one store of what a user keeps: contacts (local and synced address
//! books), call history and messages, in SQLite (`hookswitch.db` in the XDG
//! data folder; decisions D72). WAL, and `synchronous = FULL`, so a commit
//! that returned survives a `kill -9` and a power cut. The desktop app and
//! the CLI may have it open at once; each change is one transaction, taken
//! for writing from its start (`IMMEDIATE`), so two writers wait for each
//! other (up to 5 s) instead of failing.
//!
//! - `migrations.rs`: the schema, versioned;
//! - `contacts.rs`: address books and contacts, with their caller keys;
//! - `books.rs`: synced (CardDAV) books and their sync state;
//! - `history.rs`, `messages.rs`: what the phone did and said;
//! - `jsonl_import.rs`: the history and messages files of earlier versions,
//!   read once.

mod books;
mod contacts;
mod history;
mod jsonl_import;
mod messages;
mod migrations;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use hookswitch_directory::NumberPlan;
use rusqlite::Connection;

pub use books::{RemoteCard, SyncBatch};
pub use contacts::{Book, BookKind, ImportReport, LOCAL_BOOK, StoredContact};
pub use migrations::CURRENT as SCHEMA_VERSION;
pub use webhooks::{DeliveryLogEntry, QueuedDelivery};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the store was written by a newer Hookswitch (schema {found}, this one knows {known})")]
    Newer { found: i64, known: i64 },
    #[error("store schema {name}: {source}")]
    Migration {
        name: String,
        source: rusqlite::Error,
    },
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("store: a stored record does not read back: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("no contact {0}")]
    NoContact(i64),
    #[error("no address book {0}")]
    NoBook(i64),
    #[error("address book {0} is read-only")]
    ReadOnly(String),
}

pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
    /// How numbers are read into caller keys (the settings may change it).
    plan: Mutex<NumberPlan>,
    /// Commits to contacts made through this store (SQLite's
    /// `data_version` counts only other connections').
    writes: AtomicU64,
    /// Calls added to the history through this store.
    history_writes: AtomicU64,
}

impl Store {
    /// `$XDG_DATA_HOME/hookswitch/hookswitch.db` (or `~/.local/share/...`).
    pub fn default_path() -> PathBuf {
        crate::config::xdg_dir("XDG_DATA_HOME", ".local/share").join("hookswitch.db")
    }

    /// Opens (or makes) the store at `path`, brings its schema up to date,
    /// and, the first time, takes in `history.jsonl` and `messages.jsonl`
    /// from the same folder (the files stay as they were). `plan` reads
    /// the numbers of contacts and callers; when it differs from the one
    /// the keys were made with, they are made again.
    pub fn open(path: &Path, plan: NumberPlan) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.into(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.into(),
            source,
        })?;
        let store = Store::set_up(conn, Some(path.to_path_buf()), plan)?;
        if let Some(dir) = path.parent() {
            store.import_jsonl_once(dir)?;
        }
        Ok(store)
    }

    /// A store in memory (tests, or when the file cannot be opened).
    pub fn in_memory(plan: NumberPlan) -> Store {
        let conn = Connection::open_in_memory().expect("SQLite can always open memory");
        Store::set_up(conn, None, plan).expect("a new store in memory migrates")
    }

    fn set_up(
        mut conn: Connection,
        path: Option<PathBuf>,
        plan: NumberPlan,
    ) -> Result<Store, StoreError> {
        // Another process (the CLI beside the app) may hold the write lock
        // for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        let store = Store {
            conn: Mutex::new(conn),
            path,
            plan: Mutex::new(plan),
            writes: AtomicU64::new(0),
            history_writes: AtomicU64::new(0),
        };
        store.rekey_if_the_plan_changed()?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn plan(&self) -> NumberPlan {
        self.plan
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads numbers by `plan` from now on; the keys are made again when
    /// it differs from the one they were made with.
    pub fn set_plan(&self, plan: NumberPlan) -> Result<(), StoreError> {
        *self.plan.lock().unwrap_or_else(PoisonError::into_inner) = plan;
        self.rekey_if_the_plan_changed()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves whenever contacts were committed here, or anything by another
    /// process: a cached index is stale when this moved.
    pub fn change_mark(&self) -> Result<(i64, u64), StoreError> {
        let theirs = self
            .conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok((theirs, self.writes.load(Ordering::Acquire)))
    }

    /// Counts a commit to contacts made here.
    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// How many calls were added to the history here (the search's "how
    /// often called" follows it, less eagerly than contacts).
    pub fn history_mark(&self) -> u64 {
        self.history_writes.load(Ordering::Acquire)
    }

    /// SQLite's own check of the file.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

/// The JSON bodies of the latest `limit` rows of `table`, oldest first.
fn latest<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    table: &str,
    limit: usize,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT body FROM (SELECT id, body FROM {table} ORDER BY id DESC LIMIT ?1) ORDER BY id"
    ))?;
    let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for body in rows {
        out.push(serde_json::from_str(&body?)?);
    }
    Ok(out)
}

/// Seconds since the Unix epoch (what rows are stamped with).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
