//! The tokio driver: owns the sans-IO user agent, the SIP sockets and the calls'
//! media tasks, and runs them against real time.

mod calls;
pub(crate) mod desk;
mod events;
mod handling;
pub mod latency;
mod media;
mod media_pool;
pub(crate) mod nat;
pub(crate) mod tls;
mod transfer;
pub mod transport;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use hookswitch_media::codec::CodecKind;
use hookswitch_media::srtp::SrtpMode;
use hookswitch_sip::auth::redacted_trace;
use hookswitch_sip::stun;
use hookswitch_sip::ua::{AccountId, RegistrationState, UserAgent};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::api::{CallId, CallStats, CallSummary, EngineError, PhoneEvent};
use crate::audio::{AudioSpec, Gain, RingSound, Ringer};
use crate::call_handling::CallHandling;
use calls::CallMedia;
pub use handling::HandlingChange;
use handling::RingTimer;
use media::{MediaControl, MediaReport};
use media_pool::MediaPool;
use nat::Nat;

pub use calls::target_uri;
use transport::{Inbound, Transports};

/// Commands from the engine handle.
pub enum Command {
    Call {
        target: String,
        account: Option<String>,
        audio: AudioSpec,
        reply: oneshot::Sender<Result<CallId, EngineError>>,
    },
    Answer {
        call: CallId,
        audio: AudioSpec,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Reject {
        call: CallId,
        status: u16,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Hangup {
        call: Option<CallId>,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Dtmf {
        call: CallId,
        keys: String,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Mute {
        call: CallId,
        muted: bool,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Change DND or forwarding of an account (`None`: calls to no account).
    Handling {
        account: Option<String>,
        change: HandlingChange,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Blind transfer: ask the peer of `call` to call `target`.
    Transfer {
        call: CallId,
        target: String,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Attended transfer: ask the peer of `call` to take our place in `consult`.
    TransferAttended {
        call: CallId,
        consult: CallId,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    /// Put a call on hold (true) or resume it (false).
    Hold {
        call: CallId,
        held: bool,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Stats {
        call: CallId,
        reply: oneshot::Sender<Result<CallStats, EngineError>>,
    },
    Volume {
        call: CallId,
        speaker: Option<Gain>,
        microphone: Option<Gain>,
        reply: oneshot::Sender<Result<(), EngineError>>,
    },
    Calls {
        reply: oneshot::Sender<Vec<CallSummary>>,
    },
    /// How fast the desk has been reacting.
    DeskLatency {
        reply: oneshot::Sender<latency::DeskLatency>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

pub struct DriverSettings {
    pub codecs: Vec<CodecKind>,
    /// Per account (in account order): its codecs, or the global ones.
    pub account_codecs: Vec<Vec<CodecKind>>,
    /// Per account (in account order): its SRTP mode, applied to calls whose
    /// signaling runs over TLS.
    pub account_srtp: Vec<SrtpMode>,
    /// Per account (in account order), then one for calls to no account:
    /// DND, forwarding, auto-answer. Changed at run time by the API.
    pub handling: Vec<CallHandling>,
    pub telephone_event: bool,
    pub comfort_noise: bool,
    pub rtcp_xr: bool,
    pub rtcp_mux: bool,
    /// Ring incoming calls on this device with this sound.
    pub ring: Option<(String, RingSound)>,
    pub echo_cancellation: crate::config::EchoMode,
    pub rtcp_interval: std::time::Duration,
    pub accept_p2p: bool,
    pub only_from_registrar: bool,
    pub account_names: Vec<String>,
    /// The echo test (`call echo`): kept running as long as the driver.
    pub echo: Option<crate::echo::EchoService>,
}

pub struct Driver {
    ua: UserAgent,
    transports: Transports,
    /// Our advertised address: the route's local one, or STUN's public one.
    nat: Nat,
    /// With STUN: media sockets whose public address is known before a call.
    media_pool: Option<MediaPool>,
    /// The media pool's sockets are bound to this address.
    media_ip: IpAddr,
    /// Accounts start registering once the first STUN answer is in.
    registering: bool,
    /// The devices on the desk and what they do to calls.
    desk: desk::DeskEdge,
    /// How fast device input and state changes reach the wire and the LEDs.
    stopwatch: latency::Stopwatch,
    settings: DriverSettings,
    calls: HashMap<CallId, CallMedia>,
    /// Incoming calls ringing out loud, by call.
    ringers: HashMap<u64, Ringer>,
    events: broadcast::Sender<PhoneEvent>,
    media_tx: mpsc::UnboundedSender<MediaReport>,
    session_ids: u64,
    /// What is due for ringing calls: forwarding when unanswered, auto-answer.
    ring_timers: Vec<(Instant, CallId, RingTimer)>,
    /// Calls we asked the peer to transfer, until it says how that ended.
    transfers_out: std::collections::HashSet<CallId>,
    /// Calls we placed because a peer asked, and the call it asked in.
    transfers_in: HashMap<CallId, CallId>,
}

impl Driver {
    /// `stun_server`: where the media pool learns its sockets' public address.
    pub fn new(
        ua: UserAgent,
        transports: Transports,
        nat: Nat,
        stun_server: Option<std::net::SocketAddr>,
        desk: desk::DeskEdge,
        settings: DriverSettings,
        events: broadcast::Sender<PhoneEvent>,
    ) -> (Driver, mpsc::UnboundedReceiver<MediaReport>) {
        let (media_tx, media_rx) = mpsc::unbounded_channel();
        let media_ip = nat.local_ip();
        (
            Driver {
                ua,
                transports,
                media_pool: stun_server.map(|s| MediaPool::start(s, media_ip)),
                media_ip,
                nat,
                registering: false,
                desk,
                stopwatch: Default::default(),
                settings,
                calls: HashMap::new(),
                ringers: HashMap::new(),
                events,
                media_tx,
                session_ids: rand::random::<u32>() as u64,
                ring_timers: Vec::new(),
                transfers_out: Default::default(),
                transfers_in: HashMap::new(),
            },
            media_rx,
        )
    }

    fn emit(&mut self, e: PhoneEvent) {
        tracing::info!(?e, "event");
        self.follow_ringing(&e);
        let now = Instant::now();
        self.stopwatch.changed_at.get_or_insert(now);
        self.desk.desk.on_event(now, &e);
        let _ = self.events.send(e);
    }

    /// An incoming call rings on the ring device until it is answered or ends.
    fn follow_ringing(&mut self, e: &PhoneEvent) {
        match e {
            PhoneEvent::IncomingCall { call, .. } => {
                if let Some((device, sound)) = &self.settings.ring {
                    match Ringer::start(device, sound) {
                        Ok(r) => {
                            self.ringers.insert(*call, r);
                        }
                        Err(e) => tracing::warn!("cannot ring: {e}"),
                    }
                }
            }
            PhoneEvent::Established { call, .. } | PhoneEvent::Ended { call, .. } => {
                self.ringers.remove(call);
            }
            _ => {}
        }
    }

    /// Runs until a Shutdown command (or the handle is dropped); returns the
    /// shutdown's reply, to be sent once the driver is dropped.
    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut inbound: mpsc::Receiver<Inbound>,
        mut media_rx: mpsc::UnboundedReceiver<MediaReport>,
        mut device_rx: mpsc::UnboundedReceiver<hookswitch_devices::DeviceEvent>,
    ) -> Option<oneshot::Sender<()>> {
        let udp = self.transports.udp.clone();
        let mut buf = vec![0u8; 65536];
        let mut shutdown: Option<(oneshot::Sender<()>, tokio::time::Instant)> = None;
        loop {
            self.flush();
            if let Some((_, deadline)) = &shutdown
                && (!self.ua.registrations_pending() || tokio::time::Instant::now() >= *deadline)
            {
                break;
            }
            let wake = [
                self.ua.poll_timeout(),
                self.next_ring_timer(),
                self.nat.poll_timeout(),
                self.desk.desk.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min()
            .map(tokio::time::Instant::from_std);
            let sleep = async {
                match wake {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let shutdown_deadline = async {
                match &shutdown {
                    Some((_, d)) => tokio::time::sleep_until(*d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = udp.recv_from(&mut buf) => match r {
                    Ok((n, src)) if stun::is_stun(&buf[..n]) => {
                        self.nat.handle_stun(Instant::now(), src, &buf[..n]);
                    }
                    Ok((n, src)) => {
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %src, "received\n{}", redacted_trace(&buf[..n]));
                        }
                        self.ua.handle_datagram(Instant::now(), src, &buf[..n]);
                    }
                    Err(e) => tracing::debug!("UDP receive error: {e}"),
                },
                Some(i) = inbound.recv() => match i {
                    Inbound::Message { transport, source, message } => {
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %source, %transport, "received\n{}", redacted_trace(&message.to_bytes()));
                        }
                        self.ua.handle_message(Instant::now(), transport, source, message);
                    }
                    Inbound::Malformed { transport, source, bytes, error } => self.ua.malformed(transport, source, &bytes, &error),
                    Inbound::Undeliverable { transport, destination, error } => {
                        self.ua.transport_failed(Instant::now(), transport, &destination, &error);
                    }
                    Inbound::Closed { transport, destinations } => {
                        self.ua.connection_closed(Instant::now(), transport, &destinations);
                    }
                },
                Some(r) = media_rx.recv() => self.on_media_report(r),
                Some(d) = device_rx.recv() => self.on_device_event(d),
                c = commands.recv() => match c {
                    Some(Command::Shutdown { reply }) => {
                        self.begin_shutdown();
                        shutdown = Some((reply, tokio::time::Instant::now() + std::time::Duration::from_secs(3)));
                    }
                    Some(c) => self.on_command(c),
                    None => {
                        self.begin_shutdown();
                        break;
                    }
                },
                _ = sleep => {
                    let now = Instant::now();
                    self.on_ring_timers(now);
                    self.nat.handle_timeout(now);
                    self.desk.desk.handle_timeout(now);
                    self.ua.handle_timeout(now);
                }
                _ = shutdown_deadline => {}
            }
        }
        self.flush();
        self.desk.close();
        for call in self.calls.values() {
            if let Some(t) = &call.task {
                t.send(MediaControl::Stop);
            }
        }
        self.transports.close().await;
        // The caller answers the shutdown once this driver (and its UDP
        // socket) is gone: the port is free for an engine started next.
        shutdown.map(|(reply, _)| reply)
    }

    /// Hangs up every call and removes every registration.
    fn begin_shutdown(&mut self) {
        let now = Instant::now();
        for call in self.ua.active_calls() {
            let _ = self.ua.hangup(now, call);
        }
        for i in 0..self.ua.config().accounts.len() {
            if self
                .ua
                .registration_state(AccountId(i))
                .is_some_and(|s| matches!(s, RegistrationState::Registered { .. }))
            {
                let _ = self.ua.unregister(now, AccountId(i));
            }
        }
    }

    /// Sends what the NAT watch and the UA queued and handles their events,
    /// until nothing is left.
    fn flush(&mut self) {
        self.follow_address();
        loop {
            let mut progressed = false;
            while let Some(t) = self.ua.poll_transmit() {
                progressed = true;
                if tracing::enabled!(tracing::Level::DEBUG) {
                    tracing::debug!(to = %t.destination, transport = %t.transport, "sent\n{}", redacted_trace(&t.payload));
                }
                self.transports.send(t);
                if let Some(at) = self.stopwatch.input_at.take() {
                    self.stopwatch.input_to_sip.record(at.elapsed());
                }
            }
            while let Some(e) = self.ua.poll_event() {
                progressed = true;
                self.on_ua_event(e);
            }
            progressed |= self.run_desk();
            if !progressed {
                self.mirror_desk();
                return;
            }
        }
    }

    /// Sends STUN requests; when our advertised address changed, tells the UA
    /// (it registers again) and the media pool, and says so; registers the
    /// accounts once the first STUN answer is in.
    fn follow_address(&mut self) {
        let now = Instant::now();
        while let Some((to, request)) = self.nat.poll_transmit() {
            if let Err(e) = self.transports.udp.try_send_to(&request, to) {
                tracing::debug!("cannot send a STUN request to {to}: {e}");
            }
        }
        if self.media_ip != self.nat.local_ip() {
            self.media_ip = self.nat.local_ip();
            if let Some(pool) = &self.media_pool {
                pool.set_bind_ip(self.media_ip);
            }
        }
        if let Some((address, cause)) = self.nat.take_change() {
            tracing::info!(%address, cause = cause.as_str(), "our address changed");
            self.ua.set_local(now, address);
            self.emit(PhoneEvent::AddressChanged {
                sip: address.to_string(),
                media: address.ip().to_string(),
                cause: cause.as_str().into(),
            });
        }
        if !self.registering && self.nat.settled() {
            self.registering = true;
            for i in 0..self.ua.config().accounts.len() {
                if self.ua.config().accounts[i].register {
                    let _ = self.ua.register(now, AccountId(i));
                }
            }
        }
    }

    fn account_name(&self, a: Option<AccountId>) -> Option<String> {
        a.and_then(|a| self.settings.account_names.get(a.0).cloned())
    }

    /// The account called `name`.
    fn account_id(&self, name: &str) -> Result<AccountId, EngineError> {
        self.settings
            .account_names
            .iter()
            .position(|n| n == name)
            .map(AccountId)
            .ok_or_else(|| EngineError::NoSuchAccount(name.into()))
    }

    /// An account's address of record: numbers dialled from it go to its domain.
    fn account_aor(&self, a: Option<AccountId>) -> Option<&hookswitch_sip::message::SipUri> {
        a.and_then(|a| self.ua.config().accounts.get(a.0))
            .map(|acct| &acct.aor)
    }
}
