//! Call transfer: REFER and the NOTIFYs of its implicit subscription, each
//! carrying the status line of the new call as `message/sipfrag` (RFC 3515,
//! call flows of RFC 5589). Both roles: we ask the peer to call someone
//! (transferor), or the peer asks us (transferee).

use std::time::Instant;

use crate::message::{HeaderName, Method, NameAddr, Request, Response, Uri};
use crate::transaction::TxKey;
use crate::ua::build::{reason_phrase, response_to};
use crate::ua::{CallId, Event, UaError, UserAgent};

/// The sipfrag status line's code: `SIP/2.0 180 Ringing` -> 180.
pub fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(body).ok()?;
    let line = text.lines().next()?.trim();
    let mut parts = line.split_whitespace();
    (parts.next()? == "SIP/2.0")
        .then(|| parts.next()?.parse().ok())
        .flatten()
        .filter(|s| (100..700).contains(s))
}

impl UserAgent {
    /// Asks the peer of `id` to call `target` instead of us (blind transfer):
    /// REFER with Refer-To and Referred-By. How the new call goes arrives as
    /// `TransferProgress` events.
    pub fn refer(&mut self, now: Instant, id: CallId, target: &Uri) -> Result<(), UaError> {
        self.established(id)?;
        let call = self.calls.get(&id).ok_or(UaError::NoSuchCall)?;
        let mut referred_by = call.dialog.local.clone();
        referred_by.params = Default::default();
        let extra = [
            (
                HeaderName::ReferTo,
                NameAddr::new(target.clone()).to_string(),
            ),
            (HeaderName::ReferredBy, referred_by.to_string()),
        ];
        self.send_in_dialog_with(id, Method::Refer, &extra, None, now);
        Ok(())
    }

    /// Attended transfer: asks the peer of `id` to call the peer of `consult`
    /// (our other call) in its place: REFER whose Refer-To carries Replaces
    /// naming the consultation dialog, as that peer sees it (RFC 3891: to-tag
    /// is its tag, from-tag ours).
    pub fn refer_replacing(
        &mut self,
        now: Instant,
        id: CallId,
        consult: CallId,
    ) -> Result<(), UaError> {
        self.established(consult)?;
        let other = &self.calls.get(&consult).ok_or(UaError::NoSuchCall)?.dialog;
        let replaces = format!(
            "{};to-tag={};from-tag={}",
            other.call_id,
            other.remote_tag.as_deref().unwrap_or_default(),
            other.local_tag
        );
        let mut target = other.remote_target.clone();
        if let Uri::Sip(u) = &mut target {
            u.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("Replaces"));
            u.headers
                .push(("Replaces".into(), escape_header_value(&replaces)));
        }
        self.refer(now, id, &target)
    }

    /// The call an INVITE's Replaces names, if it is one of ours and not
    /// over (either orientation of the tags is taken: some UAs swap them).
    pub(in crate::ua) fn replaced_call(&self, replaces: &str) -> Option<CallId> {
        let mut parts = replaces.split(';');
        let call_id = parts.next()?.trim();
        let (mut to_tag, mut from_tag) = (None, None);
        for p in parts {
            match p.trim().split_once('=') {
                Some((k, v)) if k.eq_ignore_ascii_case("to-tag") => to_tag = Some(v),
                Some((k, v)) if k.eq_ignore_ascii_case("from-tag") => from_tag = Some(v),
                _ => {}
            }
        }
        let (to_tag, from_tag) = (to_tag?, from_tag?);
        let matches = |d: &crate::ua::Dialog| {
            d.call_id == call_id
                && d.remote_tag.is_some()
                && ((d.local_tag == to_tag && d.remote_tag.as_deref() == Some(from_tag))
                    || (d.local_tag == from_tag && d.remote_tag.as_deref() == Some(to_tag)))
        };
        // A call of ours still ringing at the far end is known by its early
        // dialogs (one per branch that answered 18x): a directed pickup
        // names one of those (RFC 3891 3, the early dialog we started).
        self.calls
            .iter()
            .find(|(_, c)| {
                !c.is_ended() && (matches(&c.dialog) || c.early.iter().any(|e| matches(&e.dialog)))
            })
            .map(|(id, _)| *id)
    }

    /// Tells the peer that asked us to transfer (`id` is the call it asked in)
    /// how our call to the target goes: a NOTIFY whose body is the status line
    /// `status`. A final status (200 and up) ends the subscription.
    pub fn notify_transfer(
        &mut self,
        now: Instant,
        id: CallId,
        status: u16,
    ) -> Result<(), UaError> {
        if self.calls.get(&id).is_none_or(|c| c.is_ended()) {
            return Err(UaError::NoSuchCall);
        }
        let state = if status >= 200 {
            "terminated;reason=noresource".to_string()
        } else {
            "active;expires=60".to_string()
        };
        let extra = [
            (HeaderName::Event, "refer".to_string()),
            (HeaderName::SubscriptionState, state),
        ];
        let body = format!("SIP/2.0 {status} {}\r\n", reason_phrase(status)).into_bytes();
        self.send_in_dialog_with(
            id,
            Method::Notify,
            &extra,
            Some(("message/sipfrag;version=2.0", body)),
            now,
        );
        Ok(())
    }

    /// A REFER in the dialog of `id`: accepted (202) and handed to the user,
    /// who places the new call and reports it with `notify_transfer`.
    pub(in crate::ua) fn on_refer(&mut self, key: &TxKey, id: CallId, req: &Request, now: Instant) {
        let refer_to = req
            .headers
            .get(&HeaderName::ReferTo)
            .and_then(|v| v.parse::<NameAddr>().ok());
        let Some(refer_to) = refer_to else {
            self.respond(key, &response_to(req, 400, None), now);
            return;
        };
        // One transfer at a time per call (RFC 3515 allows more; phones do not).
        let mut target = refer_to.uri;
        // An attended transfer puts Replaces in the URI's headers (RFC 3891 3).
        let replaces = match &mut target {
            Uri::Sip(u) => u.take_header("Replaces"),
            _ => None,
        };
        self.respond(key, &response_to(req, 202, None), now);
        self.events.push_back(Event::TransferRequested {
            call: id,
            target,
            replaces,
            referred_by: req.headers.get(&HeaderName::ReferredBy).map(str::to_string),
        });
        // RFC 3515 2.4.4: the first NOTIFY follows the 202 at once.
        let _ = self.notify_transfer(now, id, 100);
    }

    /// A NOTIFY in the dialog of `id`: the progress of a transfer we asked for.
    pub(in crate::ua) fn on_notify(
        &mut self,
        key: &TxKey,
        id: CallId,
        req: &Request,
        now: Instant,
    ) {
        let is_refer = req
            .headers
            .get(&HeaderName::Event)
            .is_some_and(|e| e.split(';').next().unwrap_or_default().trim() == "refer");
        if !is_refer {
            self.respond(key, &response_to(req, 489, None), now);
            return;
        }
        self.respond(key, &response_to(req, 200, None), now);
        let terminated = req
            .headers
            .get(&HeaderName::SubscriptionState)
            .is_some_and(|s| s.trim_start().starts_with("terminated"));
        // A terminated subscription without a status line still ends it.
        let status = sipfrag_status(&req.body).unwrap_or(if terminated { 500 } else { 100 });
        self.events.push_back(Event::TransferProgress {
            call: id,
            status,
            done: terminated || status >= 200,
        });
    }

    /// The answer to our REFER: refused means the transfer is over.
    pub(in crate::ua) fn on_refer_response(&mut self, id: CallId, resp: &Response) {
        if resp.status >= 300 {
            self.events.push_back(Event::TransferProgress {
                call: id,
                status: resp.status,
                done: true,
            });
        }
    }
}

/// A URI header value, percent-escaped (RFC 3261 25.1 `hvalue`).
fn escape_header_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()[]/?:+$".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sipfrag_status_lines() {
        assert_eq!(sipfrag_status(b"SIP/2.0 200 OK\r\n"), Some(200));
        assert_eq!(sipfrag_status(b"SIP/2.0 180 Ringing"), Some(180));
        assert_eq!(
            sipfrag_status(b"SIP/2.0 603 Declined\r\nFoo: bar\r\n"),
            Some(603)
        );
        assert_eq!(sipfrag_status(b"INVITE sip:x SIP/2.0"), None);
        assert_eq!(sipfrag_status(b"SIP/2.0 99 Low"), None);
        assert_eq!(sipfrag_status(b""), None);
        assert_eq!(sipfrag_status(&[0xff, 0xfe]), None);
    }
}
