//! Webhooks: each event POSTed as JSON to the hook's URL, signed
//! (`X-Hookswitch-Signature: sha256=HEX`, the HMAC-SHA256 with the hook's
//! secret of `TIMESTAMP.BODY`, the timestamp in `X-Hookswitch-Timestamp`),
//! from a queue in the store: a receiver that is down gets everything once
//! it is back, in order, each event once (`X-Hookswitch-Delivery` carries
//! the event's id across attempts). Each attempt is logged.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::event::HookEvent;
use super::settings::HookSettings;
use crate::store::{DeliveryLogEntry, QueuedDelivery, Store};

/// A delivery not taken within this long is given up (and logged so).
const GIVE_UP_AFTER_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 5 * 60 * 1000;

pub struct Webhooks {
    store: Arc<Store>,
    http: reqwest::Client,
    /// By hook name: its secret.
    secrets: HashMap<String, String>,
    wake: Notify,
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: u64, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, format!("{timestamp}.{body}").as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s, ... 5 min.
pub fn backoff_ms(attempts: u32) -> i64 {
    (1000i64 << attempts.min(20)).min(MAX_BACKOFF_MS)
}

pub fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Webhooks {
    /// `secrets`: each webhook hook's secret, by hook name.
    pub fn new(
        store: Arc<Store>,
        secrets: HashMap<String, String>,
    ) -> Result<Arc<Webhooks>, String> {
        let http = crate::edge::http::client(Duration::from_secs(20))?;
        Ok(Arc::new(Webhooks {
            store,
            http,
            secrets,
            wake: Notify::new(),
        }))
    }

    /// Queues `event` for `hook` (kept in the store before this returns).
    pub fn queue(&self, hook: &HookSettings, event: &HookEvent) {
        let Some(url) = &hook.webhook else { return };
        let url = super::template::expand(url, event, true);
        let body = match serde_json::to_string(event) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("hook {}: {e}", hook.name);
                return;
            }
        };
        match self.store.queue_delivery(
            &hook.name,
            &event.id,
            event.event.as_str(),
            &url,
            &body,
            unix_ms(),
        ) {
            Ok(()) => self.wake.notify_one(),
            Err(e) => tracing::warn!("hook {}: cannot queue {}: {e}", hook.name, event.id),
        }
    }

    /// Delivers what is queued, now and as it comes, until dropped.
    pub async fn run(self: Arc<Self>) {
        loop {
            let next = match self.store.deliveries_next() {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!("webhook queue: {e}");
                    Vec::new()
                }
            };
            let now = unix_ms();
            let mut soonest: Option<i64> = None;
            for d in next {
                if d.next_at <= now {
                    self.attempt(&d).await;
                    // What it did changed the queue: look again at once.
                    soonest = Some(now);
                    break;
                }
                soonest = Some(soonest.map_or(d.next_at, |s| s.min(d.next_at)));
            }
            let wait = match soonest {
                Some(at) => Duration::from_millis((at - unix_ms()).max(0) as u64),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    async fn attempt(&self, d: &QueuedDelivery) {
        let attempt = d.attempts + 1;
        let mut log = DeliveryLogEntry {
            hook: d.hook.clone(),
            delivery: d.delivery.clone(),
            event: d.event.clone(),
            at: unix_ms(),
            attempt,
            outcome: String::new(),
            status: None,
            detail: None,
        };
        let result = match self.secrets.get(&d.hook) {
            Some(secret) => self.post(d, secret).await,
            None => Err((None, "no secret for this hook".to_string())),
        };
        let stored = match result {
            Ok(status) => {
                log.outcome = "delivered".into();
                log.status = Some(status);
                self.store.delivery_done(d.id, &log)
            }
            Err((status, why)) => {
                log.status = status;
                log.detail = Some(why.clone());
                if log.at - d.created >= GIVE_UP_AFTER_MS {
                    tracing::warn!(
                        "hook {}: {} given up after {attempt} attempts: {why}",
                        d.hook,
                        d.delivery
                    );
                    log.outcome = "given-up".into();
                    self.store.delivery_done(d.id, &log)
                } else {
                    tracing::info!(
                        "hook {}: {} not taken ({why}); again later",
                        d.hook,
                        d.delivery
                    );
                    log.outcome = "retry".into();
                    self.store
                        .delivery_retry(d.id, log.at + backoff_ms(d.attempts), &log)
                }
            }
        };
        if let Err(e) = stored {
            tracing::warn!("webhook queue: {e}");
        }
    }

    /// One POST: the receiver's 2xx status, or what went wrong.
    async fn post(&self, d: &QueuedDelivery, secret: &str) -> Result<u16, (Option<u16>, String)> {
        let timestamp = (unix_ms() / 1000) as u64;
        let response = self
            .http
            .post(&d.url)
            .header("Content-Type", "application/json")
            .header("X-Hookswitch-Event", &d.event)
            .header("X-Hookswitch-Delivery", &d.delivery)
            .header("X-Hookswitch-Timestamp", timestamp.to_string())
            .header(
                "X-Hookswitch-Signature",
                signature(secret, timestamp, &d.body),
            )
            .body(d.body.clone())
            .send()
            .await
            .map_err(|e| (None, crate::edge::http::error_text(e)))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err((Some(status), format!("the receiver answered {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2's key and data, split at the dot.
        let sig = signature("Jefe", 0, "what do ya want for nothing?");
        // HMAC-SHA256("Jefe", "0.what do ya want for nothing?"), worked out
        // with Python's hmac module.
        assert_eq!(
            sig,
            "sha256=37f471929915ccd2cbbe79feb84ffcff4f2bb25e15fc41c2506687331ae179cc"
        );
    }

    #[test]
    fn back_off_doubles_up_to_five_minutes() {
        assert_eq!(backoff_ms(0), 1000);
        assert_eq!(backoff_ms(1), 2000);
        assert_eq!(backoff_ms(5), 32_000);
        assert_eq!(backoff_ms(9), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
