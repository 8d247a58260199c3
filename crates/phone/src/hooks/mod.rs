//! Hooks: the phone tells other programs what happens (`[[hooks]]`): a
//! CRM's screen pop opened in the browser when a call rings, a program run
//! when one ends, a signed webhook for each missed call or message.
//!
//! - `event.rs`: the hook event and [`Follower`], which makes them from the
//!   phone's events (sans-IO);
//! - `settings.rs`, `template.rs`: what the configuration says;
//! - `launch.rs`: opening a URL, running a program;
//! - `webhook.rs`: the signed POST, its queue on disk and delivery log.

pub mod event;
mod launch;
pub mod settings;
pub mod template;
pub mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rand::RngExt;
use tokio::sync::broadcast::{self, error::RecvError};

pub use event::{Follower, HookEvent, HookEventKind};
pub use settings::{HookDirection, HookSettings};
pub use webhook::Webhooks;

use crate::event::PhoneEvent;
use crate::records::unix_now;
use crate::store::Store;

/// The hooks of a running phone.
pub struct Hooks {
    hooks: Vec<HookSettings>,
    webhooks: Option<Arc<Webhooks>>,
}

impl Hooks {
    /// The hooks of `settings`, their webhooks queued in `store`. A webhook
    /// hook without a secret is left out, with a warning.
    pub fn new(settings: &[HookSettings], store: Arc<Store>) -> Hooks {
        let mut secrets = HashMap::new();
        let mut hooks = Vec::new();
        for h in settings {
            if h.webhook.is_some() {
                match crate::config::password(&h.secret_name()) {
                    Ok(secret) => {
                        secrets.insert(h.name.clone(), secret);
                    }
                    Err(e) => {
                        tracing::warn!("hook {} is off: its webhook needs a secret ({e})", h.name);
                        continue;
                    }
                }
            }
            hooks.push(h.clone());
        }
        let webhooks = if secrets.is_empty() {
            None
        } else {
            match Webhooks::new(store, secrets) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!("webhooks are off: {e}");
                    None
                }
            }
        };
        Hooks { hooks, webhooks }
    }

    /// Acts on the phone's events until the engine stops. (A webhook queue
    /// left from an earlier run is delivered too.)
    pub async fn run(self, mut events: broadcast::Receiver<PhoneEvent>) {
        let _deliverer = self
            .webhooks
            .clone()
            .map(|w| AbortOnDrop(tokio::spawn(w.run())));
        let mut follower = Follower::default();
        loop {
            let deadline = follower.next_deadline();
            let found = tokio::select! {
                e = events.recv() => match e {
                    Ok(e) => follower.on_event(&e, Instant::now(), unix_now()),
                    Err(RecvError::Lagged(n)) => {
                        tracing::warn!("hooks missed {n} phone events");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = sleep_until(deadline) => follower.poll(Instant::now(), unix_now()),
            };
            for mut event in found {
                event.id = new_id();
                self.dispatch(&event);
            }
        }
    }

    fn dispatch(&self, event: &HookEvent) {
        for hook in self.hooks.iter().filter(|h| wants(h, event)) {
            if let Some(url) = &hook.open {
                launch::open(hook, url, event);
            } else if !hook.run.is_empty() {
                launch::run(hook, &hook.run, event);
            } else if let Some(webhooks) = &self.webhooks {
                webhooks.queue(hook, event);
            }
        }
    }
}

/// Whether `hook` acts on `event`.
pub fn wants(hook: &HookSettings, event: &HookEvent) -> bool {
    hook.on.contains(&event.event)
        && hook
            .account
            .as_ref()
            .is_none_or(|a| event.account.as_ref() == Some(a))
        && !matches!(
            (hook.direction, event.incoming()),
            (Some(HookDirection::Incoming), Some(false))
                | (Some(HookDirection::Outgoing), Some(true))
        )
}

/// 128 random bits, hex: an event's id.
fn new_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(on: &[HookEventKind]) -> HookSettings {
        HookSettings {
            name: "crm".into(),
            on: on.to_vec(),
            account: None,
            direction: None,
            open: Some("https://crm.example/?n={number}".into()),
            run: Vec::new(),
            webhook: None,
        }
    }

    #[test]
    fn a_hook_takes_its_events_its_account_and_its_direction() {
        let mut e = HookEvent::new(HookEventKind::Ended, 1, 0);
        e.account = Some("office".into());
        e.direction = Some("outgoing".into());
        assert!(wants(&hook(&[HookEventKind::Ended]), &e));
        assert!(!wants(&hook(&[HookEventKind::Missed]), &e));
        let mut h = hook(&[HookEventKind::Ended]);
        h.account = Some("home".into());
        assert!(!wants(&h, &e));
        h.account = Some("office".into());
        h.direction = Some(HookDirection::Incoming);
        assert!(!wants(&h, &e));
        h.direction = Some(HookDirection::Outgoing);
        assert!(wants(&h, &e));
    }
}
