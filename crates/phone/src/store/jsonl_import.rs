//! Earlier versions kept the call history and the messages in JSON-lines
//! files. The first time a store opens beside them it takes their records
//! in, in the same transaction that notes the import, so it happens once;
//! the files are left as they were (an older version still reads them).

use std::path::Path;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Store, StoreError, unix_now};
use crate::history::Entry;
use crate::message_store::StoredMessage;

impl Store {
    pub(super) fn import_jsonl_once(&self, dir: &Path) -> Result<(), StoreError> {
        self.import_file::<Entry>(dir, "history.jsonl", |tx, plan, e| {
            tx.execute(
                "INSERT INTO history (body, started, key) VALUES (?1, ?2, ?3)",
                params![
                    serde_json::to_string(e)?,
                    e.started as i64,
                    plan.key(&e.remote)
                ],
            )?;
            Ok(())
        })?;
        self.import_file::<StoredMessage>(dir, "messages.jsonl", |tx, _, m| {
            // A message's later lines (delivered, read) replace its first.
            tx.execute(
                "INSERT OR REPLACE INTO messages (id, body, peer, at) VALUES (?1, ?2, ?3, ?4)",
                params![m.id as i64, serde_json::to_string(m)?, m.peer, m.at as i64],
            )?;
            Ok(())
        })
    }

    fn import_file<T: serde::de::DeserializeOwned>(
        &self,
        dir: &Path,
        name: &str,
        put: impl Fn(
            &rusqlite::Transaction,
            &hookswitch_directory::NumberPlan,
            &T,
        ) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(());
        }
        let mut conn = self.conn();
        // Checked in the write transaction: two processes opening the store
        // at once take the file in once.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: Option<i64> = tx
            .query_row("SELECT at FROM imported WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        if done.is_some() {
            return Ok(());
        }
        let loaded = crate::jsonl::load::<T>(&path, name)
            .map_err(|e| StoreError::Invalid(format!("{}: {e}", path.display())))?;
        for record in &loaded.records {
            put(&tx, &self.plan(), record)?;
        }
        tx.execute(
            "INSERT INTO imported (name, at, records) VALUES (?1, ?2, ?3)",
            params![name, unix_now(), loaded.records.len() as i64],
        )?;
        tx.commit()?;
        tracing::info!(
            "store: {} records of {} taken in (the file is kept)",
            loaded.records.len(),
            path.display()
        );
        Ok(())
    }
}
