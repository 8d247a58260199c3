//! The store's schema, one numbered SQL file per change. `PRAGMA
//! user_version` says how many have been applied; each runs in its own
//! transaction with the version bump, so a crash leaves the store at one
//! version or the next. A store newer than this program is refused rather
//! than written with a schema it does not know.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// In order; never edit one that has shipped, add the next.
const MIGRATIONS: &[(&str, &str)] = &[
    ("001_first", include_str!("migrations/001_first.sql")),
    ("002_webhooks", include_str!("migrations/002_webhooks.sql")),
];

/// The schema version this program writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Brings `conn` to [`CURRENT`]; returns the version it found. The version
/// is read inside the write transaction, so two processes opening a new
/// store at once migrate it once.
pub fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::Newer {
            found,
            known: CURRENT,
        });
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql).map_err(|e| StoreError::Migration {
            name: (*name).to_string(),
            source: e,
        })?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tracing::info!("store: schema {name} applied");
    }
    tx.commit()?;
    Ok(found)
}
