//! The tokio driver: a thin loop that feeds the sans-IO [`PhoneCore`] with
//! bytes, device events, media reports, actions and time, and carries out
//! what it asks: sends, media, LEDs, tones, events, replies.

pub mod latency;
pub mod media;

use std::collections::HashMap;
use std::net::IpAddr;
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
use crate::edge::media_pool::MediaPool;
use crate::edge::nat::Nat;
use crate::edge::persist::Persist;
use crate::edge::sockets::MediaSockets;
use crate::edge::transport::{Inbound, Transports};
use crate::error::EngineError;
use crate::event::{CallId, DeviceActivity, PhoneEvent};
use crate::state::PhoneState;
use media::MediaEdge;

/// What the engine handle asks of the driver.
pub enum Command {
    Act(Action, oneshot::Sender<Result<Reply, EngineError>>),
    DeskLatency(oneshot::Sender<latency::DeskLatency>),
    Shutdown(oneshot::Sender<()>),
}

/// The channels the driver reads.
pub struct Receivers {
    pub commands: mpsc::Receiver<Command>,
    pub inbound: mpsc::Receiver<Inbound>,
    pub media: mpsc::UnboundedReceiver<(CallId, MediaReport)>,
    pub devices: mpsc::UnboundedReceiver<DeviceEvent>,
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
    /// Our advertised address: the route's local one, or STUN's public one.
    pub nat: Nat,
    /// With STUN: media sockets whose public address is known before a call.
    pub media_pool: Option<MediaPool>,
    pub media: MediaEdge,
    pub devices: DeviceManager,
    /// Real devices come and go through this watcher (none in tests); held
    /// for as long as the driver runs.
    pub _hotplug: Option<Hotplug>,
    pub outlets: Outlets,
    pub persist: Option<Persist>,
    /// The echo test's service, kept running as long as the driver.
    pub _echo: Option<crate::echo::EchoService>,
}

/// What the loop keeps beside the parts it was built from.
#[derive(Default)]
struct Loop {
    replies: HashMap<ReplyTo, oneshot::Sender<Result<Reply, EngineError>>>,
    next_reply: u64,
    tone: Option<Ringer>,
    ring: Option<Ringer>,
    stopwatch: latency::Stopwatch,
    shown: DeviceState,
    /// The media pool's sockets are bound to this address.
    media_ip: Option<IpAddr>,
    settled: bool,
}

impl Driver {
    /// Runs until a Shutdown command (or the handle is dropped); returns the
    /// shutdown's reply, to be sent once the driver is dropped.
    pub async fn run(mut self, mut rx: Receivers) -> Option<oneshot::Sender<()>> {
        let udp = self.transports.udp.clone();
        let mut buf = vec![0u8; 65536];
        let mut l = Loop::default();
        let mut shutdown: Option<(oneshot::Sender<()>, tokio::time::Instant)> = None;
        loop {
            self.drain(&mut l);
            if let Some((_, deadline)) = &shutdown
                && (self.core.is_quiet() || tokio::time::Instant::now() >= *deadline)
            {
                break;
            }
            let wake = [self.core.poll_timeout(), self.nat.poll_timeout()]
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
            let deadline = async {
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
                    Ok((n, source)) => {
                        if tracing::enabled!(tracing::Level::DEBUG) {
                            tracing::debug!(from = %source, "received\n{}", redacted_trace(&buf[..n]));
                        }
                        self.feed(&mut l, Input::Datagram { source, bytes: &buf[..n] });
                    }
                    Err(e) => tracing::debug!("UDP receive error: {e}"),
                },
                Some(i) = rx.inbound.recv() => self.inbound(&mut l, i),
                Some((call, report)) = rx.media.recv() => self.feed(&mut l, Input::Media { call, report }),
                Some(d) = rx.devices.recv() => self.device(&mut l, d),
                c = rx.commands.recv() => match c {
                    Some(Command::Act(action, reply)) => {
                        l.next_reply += 1;
                        let to = ReplyTo(l.next_reply);
                        l.replies.insert(to, reply);
                        self.feed(&mut l, Input::Action { action, reply: to });
                    }
                    Some(Command::DeskLatency(reply)) => {
                        let _ = reply.send(l.stopwatch.report());
                    }
                    Some(Command::Shutdown(reply)) => {
                        self.core.shutdown(Instant::now());
                        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
                        shutdown = Some((reply, deadline));
                    }
                    None => {
                        self.core.shutdown(Instant::now());
                        self.drain(&mut l);
                        break;
                    }
                },
                _ = sleep => {
                    let now = Instant::now();
                    self.nat.handle_timeout(now);
                    if self.core.poll_timeout().is_some_and(|t| t <= now) {
                        self.feed(&mut l, Input::Timeout);
                    }
                }
                _ = deadline => {}
            }
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

    fn feed(&mut self, l: &mut Loop, input: Input<'_>) {
        let now = Instant::now();
        l.stopwatch.changed_at.get_or_insert(now);
        self.core.handle(now, input);
    }

    fn inbound(&mut self, l: &mut Loop, i: Inbound) {
        if tracing::enabled!(tracing::Level::DEBUG)
            && let Inbound::Message {
                transport,
                source,
                message,
            } = &i
        {
            tracing::debug!(from = %source, %transport, "received\n{}", redacted_trace(&message.to_bytes()));
        }
        self.feed(l, Input::Inbound(i));
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
        self.feed(l, Input::Device(e));
    }

    /// Carries out everything the core asked, then publishes its state, and
    /// only then its events and replies: whoever hears of a change finds it
    /// in `Engine::state`.
    fn drain(&mut self, l: &mut Loop) {
        let mut events = Vec::new();
        let mut replies = Vec::new();
        loop {
            self.follow_address(l);
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
                Output::Prepare {
                    call,
                    audio,
                    sample_rate,
                } => {
                    let sockets = self.media_sockets();
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
                    self.devices.show(leds);
                    if let Some(at) = l.stopwatch.changed_at.take() {
                        l.stopwatch.state_to_led.record(at.elapsed());
                    }
                }
                Output::Tone(sound) => {
                    l.tone = None;
                    l.tone = play(sound);
                }
                Output::Ring(sound) => {
                    l.ring = None;
                    l.ring = play(sound);
                }
                Output::Event(e) => {
                    tracing::info!(?e, "event");
                    if let Some(p) = &self.persist {
                        p.follow(&e);
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
    fn follow_address(&mut self, l: &mut Loop) {
        let now = Instant::now();
        while let Some((to, request)) = self.nat.poll_transmit() {
            if let Err(e) = self.transports.udp.try_send_to(&request, to) {
                tracing::debug!("cannot send a STUN request to {to}: {e}");
            }
        }
        let ip = self.nat.local_ip();
        if l.media_ip.replace(ip).is_some_and(|old| old != ip)
            && let Some(pool) = &self.media_pool
        {
            pool.set_bind_ip(ip);
        }
        if let Some((sip, cause)) = self.nat.take_change() {
            tracing::info!(%sip, ?cause, "our address changed");
            let media = sip.ip();
            self.core.handle(now, Input::Address { sip, media, cause });
        }
        if !l.settled && self.nat.settled() {
            l.settled = true;
            self.core.handle(now, Input::AddressSettled);
        }
    }

    /// A call's media sockets: a pair whose public address STUN has learnt,
    /// if one is ready, else a new pair (behind a NAT, assumed to keep its
    /// port at our public address, as most NATs do).
    fn media_sockets(&self) -> std::io::Result<MediaSockets> {
        let ip = self.nat.local_ip();
        if let Some(sockets) = self.media_pool.as_ref().and_then(|p| p.take(ip)) {
            tracing::debug!(public = %sockets.public, "media sockets mapped by STUN");
            return Ok(sockets);
        }
        let mut sockets = MediaSockets::bind(ip)?;
        sockets.public.set_ip(self.nat.advertised().ip());
        tracing::debug!(public = %sockets.public, "media sockets bound now");
        Ok(sockets)
    }
}

/// Plays a tone or the ring (replacing what played), or stops.
fn play(sound: Option<Sound>) -> Option<Ringer> {
    let sound = sound?;
    match Ringer::start(&sound.device, &sound.sound) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(device = %sound.device, "cannot play: {e}");
            None
        }
    }
}
