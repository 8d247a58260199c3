//! Locating a SIP server (RFC 3263 4), sans-IO: from a URI's host, port,
//! transport and scheme to an ordered list of (transport, address) to try,
//! by way of the queries it asks for and the records it is given.
//!
//! - An IP address is used as it is (UDP, or TLS for sips:).
//! - A port given: A/AAAA of the host, over the transport given (or UDP/TLS).
//! - A transport given, no port: SRV `_sip._udp`, `_sip._tcp` or `_sips._tcp`;
//!   without SRV records, A/AAAA at the transport's default port.
//! - Neither: NAPTR of the host, for the services we have (SIP+D2U,
//!   SIP+D2T, SIPS+D2T; only SIPS for sips:), in order and preference, each
//!   to its SRV; without NAPTR records, SRV for each transport we have, the
//!   first that answers in our order (UDP, TCP, TLS); without those, A/AAAA
//!   at 5060 over UDP (5061 over TLS for sips:).
//! - SRV targets by priority, and by weight within one (RFC 2782, with the
//!   injected randomness); a target "." means "no service here".
//!
//! Every candidate is a place the request may go next when the one before
//! it times out, is unreachable or answers 503 (RFC 3263 4.3).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use rand::{Rng, RngExt};

use super::message::{Record, RecordData, RecordType};
use crate::ua::Transport;

/// What to locate: the parts of a URI RFC 3263 reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Request {
    pub host: String,
    pub port: Option<u16>,
    pub transport: Option<Transport>,
    pub secure: bool,
}

/// One place to send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub transport: Transport,
    pub addr: SocketAddr,
    /// The name the address came from (a TLS server's certificate names it).
    pub host: String,
}

/// The outcome of a query: its records (answer and additional sections),
/// or that the name has none of that type (NXDOMAIN or empty: the same
/// here), or that no server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Records(Vec<Record>),
    Nothing,
    Failed(String),
}

#[derive(Debug, Clone)]
enum Step {
    /// NAPTR of the host.
    Naptr,
    /// SRV of these names, each with its transport, tried in this order:
    /// `first_only` takes the first with records (no NAPTR: any transport
    /// we have), else every one adds its targets (NAPTR order).
    Srv {
        names: VecDeque<(String, Transport)>,
        first_only: bool,
    },
    /// Addresses of these targets, in order.
    Addresses,
    Done,
}

/// A place with a port (an SRV target, or the host itself) and the
/// addresses its name has.
#[derive(Debug, Clone)]
struct Target {
    host: String,
    port: u16,
    transport: Transport,
    /// SRV priority and weight (0 and 0 for the host itself).
    priority: u16,
    weight: u16,
    /// Which SRV name (in NAPTR order) it came from: earlier ones first.
    rank: usize,
    addrs: Vec<IpAddr>,
    asked: bool,
}

impl Target {
    fn plain(host: String, port: u16, transport: Transport) -> Target {
        Target {
            host,
            port,
            transport,
            priority: 0,
            weight: 0,
            rank: 0,
            addrs: Vec::new(),
            asked: false,
        }
    }
}

#[derive(Debug)]
pub struct Locator {
    request: Request,
    /// Transports we can use, in our order of preference.
    supported: Vec<Transport>,
    ipv6: bool,
    step: Step,
    targets: Vec<Target>,
    /// Queries asked for and not answered yet.
    pending: VecDeque<(String, RecordType)>,
    outstanding: usize,
    ttl: u32,
    failure: Option<String>,
    found_srv: bool,
    /// SRV names answered so far (the rank of the next one's targets).
    srv_asked: usize,
}

fn srv_name(host: &str, transport: Transport) -> String {
    match transport {
        Transport::Udp => format!("_sip._udp.{host}"),
        Transport::Tcp => format!("_sip._tcp.{host}"),
        Transport::Tls => format!("_sips._tcp.{host}"),
    }
}

fn default_transport(secure: bool) -> Transport {
    if secure {
        Transport::Tls
    } else {
        Transport::Udp
    }
}

fn same_name(a: &str, b: &str) -> bool {
    a.trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim_end_matches('.'))
}

impl Locator {
    /// `supported`: the transports we can use, most preferred first;
    /// `ipv6`: whether AAAA records are worth asking for.
    pub fn new(request: Request, supported: &[Transport], ipv6: bool) -> Locator {
        let host = request
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let mut l = Locator {
            supported: supported
                .iter()
                .copied()
                .filter(|t| !request.secure || *t == Transport::Tls)
                .collect(),
            ipv6,
            step: Step::Done,
            targets: Vec::new(),
            pending: VecDeque::new(),
            outstanding: 0,
            ttl: u32::MAX,
            failure: None,
            found_srv: false,
            srv_asked: 0,
            request: Request {
                host: host.clone(),
                ..request
            },
        };
        let transport = l
            .request
            .transport
            .unwrap_or(default_transport(l.request.secure));
        if let Ok(ip) = host.parse::<IpAddr>() {
            let port = l.request.port.unwrap_or(transport.default_port());
            let mut t = Target::plain(host, port, transport);
            t.addrs.push(ip);
            t.asked = true;
            l.targets.push(t);
            return l;
        }
        match (l.request.port, l.request.transport) {
            (Some(port), _) => l.address_step(vec![(host, port, transport)]),
            (None, Some(t)) => l.srv_step(VecDeque::from([(srv_name(&host, t), t)]), true),
            (None, None) => {
                l.step = Step::Naptr;
                l.ask(host, RecordType::Naptr);
            }
        }
        l
    }

    fn ask(&mut self, name: String, rtype: RecordType) {
        self.pending.push_back((name, rtype));
        self.outstanding += 1;
    }

    /// The next query to make; answer each with [`Locator::handle`].
    pub fn poll_query(&mut self) -> Option<(String, RecordType)> {
        self.pending.pop_front()
    }

    /// No more queries to come: [`Locator::candidates`] is final.
    pub fn is_done(&self) -> bool {
        matches!(self.step, Step::Done) && self.outstanding == 0 && self.pending.is_empty()
    }

    /// The smallest TTL among the records used (how long to keep the result).
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// Why nothing was found, when no server answered a query.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    fn srv_step(&mut self, names: VecDeque<(String, Transport)>, first_only: bool) {
        self.step = Step::Srv { names, first_only };
        self.ask_next_srv();
    }

    fn ask_next_srv(&mut self) {
        let Step::Srv { names, .. } = &self.step else {
            return;
        };
        match names.front().cloned() {
            Some((name, _)) => self.ask(name, RecordType::Srv),
            None => self.after_srv(),
        }
    }

    /// SRV gave nothing (or no SRV step): the host's own addresses.
    fn after_srv(&mut self) {
        if self.found_srv {
            self.step = Step::Addresses;
            self.ask_addresses();
            return;
        }
        let transport = self
            .request
            .transport
            .unwrap_or(default_transport(self.request.secure));
        let host = self.request.host.clone();
        self.address_step(vec![(host, transport.default_port(), transport)]);
    }

    fn address_step(&mut self, targets: Vec<(String, u16, Transport)>) {
        self.targets = targets
            .into_iter()
            .map(|(host, port, transport)| Target::plain(host, port, transport))
            .collect();
        self.step = Step::Addresses;
        self.ask_addresses();
    }

    fn ask_addresses(&mut self) {
        let mut names: Vec<String> = Vec::new();
        for t in &mut self.targets {
            if !t.asked && t.addrs.is_empty() && !names.iter().any(|n| same_name(n, &t.host)) {
                names.push(t.host.clone());
            }
            t.asked = true;
        }
        for name in names {
            self.ask(name.clone(), RecordType::A);
            if self.ipv6 {
                self.ask(name, RecordType::Aaaa);
            }
        }
        self.step = Step::Done;
    }

    /// The answer to a query [`Locator::poll_query`] gave.
    pub fn handle(&mut self, name: &str, rtype: RecordType, answer: Answer) {
        self.outstanding = self.outstanding.saturating_sub(1);
        let records = match answer {
            Answer::Records(r) => r,
            Answer::Nothing => Vec::new(),
            Answer::Failed(why) => {
                self.failure.get_or_insert(why);
                Vec::new()
            }
        };
        for r in &records {
            self.ttl = self.ttl.min(r.ttl);
        }
        // Addresses that came along (additional section) fill targets.
        self.take_addresses(&records);
        match (rtype, self.step.clone()) {
            (RecordType::Naptr, Step::Naptr) => self.on_naptr(&records),
            (
                RecordType::Srv,
                Step::Srv {
                    mut names,
                    first_only,
                },
            ) => {
                let transport = names
                    .front()
                    .filter(|(n, _)| same_name(n, name))
                    .map(|(_, t)| *t);
                names.pop_front();
                let mut found = Vec::new();
                if let Some(t) = transport {
                    found = srv_targets(name, &records, t, self.srv_asked);
                }
                self.srv_asked += 1;
                // "." alone: explicitly no service at this name.
                let any = records
                    .iter()
                    .any(|r| same_name(&r.name, name) && matches!(r.data, RecordData::Srv { .. }));
                if any {
                    self.found_srv = true;
                }
                self.targets.extend(found);
                if any && first_only {
                    names.clear();
                }
                self.step = Step::Srv { names, first_only };
                self.ask_next_srv();
            }
            _ => {}
        }
    }

    fn on_naptr(&mut self, records: &[Record]) {
        let mut naptrs: Vec<(u16, u16, Transport, String)> = records
            .iter()
            .filter(|r| same_name(&r.name, &self.request.host))
            .filter_map(|r| match &r.data {
                RecordData::Naptr {
                    order,
                    preference,
                    flags,
                    service,
                    replacement,
                    ..
                } if flags == "s" => {
                    let t = match service.as_str() {
                        "SIP+D2U" => Transport::Udp,
                        "SIP+D2T" => Transport::Tcp,
                        "SIPS+D2T" => Transport::Tls,
                        _ => return None,
                    };
                    Some((*order, *preference, t, replacement.clone()))
                }
                _ => None,
            })
            .filter(|(_, _, t, _)| self.supported.contains(t))
            .collect();
        naptrs.sort_by_key(|(o, p, _, _)| (*o, *p));
        if naptrs.is_empty() {
            let host = self.request.host.clone();
            let names = self
                .supported
                .iter()
                .map(|t| (srv_name(&host, *t), *t))
                .collect();
            self.srv_step(names, true);
        } else {
            let names = naptrs.into_iter().map(|(_, _, t, r)| (r, t)).collect();
            self.srv_step(names, false);
        }
    }

    fn take_addresses(&mut self, records: &[Record]) {
        for r in records {
            let ip = match r.data {
                RecordData::A(a) => IpAddr::V4(a),
                RecordData::Aaaa(a) if self.ipv6 => IpAddr::V6(a),
                _ => continue,
            };
            for t in &mut self.targets {
                if same_name(&t.host, &r.name) && !t.addrs.contains(&ip) {
                    t.addrs.push(ip);
                }
            }
        }
    }

    /// Where to send, in order: SRV targets by priority and weighted
    /// choice (`rng`), each target's addresses (IPv4 first).
    pub fn candidates(&self, rng: &mut impl Rng) -> Vec<Candidate> {
        let mut targets = self.targets.clone();
        order_by_priority_and_weight(&mut targets, rng);
        let mut out = Vec::new();
        for t in targets {
            let mut addrs = t.addrs.clone();
            addrs.sort_by_key(|a| a.is_ipv6());
            for ip in addrs {
                let c = Candidate {
                    transport: t.transport,
                    addr: SocketAddr::new(ip, t.port),
                    host: t.host.clone(),
                };
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The SRV records for `name`, as targets of `transport` ranked `rank`.
fn srv_targets(name: &str, records: &[Record], transport: Transport, rank: usize) -> Vec<Target> {
    records
        .iter()
        .filter(|r| same_name(&r.name, name))
        .filter_map(|r| match &r.data {
            RecordData::Srv {
                priority,
                weight,
                port,
                target,
            } if !target.is_empty() && target != "." => Some(Target {
                priority: *priority,
                weight: *weight,
                rank,
                ..Target::plain(target.clone(), *port, transport)
            }),
            _ => None,
        })
        .collect()
}

/// RFC 2782: by SRV name (NAPTR order), then lower priority first; within
/// a priority, repeatedly one at random with a chance in proportion to its
/// weight (the RFC's running sum, zero weights first).
fn order_by_priority_and_weight(targets: &mut Vec<Target>, rng: &mut impl Rng) {
    targets.sort_by_key(|t| (t.rank, t.priority));
    let mut out = Vec::with_capacity(targets.len());
    while !targets.is_empty() {
        let key = (targets[0].rank, targets[0].priority);
        let end = targets
            .iter()
            .position(|t| (t.rank, t.priority) != key)
            .unwrap_or(targets.len());
        let mut group: Vec<Target> = targets.drain(..end).collect();
        group.sort_by_key(|t| t.weight != 0);
        while !group.is_empty() {
            let total: u32 = group.iter().map(|t| u32::from(t.weight)).sum();
            let pick = if total == 0 {
                0
            } else {
                let n = rng.random_range(0..=total);
                let mut sum = 0u32;
                group
                    .iter()
                    .position(|t| {
                        sum += u32::from(t.weight);
                        sum >= n
                    })
                    .unwrap_or(0)
            };
            out.push(group.remove(pick));
        }
    }
    *targets = out;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::net::Ipv4Addr;

    fn rec(name: &str, data: RecordData) -> Record {
        Record {
            name: name.into(),
            ttl: 300,
            data,
        }
    }

    fn srv(name: &str, priority: u16, weight: u16, port: u16, target: &str) -> Record {
        rec(
            name,
            RecordData::Srv {
                priority,
                weight,
                port,
                target: target.into(),
            },
        )
    }

    fn naptr(order: u16, pref: u16, service: &str, replacement: &str) -> Record {
        rec(
            "example.com",
            RecordData::Naptr {
                order,
                preference: pref,
                flags: "s".into(),
                service: service.into(),
                regexp: String::new(),
                replacement: replacement.into(),
            },
        )
    }

    fn a(name: &str, last: u8) -> Record {
        rec(name, RecordData::A(Ipv4Addr::new(192, 0, 2, last)))
    }

    /// Runs the locator against `zone` (every record it holds); returns the
    /// candidates and the queries asked.
    fn run(request: Request, zone: &[Record]) -> (Vec<Candidate>, Vec<(String, RecordType)>) {
        let mut l = Locator::new(
            request,
            &[Transport::Udp, Transport::Tcp, Transport::Tls],
            false,
        );
        let mut asked = Vec::new();
        for _ in 0..50 {
            let Some((name, rtype)) = l.poll_query() else {
                break;
            };
            asked.push((name.clone(), rtype));
            let code = rtype.code();
            let found: Vec<Record> = zone
                .iter()
                .filter(|r| {
                    same_name(&r.name, &name)
                        && match r.data {
                            RecordData::A(_) => code == 1,
                            RecordData::Aaaa(_) => code == 28,
                            RecordData::Srv { .. } => code == 33,
                            RecordData::Naptr { .. } => code == 35,
                            _ => false,
                        }
                })
                .cloned()
                .collect();
            let answer = if found.is_empty() {
                Answer::Nothing
            } else {
                Answer::Records(found)
            };
            l.handle(&name, rtype, answer);
        }
        assert!(l.is_done());
        (l.candidates(&mut StdRng::seed_from_u64(1)), asked)
    }

    fn req(host: &str, port: Option<u16>, transport: Option<Transport>) -> Request {
        Request {
            host: host.into(),
            port,
            transport,
            secure: false,
        }
    }

    fn places(c: &[Candidate]) -> Vec<(Transport, String)> {
        c.iter()
            .map(|c| (c.transport, c.addr.to_string()))
            .collect()
    }

    #[test]
    fn an_address_is_used_as_it_is() {
        let (c, asked) = run(req("192.0.2.9", None, None), &[]);
        assert!(asked.is_empty());
        assert_eq!(places(&c), [(Transport::Udp, "192.0.2.9:5060".into())]);
        let (c, _) = run(
            Request {
                secure: true,
                ..req("[2001:db8::1]", None, None)
            },
            &[],
        );
        assert_eq!(places(&c), [(Transport::Tls, "[2001:db8::1]:5061".into())]);
    }

    #[test]
    fn a_port_means_addresses_only() {
        let zone = [
            srv("_sip._udp.example.com", 1, 1, 5099, "x.example.com"),
            a("example.com", 5),
        ];
        let (c, asked) = run(req("example.com", Some(5070), None), &zone);
        assert_eq!(asked, [("example.com".into(), RecordType::A)]);
        assert_eq!(places(&c), [(Transport::Udp, "192.0.2.5:5070".into())]);
    }

    #[test]
    fn srv_only_providers_are_found_without_naptr() {
        let zone = [
            srv("_sip._udp.example.com", 10, 0, 5080, "sip.example.com"),
            a("sip.example.com", 7),
        ];
        let (c, asked) = run(req("example.com", None, None), &zone);
        assert_eq!(asked[0], ("example.com".into(), RecordType::Naptr));
        assert_eq!(asked[1], ("_sip._udp.example.com".into(), RecordType::Srv));
        assert_eq!(places(&c), [(Transport::Udp, "192.0.2.7:5080".into())]);
    }

    #[test]
    fn naptr_chooses_the_transport_in_order_and_preference() {
        let zone = [
            naptr(50, 60, "SIP+D2U", "_sip._udp.example.com"),
            naptr(50, 50, "SIP+D2T", "_sip._tcp.example.com"),
            naptr(40, 50, "SIP+D2Z", "_sip._sctp.example.com"),
            srv("_sip._tcp.example.com", 0, 0, 5060, "tcp.example.com"),
            srv("_sip._udp.example.com", 0, 0, 5060, "udp.example.com"),
            a("tcp.example.com", 1),
            a("udp.example.com", 2),
        ];
        let (c, _) = run(req("example.com", None, None), &zone);
        assert_eq!(
            places(&c),
            [
                (Transport::Tcp, "192.0.2.1:5060".into()),
                (Transport::Udp, "192.0.2.2:5060".into())
            ]
        );
    }

    #[test]
    fn priorities_order_targets_and_a_dot_means_no_service() {
        let zone = [
            srv("_sip._tcp.example.com", 20, 0, 5060, "backup.example.com"),
            srv("_sip._tcp.example.com", 10, 0, 5060, "dead.example.com"),
            a("backup.example.com", 2),
            a("dead.example.com", 1),
        ];
        let (c, _) = run(req("example.com", None, Some(Transport::Tcp)), &zone);
        assert_eq!(
            places(&c),
            [
                (Transport::Tcp, "192.0.2.1:5060".into()),
                (Transport::Tcp, "192.0.2.2:5060".into())
            ]
        );
        let zone = [
            srv("_sip._udp.example.com", 0, 0, 0, "."),
            a("example.com", 9),
        ];
        let (c, _) = run(req("example.com", None, Some(Transport::Udp)), &zone);
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn without_any_record_the_host_at_5060_over_udp() {
        let (c, _) = run(req("example.com", None, None), &[a("example.com", 3)]);
        assert_eq!(places(&c), [(Transport::Udp, "192.0.2.3:5060".into())]);
        let (c, asked) = run(
            Request {
                secure: true,
                ..req("example.com", None, None)
            },
            &[a("example.com", 3)],
        );
        assert!(asked.contains(&("_sips._tcp.example.com".into(), RecordType::Srv)));
        assert!(!asked.iter().any(|(n, _)| n.starts_with("_sip._")));
        assert_eq!(places(&c), [(Transport::Tls, "192.0.2.3:5061".into())]);
    }

    #[test]
    fn weights_share_the_first_place_in_proportion() {
        let zone = [
            srv("_sip._udp.example.com", 1, 90, 5060, "big.example.com"),
            srv("_sip._udp.example.com", 1, 10, 5060, "small.example.com"),
            a("big.example.com", 1),
            a("small.example.com", 2),
        ];
        let mut l = Locator::new(
            req("example.com", None, Some(Transport::Udp)),
            &[Transport::Udp],
            false,
        );
        while let Some((name, rtype)) = l.poll_query() {
            let found: Vec<Record> = zone
                .iter()
                .filter(|r| same_name(&r.name, &name))
                .filter(|r| matches!(r.data, RecordData::Srv { .. }) == (rtype == RecordType::Srv))
                .cloned()
                .collect();
            l.handle(&name, rtype, Answer::Records(found));
        }
        let mut rng = StdRng::seed_from_u64(7);
        let big_first = (0..1000)
            .filter(|_| l.candidates(&mut rng)[0].host == "big.example.com")
            .count();
        assert!((850..=950).contains(&big_first), "{big_first}");
    }
}
