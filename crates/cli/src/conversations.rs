//! Which calls carry on one conversation. A transfer makes a new call in
//! place of an old one: we were transferred (`Transferring`: we call the
//! target ourselves), or an attended transfer's call replaces one of ours
//! (`IncomingCall { replaces }`). `call --duration` and `listen --count`
//! follow the conversation, not only its first call: the old call ending
//! after a transfer is not the end, and does not count.

use std::collections::{BTreeMap, BTreeSet};

use hookswitch_phone::{CallId, PhoneEvent};

#[derive(Debug, Default)]
pub struct Conversations {
    /// Each call seen, by the conversation it belongs to.
    of: BTreeMap<CallId, u64>,
    /// The calls of each conversation that have not ended.
    live: BTreeMap<u64, BTreeSet<CallId>>,
    next: u64,
}

impl Conversations {
    /// Follows `e`; returns the conversation `e` ended (its last live call
    /// ended), as the call that ended.
    pub fn observe(&mut self, e: &PhoneEvent) -> Option<CallId> {
        match e {
            PhoneEvent::IncomingCall {
                call,
                replaces: Some(old),
                ..
            } => self.join(*call, *old),
            PhoneEvent::Transferring { call, new_call, .. } => self.join(*new_call, *call),
            PhoneEvent::Ended { call, .. } => return self.end(*call),
            e => {
                if let Some(call) = e.call() {
                    self.ensure(call);
                }
            }
        }
        None
    }

    /// Whether `a` and `b` are calls of one conversation.
    pub fn same(&self, a: CallId, b: CallId) -> bool {
        a == b || matches!((self.of.get(&a), self.of.get(&b)), (Some(x), Some(y)) if x == y)
    }

    fn ensure(&mut self, call: CallId) -> u64 {
        if let Some(c) = self.of.get(&call) {
            return *c;
        }
        self.next += 1;
        let conversation = self.next;
        self.of.insert(call, conversation);
        self.live.entry(conversation).or_default().insert(call);
        conversation
    }

    /// `new` carries on the conversation of `old`.
    fn join(&mut self, new: CallId, old: CallId) {
        let target = self.ensure(old);
        if let Some(previous) = self.of.insert(new, target)
            && previous != target
            && let Some(calls) = self.live.get_mut(&previous)
        {
            calls.remove(&new);
            if calls.is_empty() {
                self.live.remove(&previous);
            }
        }
        self.live.entry(target).or_default().insert(new);
    }

    fn end(&mut self, call: CallId) -> Option<CallId> {
        let conversation = self.ensure(call);
        let calls = self.live.get_mut(&conversation)?;
        calls.remove(&call);
        if calls.is_empty() {
            self.live.remove(&conversation);
            return Some(call);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_phone::event::EndReason;

    fn calling(call: CallId) -> PhoneEvent {
        PhoneEvent::Calling {
            call,
            to: "sip:x@example.com".into(),
            account: None,
        }
    }

    fn ended(call: CallId) -> PhoneEvent {
        PhoneEvent::Ended {
            call,
            reason: EndReason::Remote,
            status: None,
            detail: None,
            stats: None,
        }
    }

    #[test]
    fn a_transfer_carries_the_conversation_to_the_new_call() {
        let mut c = Conversations::default();
        c.observe(&calling(1));
        c.observe(&PhoneEvent::Transferring {
            call: 1,
            new_call: 2,
            target: "sip:carol@example.com".into(),
        });
        c.observe(&calling(2));
        assert!(c.same(1, 2));
        assert_eq!(
            c.observe(&ended(1)),
            None,
            "the old call ending is not the end"
        );
        assert_eq!(c.observe(&ended(2)), Some(2));
    }

    #[test]
    fn a_failed_transfer_leaves_the_old_call_going() {
        let mut c = Conversations::default();
        c.observe(&calling(1));
        c.observe(&calling(2));
        c.observe(&PhoneEvent::Transferring {
            call: 1,
            new_call: 2,
            target: "sip:busy@example.com".into(),
        });
        assert_eq!(c.observe(&ended(2)), None);
        assert_eq!(c.observe(&ended(1)), Some(1));
    }

    #[test]
    fn a_replacing_call_carries_on_and_unrelated_calls_stand_alone() {
        let mut c = Conversations::default();
        c.observe(&calling(1));
        c.observe(&calling(3));
        c.observe(&PhoneEvent::IncomingCall {
            call: 2,
            from: "sip:b@example.com".into(),
            to: "sip:a@example.com".into(),
            account: None,
            answer_after: None,
            replaces: Some(1),
        });
        assert!(c.same(1, 2) && !c.same(1, 3));
        assert_eq!(c.observe(&ended(1)), None);
        assert_eq!(c.observe(&ended(3)), Some(3));
        assert_eq!(c.observe(&ended(2)), Some(2));
    }
}
