//! The phone, sans-IO: every call rule in one state machine, in the manner of
//! str0m and quinn-proto. In go datagrams and framed SIP messages, transport
//! failures, device gestures, media reports, actions and the time; out come
//! what to send, what media to start, stop or change, what the devices show,
//! tones, events and replies. No socket, clock, thread or file is touched here:
//! time comes in as `now`, randomness from the seeded generator it was given,
//! so the same seed and the same inputs give the same bytes.
//!
//! The driver (`crate::driver`) is the thin loop that feeds it from real
//! sockets, devices and time and carries its outputs out; tests feed it
//! directly, in virtual time.

mod actions;
mod balance;
mod caller_id;
use caller_id::identify_request;
mod calls;
mod conference;
mod desk;
mod handling;
mod incoming;
mod lamps;
mod messages;
mod presence;
mod recording;
pub mod settings;
mod targets;
mod timers;
mod transfer;
mod ua_events;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use hookswitch_devices::{DeviceEvent, DeviceId};
use hookswitch_hid::DeviceState;
use hookswitch_media::sdp::Negotiated;
use hookswitch_sip::message::{Message, ParseError};
use hookswitch_sip::ua::{self, AccountId, Destination, Transmit, Transport, UserAgent};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::action::{Action, Reply};
use crate::audio::{AudioSpec, Gain, RingSound};
use crate::config::EchoMode;
use crate::desk::Desk;
use crate::error::EngineError;
use crate::event::{AddressCause, CallId, CallStats, PhoneEvent};
use crate::state::PhoneState;
use calls::CoreCall;
pub use recording::RecordTo;
pub use settings::CoreSettings;
pub use targets::target_uri;
use timers::Timers;

/// Who waits for the answer to an action (the driver maps it to a channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyTo(pub u64);

/// What comes into the core.
#[derive(Debug)]
pub enum Input<'a> {
    /// A UDP datagram on the SIP socket (STUN is the edge's).
    Datagram { source: SocketAddr, bytes: &'a [u8] },
    /// What the transports report: framed messages, failures, closings.
    Inbound(Inbound),
    /// The address peers reach us at changed.
    Address {
        sip: SocketAddr,
        media: IpAddr,
        cause: AddressCause,
    },
    /// The first look at our public address is over (or there is none to
    /// take): registering may start.
    AddressSettled,
    /// A call-control device came, went, or was pressed.
    Device(DeviceEvent),
    /// A call's media task reports.
    Media { call: CallId, report: MediaReport },
    /// The media of a call asked for with [`Output::Prepare`] is ready (its
    /// public RTP address) or could not be had.
    Prepared {
        call: CallId,
        result: Result<SocketAddr, String>,
    },
    /// A verb from a face; its answer comes as [`Output::Reply`] to `reply`.
    Action { action: Action, reply: ReplyTo },
    /// The address book's answer to [`Output::Identify`].
    Identified {
        call: CallId,
        name: String,
        source: String,
    },
    /// What a device's speed dial key holds ([`Output::SpeedDial`]); none:
    /// nothing.
    SpeedDialed { digit: u8, target: Option<String> },
    /// The edge read `account`'s balance ([`Output::FetchBalance`]).
    BalanceFetched {
        account: String,
        result: Result<f64, String>,
    },
    /// `now` has reached [`PhoneCore::poll_timeout`].
    Timeout,
}

/// What the transports report (TCP and TLS streams, and any delivery that
/// failed).
#[derive(Debug)]
pub enum Inbound {
    /// A SIP message framed from a TCP or TLS stream.
    Message {
        transport: Transport,
        source: SocketAddr,
        message: Message,
    },
    /// Bytes that could not be framed or parsed; the connection is closed after.
    Malformed {
        transport: Transport,
        source: SocketAddr,
        bytes: Vec<u8>,
        error: ParseError,
    },
    /// A message to `destination` could not be sent, for `error` (no route,
    /// refused, TLS certificate not trusted).
    Undeliverable {
        transport: Transport,
        destination: Destination,
        error: String,
    },
    /// A connection we opened closed; `destinations`: its address, and the
    /// name it was reached by.
    Closed {
        transport: Transport,
        destinations: Vec<Destination>,
    },
    /// DNS answered an [`Output::Locate`]: the places to try and for how
    /// many seconds that holds, or why there are none.
    Located {
        request: hookswitch_sip::dns::Request,
        result: Result<(Vec<hookswitch_sip::dns::Candidate>, u32), String>,
    },
}

/// What a call's media task tells the core.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaReport {
    /// A key the peer pressed (RFC 4733 or heard in the audio).
    Dtmf(char),
    /// Keys the peer cannot take as RFC 4733 events: send them by SIP INFO.
    DtmfNeedsInfo(String),
    /// The file playing into the call has ended.
    SourceEnded,
    /// The media could not start (a sound device would not open at the
    /// codec's rate): the call cannot go on.
    Failed(String),
    /// A recording started (its file), or stopped (`None`).
    Recording(Option<String>),
    /// A recording could not start, and why.
    RecordingFailed(String),
    /// The task stopped, with the call's final figures.
    Stopped(CallStats),
}

/// A sound to play on a device: a local tone, or the ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Sound {
    pub device: String,
    pub sound: RingSound,
}

/// How a call's media starts.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaStart {
    pub negotiated: Negotiated,
    /// Seeds the stream's own randomness (SSRC, sequence, timestamps).
    pub seed: u64,
    pub echo_cancellation: EchoMode,
    pub muted: bool,
    /// We hold the call: the microphone is not sent.
    pub held: bool,
    pub speaker: Gain,
    pub microphone: Gain,
    /// Nothing heard from the peer this long, while it should send: the
    /// media reports the call failed.
    pub media_timeout: Option<std::time::Duration>,
}

/// What the core asks of a call's media.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCommand {
    /// Start the stream on the media prepared for the call.
    Start(Box<MediaStart>),
    /// A new offer/answer changed the stream.
    Update(Box<Negotiated>),
    Mute(bool),
    Hold(bool),
    Volume {
        speaker: Option<Gain>,
        microphone: Option<Gain>,
    },
    Dtmf(String),
    /// Join the local conference mix (true) or leave it.
    Conference(bool),
    /// Start recording the whole call there, or stop (`None`).
    Record(Option<RecordTo>),
    /// Answer `reply` with the call's figures so far.
    Stats(ReplyTo),
    /// Stop; report `Stopped` with the final figures.
    Stop,
}

/// What comes out of the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    Transmit(Transmit),
    /// Locate a SIP server in DNS (RFC 3263); answer with
    /// [`Inbound::Located`].
    Locate(hookswitch_sip::dns::Request),
    /// Bind a call's media sockets and open its sound (`audio`, at
    /// `sample_rate`), then answer with [`Input::Prepared`].
    Prepare {
        call: CallId,
        audio: AudioSpec,
        sample_rate: u32,
    },
    /// What was prepared for `call` is not needed (it never started).
    Release {
        call: CallId,
    },
    Media {
        call: CallId,
        command: MediaCommand,
    },
    /// What every call-control device shows now.
    Show(DeviceState),
    /// Run a device's test (a busylight's colours).
    TestDevice(hookswitch_devices::DeviceId),
    /// Look up who `remote` is, and answer with [`Input::Identified`] when
    /// the address book knows (nothing when it does not).
    Identify {
        call: CallId,
        remote: String,
    },
    /// Read `account`'s balance; answer with [`Input::BalanceFetched`].
    FetchBalance {
        account: String,
    },
    /// What devices with a display show (the caller's name or number).
    ShowCaller(Option<String>),
    /// Find what speed dial key `digit` calls; answer with
    /// [`Input::SpeedDialed`].
    SpeedDial {
        digit: u8,
    },
    /// A local tone on the acting device (dial tone, busy tone), or none.
    Tone(Option<Sound>),
    /// The ring of incoming calls on the ring device, or none.
    Ring(Option<Sound>),
    Event(PhoneEvent),
    Reply {
        to: ReplyTo,
        result: Result<Reply, EngineError>,
    },
}

/// Who asked for what the core is doing, to tell of its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Face(ReplyTo),
    /// A device's gesture (through the desk).
    Desk,
    /// Answering by itself (auto-answer, intercom).
    AutoAnswer,
    /// The peer of `asked_in` asked us to call (REFER).
    Transfer {
        asked_in: CallId,
    },
    /// A call that takes the place of our call `old` (attended transfer).
    Replaces {
        old: CallId,
    },
}

/// Media being prepared, and what for.
#[derive(Debug)]
enum Purpose {
    Place(Box<calls::Placing>),
    Answer { origin: Origin, success: Reply },
}

pub struct PhoneCore {
    ua: UserAgent,
    desk: Desk,
    settings: CoreSettings,
    calls: BTreeMap<CallId, CoreCall>,
    /// Calls whose media the edge is preparing.
    preparing: BTreeMap<CallId, Purpose>,
    timers: Timers,
    /// Accounts with a balance URL, in account order, and when to check.
    balance: Vec<(String, balance::BalanceClock)>,
    /// Calls we asked the peer to transfer, until it says how that ended.
    transfers_out: BTreeSet<CallId>,
    /// Calls we placed because a peer asked, and the call it asked in.
    transfers_in: BTreeMap<CallId, CallId>,
    rng: StdRng,
    state: PhoneState,
    outputs: VecDeque<Output>,
    /// Accounts register once the first look at our address is over.
    registering: bool,
    /// Each device's own sound card, when it has one.
    sound_cards: BTreeMap<DeviceId, String>,
    session_ids: u64,
    /// What the devices were last shown, the focus last told, whether the
    /// ring sounds: each is told again only when it changes.
    shown: Option<DeviceState>,
    focus: Option<Option<CallId>>,
    ringing: bool,
    caller_shown: Option<Option<String>>,
    /// Messages we sent, until their fate is known.
    messages_out: BTreeMap<ua::MessageId, messages::Sent>,
    /// Bodies from the network we could not read (is-composing, presence).
    malformed_bodies: u64,
    /// Incoming calls refused because `max_ringing` calls rang already.
    refused_over_limit: u64,
    presence: presence::PresenceCore,
    lamps: lamps::LampsCore,
    /// The calls mixed in the local conference (none: no conference).
    conference: BTreeSet<CallId>,
    /// We left the conference by connecting the peer of the first call to
    /// the peer of the second (attended transfer), until that is done.
    connecting: Option<(CallId, CallId)>,
    /// The time of the input being handled.
    now: Instant,
}

impl PhoneCore {
    /// A phone whose user agent is configured by `ua` (its accounts in the
    /// order of `settings.accounts`), drawing every random value from `rng`.
    pub fn new(ua: ua::Config, settings: CoreSettings, mut rng: StdRng, now: Instant) -> PhoneCore {
        let session_ids = u64::from(rng.random::<u32>());
        let ua_rng = StdRng::from_seed(rng.random());
        let sip = ua.local.to_string();
        let balance = settings
            .accounts
            .iter()
            .filter(|a| a.balance.is_some())
            .map(|a| (a.name.clone(), balance::BalanceClock::default()))
            .collect();
        let mut core = PhoneCore {
            ua: UserAgent::with_rng(ua, ua_rng),
            desk: Desk::new(settings.desk.clone()),
            settings,
            calls: BTreeMap::new(),
            preparing: BTreeMap::new(),
            timers: Timers::default(),
            balance,
            transfers_out: BTreeSet::new(),
            transfers_in: BTreeMap::new(),
            rng,
            state: PhoneState::default(),
            outputs: VecDeque::new(),
            registering: false,
            sound_cards: BTreeMap::new(),
            session_ids,
            shown: None,
            focus: None,
            ringing: false,
            caller_shown: None,
            messages_out: BTreeMap::new(),
            malformed_bodies: 0,
            refused_over_limit: 0,
            presence: presence::PresenceCore::default(),
            lamps: lamps::LampsCore::default(),
            conference: BTreeSet::new(),
            connecting: None,
            now,
        };
        core.emit(now, PhoneEvent::Ready { sip });
        core.announce_settings(now);
        core
    }

    /// Bodies from the network the phone could not read and dropped.
    pub fn malformed_bodies(&self) -> u64 {
        self.malformed_bodies
    }

    /// Incoming calls refused with 486 because too many rang already.
    pub fn refused_over_limit(&self) -> u64 {
        self.refused_over_limit
    }

    /// The state now: the fold of every event sent so far.
    pub fn state(&self) -> &PhoneState {
        &self.state
    }

    pub fn handle(&mut self, now: Instant, input: Input<'_>) {
        self.now = now;
        match input {
            Input::Datagram { source, bytes } => self.ua.handle_datagram(now, source, bytes),
            Input::Inbound(i) => self.on_inbound(now, i),
            Input::Address { sip, media, cause } => {
                self.ua.set_local(now, sip);
                self.emit(
                    now,
                    PhoneEvent::AddressChanged {
                        sip: sip.to_string(),
                        media: media.to_string(),
                        cause,
                    },
                );
            }
            Input::AddressSettled => self.start_registering(now),
            Input::Device(e) => self.on_device(now, e),
            Input::Media { call, report } => self.on_media_report(now, call, report),
            Input::Prepared { call, result } => self.on_prepared(now, call, result),
            Input::Action { action, reply } => self.act(now, action, Origin::Face(reply)),
            Input::Identified { call, name, source } => self.on_identified(now, call, name, source),
            Input::SpeedDialed { digit, target } => self.on_speed_dialed(now, digit, target),
            Input::BalanceFetched { account, result } => {
                self.on_balance_fetched(now, account, result)
            }
            Input::Timeout => {
                self.on_timers(now);
                self.on_balance_timers(now);
                self.desk.handle_timeout(now);
                self.ua.handle_timeout(now);
            }
        }
        self.settle(now);
        // Calls and DND just changed may change what our presence shows.
        self.update_presence(now);
        self.settle(now);
    }

    fn on_inbound(&mut self, now: Instant, i: Inbound) {
        match i {
            Inbound::Message {
                transport,
                source,
                message,
            } => self.ua.handle_message(now, transport, source, message),
            Inbound::Malformed {
                transport,
                source,
                bytes,
                error,
            } => self.ua.malformed(transport, source, &bytes, &error),
            Inbound::Undeliverable {
                transport,
                destination,
                error,
            } => self
                .ua
                .transport_failed(now, transport, &destination, &error),
            Inbound::Closed {
                transport,
                destinations,
            } => self.ua.connection_closed(now, transport, &destinations),
            Inbound::Located { request, result } => self.ua.handle_located(now, request, result),
        }
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the core next has something to do by itself.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.ua.poll_timeout(),
            self.desk.poll_timeout(),
            self.timers.next(),
            self.balance_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Hangs up every call and removes every registration; the driver then
    /// waits until [`PhoneCore::is_quiet`], for at most
    /// [`PhoneCore::shutdown_limit`].
    pub fn shutdown(&mut self, now: Instant) {
        self.now = now;
        for call in self.ua.active_calls() {
            let _ = self.ua.hangup(now, call);
        }
        for i in 0..self.ua.config().accounts.len() {
            if matches!(
                self.ua.registration_state(AccountId(i)),
                Some(ua::RegistrationState::Registered { .. })
            ) {
                let _ = self.ua.unregister(now, AccountId(i));
            }
        }
        self.stop_presence(now);
        self.settle(now);
    }

    /// Nothing we began waits for an answer or an ACK any more (the BYEs
    /// and CANCELs of the shutdown, the unregistrations, our final answers):
    /// the process may end without leaving a peer retransmitting to a
    /// closed port.
    pub fn is_quiet(&self) -> bool {
        !self.ua.exchanges_pending()
    }

    /// SIP transactions open now.
    pub fn open_transactions(&self) -> usize {
        self.ua.transactions().0
    }

    /// The longest a shutdown waits for [`PhoneCore::is_quiet`]: 64*T1,
    /// when a BYE's client transaction gives up (Timer F).
    pub fn shutdown_limit(&self) -> std::time::Duration {
        self.ua.config().timers.timeout()
    }

    /// Registers the accounts that register (once).
    fn start_registering(&mut self, now: Instant) {
        if std::mem::replace(&mut self.registering, true) {
            return;
        }
        for i in 0..self.ua.config().accounts.len() {
            if self.ua.config().accounts[i].register {
                let _ = self.ua.register(now, AccountId(i));
            }
        }
        self.start_presence(now);
        self.start_lamps(now);
    }

    /// Runs everything the input set going until nothing is left: what the
    /// user agent sends and says, what the desk asks; then shows the
    /// devices what changed.
    fn settle(&mut self, now: Instant) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                progressed = true;
                self.outputs.push_back(Output::Transmit(t));
            }
            while let Some(q) = self.ua.poll_locate() {
                progressed = true;
                self.outputs.push_back(Output::Locate(q));
            }
            while let Some(e) = self.ua.poll_event() {
                progressed = true;
                self.on_ua_event(now, e);
            }
            progressed |= self.run_desk(now);
            if !progressed {
                break;
            }
        }
        self.publish(now);
    }

    /// Sends an event, and folds it into the state; the desk follows it.
    fn emit(&mut self, now: Instant, e: PhoneEvent) {
        tracing::debug!(?e, "event");
        let ended_account = match &e {
            PhoneEvent::Ended { call, .. } => {
                self.state.call(*call).and_then(|c| c.account.clone())
            }
            _ => None,
        };
        self.state.apply(&e);
        self.desk.on_event(now, &e);
        let identify = identify_request(&e);
        self.outputs.push_back(Output::Event(e));
        self.outputs.extend(identify);
        if let Some(account) = ended_account {
            self.balance_after_call(now, &account);
        }
    }

    /// Tells whoever asked how it went.
    fn finish(&mut self, origin: Origin, result: Result<Reply, EngineError>) {
        match (origin, result) {
            (Origin::Face(to), result) => self.outputs.push_back(Output::Reply { to, result }),
            (_, Ok(_)) => {}
            (origin, Err(e)) => tracing::warn!(?origin, "{e}"),
        }
    }

    fn account_name(&self, a: Option<AccountId>) -> Option<String> {
        a.and_then(|a| self.settings.accounts.get(a.0))
            .map(|a| a.name.clone())
    }

    /// The account called `name`.
    fn account_id(&self, name: &str) -> Result<AccountId, EngineError> {
        self.settings
            .accounts
            .iter()
            .position(|a| a.name == name)
            .map(AccountId)
            .ok_or_else(|| EngineError::NoSuchAccount(name.into()))
    }
}
