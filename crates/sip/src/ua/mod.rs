//! The user agent: registrations and calls over the transaction layer, sans-IO.
//!
//! Feed it with [`UserAgent::handle_datagram`] / [`UserAgent::handle_message`] and
//! [`UserAgent::handle_timeout`]; drain [`UserAgent::poll_transmit`] and
//! [`UserAgent::poll_event`]; sleep until [`UserAgent::poll_timeout`].

mod build;
mod calls;
mod challenged;
mod dialog;
mod events;
mod incoming;
mod keepalive;
mod locate;
mod messages;
pub mod mwi;
mod publication;
mod registration;
mod subscriptions;
mod transport;
mod tx_table;

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use build::{ALLOW, new_call_id, new_tag, reason_phrase, response_to, user_agent};
pub use dialog::Dialog;
pub use events::{AccountId, CallId, EndReason, Event, RegistrationState};
pub use keepalive::Keepalive;
pub use messages::{MAX_UDP_BODY, MessageId};
pub use publication::PublicationId;
pub use subscriptions::{SubscriptionId, SubscriptionState};
pub use transport::{Destination, Target, Transmit, Transport};

use crate::auth::Credentials;
use crate::message::{
    HeaderName, Message, ParseError, Request, Response, SipUri, error_response, parse_datagram,
};
use crate::transaction::{
    ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite, TimerConfig, TxKey, TxOutput,
    new_branch,
};
use calls::Call;
use rand::rngs::StdRng;
use registration::Registration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UaError {
    #[error("no such call")]
    NoSuchCall,
    #[error("no such account")]
    NoSuchAccount,
    #[error("the call is not in a state that allows this")]
    WrongState,
    #[error("target is not a sip: or sips: URI")]
    NotSip,
    #[error(
        "a message over 1300 bytes cannot go over UDP (RFC 3428 6), and UDP was asked for by name: use transport tcp, tls or auto"
    )]
    TooLargeForUdp,
}

/// One SIP account (AOR) and how to reach its registrar.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// Address of record, e.g. `sip:alice@example.com`.
    pub aor: SipUri,
    pub display_name: Option<String>,
    pub credentials: Option<Credentials>,
    /// Registrar URI; defaults to `sip:<aor host>`.
    pub registrar: Option<SipUri>,
    /// Every request of this account goes here first (a loose route).
    pub outbound_proxy: Option<SipUri>,
    /// The transport to the registrar or proxy; `None`: as DNS says (NAPTR,
    /// RFC 3263), else UDP (TLS for sips:).
    pub transport: Option<Transport>,
    /// Requested registration lifetime in seconds.
    pub expires: u32,
    pub register: bool,
    /// Subscribe to the voicemail box of the AOR (RFC 3842) once registered.
    pub subscribe_voicemail: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The address peers reach us at: Via sent-by and Contact.
    pub local: SocketAddr,
    /// Listening on both IPv4 and IPv6 (`[::]`): the IPv6 address peers
    /// reach us at, used toward IPv6 peers (`local` toward the others).
    pub local_v6: Option<SocketAddr>,
    pub timers: TimerConfig,
    pub accounts: Vec<AccountConfig>,
    /// User part of the Contact (and of From for account-less calls).
    pub contact_user: String,
    /// NAT keep-alives of registrations over UDP.
    pub keepalive: Keepalive,
    /// The port we take TLS connections on, when we do: Via and Contact of
    /// requests over TLS name it (peers connect to it).
    pub tls_port: Option<u16>,
    /// Which instant messages (MESSAGE, RFC 3428) we take, with a 200 and
    /// an event; others are refused (403), all of them with 405 when `No`.
    pub accept_messages: AcceptMessages,
}

/// Whose instant messages a UA takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptMessages {
    /// None: MESSAGE is not a method we have (405).
    No,
    /// Those to one of our accounts.
    ForAccounts,
    /// Those to one of our accounts that came from its registrar's address.
    ViaRegistrar,
    /// Any, also peer to peer to our address.
    Any,
}

/// Counters of what the UA dropped or answered with an error, for diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub malformed_requests: u64,
    pub malformed_responses: u64,
    pub unmatched_responses: u64,
    pub retransmissions_absorbed: u64,
    /// New requests answered 503 without a transaction because server
    /// transactions held [`SERVER_BYTES_BUDGET`] already (a flood).
    pub refused_over_budget: u64,
}

/// Bytes server transactions may cost (their last responses, kept to answer
/// retransmissions, and their places in the table) before new requests are
/// refused statelessly with 503: 4 MiB is some 1,600 transactions, 3 s of a
/// flood of 500 requests a second in Timer J's 32 s.
pub const SERVER_BYTES_BUDGET: usize = 4 * 1024 * 1024;

/// What a server transaction costs besides its response: its entry, its key
/// (in the map and in the deadline heap) and the map's room to spare. The
/// soak's flood measured 2.7 kB of the process's memory per transaction open
/// when only responses were counted, and the phone grew by 43 MB.
pub const SERVER_TRANSACTION_COST: usize = 2048;

/// What a transaction's outputs are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Nobody,
    Registration(AccountId),
    Keepalive(AccountId),
    Voicemail(AccountId),
    Invite(CallId),
    Cancel(CallId),
    Bye(CallId),
    ReInvite(CallId),
    /// Our session refresh by UPDATE (RFC 4028).
    Refresh(CallId),
    Refer(CallId),
    /// An instant message of ours (RFC 3428).
    Message(MessageId),
    /// A SUBSCRIBE of ours (RFC 6665).
    Subscription(SubscriptionId),
    /// A PUBLISH of ours (RFC 3903).
    Publication(PublicationId),
    ServerInvite(CallId),
    InDialog(CallId),
}

#[derive(Debug)]
/// A transaction of either role (UAC: client, UAS: server), INVITE or other.
enum Tx {
    UacInvite(ClientInvite),
    UacOther(ClientNonInvite),
    UasInvite(ServerInvite),
    UasOther(ServerNonInvite),
}

impl Tx {
    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Tx::UacInvite(t) => t.poll_timeout(),
            Tx::UacOther(t) => t.poll_timeout(),
            Tx::UasInvite(t) => t.poll_timeout(),
            Tx::UasOther(t) => t.poll_timeout(),
        }
    }

    fn on_timeout(&mut self, now: Instant, out: &mut Vec<TxOutput>) {
        match self {
            Tx::UacInvite(t) => t.on_timeout(now, out),
            Tx::UacOther(t) => t.on_timeout(now, out),
            Tx::UasInvite(t) => t.on_timeout(now, out),
            Tx::UasOther(t) => t.on_timeout(now, out),
        }
    }

    /// A client transaction still waiting for its final response: the
    /// only kind a transport error can fail. One that has its answer (an
    /// INVITE's 2xx, kept until Timer M for retransmissions; a non-2xx
    /// ACKed) is over for its owner, whatever happens to the path now.
    fn awaits_final_response(&self) -> bool {
        use crate::transaction::ClientInviteState as I;
        use crate::transaction::ClientNonInviteState as N;
        match self {
            Tx::UacInvite(t) => matches!(t.state(), I::Calling | I::Proceeding),
            Tx::UacOther(t) => matches!(t.state(), N::Trying | N::Proceeding),
            Tx::UasInvite(_) | Tx::UasOther(_) => false,
        }
    }

    fn is_terminated(&self) -> bool {
        match self {
            Tx::UacInvite(t) => t.is_terminated(),
            Tx::UacOther(t) => t.is_terminated(),
            Tx::UasInvite(t) => t.is_terminated(),
            Tx::UasOther(t) => t.is_terminated(),
        }
    }

    /// Bytes a server transaction costs: the response it keeps and its
    /// place in the table (clients keep their request, which we wrote and
    /// sized ourselves).
    fn held_bytes(&self) -> usize {
        match self {
            Tx::UasInvite(t) => t.held_bytes() + SERVER_TRANSACTION_COST,
            Tx::UasOther(t) => t.held_bytes() + SERVER_TRANSACTION_COST,
            Tx::UacInvite(_) | Tx::UacOther(_) => 0,
        }
    }
}

#[derive(Debug)]
struct TxEntry {
    tx: Tx,
    /// Its place in the order transactions were started.
    seq: u64,
    /// Where the transaction's messages go (the peer's address for servers).
    target: Target,
    owner: Owner,
    /// Where the request goes next if this place fails (RFC 3263 4.3).
    alternatives: Vec<Target>,
    /// Its bytes as last counted in the table's sum.
    held: usize,
}

pub struct UserAgent {
    cfg: Config,
    txs: tx_table::TxTable,
    /// Transactions started so far: each entry's `seq`, so transactions due
    /// at the same instant are served in a fixed order (a seeded run repeats
    /// itself byte for byte).
    tx_count: u64,
    calls: BTreeMap<CallId, Call>,
    /// Tags, Call-IDs, branches, client nonces, glare waits: all drawn here,
    /// so the same seed and the same inputs give the same bytes.
    rng: StdRng,
    registrations: Vec<Registration>,
    /// Per account: its voicemail subscription (RFC 3842).
    voicemail: Vec<mwi::VoicemailSubscription>,
    next_call: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
    /// Addresses our registrations were accepted from (registrars, or the
    /// outbound proxies in front of them).
    registrar_sources: std::collections::HashSet<SocketAddr>,
    /// What DNS located and what waits for it (RFC 3263).
    locations: locate::Locations,
    /// Instant messages of ours on their way.
    messages: BTreeMap<MessageId, messages::Outgoing>,
    next_message: u64,
    subscriptions: BTreeMap<SubscriptionId, subscriptions::Subscription>,
    next_subscription: u64,
    publications: BTreeMap<PublicationId, publication::Publication>,
    next_publication: u64,
}

impl UserAgent {
    /// A user agent whose randomness comes from the operating system.
    pub fn new(cfg: Config) -> Self {
        Self::with_rng(cfg, rand::make_rng())
    }

    /// A user agent drawing every random value from `rng` (seeded in tests).
    pub fn with_rng(cfg: Config, mut rng: StdRng) -> Self {
        let registrations = cfg
            .accounts
            .iter()
            .map(|_| Registration::new(&cfg.local, &mut rng))
            .collect();
        let voicemail = cfg
            .accounts
            .iter()
            .map(|_| mwi::VoicemailSubscription::new(&cfg.local, &mut rng))
            .collect();
        UserAgent {
            cfg,
            txs: tx_table::TxTable::default(),
            tx_count: 0,
            calls: BTreeMap::new(),
            rng,
            registrations,
            voicemail,
            next_call: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            registrar_sources: Default::default(),
            locations: Default::default(),
            messages: BTreeMap::new(),
            next_message: 1,
            subscriptions: BTreeMap::new(),
            next_subscription: 1,
            publications: BTreeMap::new(),
            next_publication: 1,
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The address peers reach us at changed (the network moved, or STUN saw
    /// a new public address): Via and Contact name it from now on, and every
    /// registration is renewed at once, removing the old binding.
    pub fn set_local(&mut self, now: Instant, local: SocketAddr) {
        if self.cfg.local != local {
            self.cfg.local = local;
            self.renew_registrations_now(now);
        }
    }

    /// Transactions open now, and the bytes server transactions keep.
    pub fn transactions(&self) -> (usize, usize) {
        (self.txs.len(), self.txs.server_bytes())
    }

    /// The transaction table's room (entries its map and its deadline heap
    /// could hold without growing): back to a few dozen once a flood ends.
    pub fn transaction_room(&self) -> (usize, usize) {
        self.txs.room()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest instant at which `handle_timeout` has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let txs = self.txs.next_deadline();
        let calls = self.calls.values().filter_map(Call::poll_timeout);
        let regs = self
            .registrations
            .iter()
            .filter_map(Registration::poll_timeout);
        let voicemail = self.voicemail.iter().filter_map(|v| v.refresh_at);
        let subscriptions = self
            .subscriptions_poll_timeout()
            .into_iter()
            .chain(self.publications_poll_timeout());
        txs.into_iter()
            .chain(calls)
            .chain(regs)
            .chain(voicemail)
            .chain(subscriptions)
            .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        for key in self.txs.take_due(now) {
            let mut out = Vec::new();
            if let Some(entry) = self.txs.get_mut(&key) {
                entry.tx.on_timeout(now, &mut out);
            }
            self.route_tx_outputs(&key, out, now);
            self.txs.touched(&key);
        }
        self.calls_on_timeout(now);
        self.registrations_on_timeout(now);
        self.keepalives_on_timeout(now);
        self.voicemail_on_timeout(now);
        self.subscriptions_on_timeout(now);
        self.publications_on_timeout(now);
    }

    /// Something we began still waits for its answer or its ACK: a request
    /// of ours (BYE, CANCEL and the INVITE it ends, REGISTER...) with no
    /// final response yet, a non-2xx final of ours waiting for its ACK, or
    /// a 2xx of ours waiting for its ACK. A process that quits waits until
    /// this is false, for at most 64*T1 (Timer F), so that it finishes what
    /// it started (RFC 3261 9.1, 15.1.1, 17.1, 17.2.1) instead of leaving
    /// the peer to retransmit into a closed port. Keep-alives and voicemail
    /// subscriptions are not waited for.
    pub fn exchanges_pending(&self) -> bool {
        use crate::transaction::{ClientInviteState, ClientNonInviteState, ServerInviteState};
        let txs = self.txs.values().any(|e| {
            if matches!(e.owner, Owner::Keepalive(_) | Owner::Voicemail(_)) {
                return false;
            }
            match &e.tx {
                Tx::UacInvite(t) => matches!(
                    t.state(),
                    ClientInviteState::Calling | ClientInviteState::Proceeding
                ),
                Tx::UacOther(t) => matches!(
                    t.state(),
                    ClientNonInviteState::Trying | ClientNonInviteState::Proceeding
                ),
                Tx::UasInvite(t) => t.state() == ServerInviteState::Completed,
                Tx::UasOther(_) => false,
            }
        });
        txs || self.calls.values().any(Call::awaits_ack)
            || self.registrations_pending()
            || self.subscriptions_pending()
            || self.publications_pending()
    }

    /// One UDP datagram from `source`. Malformed requests are answered 400/505/501
    /// statelessly; malformed responses are dropped and counted.
    pub fn handle_datagram(&mut self, now: Instant, source: SocketAddr, bytes: &[u8]) {
        // A bare CRLF keep-alive (RFC 5626 4.4.1) is answered on the stream only.
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return;
        }
        match parse_datagram(bytes) {
            Ok(message) => self.handle_message(now, Transport::Udp, source, message),
            Err(error) => self.malformed(Transport::Udp, source, bytes, &error),
        }
    }

    /// Reacts to bytes that did not parse: a stateless error answer for requests.
    pub fn malformed(
        &mut self,
        transport: Transport,
        source: SocketAddr,
        bytes: &[u8],
        error: &ParseError,
    ) {
        match error_response(bytes, error) {
            Some(answer) => {
                self.stats.malformed_requests += 1;
                tracing::debug!(%source, %error, "malformed request answered");
                self.transmits.push_back(Transmit {
                    transport,
                    destination: Destination::Addr(source),
                    payload: answer,
                });
            }
            None => {
                self.stats.malformed_responses += 1;
                tracing::debug!(%source, %error, "malformed message dropped");
            }
        }
    }

    /// A parsed message (from a datagram, or framed from a TCP/TLS stream).
    pub fn handle_message(
        &mut self,
        now: Instant,
        transport: Transport,
        source: SocketAddr,
        message: Message,
    ) {
        match message {
            Message::Request(req) => self.on_request(now, transport, source, req),
            Message::Response(resp) => {
                if resp.is_success()
                    && TxKey::for_response(&resp)
                        .and_then(|k| self.txs.get(&k))
                        .is_some_and(|e| matches!(e.owner, Owner::Registration(_)))
                {
                    self.registrar_sources.insert(source);
                }
                self.on_response(now, resp)
            }
        }
    }

    fn on_response(&mut self, now: Instant, resp: Response) {
        let Some(key) = TxKey::for_response(&resp) else {
            self.stats.malformed_responses += 1;
            return;
        };
        let mut out = Vec::new();
        match self.txs.get_mut(&key).map(|e| &mut e.tx) {
            Some(Tx::UacInvite(t)) => t.on_response(resp, now, &mut out),
            Some(Tx::UacOther(t)) => t.on_response(resp, now, &mut out),
            _ => {
                // A 2xx to an INVITE whose transaction is gone: the dialog re-ACKs it.
                if resp.is_success() && resp.headers.cseq().is_some_and(|c| c.method == "INVITE") {
                    self.on_stray_invite_2xx(&resp, now);
                } else {
                    self.stats.unmatched_responses += 1;
                }
                return;
            }
        }
        self.route_tx_outputs(&key, out, now);
        self.txs.touched(&key);
    }

    /// Delivers a transaction's outputs: sends go to its target, responses and
    /// timeouts to its owner.
    fn route_tx_outputs(&mut self, key: &TxKey, out: Vec<TxOutput>, now: Instant) {
        let Some(entry) = self.txs.get(key) else {
            return;
        };
        let (target, owner) = (entry.target.clone(), entry.owner);
        for o in out {
            match o {
                TxOutput::Send(payload) => self.send(&target, payload),
                TxOutput::Response(resp) if resp.status == 503 && self.fail_over(key, now) => {}
                TxOutput::Response(resp) => self.on_owner_response(owner, resp, now),
                TxOutput::Timeout if self.fail_over(key, now) => {}
                TxOutput::Timeout => self.on_owner_timeout(owner, now),
            }
        }
    }

    fn on_owner_response(&mut self, owner: Owner, resp: Response, now: Instant) {
        match owner {
            Owner::Registration(account) => self.on_register_response(account, resp, now),
            Owner::Invite(call) => self.on_invite_response(call, resp, now),
            Owner::ReInvite(call) => self.on_reinvite_response(call, resp, now),
            Owner::Refresh(call) => self.on_refresh_response(call, resp, now),
            Owner::Refer(call) => self.on_refer_response(call, &resp),
            Owner::Message(id) => self.on_message_response(id, resp, now),
            Owner::Subscription(id) => self.on_subscribe_response(id, &resp, now),
            Owner::Publication(id) => self.on_publish_response(id, &resp, now),
            // Any answer to a keep-alive means the path works.
            Owner::Keepalive(_) => {}
            Owner::Voicemail(account) => self.on_voicemail_response(account, &resp, now),
            Owner::Bye(_) | Owner::Cancel(_) | Owner::InDialog(_) | Owner::Nobody => {}
            Owner::ServerInvite(_) => {}
        }
    }

    /// The edge could not deliver to `destination` over `transport` (name not
    /// resolved, connection refused, TLS certificate not trusted...). Every client
    /// transaction heading there that still waits for its answer ends now, as
    /// RFC 3261 8.1.3.1 says, with `error` as the reason its owner reports
    /// instead of a timeout 32 s later. An answered INVITE (its transaction
    /// kept until Timer M) is a call in progress: an ICMP error for a REGISTER
    /// to the same proxy once ended it with 503.
    pub fn transport_failed(
        &mut self,
        now: Instant,
        transport: Transport,
        destination: &Destination,
        error: &str,
    ) {
        let mut failed: Vec<(u64, TxKey, Owner)> = self
            .txs
            .iter()
            .filter(|(_, e)| {
                e.tx.awaits_final_response()
                    && e.target.transport == transport
                    && &e.target.destination == destination
            })
            .map(|(k, e)| (e.seq, k.clone(), e.owner))
            .collect();
        failed.sort_by_key(|(seq, ..)| *seq);
        for (_, key, owner) in failed {
            if self.fail_over(&key, now) {
                self.txs.remove(&key);
                continue;
            }
            self.txs.remove(&key);
            tracing::debug!(%destination, %error, "transport failure ends a transaction");
            match owner {
                Owner::Registration(account) => {
                    self.on_register_transport_error(account, error, now)
                }
                Owner::Invite(call) => self.end_call(
                    call,
                    EndReason::Rejected {
                        status: 503,
                        reason: error.to_string(),
                    },
                    now,
                ),
                Owner::ReInvite(call) => self
                    .events
                    .push_back(Event::OfferRejected { call, status: 503 }),
                Owner::Voicemail(account) => self.voicemail_retry_later(account, now),
                Owner::Message(id) => self.message_timed_out(id, 503, error),
                Owner::Subscription(id) => self.subscription_failed(id, now, error),
                Owner::Publication(id) => self.publication_failed(id, now, error),
                _ => {}
            }
        }
    }

    fn on_owner_timeout(&mut self, owner: Owner, now: Instant) {
        match owner {
            Owner::Registration(account) => self.on_register_timeout(account, now),
            Owner::Keepalive(account) => self.on_keepalive_timeout(account, now),
            Owner::Voicemail(account) => self.voicemail_retry_later(account, now),
            Owner::Invite(call) => self.end_call(call, EndReason::Timeout, now),
            Owner::ServerInvite(call) => {
                if self.calls.get(&call).is_some_and(|c| !c.is_ended()) {
                    self.end_call(call, EndReason::Timeout, now);
                }
            }
            Owner::ReInvite(call) => self
                .events
                .push_back(Event::OfferRejected { call, status: 408 }),
            // RFC 4028 10: a refresh without an answer ends the session.
            Owner::Refresh(call) => {
                self.send_bye(call, now);
                self.end_call(call, EndReason::Timeout, now);
            }
            Owner::Refer(call) => self.events.push_back(Event::TransferProgress {
                call,
                status: 408,
                done: true,
            }),
            Owner::Message(id) => self.message_timed_out(id, 408, "no answer"),
            Owner::Subscription(id) => self.subscription_failed(id, now, "no answer"),
            Owner::Publication(id) => self.publication_failed(id, now, "no answer"),
            Owner::Bye(_) | Owner::Cancel(_) | Owner::InDialog(_) | Owner::Nobody => {}
        }
    }

    fn send(&mut self, target: &Target, payload: Vec<u8>) {
        self.transmits.push_back(Transmit {
            transport: target.transport,
            destination: target.destination.clone(),
            payload,
        });
    }

    /// Via value for a new client transaction to `target`.
    fn via(&self, target: &Target, branch: &str) -> String {
        format!(
            "SIP/2.0/{} {};branch={branch};rport",
            target.transport.via_name(),
            self.local_for(target)
        )
    }

    /// Our address as peers reach it at `target`: the IPv6 one toward an
    /// IPv6 peer when we have both, and TLS's own port when we listen for
    /// it.
    fn local_for(&self, target: &Target) -> SocketAddr {
        let mut local = match (&target.destination, self.cfg.local_v6) {
            (Destination::Addr(SocketAddr::V6(_)), Some(v6)) => v6,
            _ => self.cfg.local,
        };
        if let (Transport::Tls, Some(port)) = (target.transport, self.cfg.tls_port) {
            local.set_port(port);
        }
        local
    }

    /// Whether `target` is an IPv6 peer.
    pub fn is_v6(target: &Target) -> bool {
        matches!(target.destination, Destination::Addr(SocketAddr::V6(_)))
    }

    /// Our Contact toward `target`.
    fn contact(&self, user: &str, target: &Target) -> String {
        let local = self.local_for(target);
        let mut uri = SipUri::for_addr(Some(user), local);
        if target.transport != Transport::Udp {
            uri.params
                .set("transport", Some(&target.transport.to_string()));
        }
        format!("<{uri}>")
    }

    /// Adds the topmost Via and starts a client transaction for `req`.
    fn start_client_tx(
        &mut self,
        req: Request,
        target: Target,
        owner: Owner,
        now: Instant,
    ) -> (TxKey, Request) {
        self.start_client_tx_with(req, target, Vec::new(), owner, now)
    }

    /// As `start_client_tx`, with places to go next if `target` fails.
    fn start_client_tx_with(
        &mut self,
        req: Request,
        target: Target,
        alternatives: Vec<Target>,
        owner: Owner,
        now: Instant,
    ) -> (TxKey, Request) {
        let branch = new_branch(&mut self.rng);
        let (key, sent) = self.start_client_tx_on_branch(req, target, owner, &branch, now);
        if let Some(entry) = self.txs.get_mut(&key) {
            entry.alternatives = alternatives;
        }
        (key, sent)
    }

    /// The place `key` went to failed (no answer, unreachable, 503): the
    /// same request goes to the next place as a new transaction (RFC 3263
    /// 4.3), and true; false when there is no next place.
    fn fail_over(&mut self, key: &TxKey, now: Instant) -> bool {
        let Some(entry) = self.txs.get_mut(key) else {
            return false;
        };
        if entry.alternatives.is_empty() {
            return false;
        }
        let mut req = match &entry.tx {
            Tx::UacInvite(t) => t.request().clone(),
            Tx::UacOther(t) => t.request().clone(),
            _ => return false,
        };
        let mut alternatives = std::mem::take(&mut entry.alternatives);
        let owner = std::mem::replace(&mut entry.owner, Owner::Nobody);
        let failed = entry.target.clone();
        let next = alternatives.remove(0);
        tracing::info!(failed = %failed.destination, next = %next.destination, "trying the next server");
        self.demote(&failed);
        req.headers.remove(&HeaderName::Via);
        let (_, sent) = self.start_client_tx_with(req, next.clone(), alternatives, owner, now);
        if let Owner::Invite(id) = owner {
            self.invite_moved(id, sent, next);
        }
        true
    }

    /// As `start_client_tx` with a given branch (CANCEL reuses its INVITE's).
    fn start_client_tx_on_branch(
        &mut self,
        mut req: Request,
        target: Target,
        owner: Owner,
        branch: &str,
        now: Instant,
    ) -> (TxKey, Request) {
        req.headers.remove(&HeaderName::Via);
        req.headers
            .push_front(HeaderName::Via, self.via(&target, branch));
        let key = TxKey::client(branch, &req.method);
        let mut out = Vec::new();
        let reliability = target.transport.reliability();
        let tx = if req.method == crate::message::Method::Invite {
            Tx::UacInvite(ClientInvite::start(
                req.clone(),
                reliability,
                self.cfg.timers,
                now,
                &mut out,
            ))
        } else {
            Tx::UacOther(ClientNonInvite::start(
                req.clone(),
                reliability,
                self.cfg.timers,
                now,
                &mut out,
            ))
        };
        self.tx_count += 1;
        let seq = self.tx_count;
        self.txs.insert(
            key.clone(),
            TxEntry {
                tx,
                seq,
                target,
                owner,
                alternatives: Vec::new(),
                held: 0,
            },
        );
        self.route_tx_outputs(&key, out, now);
        (key, req)
    }

    /// Sends a response through the server transaction `key` (if it still exists).
    fn respond(&mut self, key: &TxKey, resp: &Response, now: Instant) {
        let mut out = Vec::new();
        match self.txs.get_mut(key).map(|e| &mut e.tx) {
            Some(Tx::UasInvite(t)) => t.send_response(resp, now, &mut out),
            Some(Tx::UasOther(t)) => t.send_response(resp, now, &mut out),
            _ => return,
        }
        self.route_tx_outputs(key, out, now);
        self.txs.touched(key);
    }
}
