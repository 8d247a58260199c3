//! Subscriptions to an event package (RFC 6665), sans-IO: presence (RFC
//! 3856) and dialog state for busy lamps (RFC 4235) go through here. A
//! subscription is made from an account (its outbound proxy, credentials on
//! a 401/407), refreshed before it lapses, made anew when the notifier lost
//! it (481 to a refresh, `terminated;reason=deactivated|timeout`), retried
//! with a growing back-off after no answer or a server error, and given up
//! when the notifier says no for good (`rejected`, `noresource`, 403, 404,
//! 489). Each NOTIFY is answered 200 and handed on as an event; what its
//! body says is for the caller to read.

use std::time::{Duration, Instant};

use super::build::{new_call_id, new_tag, response_to};
use super::registration::{push_outbound_route, refresh_after};
use super::{AccountId, Event, Owner, UaError, UserAgent};
use crate::message::{HeaderName, Method, NameAddr, Request, Response, Uri, parse_uint};
use crate::transaction::TxKey;

/// A subscription handle; not a SIP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(pub u64);

/// Where a subscription stands, as its last NOTIFY (or answer) said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// Accepted, not yet authorized (a presence server asks the watched one).
    Pending,
    Active,
    /// Ended by the notifier; `Event::SubscriptionEnded` says whether it
    /// is being made anew.
    Terminated,
}

/// The first retry after a failure; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(30);
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(1800);

/// The wait before the next try after `failures` in a row, for event
/// subscriptions and publications alike: 30 s, doubling, 30 minutes at most.
pub(super) fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.min(6))
        .min(MAX_BACKOFF)
}

#[derive(Debug, Clone)]
pub(super) struct Subscription {
    account: AccountId,
    resource: Uri,
    package: String,
    accept: String,
    expires: u32,
    call_id: String,
    from_tag: String,
    /// The notifier's tag once it answered or notified: the dialog.
    to_tag: Option<String>,
    /// Where in-dialog requests go (the notifier's Contact).
    remote_target: Option<Uri>,
    cseq: u32,
    auth: super::challenged::Challenged,
    in_flight: bool,
    /// When to refresh (or try again).
    due: Option<Instant>,
    /// Failures in a row, for the back-off.
    failures: u32,
    /// Asked to end (Expires: 0 sent): forgotten once answered.
    ending: bool,
}

impl UserAgent {
    /// Subscribes from `account` to `package` events of `resource` (e.g.
    /// "presence" of `sip:bob@pbx`), accepting `accept` bodies, for
    /// `expires` seconds at a time. What comes: `Event::Notified` for each
    /// NOTIFY, `Event::SubscriptionEnded` when it ends.
    pub fn subscribe(
        &mut self,
        now: Instant,
        account: AccountId,
        resource: &Uri,
        package: &str,
        accept: &str,
        expires: u32,
    ) -> Result<SubscriptionId, UaError> {
        resource.as_sip().ok_or(UaError::NotSip)?;
        self.cfg
            .accounts
            .get(account.0)
            .ok_or(UaError::NoSuchAccount)?;
        let id = SubscriptionId(self.next_subscription);
        self.next_subscription += 1;
        let local = self.cfg.local.ip().to_string();
        let sub = Subscription {
            account,
            resource: resource.clone(),
            package: package.to_string(),
            accept: accept.to_string(),
            expires,
            call_id: new_call_id(&mut self.rng, &local),
            from_tag: new_tag(&mut self.rng),
            to_tag: None,
            remote_target: None,
            cseq: 0,
            auth: Default::default(),
            in_flight: false,
            due: None,
            failures: 0,
            ending: false,
        };
        self.subscriptions.insert(id, sub);
        self.send_subscribe(id, now);
        Ok(id)
    }

    /// Ends a subscription (SUBSCRIBE with Expires: 0 in its dialog); it is
    /// forgotten once answered, or at once when it never got a dialog.
    pub fn unsubscribe(&mut self, now: Instant, id: SubscriptionId) {
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        sub.ending = true;
        sub.due = None;
        if sub.to_tag.is_none() && !sub.in_flight {
            self.subscriptions.remove(&id);
            return;
        }
        self.send_subscribe(id, now);
    }

    /// The account and resource a subscription watches.
    pub fn subscription(&self, id: SubscriptionId) -> Option<(AccountId, &Uri, &str)> {
        self.subscriptions
            .get(&id)
            .map(|s| (s.account, &s.resource, s.package.as_str()))
    }

    pub(super) fn send_subscribe(&mut self, id: SubscriptionId, now: Instant) {
        let Some(sub) = self.subscriptions.get(&id) else {
            return;
        };
        let account = sub.account;
        let acct = self.cfg.accounts[account.0].clone();
        let (hop_uri, transport) = self.registration_hop_uri(account);
        let Some((hop, alternatives)) = self.located_hop(
            &hop_uri,
            transport,
            super::locate::Intent::Subscribe(id),
            now,
        ) else {
            return;
        };
        let contact = self.registration_contact(account);
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        sub.cseq += 1;
        sub.in_flight = true;
        sub.due = None;
        let target = match (&sub.to_tag, &sub.remote_target) {
            (Some(_), Some(t)) => t.clone(),
            _ => sub.resource.clone(),
        };
        let mut req = Request::new(Method::Subscribe, target);
        let mut from = NameAddr::new(Uri::Sip(acct.aor.clone()));
        from.display = acct.display_name.clone();
        let mut to = NameAddr::new(sub.resource.clone());
        if let Some(tag) = &sub.to_tag {
            to = to.with_tag(tag);
        }
        req.headers.push(HeaderName::MaxForwards, "70");
        req.headers
            .push(HeaderName::From, from.with_tag(&sub.from_tag).to_string());
        req.headers.push(HeaderName::To, to.to_string());
        req.headers.push(HeaderName::CallId, sub.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{} SUBSCRIBE", sub.cseq));
        push_outbound_route(&mut req, &acct);
        req.headers.push(HeaderName::Contact, contact);
        req.headers.push(HeaderName::Event, sub.package.clone());
        req.headers.push(HeaderName::Accept, sub.accept.clone());
        let expires = if sub.ending { 0 } else { sub.expires };
        req.headers.push(HeaderName::Expires, expires.to_string());
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        let uri = req.uri.to_string();
        sub.auth.authorize(&mut req, &acct, &uri, &mut self.rng);
        self.start_client_tx_with(req, hop, alternatives, Owner::Subscription(id), now);
    }

    pub(super) fn on_subscribe_response(
        &mut self,
        id: SubscriptionId,
        resp: &Response,
        now: Instant,
    ) {
        if resp.status < 200 {
            return;
        }
        let has_credentials = self
            .subscriptions
            .get(&id)
            .is_some_and(|s| self.cfg.accounts[s.account.0].credentials.is_some());
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        sub.in_flight = false;
        if sub.ending && !matches!(resp.status, 401 | 407) {
            self.subscriptions.remove(&id);
            return;
        }
        match resp.status {
            200..=299 => {
                sub.auth.accepted();
                sub.failures = 0;
                if sub.to_tag.is_none() {
                    sub.to_tag = resp
                        .headers
                        .to_addr()
                        .and_then(|t| t.tag().map(str::to_string));
                }
                if let Some(contact) = resp.headers.contact_uri() {
                    sub.remote_target = Some(contact);
                }
                let granted = resp.headers.expires().unwrap_or(sub.expires);
                if granted == 0 {
                    // Accepted and ended at once (a poll): nothing to refresh.
                    return;
                }
                sub.due = Some(now + refresh_after(granted));
            }
            401 | 407 if has_credentials && sub.auth.can_answer() => match sub.auth.answer(resp) {
                Ok(()) => self.send_subscribe(id, now),
                Err(why) => self.give_up(id, format!("{} ({})", resp.status, why.explain())),
            },
            // RFC 6665 4.1.2.2: too short; ask again for at least Min-Expires.
            423 => {
                let min = resp.headers.min_expires();
                match min {
                    Some(min) if min > sub.expires => {
                        sub.expires = min;
                        self.send_subscribe(id, now);
                    }
                    _ => self.give_up(id, "423 without a usable Min-Expires".into()),
                }
            }
            // The notifier lost the dialog: a new subscription (RFC 6665 4.1.2.2).
            481 => self.resubscribe(id, now, Duration::ZERO),
            403 | 404 | 405 | 489 | 501 | 603 | 604 => {
                self.give_up(id, format!("{} {}", resp.status, resp.reason));
            }
            _ => {
                let retry_after = resp
                    .headers
                    .get(&HeaderName::RetryAfter)
                    .and_then(|v| parse_uint(v.split(';').next().unwrap_or(v), 86_400))
                    .map(Duration::from_secs);
                self.retry_later(
                    id,
                    now,
                    retry_after,
                    format!("{} {}", resp.status, resp.reason),
                );
            }
        }
    }

    /// No answer, or the network failed.
    pub(super) fn subscription_failed(&mut self, id: SubscriptionId, now: Instant, why: &str) {
        let ending = self.subscriptions.get(&id).is_some_and(|s| s.ending);
        if ending {
            self.subscriptions.remove(&id);
            return;
        }
        if let Some(sub) = self.subscriptions.get_mut(&id) {
            sub.in_flight = false;
        }
        self.retry_later(id, now, None, why.to_string());
    }

    /// Tries again later, with a back-off, in a new dialog.
    fn retry_later(
        &mut self,
        id: SubscriptionId,
        now: Instant,
        after: Option<Duration>,
        why: String,
    ) {
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        let wait = after.unwrap_or(backoff(sub.failures)).min(MAX_BACKOFF);
        sub.failures += 1;
        tracing::info!(
            subscription = id.0,
            "subscription failed ({why}); again in {wait:?}"
        );
        self.events.push_back(Event::SubscriptionEnded {
            id,
            reason: why,
            retrying: true,
        });
        self.resubscribe(id, now, wait);
    }

    /// A new dialog for the subscription, `after` from now.
    fn resubscribe(&mut self, id: SubscriptionId, now: Instant, after: Duration) {
        let local = self.cfg.local.ip().to_string();
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        sub.call_id = new_call_id(&mut self.rng, &local);
        sub.from_tag = new_tag(&mut self.rng);
        sub.to_tag = None;
        sub.remote_target = None;
        // A new dialog, perhaps another server: no old challenge applies.
        sub.auth = Default::default();
        if after.is_zero() {
            self.send_subscribe(id, now);
        } else {
            sub.due = Some(now + after);
        }
    }

    fn give_up(&mut self, id: SubscriptionId, reason: String) {
        tracing::info!(subscription = id.0, "subscription given up: {reason}");
        self.subscriptions.remove(&id);
        self.events.push_back(Event::SubscriptionEnded {
            id,
            reason,
            retrying: false,
        });
    }

    pub(super) fn subscriptions_on_timeout(&mut self, now: Instant) {
        let due: Vec<SubscriptionId> = self
            .subscriptions
            .iter()
            .filter(|(_, s)| !s.in_flight && s.due.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(s) = self.subscriptions.get_mut(&id) {
                s.auth.accepted();
            }
            self.send_subscribe(id, now);
        }
    }

    pub(super) fn subscriptions_poll_timeout(&self) -> Option<Instant> {
        self.subscriptions
            .values()
            .filter(|s| !s.in_flight)
            .filter_map(|s| s.due)
            .min()
    }

    /// The subscription a NOTIFY belongs to: its Call-ID, our tag in its To,
    /// its event package (RFC 6665 4.1.2.4: a NOTIFY may come before the 2xx).
    pub(super) fn subscription_of_notify(&self, req: &Request) -> Option<SubscriptionId> {
        if req.method != Method::Notify {
            return None;
        }
        let call_id = req.headers.call_id()?;
        let our_tag = req.headers.to_addr()?.tag()?.to_string();
        let event = req.headers.get(&HeaderName::Event)?;
        let package = event.split(';').next()?.trim();
        self.subscriptions
            .iter()
            .find(|(_, s)| {
                s.call_id == call_id
                    && s.from_tag == our_tag
                    && s.package.eq_ignore_ascii_case(package)
            })
            .map(|(id, _)| *id)
    }

    /// A NOTIFY in a subscription of ours: 200, its state followed, its
    /// body handed on.
    pub(super) fn on_subscription_notify(
        &mut self,
        key: &TxKey,
        id: SubscriptionId,
        req: &Request,
        now: Instant,
    ) {
        let Some(state_header) = req.headers.get(&HeaderName::SubscriptionState) else {
            // RFC 6665 8.2.3: Subscription-State is required.
            self.respond(key, &response_to(req, 400, None), now);
            return;
        };
        let (state, params) = subscription_state(state_header);
        self.respond(key, &response_to(req, 200, None), now);
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        if sub.to_tag.is_none() {
            sub.to_tag = req
                .headers
                .from_addr()
                .and_then(|f| f.tag().map(str::to_string));
        }
        if let Some(contact) = req.headers.contact_uri() {
            sub.remote_target = Some(contact);
        }
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.clone())
        };
        let state = match state.as_str() {
            "active" => SubscriptionState::Active,
            "pending" => SubscriptionState::Pending,
            "terminated" => SubscriptionState::Terminated,
            // RFC 6665 4.1.3: an unknown state is treated as pending.
            _ => SubscriptionState::Pending,
        };
        let content_type = req.headers.content_type().map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        self.events.push_back(Event::Notified {
            id,
            state,
            content_type,
            body: req.body.clone(),
        });
        let Some(sub) = self.subscriptions.get_mut(&id) else {
            return;
        };
        match state {
            SubscriptionState::Active | SubscriptionState::Pending => {
                // The notifier may shorten the subscription; refresh before.
                if let Some(left) = param("expires").and_then(|v| v.parse::<u32>().ok())
                    && !sub.in_flight
                    && !sub.ending
                {
                    let at = now + refresh_after(left.max(1));
                    if sub.due.is_none_or(|d| at < d) {
                        sub.due = Some(at);
                    }
                }
            }
            SubscriptionState::Terminated if sub.ending => {
                self.subscriptions.remove(&id);
            }
            SubscriptionState::Terminated => {
                let reason = param("reason").unwrap_or_default().to_ascii_lowercase();
                let retry_after = param("retry-after")
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(Duration::from_secs);
                match reason.as_str() {
                    // RFC 6665 4.2.2: "rejected", "noresource", "invariant":
                    // do not try again.
                    "rejected" | "noresource" | "invariant" => {
                        self.give_up(id, format!("terminated: {reason}"))
                    }
                    // "deactivated", "timeout": at once, in a new dialog.
                    "deactivated" | "timeout" if retry_after.is_none() => {
                        self.events.push_back(Event::SubscriptionEnded {
                            id,
                            reason: format!("terminated: {reason}"),
                            retrying: true,
                        });
                        self.resubscribe(id, now, Duration::ZERO);
                    }
                    // "probation", "giveup", none: later.
                    _ => self.retry_later(
                        id,
                        now,
                        retry_after,
                        format!(
                            "terminated: {}",
                            if reason.is_empty() {
                                "no reason"
                            } else {
                                &reason
                            }
                        ),
                    ),
                }
            }
        }
    }

    pub(super) fn subscriptions_pending(&self) -> bool {
        self.subscriptions.values().any(|s| s.ending && s.in_flight)
    }
}

/// `active;expires=600;retry-after=5` as its state and parameters.
fn subscription_state(value: &str) -> (String, Vec<(String, Option<String>)>) {
    let mut parts = value.split(';');
    let state = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((n, v)) => (n.trim().to_string(), Some(v.trim().to_string())),
            None => (p.trim().to_string(), None),
        })
        .collect();
    (state, params)
}
