//! What a hook is told, and how the phone's events become it. [`Follower`]
//! is sans-IO: events and the time in, hook events out. A ringing call
//! waits a moment ([`NAME_WAIT`]) for the address book's name, so a screen
//! pop shows the contact, not just the number.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::event::{CallId, PhoneEvent};

/// How long a ringing call's hooks wait for the address book's name.
pub const NAME_WAIT: Duration = Duration::from_millis(400);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HookEventKind {
    /// A call rings here.
    Ringing,
    /// A call (ours or theirs) was answered.
    Answered,
    /// A call ended (after `missed`, for a missed one).
    Ended,
    /// A call to us nobody answered (it rang out, the caller gave up, or DND
    /// or forwarding took it).
    Missed,
    /// A message came.
    Message,
}

impl HookEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HookEventKind::Ringing => "ringing",
            HookEventKind::Answered => "answered",
            HookEventKind::Ended => "ended",
            HookEventKind::Missed => "missed",
            HookEventKind::Message => "message",
        }
    }
}

/// The webhook's JSON, the templates' fields, the program's variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HookEvent {
    pub event: HookEventKind,
    /// Unique to this event (a webhook receiver drops a second delivery of
    /// the same id).
    pub id: String,
    /// When it happened, Unix seconds.
    pub time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<CallId>,
    /// "incoming" or "outgoing" (calls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    /// The other party's number (or user name) as dialled back.
    pub number: String,
    /// Its SIP address.
    pub remote: String,
    /// The address book's name, else the name it sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Seconds talked (ended, missed: 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u64>,
    /// How it ended ("remote", "local", "cancelled", "dnd", ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A message's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl HookEvent {
    pub fn new(event: HookEventKind, call: CallId, time: u64) -> HookEvent {
        HookEvent {
            event,
            id: String::new(),
            time,
            call: Some(call),
            direction: None,
            number: String::new(),
            remote: String::new(),
            name: None,
            account: None,
            duration: None,
            reason: None,
            text: None,
        }
    }

    /// A field by its template name ("" when absent).
    pub fn field(&self, name: &str) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match name {
            "event" => self.event.as_str().into(),
            "id" => self.id.clone(),
            "time" => self.time.to_string(),
            "call" => self.call.map(|c| c.to_string()).unwrap_or_default(),
            "direction" => opt(&self.direction),
            "number" => self.number.clone(),
            "remote" => self.remote.clone(),
            "name" => opt(&self.name),
            "account" => opt(&self.account),
            "duration" => self.duration.map(|d| d.to_string()).unwrap_or_default(),
            "reason" => opt(&self.reason),
            "text" => opt(&self.text),
            _ => String::new(),
        }
    }

    pub fn incoming(&self) -> Option<bool> {
        self.direction.as_deref().map(|d| d == "incoming")
    }
}

struct OpenCall {
    incoming: bool,
    remote: String,
    account: Option<String>,
    name: Option<String>,
    answered_at: Option<u64>,
    /// Ringing, held back until the name comes or [`NAME_WAIT`] passes.
    ringing_until: Option<Instant>,
}

/// Turns the phone's events into hook events.
#[derive(Default)]
pub struct Follower {
    calls: HashMap<CallId, OpenCall>,
}

impl Follower {
    /// Follows one event at `now` (`unix`: the same time in Unix seconds).
    pub fn on_event(&mut self, e: &PhoneEvent, now: Instant, unix: u64) -> Vec<HookEvent> {
        let mut out = Vec::new();
        match e {
            PhoneEvent::IncomingCall {
                call,
                from,
                account,
                ..
            } => {
                let name = party(from).1;
                self.calls.insert(
                    *call,
                    OpenCall {
                        incoming: true,
                        remote: from.clone(),
                        account: account.clone(),
                        name,
                        answered_at: None,
                        ringing_until: Some(now + NAME_WAIT),
                    },
                );
            }
            PhoneEvent::Calling { call, to, account } => {
                self.calls.insert(
                    *call,
                    OpenCall {
                        incoming: false,
                        remote: to.clone(),
                        account: account.clone(),
                        name: party(to).1,
                        answered_at: None,
                        ringing_until: None,
                    },
                );
            }
            PhoneEvent::Deflected {
                call,
                from,
                account,
                ..
            } => {
                self.calls.entry(*call).or_insert_with(|| OpenCall {
                    incoming: true,
                    remote: from.clone(),
                    account: account.clone(),
                    name: party(from).1,
                    answered_at: None,
                    ringing_until: None,
                });
            }
            PhoneEvent::CallerIdentified { call, name, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.name = Some(name.clone());
                }
                out.extend(self.ring(*call, unix));
            }
            PhoneEvent::Established { call, .. } => {
                out.extend(self.ring(*call, unix));
                if let Some(c) = self.calls.get_mut(call)
                    && c.answered_at.is_none()
                {
                    c.answered_at = Some(unix);
                    out.push(self.call_event(HookEventKind::Answered, *call, unix));
                }
            }
            PhoneEvent::Ended { call, reason, .. } => {
                out.extend(self.ring(*call, unix));
                if self.calls.contains_key(call) {
                    let mut ended = self.call_event(HookEventKind::Ended, *call, unix);
                    let c = &self.calls[call];
                    ended.duration = Some(c.answered_at.map_or(0, |t| unix.saturating_sub(t)));
                    ended.reason = Some(reason.as_str().to_string());
                    if c.incoming && c.answered_at.is_none() {
                        let mut missed = ended.clone();
                        missed.event = HookEventKind::Missed;
                        out.push(missed);
                    }
                    out.push(ended);
                    self.calls.remove(call);
                }
            }
            PhoneEvent::Message {
                from,
                name,
                account,
                text,
            } => {
                let (number, sent_name) = party(from);
                out.push(HookEvent {
                    event: HookEventKind::Message,
                    call: None,
                    number,
                    remote: from.clone(),
                    name: name.clone().or(sent_name),
                    account: account.clone(),
                    text: Some(text.clone()),
                    ..HookEvent::new(HookEventKind::Message, 0, unix)
                });
            }
            _ => {}
        }
        out
    }

    /// Ringing events whose wait for a name is over at `now`.
    pub fn poll(&mut self, now: Instant, unix: u64) -> Vec<HookEvent> {
        let due: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.ringing_until.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        due.into_iter()
            .flat_map(|call| self.ring(call, unix))
            .collect()
    }

    /// When [`Follower::poll`] has something to give.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.calls.values().filter_map(|c| c.ringing_until).min()
    }

    /// The held-back ringing of `call`, now.
    fn ring(&mut self, call: CallId, unix: u64) -> Option<HookEvent> {
        self.calls.get_mut(&call)?.ringing_until.take()?;
        Some(self.call_event(HookEventKind::Ringing, call, unix))
    }

    fn call_event(&self, kind: HookEventKind, call: CallId, unix: u64) -> HookEvent {
        let c = &self.calls[&call];
        HookEvent {
            direction: Some(if c.incoming { "incoming" } else { "outgoing" }.into()),
            number: party(&c.remote).0,
            remote: c.remote.clone(),
            name: c.name.clone(),
            account: c.account.clone(),
            ..HookEvent::new(kind, call, unix)
        }
    }
}

/// The number (or user name) and the display name in an address:
/// `"Bob" <sip:+4930555@host;user=phone>` -> ("+4930555", Some("Bob")).
pub fn party(address: &str) -> (String, Option<String>) {
    use hookswitch_sip::message::{NameAddr, Uri};
    match address.trim().parse::<NameAddr>() {
        Ok(addr) => {
            let name = addr.display.filter(|d| !d.trim().is_empty());
            let number = match &addr.uri {
                Uri::Sip(sip) => sip.user.clone().unwrap_or_else(|| sip.host.clone()),
                Uri::Other { opaque, .. } => {
                    opaque.split(';').next().unwrap_or_default().to_string()
                }
            };
            (number, name)
        }
        Err(_) => (address.trim().to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EndReason;

    fn incoming(call: CallId, from: &str) -> PhoneEvent {
        PhoneEvent::IncomingCall {
            call,
            from: from.into(),
            to: "sip:me@pbx".into(),
            account: Some("office".into()),
            answer_after: None,
            replaces: None,
        }
    }

    fn ended(call: CallId, reason: EndReason) -> PhoneEvent {
        PhoneEvent::Ended {
            call,
            reason,
            status: None,
            detail: None,
            stats: None,
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

    fn kinds(events: &[HookEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.event.as_str()).collect()
    }

    #[test]
    fn ringing_waits_for_the_name_then_answered_and_ended() {
        let t0 = Instant::now();
        let mut f = Follower::default();
        let from = "\"Trunk 7\" <sip:+49305550777@pbx;user=phone>";
        assert!(f.on_event(&incoming(1, from), t0, 100).is_empty());
        assert_eq!(f.next_deadline(), Some(t0 + NAME_WAIT));
        assert!(f.poll(t0 + NAME_WAIT / 2, 100).is_empty());
        let named = PhoneEvent::CallerIdentified {
            call: 1,
            name: "Ayşe Öztürk".into(),
            source: "Contacts".into(),
        };
        let ring = f.on_event(&named, t0 + NAME_WAIT / 2, 100);
        assert_eq!(kinds(&ring), ["ringing"]);
        assert_eq!(ring[0].number, "+49305550777");
        assert_eq!(ring[0].name.as_deref(), Some("Ayşe Öztürk"));
        assert_eq!(ring[0].account.as_deref(), Some("office"));
        assert!(f.poll(t0 + NAME_WAIT * 2, 100).is_empty(), "rung once");
        assert_eq!(kinds(&f.on_event(&established(1), t0, 103)), ["answered"]);
        let end = f.on_event(&ended(1, EndReason::Remote), t0, 163);
        assert_eq!(kinds(&end), ["ended"]);
        assert_eq!(end[0].duration, Some(60));
        assert_eq!(end[0].reason.as_deref(), Some("remote"));
    }

    #[test]
    fn without_a_name_ringing_goes_when_the_wait_is_over_and_a_missed_call_says_so() {
        let t0 = Instant::now();
        let mut f = Follower::default();
        f.on_event(&incoming(2, "<sip:bob@example.com>"), t0, 5);
        let ring = f.poll(t0 + NAME_WAIT, 5);
        assert_eq!(kinds(&ring), ["ringing"]);
        assert_eq!(ring[0].number, "bob");
        assert_eq!(ring[0].name, None);
        let end = f.on_event(&ended(2, EndReason::Cancelled), t0, 30);
        assert_eq!(kinds(&end), ["missed", "ended"]);
        assert_eq!(end[0].duration, Some(0));
        // A call hung up within the wait still rings first.
        f.on_event(&incoming(3, "<sip:carol@example.com>"), t0, 40);
        assert_eq!(
            kinds(&f.on_event(&ended(3, EndReason::Cancelled), t0, 40)),
            ["ringing", "missed", "ended"]
        );
    }
}
