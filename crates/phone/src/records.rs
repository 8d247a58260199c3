//! What the phone keeps of its events: the call history and the instant
//! messages, written to the store as they happen. One [`Records`] serves
//! every face of a running phone (the window, `hookswitch run`, the local
//! API). The engine's driver feeds it (`StartOptions::records`) before it
//! publishes an event or answers the action that caused it, so a face that
//! saw a call end or a message go out finds it here; what an event added is
//! told to [`Records::subscribe`]rs (the window's notifications).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::broadcast;

use crate::event::PhoneEvent;
use crate::history::{Entry, History};
use crate::message_store::{MessageStore, StoredMessage};
use crate::store::Store;

pub struct Records {
    history: Mutex<History>,
    messages: Mutex<MessageStore>,
    kept: broadcast::Sender<Kept>,
}

/// What one event added to the records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kept {
    /// A call that ended, as the history has it.
    pub call: Option<Entry>,
    /// A message added or changed.
    pub message: Option<StoredMessage>,
}

impl std::fmt::Debug for Records {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Records").finish_non_exhaustive()
    }
}

impl Records {
    /// The records in `store`; in memory (with a warning) for a part the
    /// store cannot give.
    pub fn open(store: &Arc<Store>) -> Arc<Records> {
        let history = History::open(store.clone()).unwrap_or_else(|e| {
            tracing::warn!("{e}; history kept in memory only");
            History::in_memory()
        });
        let messages = MessageStore::open(store.clone()).unwrap_or_else(|e| {
            tracing::warn!("{e}; messages kept in memory only");
            MessageStore::in_memory()
        });
        Self::with(history, messages)
    }

    pub fn in_memory() -> Arc<Records> {
        Self::with(History::in_memory(), MessageStore::in_memory())
    }

    fn with(history: History, messages: MessageStore) -> Arc<Records> {
        Arc::new(Records {
            history: Mutex::new(history),
            messages: Mutex::new(messages),
            kept: broadcast::channel(256).0,
        })
    }

    pub fn history(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn messages(&self) -> MutexGuard<'_, MessageStore> {
        self.messages.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows one event (`now`: Unix seconds) and tells subscribers what
    /// it kept, when anything.
    pub fn record(&self, event: &PhoneEvent, now: u64) {
        let kept = Kept {
            call: self.history().on_event(event, now),
            message: self.messages().on_event(event, now),
        };
        if kept != Kept::default() {
            // No subscriber is no error.
            let _ = self.kept.send(kept);
        }
    }

    /// What each later event added to the records, in order.
    pub fn subscribe(&self) -> broadcast::Receiver<Kept> {
        self.kept.subscribe()
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
