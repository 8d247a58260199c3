//! Where out-of-dialog requests go first (RFC 3263), as the UA sees it: a
//! first hop named by a host name without a port is located by DNS
//! (NAPTR, SRV, A/AAAA: [`crate::dns::Locator`], driven by the edge, which
//! asks with [`UserAgent::poll_locate`] and answers with
//! [`UserAgent::handle_located`]). Until then the request waits as an
//! intent (register, call, subscribe), replayed once DNS has answered, so
//! that it is built for the transport DNS chose. What DNS gave is kept for
//! its TTL; a place that failed (no answer, unreachable, 503) moves to the
//! back, and the request goes to the next place at once (RFC 3263 4.3).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{AccountId, CallId, Destination, EndReason, Target, Transport, UserAgent};
use crate::dns::{Candidate, Request as DnsRequest};
use crate::message::SipUri;

/// The shortest and longest we keep a DNS result (a TTL of 0 would mean
/// asking again for every request; a day-long one would outlive moves).
const MIN_KEEP: Duration = Duration::from_secs(30);
const MAX_KEEP: Duration = Duration::from_secs(3600);

/// Something to do again once DNS has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Intent {
    Register(AccountId, u32),
    Invite(CallId),
    Voicemail(AccountId),
    Message(super::MessageId),
    Subscribe(super::SubscriptionId),
    Publish(super::PublicationId),
}

#[derive(Debug, Default)]
pub(super) struct Locations {
    /// What DNS said, and until when it holds.
    found: HashMap<DnsRequest, (Vec<Candidate>, Instant)>,
    /// Asked of the edge and not answered; what waits for each.
    asked: HashMap<DnsRequest, Vec<Intent>>,
    /// To ask the edge.
    out: VecDeque<DnsRequest>,
}

/// The DNS question for a first hop to `uri` (with the account's transport
/// when the URI names none), or `None` when no DNS is needed (an address,
/// or a name with a port: the edge resolves that one itself).
pub(super) fn question(uri: &SipUri, transport: Option<Transport>) -> Option<DnsRequest> {
    let host = uri.host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok() || uri.port.is_some() {
        return None;
    }
    let named = match uri.transport().as_deref() {
        Some("tcp") => Some(Transport::Tcp),
        Some("tls") => Some(Transport::Tls),
        Some("udp") => Some(Transport::Udp),
        _ => None,
    };
    Some(DnsRequest {
        host: host.to_ascii_lowercase(),
        port: None,
        transport: named.or(if uri.secure { None } else { transport }),
        secure: uri.secure,
    })
}

fn target_of(c: &Candidate) -> Target {
    Target {
        transport: c.transport,
        destination: Destination::Addr(c.addr),
    }
}

impl UserAgent {
    /// A DNS question for the edge: locate this (RFC 3263), then call
    /// [`UserAgent::handle_located`].
    pub fn poll_locate(&mut self) -> Option<DnsRequest> {
        self.locations.out.pop_front()
    }

    /// DNS has answered `request`: the places to try in order and how long
    /// that holds (seconds), or why there are none. What waited goes now.
    pub fn handle_located(
        &mut self,
        now: Instant,
        request: DnsRequest,
        result: Result<(Vec<Candidate>, u32), String>,
    ) {
        let waiting = self.locations.asked.remove(&request).unwrap_or_default();
        let failure = match result {
            Ok((candidates, _)) if candidates.is_empty() => {
                Some(format!("{} has no SIP server in DNS", request.host))
            }
            Ok((candidates, ttl)) => {
                let keep = Duration::from_secs(u64::from(ttl)).clamp(MIN_KEEP, MAX_KEEP);
                self.locations
                    .found
                    .insert(request.clone(), (candidates, now + keep));
                None
            }
            Err(why) => Some(format!("cannot locate {} in DNS: {why}", request.host)),
        };
        for intent in waiting {
            match (&failure, intent) {
                (None, Intent::Register(account, expires)) => {
                    self.send_register(account, expires, now)
                }
                (None, Intent::Invite(call)) => self.resend_invite_located(call, now),
                (None, Intent::Voicemail(account)) => self.send_voicemail_subscribe(account, now),
                (None, Intent::Message(id)) => {
                    if let Err(e) = self.send_message_now(id, now) {
                        self.message_timed_out(id, 503, &e.to_string());
                    }
                }
                (Some(why), Intent::Message(id)) => self.message_timed_out(id, 503, why),
                (None, Intent::Subscribe(id)) => self.send_subscribe(id, now),
                (Some(why), Intent::Subscribe(id)) => self.subscription_failed(id, now, why),
                (None, Intent::Publish(id)) => self.resend_publish_located(id, now),
                (Some(why), Intent::Publish(id)) => self.publication_failed(id, now, why),
                (Some(why), Intent::Register(account, _)) => {
                    self.register_unlocated(account, why, now)
                }
                (Some(why), Intent::Invite(call)) => self.end_call(
                    call,
                    EndReason::Rejected {
                        status: 503,
                        reason: why.clone(),
                    },
                    now,
                ),
                (Some(_), Intent::Voicemail(account)) => self.voicemail_retry_later(account, now),
            }
        }
    }

    /// The first hop toward `uri` with the places after it, as DNS located
    /// it; `None` while DNS is asked (then `intent` runs again when it has
    /// answered). A hop that needs no DNS is `Target::from_uri`'s.
    pub(super) fn located_hop(
        &mut self,
        uri: &SipUri,
        transport: Option<Transport>,
        intent: Intent,
        now: Instant,
    ) -> Option<(Target, Vec<Target>)> {
        let Some(q) = question(uri, transport) else {
            return Some((plain_hop(uri, transport), Vec::new()));
        };
        if let Some((found, until)) = self.locations.found.get(&q)
            && now < *until
            && let Some((first, rest)) = found.split_first()
        {
            return Some((target_of(first), rest.iter().map(target_of).collect()));
        }
        let waiting = self.locations.asked.entry(q.clone()).or_default();
        if waiting.is_empty() {
            self.locations.out.push_back(q);
        }
        if !waiting.contains(&intent) {
            waiting.push(intent);
        }
        None
    }

    /// The first hop toward `uri` as last located, or as the URI says when
    /// DNS has not been asked (for the transport and address of a Contact).
    pub(super) fn known_hop(&self, uri: &SipUri, transport: Option<Transport>) -> Target {
        question(uri, transport)
            .and_then(|q| self.locations.found.get(&q))
            .and_then(|(found, _)| found.first())
            .map(target_of)
            .unwrap_or_else(|| plain_hop(uri, transport))
    }

    /// `target` did not work (no answer, unreachable, 503): it goes to the
    /// back of every list it is in.
    pub(super) fn demote(&mut self, target: &Target) {
        let Destination::Addr(addr) = target.destination else {
            return;
        };
        for (found, _) in self.locations.found.values_mut() {
            if let Some(i) = found
                .iter()
                .position(|c| c.addr == addr && c.transport == target.transport)
            {
                let c = found.remove(i);
                found.push(c);
            }
        }
    }
}

/// The first hop as the URI says, over `transport` when it names none (at
/// that transport's default port when it has none).
fn plain_hop(uri: &SipUri, transport: Option<Transport>) -> Target {
    let mut hop = Target::from_uri(uri);
    if uri.transport().is_none()
        && !uri.secure
        && let Some(t) = transport
    {
        hop.transport = t;
    }
    if uri.port.is_none() {
        let default = hop.transport.default_port();
        match &mut hop.destination {
            Destination::Addr(a) => a.set_port(default),
            Destination::Host { port, .. } => *port = default,
        }
    }
    hop
}
