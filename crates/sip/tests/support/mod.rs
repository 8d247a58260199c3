//! A scripted peer for one UA: the test reads what the UA sends and writes
//! the answers a proxy or a phone would, with a clock that moves only when
//! told.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hookswitch_sip::message::{HeaderName, Message, Request, Response, parse_datagram};
use hookswitch_sip::transaction::TimerConfig;
use hookswitch_sip::ua::{Config, Destination, Event, Keepalive, UserAgent, response_to};

pub const US: &str = "127.0.0.1:5061";
pub const PROXY: &str = "127.0.0.1:5060";
/// The two phones the proxy rings for one AOR.
pub const DESK: &str = "127.0.0.1:5071";
pub const MOBILE: &str = "127.0.0.1:5072";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub struct Rig {
    pub now: Instant,
    pub ua: UserAgent,
    pub invite: Request,
    pub events: Vec<Event>,
    /// Everything the UA sent: (destination, message).
    pub sent: Vec<(SocketAddr, Message)>,
}

impl Rig {
    /// Our UA calls `sip:bob@PROXY`; the INVITE is taken off the wire.
    pub fn calling() -> Rig {
        let mut ua = UserAgent::new(Config {
            local: addr(US),
            timers: TimerConfig::default(),
            accounts: vec![],
            contact_user: "alice".into(),
            keepalive: Keepalive::Off,
            tls_port: None,
            local_v6: None,
            accept_messages: hookswitch_sip::ua::AcceptMessages::No,
        });
        let now = Instant::now();
        let target = format!("sip:bob@{PROXY}").parse().unwrap();
        ua.call(now, None, &target, b"v=0 offer".to_vec()).unwrap();
        let mut rig = Rig {
            now,
            ua,
            invite: Request::new(hookswitch_sip::message::Method::Invite, target),
            events: Vec::new(),
            sent: Vec::new(),
        };
        rig.drain();
        let Some((_, Message::Request(invite))) = rig.sent.pop() else {
            panic!("an INVITE first")
        };
        rig.invite = invite;
        rig
    }

    pub fn drain(&mut self) {
        while let Some(t) = self.ua.poll_transmit() {
            let Destination::Addr(to) = t.destination else {
                panic!("unresolved destination {}", t.destination)
            };
            self.sent.push((to, parse_datagram(&t.payload).unwrap()));
        }
        while let Some(e) = self.ua.poll_event() {
            self.events.push(e);
        }
    }

    /// A response from the branch at `phone`, with To tag `tag`.
    pub fn answer(&mut self, status: u16, tag: &str, phone: &str, sdp: Option<&str>) {
        self.answer_with(status, tag, phone, sdp, &[]);
    }

    /// As `answer`, with more headers.
    pub fn answer_with(
        &mut self,
        status: u16,
        tag: &str,
        phone: &str,
        sdp: Option<&str>,
        headers: &[(HeaderName, &str)],
    ) {
        let mut resp = response_to(&self.invite, status, Some(tag));
        for (name, value) in headers {
            resp.headers.push(name.clone(), *value);
        }
        resp.headers
            .push(HeaderName::Contact, format!("<sip:bob@{phone}>"));
        if let Some(sdp) = sdp {
            resp.headers
                .push(HeaderName::ContentType, "application/sdp");
            resp.body = sdp.as_bytes().to_vec();
        }
        self.deliver(resp);
    }

    pub fn deliver(&mut self, resp: Response) {
        self.ua
            .handle_datagram(self.now, addr(PROXY), &resp.to_bytes());
        self.drain();
    }

    pub fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.ua.poll_timeout().filter(|t| *t <= end) {
            self.now = self.now.max(t);
            self.ua.handle_timeout(self.now);
            self.drain();
        }
        self.now = end;
    }

    /// The last request of `method` the UA sent.
    pub fn last_request(&self, method: &str) -> Option<Request> {
        self.sent.iter().rev().find_map(|(_, m)| match m {
            Message::Request(r) if r.method.as_str() == method => Some(r.clone()),
            _ => None,
        })
    }

    /// Answers `req` (a request the UA sent) with `status` and `headers`.
    pub fn reply(&mut self, req: &Request, status: u16, headers: &[(HeaderName, &str)]) {
        let mut resp = response_to(req, status, None);
        for (name, value) in headers {
            resp.headers.push(name.clone(), *value);
        }
        self.deliver(resp);
    }

    /// Requests of `method` sent since index `from`: (destination, To tag).
    pub fn requests(&self, from: usize, method: &str) -> Vec<(SocketAddr, String)> {
        self.sent[from..]
            .iter()
            .filter_map(|(to, m)| match m {
                Message::Request(r) if r.method.as_str() == method => Some((
                    *to,
                    r.headers
                        .to_addr()
                        .and_then(|a| a.tag().map(str::to_string))
                        .unwrap_or_default(),
                )),
                _ => None,
            })
            .collect()
    }

    pub fn established(&self) -> Vec<Option<Vec<u8>>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Established { sdp, .. } => Some(sdp.clone()),
                _ => None,
            })
            .collect()
    }
}
