//! The webhook queue and delivery log. A delivery stays queued until its
//! receiver answers 2xx (or it is given up); each hook's deliveries go in
//! the order they were queued.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// One delivery waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedDelivery {
    pub id: i64,
    pub hook: String,
    pub delivery: String,
    pub event: String,
    pub url: String,
    pub body: String,
    pub attempts: u32,
    /// Unix milliseconds.
    pub next_at: i64,
    pub created: i64,
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeliveryLogEntry {
    pub hook: String,
    pub delivery: String,
    pub event: String,
    /// Unix milliseconds.
    pub at: i64,
    pub attempt: u32,
    /// "delivered", "retry" or "given-up".
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why not, when not.
    pub detail: Option<String>,
}

impl Store {
    /// Queues a delivery (once: a second one of the same id is dropped).
    pub fn queue_delivery(
        &self,
        hook: &str,
        delivery: &str,
        event: &str,
        url: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO webhook_queue (hook, delivery, event, url, body, next_at, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![hook, delivery, event, url, body, now_ms],
        )?;
        Ok(())
    }

    /// Each hook's oldest delivery (the one that goes next), soonest first.
    pub fn deliveries_next(&self) -> Result<Vec<QueuedDelivery>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, hook, delivery, event, url, body, attempts, next_at, created
             FROM webhook_queue q
             WHERE id = (SELECT min(id) FROM webhook_queue WHERE hook = q.hook)
             ORDER BY next_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QueuedDelivery {
                id: r.get(0)?,
                hook: r.get(1)?,
                delivery: r.get(2)?,
                event: r.get(3)?,
                url: r.get(4)?,
                body: r.get(5)?,
                attempts: r.get(6)?,
                next_at: r.get(7)?,
                created: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The delivery is done with (taken or given up): out of the queue, and
    /// logged, in one transaction.
    pub fn delivery_done(&self, id: i64, log: &DeliveryLogEntry) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM webhook_queue WHERE id = ?1", params![id])?;
        insert_log(&tx, log)?;
        tx.commit()?;
        Ok(())
    }

    /// The delivery failed: tried again at `next_at`.
    pub fn delivery_retry(
        &self,
        id: i64,
        next_at: i64,
        log: &DeliveryLogEntry,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE webhook_queue SET attempts = attempts + 1, next_at = ?2 WHERE id = ?1",
            params![id, next_at],
        )?;
        insert_log(&tx, log)?;
        tx.commit()?;
        Ok(())
    }

    /// The latest `limit` log lines, newest first.
    pub fn delivery_log(&self, limit: usize) -> Result<Vec<DeliveryLogEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT hook, delivery, event, at, attempt, outcome, status, detail
             FROM webhook_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |r| {
            Ok(DeliveryLogEntry {
                hook: r.get(0)?,
                delivery: r.get(1)?,
                event: r.get(2)?,
                at: r.get(3)?,
                attempt: r.get(4)?,
                outcome: r.get(5)?,
                status: r.get(6)?,
                detail: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many deliveries wait.
    pub fn deliveries_waiting(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM webhook_queue", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        Ok(n as u64)
    }
}

fn insert_log(conn: &rusqlite::Connection, log: &DeliveryLogEntry) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO webhook_log (hook, delivery, event, at, attempt, outcome, status, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            log.hook,
            log.delivery,
            log.event,
            log.at,
            log.attempt,
            log.outcome,
            log.status,
            log.detail
        ],
    )?;
    // The log keeps its latest lines only.
    conn.execute(
        "DELETE FROM webhook_log WHERE id <= (SELECT max(id) FROM webhook_log) - 10000",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(outcome: &str) -> DeliveryLogEntry {
        DeliveryLogEntry {
            hook: "crm".into(),
            delivery: "d1".into(),
            event: "ringing".into(),
            at: 5,
            attempt: 1,
            outcome: outcome.into(),
            status: Some(503),
            detail: None,
        }
    }

    #[test]
    fn each_hook_goes_in_order_and_a_delivery_is_queued_once() {
        let store = Store::in_memory(Default::default());
        store
            .queue_delivery("crm", "d1", "ringing", "http://x", "{}", 10)
            .unwrap();
        store
            .queue_delivery("crm", "d1", "ringing", "http://x", "{}", 11)
            .unwrap();
        store
            .queue_delivery("crm", "d2", "ended", "http://x", "{}", 12)
            .unwrap();
        store
            .queue_delivery("erp", "d3", "ended", "http://y", "{}", 13)
            .unwrap();
        assert_eq!(store.deliveries_waiting().unwrap(), 3);
        let next = store.deliveries_next().unwrap();
        let names: Vec<&str> = next.iter().map(|d| d.delivery.as_str()).collect();
        assert_eq!(names, ["d1", "d3"]);
        store
            .delivery_retry(next[0].id, 1000, &log("retry"))
            .unwrap();
        let next = store.deliveries_next().unwrap();
        assert_eq!(next[0].delivery, "d3", "soonest first");
        assert_eq!((next[1].delivery.as_str(), next[1].attempts), ("d1", 1));
        store.delivery_done(next[1].id, &log("delivered")).unwrap();
        let next = store.deliveries_next().unwrap();
        let names: Vec<&str> = next.iter().map(|d| d.delivery.as_str()).collect();
        assert_eq!(names, ["d2", "d3"]);
        let logged = store.delivery_log(10).unwrap();
        assert_eq!(logged[0].outcome, "delivered");
        assert_eq!(logged[1].outcome, "retry");
    }
}
