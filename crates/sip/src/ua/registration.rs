//! Registration of an account's contact with its registrar (RFC 3261 section 10):
//! digest auth, refresh before expiry, back-off after failures, unregister.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::build::{new_call_id, new_tag};
use super::locate::Intent;
use super::{
    AccountConfig, AccountId, Destination, Event, Owner, RegistrationState, Target, Transport,
    UserAgent,
};
use crate::auth::DigestClient;
use crate::message::{
    Contact, HeaderName, Method, NameAddr, Request, Response, SipUri, Uri, parse_uint,
};
use rand::rngs::StdRng;

/// Longest wait between retries after failures.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// First wait after a failure; doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

/// Why a REGISTER did not succeed.
#[derive(Clone)]
enum Failure<'a> {
    Refused(&'a Response),
    /// A 401/407 we could not answer: its challenge, or our credentials.
    Challenge(&'a Response, ChallengeFailure),
    NoAnswer,
    /// The edge could not deliver it; the edge's words.
    Transport(&'a str),
}

/// Why a 401/407 was not answered with credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::ua) enum ChallengeFailure {
    /// No password for the account.
    NoCredentials,
    /// A challenge we cannot answer (no nonce, an algorithm or qop we do
    /// not have, not Digest): what the server asks for, in words.
    Unanswerable(crate::auth::AuthError),
    /// Our answer was refused: a new challenge with the nonce we answered
    /// (not stale), or too many rounds. The credentials are wrong.
    Refused,
}

impl ChallengeFailure {
    /// The words after "401 Unauthorized" in what the user is told.
    pub(in crate::ua) fn explain(&self) -> String {
        match self {
            ChallengeFailure::NoCredentials => "no password is set for this account".into(),
            ChallengeFailure::Unanswerable(e) => e.to_string(),
            ChallengeFailure::Refused => "check user name and password".into(),
        }
    }
}

#[derive(Debug)]
pub(super) struct Registration {
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// True while the user wants the binding (false after `unregister`).
    wanted: bool,
    /// The Expires value of the REGISTER in flight (0 = removing).
    in_flight: Option<u32>,
    digest: Option<DigestClient>,
    proxy_digest: Option<DigestClient>,
    /// Challenges answered for the REGISTER in flight, against loops.
    auth_rounds: u32,
    expires_wanted: u32,
    refresh_at: Option<Instant>,
    retry_at: Option<Instant>,
    failures: u32,
    /// The next NAT keep-alive (registered over UDP only).
    pub keepalive_at: Option<Instant>,
    /// The Contact of the REGISTER in flight, and the one the registrar holds:
    /// when our address changes, the next REGISTER removes the old binding.
    sent_contact: Option<String>,
    bound_contact: Option<String>,
    pub state: RegistrationState,
}

impl Registration {
    pub fn new(local: &SocketAddr, rng: &mut StdRng) -> Self {
        Registration {
            call_id: new_call_id(rng, &local.ip().to_string()),
            from_tag: new_tag(rng),
            cseq: 0,
            wanted: false,
            in_flight: None,
            digest: None,
            proxy_digest: None,
            auth_rounds: 0,
            expires_wanted: 3600,
            refresh_at: None,
            retry_at: None,
            failures: 0,
            keepalive_at: None,
            sent_contact: None,
            bound_contact: None,
            state: RegistrationState::Unregistered,
        }
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.refresh_at, self.retry_at, self.keepalive_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn backoff(&mut self) -> Duration {
        let wait = FIRST_BACKOFF
            .saturating_mul(1 << self.failures.min(8))
            .min(MAX_BACKOFF);
        self.failures += 1;
        wait
    }
}

/// When to refresh a binding (or subscription) granted for `expires` seconds:
/// well before it lapses, leaving room for a retransmitting request (RFC 3261
/// 10.2.4 leaves it to us).
pub(super) fn refresh_after(expires: u32) -> Duration {
    let e = u64::from(expires);
    Duration::from_secs(if e > 64 { e - 32 } else { (e / 2).max(1) })
}

/// The loose Route to an account's outbound proxy, if it has one.
pub(super) fn push_outbound_route(req: &mut Request, acct: &AccountConfig) {
    if let Some(proxy) = &acct.outbound_proxy {
        let mut p = proxy.clone();
        p.params.set("lr", None);
        req.headers.push(HeaderName::Route, format!("<{p}>"));
    }
}

/// Answers the last challenges of an account's REGISTER or SUBSCRIBE up front
/// (saves a round trip on each refresh).
pub(super) fn push_credentials(
    req: &mut Request,
    acct: &AccountConfig,
    digest: &mut Option<DigestClient>,
    proxy_digest: &mut Option<DigestClient>,
    uri: &str,
    rng: &mut StdRng,
) {
    let Some(creds) = &acct.credentials else {
        return;
    };
    let method = req.method.to_string();
    if let Some(d) = digest {
        req.headers.push(
            HeaderName::Authorization,
            d.authorize(creds, &method, uri, rng),
        );
    }
    if let Some(d) = proxy_digest {
        req.headers.push(
            HeaderName::ProxyAuthorization,
            d.authorize(creds, &method, uri, rng),
        );
    }
}

impl UserAgent {
    /// Starts (or restarts) registration of an account.
    pub fn register(&mut self, now: Instant, account: AccountId) -> Result<(), super::UaError> {
        let expires = self
            .cfg
            .accounts
            .get(account.0)
            .ok_or(super::UaError::NoSuchAccount)?
            .expires;
        let reg = &mut self.registrations[account.0];
        reg.wanted = true;
        reg.expires_wanted = expires;
        reg.failures = 0;
        reg.auth_rounds = 0;
        self.send_register(account, expires, now);
        Ok(())
    }

    /// Removes our binding (REGISTER with Expires: 0).
    pub fn unregister(&mut self, now: Instant, account: AccountId) -> Result<(), super::UaError> {
        let reg = self
            .registrations
            .get_mut(account.0)
            .ok_or(super::UaError::NoSuchAccount)?;
        reg.wanted = false;
        reg.refresh_at = None;
        reg.retry_at = None;
        reg.auth_rounds = 0;
        self.send_register(account, 0, now);
        Ok(())
    }

    pub fn registration_state(&self, account: AccountId) -> Option<&RegistrationState> {
        self.registrations.get(account.0).map(|r| &r.state)
    }

    /// True while any REGISTER is waiting for its answer (used to finish
    /// unregistering before exit).
    pub fn registrations_pending(&self) -> bool {
        self.registrations.iter().any(|r| r.in_flight.is_some())
    }

    pub(super) fn registrar_uri(&self, account: AccountId) -> SipUri {
        let acct = &self.cfg.accounts[account.0];
        acct.registrar.clone().unwrap_or_else(|| {
            let mut u = SipUri::new(None, &acct.aor.host, acct.aor.port);
            u.secure = acct.aor.secure;
            u
        })
    }

    /// Where an account's REGISTER goes first: its outbound proxy, else its
    /// registrar, over the account's transport unless the URI names one.
    pub(super) fn registration_hop(&self, account: AccountId) -> Target {
        let (uri, transport) = self.registration_hop_uri(account);
        self.known_hop(&uri, transport)
    }

    /// The URI REGISTERs of `account` go to first (its outbound proxy, or
    /// the registrar) and the account's transport.
    pub(super) fn registration_hop_uri(&self, account: AccountId) -> (SipUri, Option<Transport>) {
        let acct = &self.cfg.accounts[account.0];
        let uri = acct
            .outbound_proxy
            .clone()
            .unwrap_or_else(|| self.registrar_uri(account));
        (uri, acct.transport)
    }

    /// DNS found no registrar for `account` (or could not be asked): a
    /// failure, retried with back-off.
    pub(super) fn register_unlocated(&mut self, account: AccountId, why: &str, now: Instant) {
        self.register_failed(account, Failure::Transport(why), false, now);
    }

    /// Registers `account` again at the next timeout, if it is wanted and no
    /// REGISTER is already on its way.
    pub(super) fn renew_registration_now(&mut self, account: AccountId, now: Instant) {
        let reg = &mut self.registrations[account.0];
        if reg.wanted && reg.in_flight.is_none() {
            reg.refresh_at = Some(now);
        }
    }

    /// Our address changed (a network switch, or STUN saw a new public
    /// address): every wanted registration is renewed with the new Contact,
    /// and that REGISTER removes the old one.
    pub(super) fn renew_registrations_now(&mut self, now: Instant) {
        for i in 0..self.registrations.len() {
            self.renew_registration_now(AccountId(i), now);
        }
    }

    /// The Contact `account` registers now.
    pub(super) fn registration_contact(&self, account: AccountId) -> String {
        let acct = &self.cfg.accounts[account.0];
        self.contact(
            acct.aor.user.as_deref().unwrap_or(&self.cfg.contact_user),
            &self.registration_hop(account),
        )
    }

    /// A TCP or TLS connection we opened closed (`destinations`: the address
    /// and the name it was reached by). Registrations that went over it are
    /// renewed at once: the registrar reaches us over that connection, so
    /// without one we would miss calls until the next refresh.
    pub fn connection_closed(
        &mut self,
        now: Instant,
        transport: Transport,
        destinations: &[Destination],
    ) {
        for i in 0..self.registrations.len() {
            let hop = self.registration_hop(AccountId(i));
            if hop.transport == transport
                && destinations.contains(&hop.destination)
                && matches!(
                    self.registrations[i].state,
                    RegistrationState::Registered { .. }
                )
            {
                tracing::info!(
                    account = i,
                    "connection to the registrar closed; registering again"
                );
                self.renew_registration_now(AccountId(i), now);
            }
        }
    }

    pub(super) fn send_register(&mut self, account: AccountId, expires: u32, now: Instant) {
        let acct = self.cfg.accounts[account.0].clone();
        let registrar = self.registrar_uri(account);
        let (hop_uri, transport) = self.registration_hop_uri(account);
        // RFC 3263: where the registrar is, first (this runs again once DNS
        // has answered).
        let Some((first_hop, alternatives)) =
            self.located_hop(&hop_uri, transport, Intent::Register(account, expires), now)
        else {
            let reg = &mut self.registrations[account.0];
            reg.in_flight = Some(expires);
            reg.refresh_at = None;
            return;
        };
        let contact = self.registration_contact(account);
        let allow = self.allow();
        let reg = &mut self.registrations[account.0];
        // A binding of our old address is removed along the way (RFC 3261
        // 10.2.2): else the registrar would fork calls to an address we left.
        let stale = reg
            .bound_contact
            .as_ref()
            .filter(|old| expires > 0 && **old != contact)
            .map(|old| format!("{old};expires=0"));
        reg.sent_contact = Some(contact.clone());
        reg.cseq += 1;
        reg.in_flight = Some(expires);
        reg.state = if expires > 0 {
            RegistrationState::Registering
        } else {
            reg.state.clone()
        };
        let mut req = Request::new(Method::Register, Uri::Sip(registrar.clone()));
        let mut aor = NameAddr::new(Uri::Sip(acct.aor.clone()));
        aor.display = acct.display_name.clone();
        req.headers.push(HeaderName::MaxForwards, "70");
        req.headers.push(
            HeaderName::From,
            aor.clone().with_tag(&reg.from_tag).to_string(),
        );
        req.headers.push(
            HeaderName::To,
            NameAddr::new(Uri::Sip(acct.aor.clone())).to_string(),
        );
        req.headers.push(HeaderName::CallId, reg.call_id.clone());
        req.headers
            .push(HeaderName::CSeq, format!("{} REGISTER", reg.cseq));
        push_outbound_route(&mut req, &acct);
        req.headers.push(HeaderName::Contact, contact);
        if let Some(stale) = stale {
            req.headers.push(HeaderName::Contact, stale);
        }
        req.headers.push(HeaderName::Expires, expires.to_string());
        req.headers.push(HeaderName::Allow, allow);
        req.headers.push(HeaderName::UserAgent, super::user_agent());
        push_credentials(
            &mut req,
            &acct,
            &mut reg.digest,
            &mut reg.proxy_digest,
            &registrar.to_string(),
            &mut self.rng,
        );
        let state = reg.state.clone();
        if expires > 0 {
            self.events
                .push_back(Event::Registration { account, state });
        }
        self.start_client_tx_with(
            req,
            first_hop,
            alternatives,
            Owner::Registration(account),
            now,
        );
    }

    pub(super) fn on_register_response(
        &mut self,
        account: AccountId,
        resp: Response,
        now: Instant,
    ) {
        if resp.status < 200 {
            return;
        }
        let our_address = self.local_for(&self.registration_hop(account));
        let contact_now = self.registration_contact(account);
        let Some(reg) = self.registrations.get_mut(account.0) else {
            return;
        };
        let Some(expires_sent) = reg.in_flight else {
            return;
        };
        match resp.status {
            200..=299 => {
                reg.in_flight = None;
                reg.failures = 0;
                reg.auth_rounds = 0;
                reg.retry_at = None;
                if expires_sent == 0 {
                    reg.refresh_at = None;
                    reg.bound_contact = None;
                    reg.state = RegistrationState::Unregistered;
                } else {
                    let granted = granted_expires(&resp, &our_address).unwrap_or(expires_sent);
                    reg.bound_contact = reg.sent_contact.take();
                    // Our address changed while this REGISTER was on its way.
                    let moved = reg.bound_contact.as_ref() != Some(&contact_now);
                    reg.refresh_at = Some(if moved {
                        now
                    } else {
                        now + refresh_after(granted)
                    });
                    reg.state = RegistrationState::Registered { expires: granted };
                }
                let state = reg.state.clone();
                let registered = matches!(state, RegistrationState::Registered { .. });
                self.events
                    .push_back(Event::Registration { account, state });
                self.schedule_keepalive(account, now);
                if registered {
                    self.subscribe_voicemail_if_wanted(account, now);
                }
            }
            401 | 407 => {
                if let Err(why) = self.answer_register_challenge(account, &resp, expires_sent, now)
                {
                    self.register_failed(account, Failure::Challenge(&resp, why), false, now);
                }
            }
            423 => {
                // Interval Too Brief: ask again with the registrar's minimum.
                let min = resp.headers.min_expires();
                match min {
                    Some(min) if reg.auth_rounds < 3 => {
                        reg.expires_wanted = min;
                        reg.auth_rounds += 1;
                        self.send_register(account, min, now);
                    }
                    _ => self.register_failed(account, Failure::Refused(&resp), false, now),
                }
            }
            403 | 404 => self.register_failed(account, Failure::Refused(&resp), true, now),
            _ => self.register_failed(account, Failure::Refused(&resp), false, now),
        }
    }

    fn answer_register_challenge(
        &mut self,
        account: AccountId,
        resp: &Response,
        expires: u32,
        now: Instant,
    ) -> Result<(), ChallengeFailure> {
        if self.cfg.accounts[account.0].credentials.is_none() {
            return Err(ChallengeFailure::NoCredentials);
        }
        let proxy = resp.status == 407;
        let challenge = super::calls::pick_challenge(resp)?;
        let reg = &mut self.registrations[account.0];
        let slot = if proxy {
            &mut reg.proxy_digest
        } else {
            &mut reg.digest
        };
        // The same nonce again, not stale: the registrar refused our credentials.
        let same_nonce = slot
            .as_ref()
            .is_some_and(|d| d.challenge().nonce == challenge.nonce);
        let rounds = reg.auth_rounds;
        if rounds >= 2 || (same_nonce && !challenge.stale && rounds >= 1) {
            return Err(ChallengeFailure::Refused);
        }
        let slot = if proxy {
            &mut reg.proxy_digest
        } else {
            &mut reg.digest
        };
        *slot = Some(DigestClient::new(challenge));
        reg.auth_rounds = rounds + 1;
        self.send_register(account, expires, now);
        Ok(())
    }

    fn register_failed(
        &mut self,
        account: AccountId,
        failure: Failure<'_>,
        permanent: bool,
        now: Instant,
    ) {
        let (resp, challenge) = match &failure {
            Failure::Refused(r) => (Some(*r), None),
            Failure::Challenge(r, why) => (Some(*r), Some(why.clone())),
            _ => (None, None),
        };
        let reg = &mut self.registrations[account.0];
        let expires_sent = reg.in_flight.take();
        reg.auth_rounds = 0;
        // Trying again cannot help: the same credentials, the same server.
        let auth_failed = challenge.is_some();
        reg.refresh_at = None;
        if auth_failed {
            // Do not keep answering with a wrong password; start clean next time.
            reg.digest = None;
            reg.proxy_digest = None;
        }
        let retry = if reg.wanted && expires_sent != Some(0) && !permanent && !auth_failed {
            let retry_after = resp
                .and_then(|r| r.headers.get(&HeaderName::RetryAfter))
                .and_then(|v| parse_uint(v.split(';').next().unwrap_or_default(), 3600))
                .map(Duration::from_secs);
            let wait = retry_after.unwrap_or_else(|| reg.backoff());
            reg.retry_at = Some(now + wait);
            Some(wait.as_secs() as u32)
        } else {
            None
        };
        reg.state = RegistrationState::Failed {
            status: resp.map(|r| r.status),
            reason: match (resp, &challenge) {
                (Some(r), Some(why)) => format!("{} {} ({})", r.status, r.reason, why.explain()),
                (Some(r), None) => format!("{} {}", r.status, r.reason),
                (None, _) => match failure {
                    Failure::Transport(error) => error.to_string(),
                    _ => "no answer from the registrar".to_string(),
                },
            },
            retry_in: retry,
        };
        let state = reg.state.clone();
        self.events
            .push_back(Event::Registration { account, state });
    }

    pub(super) fn on_register_timeout(&mut self, account: AccountId, now: Instant) {
        self.register_failed(account, Failure::NoAnswer, false, now);
    }

    /// The REGISTER could not be sent: reported with the edge's reason, retried
    /// with back-off (a registrar that is down now may be up later).
    pub(super) fn on_register_transport_error(
        &mut self,
        account: AccountId,
        error: &str,
        now: Instant,
    ) {
        self.register_failed(account, Failure::Transport(error), false, now);
    }

    pub(super) fn registrations_on_timeout(&mut self, now: Instant) {
        for i in 0..self.registrations.len() {
            let reg = &mut self.registrations[i];
            let due = [reg.refresh_at, reg.retry_at]
                .into_iter()
                .flatten()
                .any(|t| t <= now);
            if due && reg.wanted && reg.in_flight.is_none() {
                reg.refresh_at = None;
                reg.retry_at = None;
                reg.auth_rounds = 0;
                let expires = reg.expires_wanted;
                self.send_register(AccountId(i), expires, now);
            }
        }
    }
}

/// The lifetime the registrar granted our contact: its `expires` parameter in the
/// 200's Contact list, else the Expires header.
fn granted_expires(resp: &Response, local: &SocketAddr) -> Option<u32> {
    let ours = resp.headers.contacts().into_iter().find_map(|c| match c {
        Contact::Addr(a)
            if a.uri
                .as_sip()
                .is_some_and(|u| u.host_port() == local.to_string()) =>
        {
            a.params
                .value("expires")
                .and_then(|e| parse_uint(e, u32::MAX.into()))
        }
        _ => None,
    });
    ours.map(|v| v as u32).or_else(|| resp.headers.expires())
}
