//! A network of sans-IO phones in virtual time: each `PhoneCore` gets the
//! others' datagrams, its media is "prepared" and "run" by bookkeeping, and
//! time moves only when a test says so. No socket, no thread, no sleep.
//! What goes to an address no phone has (a registrar, a proxy) is kept on
//! `wire` for the test to read and answer.

#![allow(dead_code)]

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_phone::config::{Config, account_config};
use hookswitch_phone::core::{
    CoreSettings, Inbound, Input, MediaCommand, MediaReport, Output, PhoneCore, ReplyTo, Sound,
};
use hookswitch_phone::{Action, CallStats, EngineError, PhoneEvent, Reply};
use hookswitch_sip::message::{HeaderName, Message, Request, Response, parse_datagram};
use hookswitch_sip::ua::{Config as UaConfig, Destination, Transmit, Transport};
use rand::SeedableRng;

/// One phone on the network.
pub struct Phone {
    pub addr: SocketAddr,
    pub core: PhoneCore,
    /// Every event it sent, in order.
    pub events: Vec<PhoneEvent>,
    pub replies: Vec<(ReplyTo, Result<Reply, EngineError>)>,
    /// Calls whose media is prepared or running (the edge's bookkeeping).
    pub prepared: BTreeSet<u64>,
    pub running: BTreeSet<u64>,
    /// While set, preparing media fails with this (a sound device that
    /// cannot be opened).
    pub refuse_sound: Option<String>,
    /// The address book the edge answers `Identify` from: a remote that
    /// contains the first is the second.
    pub address_book: Vec<(String, String)>,
    /// Lookups asked for (who), and what displays were told to show.
    pub identify_asked: Vec<String>,
    pub captions: Vec<Option<String>>,
    /// Devices asked to run their test.
    pub tested: Vec<hookswitch_devices::DeviceId>,
    /// Balance checks asked of the edge, by account.
    pub balance_asked: Vec<String>,
    /// What the edge answers for a device's speed dial keys.
    pub speed_dials: std::collections::HashMap<u8, String>,
    /// What it asked of the media, devices and speakers, in order.
    pub media: Vec<(u64, MediaCommand)>,
    pub shown: Vec<hookswitch_hid::DeviceState>,
    pub tones: Vec<Option<Sound>>,
    pub rings: Vec<Option<Sound>>,
    next_reply: u64,
}

/// A message that left a phone.
#[derive(Debug, Clone)]
pub struct Sent {
    pub from: SocketAddr,
    pub transmit: Transmit,
}

impl Sent {
    pub fn message(&self) -> Option<Message> {
        parse_datagram(&self.transmit.payload).ok()
    }

    pub fn request(&self) -> Option<Request> {
        match self.message()? {
            Message::Request(r) => Some(r),
            Message::Response(_) => None,
        }
    }

    pub fn response(&self) -> Option<Response> {
        match self.message()? {
            Message::Response(r) => Some(r),
            Message::Request(_) => None,
        }
    }
}

pub struct Net {
    pub now: Instant,
    pub phones: Vec<Phone>,
    /// What went to addresses no phone has.
    pub wire: Vec<Sent>,
    /// Every transmit of every phone, in order (for the determinism check).
    pub log: Vec<Sent>,
    in_flight: VecDeque<(usize, Sent)>,
    /// The test's DNS: by host name, where RFC 3263 finds its SIP servers
    /// (a name not here has none).
    pub dns: std::collections::HashMap<String, Vec<hookswitch_sip::dns::Candidate>>,
}

/// A configuration for a phone at `127.0.0.<host>:5060` that takes
/// peer-to-peer calls.
pub fn config() -> Config {
    let mut c = Config::default();
    c.sip.accept_p2p = true;
    c.devices.enabled = false;
    c.devices.microphone = "none".into();
    c.devices.speaker = "none".into();
    c
}

impl Default for Net {
    fn default() -> Self {
        Self::new()
    }
}

impl Net {
    pub fn new() -> Net {
        Net {
            now: Instant::now(),
            phones: Vec::new(),
            wire: Vec::new(),
            log: Vec::new(),
            in_flight: VecDeque::new(),
            dns: Default::default(),
        }
    }

    /// Adds a phone at `127.0.0.<host>:5060`, seeded with `seed`; its
    /// accounts (passwords "secret") register as their settings say.
    pub fn add(&mut self, host: u8, config: &Config, seed: u64) -> usize {
        let addr = SocketAddr::from(([127, 0, 0, host], 5060));
        let accounts = config
            .accounts
            .iter()
            .map(|a| account_config(a, Some("secret".into())).expect("an account"))
            .collect();
        let ua = UaConfig {
            local: addr,
            timers: config.timers(),
            accounts,
            contact_user: config.sip.user.clone(),
            keepalive: config.keepalive(),
            tls_port: None,
            local_v6: None,
            accept_messages: hookswitch_sip::ua::AcceptMessages::No,
        };
        let settings = CoreSettings::from_config(config, None).expect("settings");
        let rng = rand::rngs::StdRng::seed_from_u64(seed);
        let core = PhoneCore::new(ua, settings, rng, self.now);
        self.phones.push(Phone {
            addr,
            core,
            events: Vec::new(),
            replies: Vec::new(),
            prepared: BTreeSet::new(),
            running: BTreeSet::new(),
            refuse_sound: None,
            address_book: Vec::new(),
            identify_asked: Vec::new(),
            captions: Vec::new(),
            tested: Vec::new(),
            speed_dials: std::collections::HashMap::new(),
            balance_asked: Vec::new(),
            media: Vec::new(),
            shown: Vec::new(),
            tones: Vec::new(),
            rings: Vec::new(),
            next_reply: 0,
        });
        let i = self.phones.len() - 1;
        self.input(i, Input::AddressSettled);
        i
    }

    /// Feeds one input to phone `i` and runs the network until it is quiet.
    pub fn input(&mut self, i: usize, input: Input<'_>) {
        let now = self.now;
        self.phones[i].core.handle(now, input);
        self.settle();
    }

    /// Asks phone `i` for something; its reply.
    pub fn act(&mut self, i: usize, action: Action) -> Result<Reply, EngineError> {
        let p = &mut self.phones[i];
        p.next_reply += 1;
        let to = ReplyTo(p.next_reply);
        self.input(i, Input::Action { action, reply: to });
        let p = &mut self.phones[i];
        let at = p
            .replies
            .iter()
            .position(|(r, _)| *r == to)
            .expect("every action is answered");
        p.replies.remove(at).1
    }

    /// Places a call from phone `i`: its number.
    pub fn call(&mut self, i: usize, target: &str) -> u64 {
        match self.act(
            i,
            Action::Call {
                target: target.into(),
                account: None,
                audio: None,
            },
        ) {
            Ok(Reply::Call(c)) => c,
            other => panic!("the call was not placed: {other:?}"),
        }
    }

    /// The call ringing at phone `i` (the newest).
    pub fn ringing(&self, i: usize) -> u64 {
        self.phones[i]
            .core
            .state()
            .calls
            .iter()
            .rev()
            .find(|c| c.phase == hookswitch_phone::state::CallPhase::Incoming)
            .map(|c| c.id)
            .expect("a call rings")
    }

    /// Carries every output out and delivers what is in flight, until
    /// nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for i in 0..self.phones.len() {
                moved |= self.drain(i);
            }
            if let Some((to, sent)) = self.in_flight.pop_front() {
                moved = true;
                self.deliver(to, &sent);
            }
            if !moved {
                return;
            }
        }
        panic!("the network never settles");
    }

    /// Delivers `sent` to phone `to`, as the transport it went by.
    fn deliver(&mut self, to: usize, sent: &Sent) {
        let now = self.now;
        let source = sent.from;
        let p = &mut self.phones[to];
        match sent.transmit.transport {
            Transport::Udp => p.core.handle(
                now,
                Input::Datagram {
                    source,
                    bytes: &sent.transmit.payload,
                },
            ),
            transport => {
                let inbound = match parse_datagram(&sent.transmit.payload) {
                    Ok(message) => Inbound::Message {
                        transport,
                        source,
                        message,
                    },
                    Err(error) => Inbound::Malformed {
                        transport,
                        source,
                        bytes: sent.transmit.payload.clone(),
                        error,
                    },
                };
                p.core.handle(now, Input::Inbound(inbound));
            }
        }
    }

    /// A datagram from an address that is no phone (a registrar, a
    /// stranger) to phone `to`.
    pub fn deliver_from_outside(&mut self, source: SocketAddr, to: usize, bytes: &[u8]) {
        let now = self.now;
        self.phones[to]
            .core
            .handle(now, Input::Datagram { source, bytes });
        self.settle();
    }

    /// Answers the request `sent` (from the wire) with `status` and extra
    /// headers, as the server it went to.
    pub fn respond(&mut self, sent: &Sent, status: u16, headers: &[(HeaderName, &str)]) {
        let req = sent.request().expect("a request");
        let mut resp = hookswitch_sip::ua::response_to(&req, status, Some("srv"));
        for (name, value) in headers {
            resp.headers.push(name.clone(), *value);
        }
        let server = match &sent.transmit.destination {
            Destination::Addr(a) => *a,
            Destination::Host { .. } => SocketAddr::from(([192, 0, 2, 1], 5060)),
        };
        let to = self
            .phones
            .iter()
            .position(|p| p.addr == sent.from)
            .expect("the sender");
        self.deliver_from_outside(server, to, &resp.to_bytes());
    }

    /// Requests of `method` that went to the wire, oldest first.
    pub fn wire_requests(&self, method: &str) -> Vec<Sent> {
        self.wire
            .iter()
            .filter(|s| s.request().is_some_and(|r| r.method.as_str() == method))
            .cloned()
            .collect()
    }

    /// Moves time on by `d`, running every timer that falls due in order.
    pub fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        loop {
            let next = self
                .phones
                .iter()
                .filter_map(|p| p.core.poll_timeout())
                .filter(|t| *t <= until)
                .min();
            let Some(at) = next else { break };
            self.now = self.now.max(at);
            for i in 0..self.phones.len() {
                if self.phones[i]
                    .core
                    .poll_timeout()
                    .is_some_and(|t| t <= self.now)
                {
                    let now = self.now;
                    self.phones[i].core.handle(now, Input::Timeout);
                }
            }
            self.settle();
        }
        self.now = until;
    }

    /// Carries out phone `i`'s outputs; true if there were any.
    fn drain(&mut self, i: usize) -> bool {
        let mut moved = false;
        while let Some(o) = self.phones[i].core.poll_output() {
            moved = true;
            self.carry_out(i, o);
        }
        moved
    }

    fn carry_out(&mut self, i: usize, o: Output) {
        let now = self.now;
        let from = self.phones[i].addr;
        let p = &mut self.phones[i];
        match o {
            Output::Transmit(transmit) => {
                let sent = Sent { from, transmit };
                self.log.push(sent.clone());
                let to = match &sent.transmit.destination {
                    Destination::Addr(a) => self.phones.iter().position(|p| p.addr == *a),
                    Destination::Host { .. } => None,
                };
                match to {
                    Some(to) => self.in_flight.push_back((to, sent)),
                    None => self.wire.push(sent),
                }
            }
            Output::Prepare { call, .. } => {
                let result = match &p.refuse_sound {
                    Some(why) => Err(why.clone()),
                    None => {
                        p.prepared.insert(call);
                        // Each call its own even port, as the edge binds them.
                        Ok(SocketAddr::new(from.ip(), 40_000 + 2 * call as u16))
                    }
                };
                p.core.handle(now, Input::Prepared { call, result });
            }
            Output::Release { call } => {
                p.prepared.remove(&call);
            }
            Output::Locate(request) => {
                let result = match self.dns.get(&request.host) {
                    Some(found) => Ok((found.clone(), 300)),
                    None => Err(format!("{} is not in the test's DNS", request.host)),
                };
                let located = hookswitch_phone::core::Inbound::Located { request, result };
                self.phones[i].core.handle(now, Input::Inbound(located));
            }
            Output::Media { call, command } => {
                p.media.push((call, command.clone()));
                match command {
                    MediaCommand::Start(_) => {
                        assert!(p.prepared.remove(&call), "media started unprepared");
                        p.running.insert(call);
                    }
                    MediaCommand::Stop => {
                        p.running.remove(&call);
                        let report = MediaReport::Stopped(CallStats::default());
                        p.core.handle(now, Input::Media { call, report });
                    }
                    MediaCommand::Stats(to) => {
                        let stats = Box::new(CallStats::default());
                        p.replies.push((to, Ok(Reply::Stats(stats))));
                    }
                    _ => {}
                }
            }
            Output::Show(leds) => p.shown.push(leds),
            Output::Identify { call, remote } => {
                p.identify_asked.push(remote.clone());
                let known = p
                    .address_book
                    .iter()
                    .find(|(pattern, _)| remote.contains(pattern.as_str()));
                if let Some((_, name)) = known.cloned() {
                    let source = "Contacts".to_string();
                    p.core.handle(now, Input::Identified { call, name, source });
                }
            }
            Output::ShowCaller(text) => p.captions.push(text),
            Output::TestDevice(id) => p.tested.push(id),
            // The test answers, when it likes, with Input::BalanceFetched.
            Output::FetchBalance { account } => p.balance_asked.push(account),
            Output::SpeedDial { digit } => {
                let target = p.speed_dials.get(&digit).cloned();
                p.core.handle(now, Input::SpeedDialed { digit, target });
            }
            Output::Tone(s) => p.tones.push(s),
            Output::Ring(s) => p.rings.push(s),
            Output::Event(e) => p.events.push(e),
            Output::Reply { to, result } => p.replies.push((to, result)),
        }
    }
}
