//! Instant messages, a row each, written again when one changes (delivered,
//! failed, read).

use rusqlite::params;

use super::{Store, StoreError};
use crate::message_store::StoredMessage;

impl Store {
    pub fn put_message(&self, m: &StoredMessage) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO messages (id, body, peer, at) VALUES (?1, ?2, ?3, ?4)",
            params![m.id as i64, serde_json::to_string(m)?, m.peer, m.at as i64],
        )?;
        Ok(())
    }

    /// The latest `limit` messages, oldest first.
    pub fn messages(&self, limit: usize) -> Result<Vec<StoredMessage>, StoreError> {
        super::latest(&self.conn(), "messages", limit)
    }
}
