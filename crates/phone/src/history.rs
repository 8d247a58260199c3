//! Call history: phone events in, one entry per finished call out, kept in
//! the store (SQLite) so the app's history and redial survive a restart.
//! Time is given by the caller (seconds since the Unix epoch).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::event::{CallId, PhoneEvent};
use crate::store::{Store, StoreError};

/// Entries kept in memory (the store keeps them all).
const KEEP: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", ts(rename = "HistoryEntry"))]
#[cfg_attr(feature = "schema", schemars(rename = "HistoryEntry"))]
pub struct Entry {
    pub outgoing: bool,
    /// Who: the caller (incoming) or the number dialled (outgoing).
    pub remote: String,
    pub account: Option<String>,
    /// When it started ringing or was placed, Unix seconds.
    pub started: u64,
    /// Seconds talked (0: never answered).
    pub talked: u64,
    pub answered: bool,
    /// An incoming call nobody answered here (it rang out, the caller gave
    /// up, or DND/forwarding took it).
    pub missed: bool,
    /// How it ended: "local", "remote", "cancelled", "rejected", "dnd", ...
    pub reason: String,
    /// The files it was recorded to (the window's Record), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recordings: Vec<String>,
    /// The address book's name for the other party, when it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

struct Open {
    entry: Entry,
    answered_at: Option<u64>,
}

pub struct History {
    store: Option<Arc<Store>>,
    entries: VecDeque<Entry>,
    open: HashMap<CallId, Open>,
}

impl History {
    /// A history only in memory.
    pub fn in_memory() -> History {
        History {
            store: None,
            entries: VecDeque::new(),
            open: HashMap::new(),
        }
    }

    /// The latest calls from `store`, where finished calls are written.
    pub fn open(store: Arc<Store>) -> Result<History, StoreError> {
        let mut history = History::in_memory();
        for e in store.history(KEEP)? {
            history.push(e);
        }
        history.store = Some(store);
        Ok(history)
    }

    /// Newest first.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().rev()
    }

    /// The last number called (the app's and a keypad's redial).
    pub fn last_dialled(&self) -> Option<&str> {
        self.entries()
            .find(|e| e.outgoing)
            .map(|e| e.remote.as_str())
    }

    /// Follows an event; returns the entry of a call that just ended.
    pub fn on_event(&mut self, event: &PhoneEvent, now: u64) -> Option<Entry> {
        match event {
            PhoneEvent::Calling { call, to, account } => {
                self.start(*call, true, to, account, now);
            }
            PhoneEvent::IncomingCall {
                call,
                from,
                account,
                ..
            } => self.start(*call, false, from, account, now),
            PhoneEvent::Deflected {
                call,
                from,
                account,
                reason,
                ..
            } => {
                // Deflected calls may never have been announced as incoming.
                self.start(*call, false, from, account, now);
                if let Some(open) = self.open.get_mut(call) {
                    open.entry.reason = reason.as_str().to_string();
                }
            }
            PhoneEvent::Recording {
                call,
                path: Some(path),
                ..
            } => {
                if let Some(open) = self.open.get_mut(call) {
                    open.entry.recordings.push(path.clone());
                }
            }
            PhoneEvent::CallerIdentified { call, name, .. } => {
                if let Some(open) = self.open.get_mut(call) {
                    open.entry.name = Some(name.clone());
                }
            }
            PhoneEvent::Established { call, .. } => {
                if let Some(open) = self.open.get_mut(call) {
                    open.answered_at.get_or_insert(now);
                    open.entry.answered = true;
                }
            }
            PhoneEvent::Ended { call, reason, .. } => {
                let mut open = self.open.remove(call)?;
                if open.entry.reason.is_empty() {
                    open.entry.reason = reason.as_str().to_string();
                }
                open.entry.talked = open.answered_at.map_or(0, |t| now.saturating_sub(t));
                open.entry.missed = !open.entry.outgoing && !open.entry.answered;
                let entry = open.entry;
                self.save(&entry);
                self.push(entry.clone());
                return Some(entry);
            }
            _ => {}
        }
        None
    }

    fn start(
        &mut self,
        call: CallId,
        outgoing: bool,
        remote: &str,
        account: &Option<String>,
        now: u64,
    ) {
        self.open.entry(call).or_insert_with(|| Open {
            entry: Entry {
                outgoing,
                remote: remote.to_string(),
                account: account.clone(),
                started: now,
                talked: 0,
                answered: false,
                missed: false,
                reason: String::new(),
                recordings: Vec::new(),
                name: None,
            },
            answered_at: None,
        });
    }

    fn push(&mut self, entry: Entry) {
        self.entries.push_back(entry);
        while self.entries.len() > KEEP {
            self.entries.pop_front();
        }
    }

    /// Writes a finished call to the store. A failure is logged: the call
    /// itself is unaffected.
    fn save(&mut self, entry: &Entry) {
        if let Some(store) = &self.store
            && let Err(e) = store.add_history(entry)
        {
            tracing::warn!("call history: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(call: CallId, reason: &str) -> PhoneEvent {
        PhoneEvent::Ended {
            call,
            reason: serde_json::from_value(serde_json::json!(reason)).unwrap(),
            status: None,
            detail: None,
            stats: None,
        }
    }

    fn incoming(call: CallId, from: &str) -> PhoneEvent {
        PhoneEvent::IncomingCall {
            call,
            from: from.into(),
            to: "sip:me@example.com".into(),
            account: Some("work".into()),
            answer_after: None,
            replaces: None,
        }
    }

    fn established(call: CallId) -> PhoneEvent {
        PhoneEvent::Established {
            call,
            codec: "PCMU".into(),
            remote_media: None,
            encryption: None,
        }
    }

    #[test]
    fn answered_missed_and_dialled_calls_are_told_apart() {
        let mut h = History::in_memory();
        h.on_event(&incoming(1, "sip:bob@example.com"), 100);
        h.on_event(&established(1), 103);
        let talked = h.on_event(&ended(1, "remote"), 163).unwrap();
        assert!(talked.answered && !talked.missed);
        assert_eq!((talked.started, talked.talked), (100, 60));

        h.on_event(&incoming(2, "sip:carol@example.com"), 200);
        let missed = h.on_event(&ended(2, "cancelled"), 230).unwrap();
        assert!(missed.missed && !missed.answered);
        assert_eq!(missed.talked, 0);

        h.on_event(
            &PhoneEvent::Calling {
                call: 3,
                to: "sip:dave@example.com".into(),
                account: None,
            },
            300,
        );
        let dialled = h.on_event(&ended(3, "rejected"), 301).unwrap();
        assert!(dialled.outgoing && !dialled.missed);
        assert_eq!(h.last_dialled(), Some("sip:dave@example.com"));
        let order: Vec<_> = h.entries().map(|e| e.started).collect();
        assert_eq!(order, [300, 200, 100], "newest first");
        assert_eq!(h.on_event(&ended(3, "local"), 400), None, "ended once");
    }

    #[test]
    fn a_recorded_call_lists_its_files_and_old_lines_without_them_still_load() {
        let mut h = History::in_memory();
        h.on_event(&incoming(1, "sip:bob@example.com"), 100);
        h.on_event(&established(1), 101);
        for (path, error) in [
            (Some("/r/a.wav"), None),
            (None, None),
            (None, Some("no room")),
            (Some("/r/b.wav"), None),
        ] {
            h.on_event(
                &PhoneEvent::Recording {
                    call: 1,
                    path: path.map(str::to_string),
                    error: error.map(str::to_string),
                },
                102,
            );
        }
        let entry = h.on_event(&ended(1, "remote"), 110).unwrap();
        assert_eq!(entry.recordings, ["/r/a.wav", "/r/b.wav"]);
        let old = r#"{"outgoing":true,"remote":"x","account":null,"started":1,"talked":0,"answered":false,"missed":false,"reason":"local"}"#;
        let parsed: Entry = serde_json::from_str(old).unwrap();
        assert!(parsed.recordings.is_empty());
    }

    #[test]
    fn a_call_refused_under_dnd_is_missed_with_the_reason() {
        let mut h = History::in_memory();
        h.on_event(
            &PhoneEvent::Deflected {
                call: 7,
                from: "sip:eve@example.com".into(),
                account: None,
                reason: crate::event::DeflectReason::Dnd,
                forwarded_to: None,
                status: 486,
            },
            10,
        );
        let e = h.on_event(&ended(7, "rejected"), 10).unwrap();
        assert!(e.missed);
        assert_eq!(e.reason, "dnd");
    }

    #[test]
    fn the_store_keeps_the_history_over_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/hookswitch.db");
        let plan = hookswitch_directory::NumberPlan::default();
        let store = Arc::new(Store::open(&path, plan.clone()).unwrap());
        let mut h = History::open(store).unwrap();
        h.on_event(&incoming(1, "sip:bob@example.com"), 5);
        h.on_event(
            &PhoneEvent::CallerIdentified {
                call: 1,
                name: "Bob Builder".into(),
                source: "Contacts".into(),
            },
            6,
        );
        h.on_event(&ended(1, "cancelled"), 9);
        drop(h);
        let again = History::open(Arc::new(Store::open(&path, plan).unwrap())).unwrap();
        let entries: Vec<_> = again.entries().collect();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].remote, "sip:bob@example.com");
        assert_eq!(entries[0].name.as_deref(), Some("Bob Builder"));
    }

    #[test]
    fn memory_holds_what_is_kept_and_the_newest_is_first() {
        let store = Arc::new(Store::in_memory(hookswitch_directory::NumberPlan::default()));
        let mut h = History::open(store.clone()).unwrap();
        for call in 0..(KEEP as u64 + 5) {
            h.on_event(&incoming(call, "sip:x@example.com"), call);
            h.on_event(&ended(call, "cancelled"), call);
        }
        assert_eq!(h.entries().count(), KEEP);
        assert_eq!(h.entries().next().unwrap().started, KEEP as u64 + 4);
        assert_eq!(
            store.history(usize::MAX).unwrap().len(),
            KEEP + 5,
            "the store keeps all"
        );
        let again = History::open(store).unwrap();
        assert_eq!(again.entries().count(), KEEP);
        assert_eq!(again.entries().next().unwrap().started, KEEP as u64 + 4);
    }
}
