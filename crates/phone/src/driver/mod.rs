//! The tokio driver: a thin loop that feeds the sans-IO [`PhoneCore`] with
//! bytes, device events, media reports, actions and time, and carries out
//! what it asks: sends, media, LEDs, tones, events, replies.

pub mod media;
pub mod media_thread;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use hookswitch_devices::hotplug::Hotplug;
use hookswitch_devices::{DeviceEvent, DeviceManager};
use hookswitch_hid::DeviceState;
use hookswitch_sip::auth::redacted_trace;
use hookswitch_sip::stun;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::action::{Action, Reply};
use crate::audio::Ringer;
use crate::core::{Input, MediaCommand, MediaReport, Output, PhoneCore, ReplyTo, Sound};
use crate::directory::{Directory, Identity};
use crate::edge::address::{Address, AddressNews};
use crate::edge::persist::Persist;
use crate::edge::transport::{Inbound, Transports};
use crate::error::EngineError;
use crate::event::{CallId, DeviceActivity, PhoneEvent};
use crate::state::PhoneState;
use media::MediaEdge;

/// What the engine handle asks of the driver.
pub enum Command {
    Act(Action, oneshot::Sender<Result<Reply, EngineError>>),
    DeskLatency(oneshot::Sender<crate::latency::DeskLatency>),
    Shutdown(oneshot::Sender<()>),
}

/// The channels the driver reads.
pub struct Receivers {
    pub commands: mpsc::Receiver<Command>,
    pub inbound: mpsc::Receiver<Inbound>,
    pub media: mpsc::UnboundedReceiver<(CallId, MediaReport)>,
    pub devices: mpsc::UnboundedReceiver<DeviceEvent>,
    /// The address book's answers about callers.
    pub identified: mpsc::UnboundedReceiver<(CallId, Identity)>,
    /// Balances read by the fetcher: account, amount or why not.
    pub balances: mpsc::UnboundedReceiver<(String, Result<f64, String>)>,
}

/// Where the driver tells what happened.
pub struct Outlets {
    pub events: broadcast::Sender<PhoneEvent>,
    pub state: watch::Sender<PhoneState>,
    pub activity: broadcast::Sender<DeviceActivity>,
}

pub struct Driver {
    pub core: PhoneCore,
    pub transports: Transports,
    /// Where peers reach us, and calls' media sockets.
    pub address: Address,
    pub media: MediaEdge,
    pub devices: DeviceManager,
    /// Real devices come and go through this watcher (none in tests); held
    /// for as long as the driver runs.
    pub _hotplug: Option<Hotplug>,
    pub outlets: Outlets,
    pub persist: Option<Persist>,
    /// The history and messages, kept before an event is published or the
    /// action that caused it answered: whoever hears either finds it there.
    pub records: Option<Arc<crate::records::Records>>,
    /// Pauses the session's media players while a call rings or talks
    /// (`audio.pause_media`).
    pub media_pause: Option<crate::edge::media_players::MediaPause>,
    /// The echo test's service, kept running as long as the driver.
    pub _echo: Option<crate::echo::EchoService>,
    /// Locates SIP servers in DNS for the UA (RFC 3263).
    pub resolver: crate::edge::dns::Resolver,
    /// Who callers are (none: calls show what SIP says).
    pub directory: Option<Arc<Directory>>,
    pub identified: mpsc::UnboundedSender<(CallId, Identity)>,
    /// Reads accounts' balances (none: no account has a balance URL).
    pub balance: Option<Arc<crate::balance::BalanceFetcher>>,
    pub balances: mpsc::UnboundedSender<(String, Result<f64, String>)>,
}

/// What the loop keeps beside the parts it was built from.
#[derive(Default)]
struct Loop {
    replies: HashMap<ReplyTo, oneshot::Sender<Result<Reply, EngineError>>>,
    next_reply: u64,
    tone: Option<Ringer>,
    ring: Option<Ringer>,
    stopwatch: crate::latency::Stopwatch,
    shown: DeviceState,
    /// Whether a call rang or talked at the last turn (media players).
    busy: bool,
    /// Memory given back after a flood.
    heap: crate::edge::heap::HeapReturn,
}

impl Driver {
    /// Runs until a Shutdown command (or the handle is dropped); returns the
    /// shutdown's reply, to be sent once the driver is dropped.
    pub async fn run(mut self, mut rx: Receivers) -> Option<oneshot::Sender<()>> {
        let udp = self.transports.udp.clone();
        let mut buf = vec![0u8; 65536];
        let mut l = Loop::default();
        let mut shutdown: Option<(oneshot::Sender<()>, tokio::time::Instant)> = None;
        let mut icmp_works = true;
        // Route changes from the kernel: a network switch is seen at once
        // and the idle phone need not look every few seconds.
        let mut route_events = crate::edge::route_monitor::RouteMonitor::open()
            .inspect_err(|e| {
                tracing::debug!("no route events ({e}): the route is looked at on a timer")
            })
            .ok();
        self.address
            .nat()
            .use_route_events(route_events.is_some(), Instant::now());
        loop {
            self.drain(&mut l);
            if let Some((_, deadline)) = &shutdown
                && (self.core.is_quiet() || tokio::time::Instant::now() >= *deadline)
            {
                break;
            }
            let wake = [self.core.poll_timeout(), self.address.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .map(tokio::time::Instant::from_std);
            let deadline = shutdown.as_ref().map(|(_, d)| *d);
            tokio::select! {
                r = udp.recv_from(&mut buf) => match r {
                    Ok((n, src)) if stun::is_stun(&buf[..n]) => {
                        let src = crate::edge::transport::canonical(src);
                        self.address.nat().handle_stun(Instant::now(), src, &buf[..n]);
                    }
                    Ok((n, source)) => {
                        let source = crate::edge::transport::canonical(source);
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %source, "received\n{}", redacted_trace(&buf[..n]));
                        }
                        self.feed(Input::Datagram { source, bytes: &buf[..n] });
                    }
                    Err(e) => {
                        tracing::debug!("UDP receive error: {e}");
                        // An ICMP error surfaces here first: its details
                        // (which address) are on the error queue.
                        for u in crate::edge::icmp::drain_now(&udp) {
                            self.undeliverable_udp(u);
                        }
                    }
                },
                r = crate::edge::icmp::ready(&udp), if icmp_works => match r {
                    Ok(()) => {
                        for u in crate::edge::icmp::drain(&udp) {
                            self.undeliverable_udp(u);
                        }
                    }
                    Err(e) => {
                        tracing::debug!("ICMP error queue: {e}");
                        icmp_works = false;
                    }
                },
                r = route_changed(route_events.as_ref()) => match r {
                    Ok(()) => self.address.nat().network_changed(Instant::now()),
                    Err(e) => {
                        tracing::debug!("route events stopped ({e}): the route is looked at on a timer");
                        route_events = None;
                        self.address.nat().use_route_events(false, Instant::now());
                    }
                },
                Some(i) = rx.inbound.recv() => self.inbound(i),
                Some((call, report)) = rx.media.recv() => self.feed(Input::Media { call, report }),
                Some(d) = rx.devices.recv() => self.device(&mut l, d),
                Some((account, result)) = rx.balances.recv() => {
                    self.feed(Input::BalanceFetched { account, result })
                }
                Some((call, who)) = rx.identified.recv() => self.feed(Input::Identified {
                    call,
                    name: who.name,
                    source: who.source,
                }),
                c = rx.commands.recv() => match c {
                    Some(Command::Act(action, reply)) => {
                        l.next_reply += 1;
                        let to = ReplyTo(l.next_reply);
                        l.replies.insert(to, reply);
                        self.feed(Input::Action { action, reply: to });
                    }
                    Some(Command::DeskLatency(reply)) => {
                        let _ = reply.send(l.stopwatch.report());
                    }
                    Some(Command::Shutdown(reply)) => {
                        self.core.shutdown(Instant::now());
                        let deadline = tokio::time::Instant::now() + self.core.shutdown_limit();
                        shutdown = Some((reply, deadline));
                    }
                    None => {
                        self.core.shutdown(Instant::now());
                        self.drain(&mut l);
                        break;
                    }
                },
                _ = sleep_until(wake) => {
                    let now = Instant::now();
                    self.address.nat().handle_timeout(now);
                    if self.core.poll_timeout().is_some_and(|t| t <= now) {
                        self.feed(Input::Timeout);
                    }
                }
                _ = sleep_until(deadline) => {}
            }
            l.heap
                .after_turn(self.core.open_transactions() + self.transports.connections_to_us());
        }
        self.drain(&mut l);
        l.tone = None;
        l.ring = None;
        self.devices.show(DeviceState::default());
        self.devices.close_all();
        self.media.stop_all();
        self.transports.close().await;
        // The caller answers the shutdown once this driver (and its UDP
        // socket) is gone: the port is free for an engine started next.
        shutdown.map(|(reply, _)| reply)
    }

    /// A datagram of ours the network could not deliver (ICMP).
    fn undeliverable_udp(&mut self, u: crate::edge::icmp::Undelivered) {
        tracing::debug!(to = %u.destination, "undeliverable: {}", u.reason);
        self.inbound(Inbound::Undeliverable {
            transport: hookswitch_sip::ua::Transport::Udp,
            destination: hookswitch_sip::ua::Destination::Addr(u.destination),
            error: u.reason,
        });
    }

    fn feed(&mut self, input: Input<'_>) {
        self.core.handle(Instant::now(), input);
    }

    fn inbound(&mut self, i: Inbound) {
        if tracing::enabled!(tracing::Level::DEBUG)
            && let Inbound::Message {
                transport,
                source,
                message,
            } = &i
        {
            tracing::debug!(from = %source, %transport, "received\n{}", redacted_trace(&message.to_bytes()));
        }
        self.feed(Input::Inbound(i));
    }

    /// A device event: live views see gestures and reports; the core the rest.
    fn device(&mut self, l: &mut Loop, e: DeviceEvent) {
        let activity = &self.outlets.activity;
        match &e {
            DeviceEvent::Input { id, input, at } => {
                l.stopwatch.input_at.get_or_insert(*at);
                l.stopwatch.changed_at.get_or_insert(*at);
                // Nobody watching is the usual case, not an error.
                let _ = activity.send(DeviceActivity::Input {
                    device: id.0,
                    input: *input,
                });
            }
            DeviceEvent::Shown { id, report } => {
                if activity.receiver_count() > 0 {
                    let _ = activity.send(DeviceActivity::Shown {
                        device: id.0,
                        report: hookswitch_hid::hex_line(report),
                        leds: l.shown,
                    });
                }
                return;
            }
            _ => {}
        }
        self.feed(Input::Device(e));
    }

    /// Carries out everything the core asked, then publishes its state, and
    /// only then its events and replies: whoever hears of a change finds it
    /// in `Engine::state`.
    fn drain(&mut self, l: &mut Loop) {
        let mut events = Vec::new();
        let mut replies = Vec::new();
        loop {
            self.follow_address();
            let Some(o) = self.core.poll_output() else {
                break;
            };
            match o {
                Output::Transmit(t) => {
                    if tracing::enabled!(tracing::Level::DEBUG) {
                        tracing::debug!(to = %t.destination, transport = %t.transport, "sent\n{}", redacted_trace(&t.payload));
                    }
                    self.transports.send(t);
                    if let Some(at) = l.stopwatch.input_at.take() {
                        l.stopwatch.input_to_sip.record(at.elapsed());
                    }
                }
                Output::Locate(request) => {
                    let resolver = self.resolver.clone();
                    let report = self.transports.reporter();
                    tokio::spawn(async move {
                        let result = resolver.locate(request.clone()).await;
                        let _ = report.send(Inbound::Located { request, result }).await;
                    });
                }
                Output::Prepare {
                    call,
                    audio,
                    sample_rate,
                } => {
                    let sockets = self.address.media_sockets();
                    let result = self.media.prepare(call, audio, sample_rate, sockets);
                    self.core
                        .handle(Instant::now(), Input::Prepared { call, result });
                }
                Output::Release { call } => self.media.release(call),
                Output::Media { call, command } => {
                    let reply = match &command {
                        MediaCommand::Stats(to) => l.replies.remove(to),
                        _ => None,
                    };
                    if let Some(report) = self.media.command(call, command, reply) {
                        self.core
                            .handle(Instant::now(), Input::Media { call, report });
                    }
                }
                Output::Show(leds) => {
                    l.shown = leds;
                    let light_written = self.devices.show(leds);
                    if let Some(at) = l.stopwatch.changed_at.take() {
                        l.stopwatch.state_to_led.record(at.elapsed());
                        if let Some(written) = light_written {
                            l.stopwatch
                                .state_to_light
                                .record(written.saturating_duration_since(at));
                        }
                    }
                }
                Output::Identify { call, remote } => {
                    if let Some(directory) = self.directory.clone() {
                        let answer = self.identified.clone();
                        tokio::spawn(async move {
                            if let Some(who) = directory.identify(remote).await {
                                let _ = answer.send((call, who));
                            }
                        });
                    }
                }
                Output::FetchBalance { account } => {
                    let answer = self.balances.clone();
                    match self.balance.clone() {
                        Some(fetcher) => {
                            tokio::spawn(async move {
                                let result = fetcher.fetch(&account).await;
                                let _ = answer.send((account, result));
                            });
                        }
                        None => {
                            let _ = answer.send((account, Err("no balance source".into())));
                        }
                    }
                }
                Output::ShowCaller(text) => self.devices.show_caller(text.as_deref()),
                Output::TestDevice(id) => match self.devices.test(id) {
                    Ok(true) => tracing::info!(device = %id, "testing"),
                    Ok(false) => tracing::info!(device = %id, "has no test"),
                    Err(e) => tracing::warn!(device = %id, "test failed: {e}"),
                },
                Output::SpeedDial { digit } => {
                    let target = self.directory.as_ref().and_then(|d| d.speed_dial(digit));
                    self.core
                        .handle(Instant::now(), Input::SpeedDialed { digit, target });
                }
                Output::Tone(sound) => play(&mut l.tone, sound),
                Output::Ring(sound) => play(&mut l.ring, sound),
                Output::Event(e) => {
                    // A change of state starts the LED clock (a device's
                    // gesture started it when it was read).
                    l.stopwatch.changed_at.get_or_insert_with(Instant::now);
                    tracing::info!(?e, "event");
                    if let Some(p) = &self.persist {
                        p.follow(&e);
                    }
                    if let Some(r) = &self.records {
                        r.record(&e, crate::records::unix_now());
                    }
                    events.push(e);
                }
                Output::Reply { to, result } => replies.push((to, result)),
            }
        }
        // What was timed this turn is done with.
        l.stopwatch.changed_at = None;
        l.stopwatch.input_at = None;
        self.outlets.state.send_if_modified(|s| {
            let changed = s != self.core.state();
            if changed {
                s.clone_from(self.core.state());
            }
            changed
        });
        let busy = !self.core.state().calls.is_empty();
        if busy != l.busy {
            l.busy = busy;
            if let Some(m) = &self.media_pause {
                m.follow(busy);
            }
        }
        for e in events {
            let _ = self.outlets.events.send(e);
        }
        for (to, result) in replies {
            if let Some(reply) = l.replies.remove(&to) {
                let _ = reply.send(result);
            }
        }
    }

    /// Sends STUN requests; tells the core when our advertised address
    /// changed or the first look at it is over.
    fn follow_address(&mut self) {
        let udp = &self.transports.udp;
        let news = self.address.poll(|to, request| {
            if let Err(e) = udp.try_send_to(request, to) {
                tracing::debug!("cannot send a STUN request to {to}: {e}");
            }
        });
        for n in news {
            let input = match n {
                AddressNews::Changed { sip, cause } => Input::Address {
                    sip,
                    media: sip.ip(),
                    cause,
                },
                AddressNews::Settled => Input::AddressSettled,
            };
            self.core.handle(Instant::now(), input);
        }
    }
}

/// Plays a tone or the ring in `slot` (what played there stops first), or
/// stops it.
fn play(slot: &mut Option<Ringer>, sound: Option<Sound>) {
    *slot = None;
    let Some(sound) = sound else { return };
    match Ringer::start(&sound.device, &sound.sound) {
        Ok(r) => *slot = Some(r),
        Err(e) => tracing::warn!(device = %sound.device, "cannot play: {e}"),
    }
}

/// Sleeps until `at`; with none, for ever.
/// The next route change; never, without the kernel's events.
async fn route_changed(
    monitor: Option<&crate::edge::route_monitor::RouteMonitor>,
) -> std::io::Result<()> {
    match monitor {
        Some(m) => m.changed().await,
        None => std::future::pending().await,
    }
}

pub(crate) async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
