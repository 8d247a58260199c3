//! The user agent's transactions by key, with their deadlines in a heap: the
//! next deadline and the transactions due are found in O(log n) per change,
//! not by a scan of every transaction on every datagram and timer (a flood
//! keeps thousands in Timer J's 32 s, and each event paid for all of them).
//! Server transactions keep only their last response; its bytes are summed
//! here so the user agent can refuse new work past a budget. Once a flood's
//! transactions have ended the table gives its room back (a map and a heap
//! keep their largest size otherwise: 8 MB after 4,000 transactions).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use super::TxEntry;
use crate::transaction::TxKey;

/// Room kept however few transactions there are: an ordinary day's.
const MIN_ROOM: usize = 64;

#[derive(Debug, Default)]
pub(super) struct TxTable {
    entries: HashMap<TxKey, TxEntry>,
    /// Each transaction's deadline as of its last change (with its `seq`);
    /// entries a later change or the transaction's end made stale are
    /// dropped once they reach the top, so the top is always current.
    deadlines: BinaryHeap<Reverse<(Instant, u64, TxKey)>>,
    /// Bytes server transactions keep to answer retransmissions.
    server_bytes: usize,
}

impl TxTable {
    pub fn get(&self, key: &TxKey) -> Option<&TxEntry> {
        self.entries.get(key)
    }

    /// For what does not move a deadline (its owner, its next places);
    /// anything else is followed by [`TxTable::touched`].
    pub fn get_mut(&mut self, key: &TxKey) -> Option<&mut TxEntry> {
        self.entries.get_mut(key)
    }

    pub fn contains_key(&self, key: &TxKey) -> bool {
        self.entries.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&TxKey, &TxEntry)> {
        self.entries.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &TxEntry> {
        self.entries.values()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes server transactions keep now.
    pub fn server_bytes(&self) -> usize {
        self.server_bytes
    }

    pub fn insert(&mut self, key: TxKey, entry: TxEntry) {
        if let Some(old) = self.entries.insert(key.clone(), entry) {
            self.server_bytes -= old.held;
        }
        self.touched(&key);
    }

    pub fn remove(&mut self, key: &TxKey) -> Option<TxEntry> {
        let entry = self.entries.remove(key)?;
        self.server_bytes -= entry.held;
        self.prune();
        self.shrink();
        Some(entry)
    }

    /// Halves the map's and the heap's room once three quarters of it are
    /// unused (amortised: each halving follows as many removals as it
    /// moves entries).
    fn shrink(&mut self) {
        if self.entries.capacity() > MIN_ROOM && self.entries.len() * 4 < self.entries.capacity() {
            self.entries.shrink_to(self.entries.len() * 2);
        }
        if self.deadlines.capacity() > MIN_ROOM
            && self.deadlines.len() * 4 < self.deadlines.capacity()
        {
            self.deadlines.shrink_to(self.deadlines.len() * 2);
        }
    }

    /// Room (entries) the map and the heap each keep however empty.
    pub(super) fn room(&self) -> (usize, usize) {
        (self.entries.capacity(), self.deadlines.capacity())
    }

    /// `key`'s transaction changed (a message or a timer): it is dropped if
    /// it ended, else its bytes are counted again and its deadline queued.
    pub fn touched(&mut self, key: &TxKey) {
        let Some(entry) = self.entries.get_mut(key) else {
            return;
        };
        if entry.tx.is_terminated() {
            self.remove(key);
            return;
        }
        let held = entry.tx.held_bytes();
        self.server_bytes = self.server_bytes - entry.held + held;
        entry.held = held;
        if let Some(at) = entry.tx.poll_timeout() {
            self.deadlines.push(Reverse((at, entry.seq, key.clone())));
        }
        self.prune();
    }

    /// Drops stale deadlines from the top: an ended transaction's, or one a
    /// later change moved (each change queued the new one).
    fn prune(&mut self) {
        while let Some(Reverse((at, seq, key))) = self.deadlines.peek() {
            let current = self
                .entries
                .get(key)
                .filter(|e| e.seq == *seq)
                .and_then(|e| e.tx.poll_timeout());
            if current == Some(*at) {
                return;
            }
            self.deadlines.pop();
        }
    }

    /// The earliest deadline of any transaction.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.peek().map(|Reverse((at, ..))| *at)
    }

    /// The transactions due at `now`, by deadline and then in the order they
    /// were started (a seeded run repeats itself), each once.
    pub fn take_due(&mut self, now: Instant) -> Vec<TxKey> {
        let mut due = Vec::new();
        while self.next_deadline().is_some_and(|at| at <= now) {
            let Some(Reverse((_, seq, key))) = self.deadlines.pop() else {
                break;
            };
            let current = self
                .entries
                .get(&key)
                .filter(|e| e.seq == seq)
                .and_then(|e| e.tx.poll_timeout())
                .filter(|at| *at <= now);
            if let Some(at) = current {
                due.push((at, seq, key));
            }
        }
        self.prune();
        self.shrink();
        due.sort_by_key(|(at, seq, _)| (*at, *seq));
        due.dedup_by_key(|(_, seq, _)| *seq);
        due.into_iter().map(|(_, _, key)| key).collect()
    }
}
