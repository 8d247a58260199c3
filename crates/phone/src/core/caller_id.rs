//! A name for every call, and a device's speed dial (both asked of the
//! address book at the edge, neither holding the phone up).
//!
//! A name for every call. When a call rings or is placed the core asks the
//! edge to look its other party up ([`Output::Identify`]) and goes on: the
//! ring never waits. The name comes back as [`Input::Identified`], is
//! told (`CallerIdentified`), kept in the call's view, and shown on devices
//! with a display (the P1K's LCD) in place of the number.

use std::time::Instant;

use super::{Output, PhoneCore};
use crate::event::{CallId, PhoneEvent};
use crate::state::{CallPhase, CallView};

/// After an event: a new call is looked up.
pub(super) fn identify_request(e: &PhoneEvent) -> Option<Output> {
    let (call, remote) = match e {
        PhoneEvent::IncomingCall { call, from, .. } => (*call, from),
        PhoneEvent::Calling { call, to, .. } => (*call, to),
        _ => return None,
    };
    Some(Output::Identify {
        call,
        remote: remote.clone(),
    })
}

impl PhoneCore {
    /// The edge found who the other party of `call` is.
    pub(super) fn on_identified(
        &mut self,
        now: Instant,
        call: CallId,
        name: String,
        source: String,
    ) {
        let known = self.state.calls.iter().any(|c| c.id == call);
        let same = self
            .state
            .calls
            .iter()
            .any(|c| c.id == call && c.contact.as_deref() == Some(name.as_str()));
        if !known || same || name.trim().is_empty() {
            return;
        }
        self.emit(now, PhoneEvent::CallerIdentified { call, name, source });
    }

    /// A device's speed dial resolved: called from the device, as a number
    /// dialled on it would be; an empty key does nothing (logged).
    pub(super) fn on_speed_dialed(&mut self, now: Instant, digit: u8, target: Option<String>) {
        match target {
            Some(target) => self.act(
                now,
                crate::action::Action::Call {
                    target,
                    account: None,
                    audio: None,
                },
                super::Origin::Desk,
            ),
            None => tracing::info!(digit, "speed dial key holds no contact"),
        }
    }

    /// What a display shows: who rings, else who the focused call is with.
    pub(super) fn caller_to_show(&self) -> Option<String> {
        let calls = &self.state.calls;
        let shown = calls
            .iter()
            .find(|c| c.phase == CallPhase::Incoming)
            .or_else(|| {
                self.focus
                    .flatten()
                    .and_then(|f| calls.iter().find(|c| c.id == f))
            })?;
        Some(shown_name(shown))
    }
}

/// The contact's name, else the SIP display name, else the user part of the
/// address (a number, mostly).
pub fn shown_name(c: &CallView) -> String {
    if let Some(name) = &c.contact {
        return name.clone();
    }
    match c.remote.parse::<hookswitch_sip::message::NameAddr>() {
        Ok(na) => {
            if let Some(display) = na.display.as_deref().filter(|d| !d.trim().is_empty()) {
                return display.to_string();
            }
            na.uri
                .as_sip()
                .and_then(|s| s.user.clone())
                .unwrap_or_else(|| c.remote.clone())
        }
        Err(_) => c.remote.clone(),
    }
}
