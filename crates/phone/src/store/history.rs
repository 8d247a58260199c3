//! Finished calls, one row each, with the other party's caller key so the
//! address book can rank by how often someone was called.

use std::collections::HashMap;

use rusqlite::params;

use super::{Store, StoreError};
use crate::history::Entry;

impl Store {
    pub fn add_history(&self, entry: &Entry) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO history (body, started, key) VALUES (?1, ?2, ?3)",
            params![
                serde_json::to_string(entry)?,
                entry.started as i64,
                self.plan().key(&entry.remote)
            ],
        )?;
        let id = conn.last_insert_rowid();
        drop(conn);
        self.history_writes
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        Ok(id)
    }

    /// The latest `limit` calls, oldest first.
    pub fn history(&self, limit: usize) -> Result<Vec<Entry>, StoreError> {
        super::latest(&self.conn(), "history", limit)
    }

    /// How many calls each caller key was in.
    pub fn call_counts(&self) -> Result<HashMap<String, u32>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT key, COUNT(*) FROM history WHERE key IS NOT NULL GROUP BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
