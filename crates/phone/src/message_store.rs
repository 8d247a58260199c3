//! Instant messages kept: phone events in (`Message`, `MessageSent`,
//! `MessageDelivered`, `MessageFailed`), conversations out, one per peer,
//! with unread counts; kept in the store (SQLite) so they survive a restart.
//! A message's row is written again when it changes (delivered, failed,
//! read). Time is given by the caller (seconds since the Unix epoch).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hookswitch_sip::message::Uri;
use serde::{Deserialize, Serialize};

use crate::event::PhoneEvent;
use crate::store::{Store, StoreError};

/// Messages kept in memory (the store keeps them all).
const KEEP: usize = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Came to us.
    Received,
    /// On its way (no final answer yet).
    Sending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StoredMessage {
    /// The store's own number (not the phone's message number).
    pub id: u64,
    /// The conversation: `user@host` (with the port when not the usual one).
    pub peer: String,
    /// Where a reply goes: the peer's address without parameters.
    pub peer_uri: String,
    /// The peer's display name, when a message of theirs gave one.
    pub name: Option<String>,
    pub account: Option<String>,
    pub incoming: bool,
    pub text: String,
    /// Unix seconds.
    pub at: u64,
    pub delivery: Delivery,
    /// Why it failed.
    pub failure: Option<String>,
    /// Seen in the window (ours are read).
    pub read: bool,
}

/// A peer's conversation at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Conversation {
    pub peer: String,
    pub peer_uri: String,
    pub name: Option<String>,
    pub account: Option<String>,
    pub last_text: String,
    pub last_at: u64,
    pub last_incoming: bool,
    pub unread: u32,
}

pub struct MessageStore {
    store: Option<Arc<Store>>,
    /// By store id, oldest first.
    messages: BTreeMap<u64, StoredMessage>,
    /// The phone's message number of ours still on their way -> store id.
    sending: HashMap<u64, u64>,
    next_id: u64,
}

/// The conversation a SIP address belongs to, and the address a reply goes
/// to: `sip:Bob@Example.com:5060;transport=tcp` is `Bob@example.com` at
/// `sip:Bob@example.com`.
pub fn peer_of(address: &str) -> (String, String) {
    match address.parse::<Uri>() {
        Ok(uri) => match uri.as_sip() {
            Some(sip) => {
                let host = sip.host.to_ascii_lowercase();
                let usual = if sip.secure { 5061 } else { 5060 };
                let host_port = match sip.port {
                    Some(p) if p != usual => format!("{host}:{p}"),
                    _ => host,
                };
                let peer = match &sip.user {
                    Some(user) => format!("{user}@{host_port}"),
                    None => host_port,
                };
                let scheme = if sip.secure { "sips" } else { "sip" };
                (peer.clone(), format!("{scheme}:{peer}"))
            }
            None => (address.to_string(), address.to_string()),
        },
        Err(_) => (address.to_string(), address.to_string()),
    }
}

impl MessageStore {
    pub fn in_memory() -> MessageStore {
        MessageStore {
            store: None,
            messages: BTreeMap::new(),
            sending: HashMap::new(),
            next_id: 1,
        }
    }

    /// The latest messages from `store`, where changes are written. A
    /// message still `sending` when the phone stopped is failed, as nobody
    /// will hear its fate now.
    pub fn open(store: Arc<Store>) -> Result<MessageStore, StoreError> {
        let mut messages = MessageStore::in_memory();
        let mut orphans = Vec::new();
        for mut m in store.messages(KEEP)? {
            messages.next_id = messages.next_id.max(m.id + 1);
            if m.delivery == Delivery::Sending {
                m.delivery = Delivery::Failed;
                m.failure = Some("the phone stopped before it heard back".into());
                orphans.push(m.clone());
            }
            messages.messages.insert(m.id, m);
        }
        messages.store = Some(store);
        for m in &orphans {
            messages.save(m);
        }
        Ok(messages)
    }

    /// Follows an event; returns the message it added or changed.
    pub fn on_event(&mut self, event: &PhoneEvent, now: u64) -> Option<StoredMessage> {
        let changed = match event {
            PhoneEvent::Message {
                from,
                name,
                account,
                text,
            } => {
                let (peer, peer_uri) = peer_of(from);
                let id = self.take_id();
                StoredMessage {
                    id,
                    peer,
                    peer_uri,
                    name: name.clone(),
                    account: account.clone(),
                    incoming: true,
                    text: text.clone(),
                    at: now,
                    delivery: Delivery::Received,
                    failure: None,
                    read: false,
                }
            }
            PhoneEvent::MessageSent {
                message,
                to,
                account,
                text,
            } => {
                let (peer, peer_uri) = peer_of(to);
                let id = self.take_id();
                self.sending.insert(*message, id);
                StoredMessage {
                    id,
                    name: self.name_of(&peer),
                    peer,
                    peer_uri,
                    account: account.clone(),
                    incoming: false,
                    text: text.clone(),
                    at: now,
                    delivery: Delivery::Sending,
                    failure: None,
                    read: true,
                }
            }
            PhoneEvent::MessageDelivered { message } => {
                let id = self.sending.remove(message)?;
                let mut m = self.messages.get(&id)?.clone();
                m.delivery = Delivery::Delivered;
                m
            }
            PhoneEvent::MessageFailed {
                message,
                status,
                reason,
            } => {
                let id = self.sending.remove(message)?;
                let mut m = self.messages.get(&id)?.clone();
                m.delivery = Delivery::Failed;
                m.failure = Some(format!("{status} {reason}"));
                m
            }
            _ => return None,
        };
        self.put(changed.clone());
        Some(changed)
    }

    /// Every message of `peer`'s read; returns how many changed.
    pub fn mark_read(&mut self, peer: &str) -> usize {
        let unread: Vec<StoredMessage> = self
            .messages
            .values()
            .filter(|m| m.peer == peer && !m.read)
            .cloned()
            .collect();
        for mut m in unread.iter().cloned() {
            m.read = true;
            self.put(m);
        }
        unread.len()
    }

    /// Conversations, the latest first.
    pub fn conversations(&self) -> Vec<Conversation> {
        let mut by_peer: BTreeMap<&str, Conversation> = BTreeMap::new();
        for m in self.messages.values() {
            let c = by_peer.entry(&m.peer).or_insert_with(|| Conversation {
                peer: m.peer.clone(),
                peer_uri: m.peer_uri.clone(),
                name: None,
                account: None,
                last_text: String::new(),
                last_at: 0,
                last_incoming: false,
                unread: 0,
            });
            // Oldest first: the last one seen is the latest.
            c.last_text = m.text.clone();
            c.last_at = m.at;
            c.last_incoming = m.incoming;
            if m.account.is_some() {
                c.account = m.account.clone();
            }
            if m.name.is_some() {
                c.name = m.name.clone();
            }
            if !m.read {
                c.unread += 1;
            }
        }
        let mut list: Vec<Conversation> = by_peer.into_values().collect();
        list.sort_by(|a, b| b.last_at.cmp(&a.last_at).then(a.peer.cmp(&b.peer)));
        list
    }

    /// One conversation, oldest first.
    pub fn conversation(&self, peer: &str) -> Vec<StoredMessage> {
        self.messages
            .values()
            .filter(|m| m.peer == peer)
            .cloned()
            .collect()
    }

    /// Messages not yet read, over every conversation.
    pub fn unread(&self) -> u32 {
        self.messages.values().filter(|m| !m.read).count() as u32
    }

    fn name_of(&self, peer: &str) -> Option<String> {
        self.messages
            .values()
            .rev()
            .filter(|m| m.peer == peer)
            .find_map(|m| m.name.clone())
    }

    fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Keeps `m` (new or changed) and writes its line.
    fn put(&mut self, m: StoredMessage) {
        self.messages.insert(m.id, m.clone());
        self.trim();
        self.save(&m);
    }

    fn trim(&mut self) {
        while self.messages.len() > KEEP {
            self.messages.pop_first();
        }
    }

    /// Writes `m` to the store. A failure is logged: the message itself is
    /// unaffected.
    fn save(&mut self, m: &StoredMessage) {
        if let Some(store) = &self.store
            && let Err(e) = store.put_message(m)
        {
            tracing::warn!("messages: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(from: &str, text: &str) -> PhoneEvent {
        PhoneEvent::Message {
            from: from.into(),
            name: Some("Bob B".into()),
            account: Some("work".into()),
            text: text.into(),
        }
    }

    fn sent(message: u64, to: &str, text: &str) -> PhoneEvent {
        PhoneEvent::MessageSent {
            message,
            to: to.into(),
            account: Some("work".into()),
            text: text.into(),
        }
    }

    #[test]
    fn peers_are_one_conversation_whatever_the_address_says() {
        assert_eq!(
            peer_of("sip:Bob@Example.COM:5060;transport=tcp"),
            ("Bob@example.com".into(), "sip:Bob@example.com".into())
        );
        assert_eq!(
            peer_of("sip:bob@127.0.0.1:5070"),
            ("bob@127.0.0.1:5070".into(), "sip:bob@127.0.0.1:5070".into())
        );
        assert_eq!(peer_of("sips:bob@h:5061").0, "bob@h");
        assert_eq!(peer_of("not a uri").0, "not a uri");
    }

    #[test]
    fn a_conversation_counts_unread_follows_delivery_and_is_read() {
        let mut s = MessageStore::in_memory();
        s.on_event(&received("sip:bob@pbx.example.com", "hello?"), 100);
        s.on_event(
            &received("sip:bob@pbx.example.com;transport=udp", "you there?"),
            101,
        );
        s.on_event(&received("sip:carol@pbx.example.com", "lunch"), 102);
        let c = s.conversations();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].peer.as_str(), c[0].unread),
            ("carol@pbx.example.com", 1)
        );
        assert_eq!(
            (c[1].peer.as_str(), c[1].unread),
            ("bob@pbx.example.com", 2)
        );
        assert_eq!(s.unread(), 3);

        // Our answer goes to the same conversation; its fate follows it.
        let m = s
            .on_event(&sent(7, "sip:bob@pbx.example.com", "yes"), 103)
            .unwrap();
        assert_eq!(
            (m.delivery, m.name.as_deref()),
            (Delivery::Sending, Some("Bob B"))
        );
        let m = s
            .on_event(&PhoneEvent::MessageDelivered { message: 7 }, 104)
            .unwrap();
        assert_eq!(m.delivery, Delivery::Delivered);
        assert!(
            s.on_event(&PhoneEvent::MessageDelivered { message: 7 }, 105)
                .is_none()
        );
        s.on_event(&sent(8, "sip:carol@pbx.example.com", "sure"), 106);
        let m = s
            .on_event(
                &PhoneEvent::MessageFailed {
                    message: 8,
                    status: 404,
                    reason: "Not Found".into(),
                },
                107,
            )
            .unwrap();
        assert_eq!(
            (m.delivery, m.failure.as_deref()),
            (Delivery::Failed, Some("404 Not Found"))
        );

        assert_eq!(s.mark_read("bob@pbx.example.com"), 2);
        assert_eq!(s.unread(), 1);
        let bob = s.conversation("bob@pbx.example.com");
        let texts: Vec<&str> = bob.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["hello?", "you there?", "yes"]);
    }

    fn store_at(path: &std::path::Path) -> Arc<Store> {
        Arc::new(Store::open(path, hookswitch_directory::NumberPlan::default()).unwrap())
    }

    #[test]
    fn the_store_keeps_conversations_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hookswitch.db");
        {
            let mut s = MessageStore::open(store_at(&path)).unwrap();
            s.on_event(&received("sip:bob@h", "one"), 1);
            s.on_event(&sent(1, "sip:bob@h", "two"), 2);
            s.on_event(&PhoneEvent::MessageDelivered { message: 1 }, 3);
            s.on_event(&sent(2, "sip:bob@h", "lost"), 4);
            s.mark_read("bob@h");
        }
        let s = MessageStore::open(store_at(&path)).unwrap();
        let bob = s.conversation("bob@h");
        let states: Vec<(&str, Delivery, bool)> = bob
            .iter()
            .map(|m| (m.text.as_str(), m.delivery, m.read))
            .collect();
        assert_eq!(
            states,
            [
                ("one", Delivery::Received, true),
                ("two", Delivery::Delivered, true),
                ("lost", Delivery::Failed, true),
            ]
        );
        // New messages number after the old ones.
        let mut s = s;
        let m = s.on_event(&received("sip:bob@h", "three"), 5).unwrap();
        assert_eq!(m.id, 4);
        let failed = MessageStore::open(store_at(&path)).unwrap();
        assert_eq!(
            failed.conversation("bob@h")[2].delivery,
            Delivery::Failed,
            "the failure was written back"
        );
    }

    #[test]
    fn memory_keeps_the_newest() {
        let store = Arc::new(Store::in_memory(hookswitch_directory::NumberPlan::default()));
        let mut s = MessageStore::open(store.clone()).unwrap();
        for n in 0..(KEEP + 10) as u64 {
            s.on_event(&received("sip:bob@h", &format!("m{n}")), n);
        }
        assert_eq!(s.conversation("bob@h").len(), KEEP);
        let s = MessageStore::open(store).unwrap();
        assert_eq!(s.conversation("bob@h").len(), KEEP);
        assert_eq!(s.conversations()[0].last_text, format!("m{}", KEEP + 9));
    }
}
