//! The flood: `hookswitch run` in a call with baresip (a 440 Hz tone, the
//! call recorded on our side) while requests pour in at its SIP port:
//! INVITEs nobody cancels, OPTIONS, REGISTERs, garbage datagrams and
//! oversized messages in turn at a fixed rate over UDP, and idle TCP
//! connections beyond its open-file limit. Measured: the longest gap in the
//! heard tone, what was answered, the control socket's answers throughout,
//! and RSS, descriptors and CPU before, during and after.
//!
//! The requests come from this generator rather than sipp: one stream
//! mixing every kind at an exact rate, each answer matched to its request by
//! Call-ID (sipp would need a process per scenario and counts calls, not
//! requests).

use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Daemon, Report, T, Watch, longest_gap_ms};
use crate::baresip::Baresip;
use crate::{free_port, wait_until, write_tone};

const PART: &str = "flood";

pub struct FloodPlan {
    /// How long the flood lasts.
    pub seconds: u64,
    /// UDP requests per second, all kinds together.
    pub rate: u32,
    /// Idle TCP connections opened at the start of the flood and held to
    /// its end.
    pub tcp_connections: usize,
    /// The call alone before the flood: the figures' baseline.
    pub baseline_seconds: u64,
    /// The phone's open-file limit.
    pub max_files: u64,
    /// The phone's ring time for calls nobody answers.
    pub ring_timeout_secs: u32,
    /// The kinds of request sent, in turn (names: invite, options,
    /// register, garbage, oversized); empty: all.
    pub kinds: Vec<String>,
}

impl FloodPlan {
    /// The issue's: 500 requests a second for a minute, 2,000 connections,
    /// the usual 1,024 files.
    pub fn full() -> FloodPlan {
        FloodPlan {
            seconds: 60,
            rate: 500,
            tcp_connections: 2000,
            baseline_seconds: 10,
            max_files: 1024,
            ring_timeout_secs: 30,
            kinds: Vec::new(),
        }
    }

    /// The suite's: the same rate and connections for 6 s.
    pub fn short() -> FloodPlan {
        FloodPlan {
            seconds: 6,
            rate: 500,
            tcp_connections: 2000,
            baseline_seconds: 3,
            max_files: 1024,
            ring_timeout_secs: 5,
            kinds: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Invite,
    Options,
    Register,
    Garbage,
    Oversized,
}

const KINDS: [Kind; 5] = [
    Kind::Invite,
    Kind::Options,
    Kind::Register,
    Kind::Garbage,
    Kind::Oversized,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Invite => "invite",
            Kind::Options => "options",
            Kind::Register => "register",
            Kind::Garbage => "garbage",
            Kind::Oversized => "oversized",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.name() == name)
    }
}

/// The `n`th datagram of `kind` from `from` to the phone at `to`.
fn datagram(kind: Kind, n: u64, from: SocketAddr, to: SocketAddr) -> Vec<u8> {
    let request = |method: &str, extra: &str, body: &str| {
        format!(
            "{method} sip:hs@{to} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {from};rport;branch=z9hG4bK-flood-{n}\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:flood{n}@{ip}>;tag=f{n}\r\n\
             To: <sip:hs@{to}>\r\n\
             Call-ID: flood-{kind}-{n}@{ip}\r\n\
             CSeq: 1 {method}\r\n\
             Contact: <sip:flood{n}@{from}>\r\n\
             {extra}Content-Length: {len}\r\n\r\n{body}",
            ip = from.ip(),
            kind = kind.name(),
            len = body.len(),
        )
        .into_bytes()
    };
    match kind {
        Kind::Invite => request(
            "INVITE",
            "Content-Type: application/sdp\r\n",
            &format!(
                "v=0\r\no=- {n} {n} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n\
                 t=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            ),
        ),
        Kind::Options => request("OPTIONS", "", ""),
        Kind::Register => request("REGISTER", "Expires: 3600\r\n", ""),
        // Bytes that are no SIP message, different each time.
        Kind::Garbage => (0..512u64)
            .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(n * 40_503) >> 7) as u8)
            .collect(),
        // A request of 60 kB: far past any MTU, under UDP's limit.
        Kind::Oversized => request(
            "OPTIONS",
            &format!("X-Padding: {}\r\n", "a".repeat(60_000)),
            "",
        ),
    }
}

/// What came back, per kind: requests sent, and the final answers (status
/// code -> count) and provisional-only answers by Call-ID.
#[derive(Default)]
struct Tally {
    sent: HashMap<Kind, u64>,
    finals: HashMap<Kind, HashMap<u16, u64>>,
    /// Call-IDs that got a final answer.
    answered: HashSet<String>,
    provisional: HashMap<String, Kind>,
}

fn parse_answer(datagram: &[u8]) -> Option<(u16, Kind, String)> {
    let text = std::str::from_utf8(datagram).ok()?;
    let code = text
        .strip_prefix("SIP/2.0 ")?
        .get(..3)?
        .parse::<u16>()
        .ok()?;
    let call_id = text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        matches!(name.trim().to_ascii_lowercase().as_str(), "call-id" | "i")
            .then(|| value.trim().to_string())
    })?;
    let kind = Kind::from_name(call_id.strip_prefix("flood-")?.split('-').next()?)?;
    Some((code, kind, call_id))
}

/// One question to the control socket: when (seconds of the watch), and
/// how long the answer took or why none came.
type Probe = (f64, Result<Duration, String>);

/// Runs the flood part; its figures go into `report`.
pub fn run(bin: &Path, dir: &Path, plan: &FloodPlan, report: &mut Report) {
    let tone = dir.join("flood-tone.wav");
    write_tone(&tone, 440.0, 8000, 600.0);
    let mut daemon = Daemon::start(
        bin,
        dir,
        "flood-phone",
        &format!("ring_timeout_secs = {}", plan.ring_timeout_secs),
        plan.max_files,
    );
    let phone_addr = SocketAddr::from(([127, 0, 0, 1], daemon.port));

    // The call: baresip calls, we answer and record.
    let peer = Baresip::configure(dir, free_port(), &tone, "PCMU/8000/1", "udp").lean();
    let _peer = peer.start(3600, Some(&format!("sip:hs@{phone_addr}")));
    let mut call = 0;
    wait_until(T, "baresip's call to ring", || {
        call = daemon.calls_in("incoming").first().copied().unwrap_or(0);
        call != 0
    });
    let id = call.to_string();
    daemon.ask(&["answer", &id], T).expect("answer");
    wait_until(T, "the call to be established", || {
        peer.calls().len() == 1 && daemon.calls_in("connected").contains(&call)
    });
    daemon.ask(&["record", &id, "on"], T).expect("record on");

    let watch = Watch::start(daemon.process.pid());
    // The control socket, asked twice a second throughout.
    let probing = Arc::new(AtomicBool::new(true));
    let probes: Arc<Mutex<Vec<Probe>>> = Arc::default();
    let prober = {
        let (probing, probes) = (probing.clone(), probes.clone());
        let (bin, home) = (daemon.bin.clone(), daemon.home.clone());
        let began = Instant::now();
        std::thread::spawn(move || {
            while probing.load(Ordering::Relaxed) {
                let start = Instant::now();
                let r = super::ask(&bin, &home, &["calls"], Duration::from_secs(3))
                    .map(|_| start.elapsed());
                probes
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((began.elapsed().as_secs_f64(), r));
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };

    std::thread::sleep(Duration::from_secs(plan.baseline_seconds));
    let start = watch.sample().expect("the phone runs");
    let baseline_cpu = watch.cpu_share(0.5, start.at);

    // The flood.
    let socket = UdpSocket::bind("127.0.0.1:0").expect("udp");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let from = socket.local_addr().expect("addr");
    let tally = Arc::new(Mutex::new(Tally::default()));
    let receiving = Arc::new(AtomicBool::new(true));
    let receiver = {
        let (socket, tally, receiving) = (
            socket.try_clone().expect("clone"),
            tally.clone(),
            receiving.clone(),
        );
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            while receiving.load(Ordering::Relaxed) {
                let Ok(k) = socket.recv(&mut buf) else {
                    continue;
                };
                let Some((code, kind, call_id)) = parse_answer(&buf[..k]) else {
                    continue;
                };
                let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
                if code < 200 {
                    if !t.answered.contains(&call_id) {
                        t.provisional.insert(call_id, kind);
                    }
                } else if !t.answered.contains(&call_id) {
                    t.provisional.remove(&call_id);
                    t.answered.insert(call_id);
                    *t.finals.entry(kind).or_default().entry(code).or_default() += 1;
                }
            }
        })
    };
    // Idle connections, opened over the first seconds and held (this
    // process needs the descriptors before it opens them).
    raise_own_file_limit(plan.tcp_connections as u64 + 256);
    let tcp = {
        let count = plan.tcp_connections;
        std::thread::spawn(move || {
            let (mut open, mut refused) = (Vec::new(), 0usize);
            for _ in 0..count {
                match TcpStream::connect_timeout(&phone_addr, Duration::from_secs(1)) {
                    Ok(c) => open.push(c),
                    Err(_) => refused += 1,
                }
            }
            (open, refused)
        })
    };
    let flood_start = watch.now();
    let began = Instant::now();
    let total = plan.seconds * u64::from(plan.rate);
    let kinds: Vec<Kind> = KINDS
        .into_iter()
        .filter(|k| plan.kinds.is_empty() || plan.kinds.iter().any(|n| n == k.name()))
        .collect();
    for n in 0..total {
        let due = Duration::from_secs_f64(n as f64 / f64::from(plan.rate));
        if let Some(wait) = due.checked_sub(began.elapsed()) {
            std::thread::sleep(wait);
        }
        let kind = kinds[(n % kinds.len() as u64) as usize];
        let _ = socket.send_to(&datagram(kind, n, from, phone_addr), phone_addr);
        *tally
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sent
            .entry(kind)
            .or_default() += 1;
    }
    let sent_in = began.elapsed().as_secs_f64();
    let (connections, refused) = tcp.join().expect("tcp thread");
    let peak_during = watch.between(flood_start, watch.now());
    let flood_end = watch.now();
    let held = connections.len();
    drop(connections);

    // Recovery: everything the flood started is over once the calls it
    // left ringing have timed out and the last transaction's 32 s have
    // passed; the figures "after" are taken then. Meanwhile: when the
    // descriptors were back to where they were.
    let settle = f64::from(plan.ring_timeout_secs) + 32.0 + 3.0;
    let mut fds_back_after = None;
    while watch.now() - flood_end < settle {
        std::thread::sleep(Duration::from_millis(250));
        if fds_back_after.is_none() && watch.sample().is_some_and(|s| s.fds <= start.fds) {
            fds_back_after = Some(watch.now() - flood_end);
        }
    }
    receiving.store(false, Ordering::Relaxed);
    let _ = receiver.join();
    let end_at = watch.now();
    let after = watch.sample();
    let after_cpu = watch.cpu_share(end_at - 2.0, end_at);
    probing.store(false, Ordering::Relaxed);
    let _ = prober.join();
    let alive = daemon.process.exited().is_none();

    // The call ends; its recording is judged.
    let _ = daemon.ask(&["record", &id, "off"], T);
    let _ = daemon.ask(&["hangup", &id], T);
    let gap = daemon
        .recording()
        .ok_or_else(|| "no recording".to_string())
        .and_then(|p| longest_gap_ms(&p));

    // Figures.
    report.note(
        PART,
        "flood sent",
        format!(
            "{total} UDP requests in {sent_in:.1} s ({:.0}/s), {} kinds in turn; {} TCP connections tried",
            total as f64 / sent_in,
            kinds.len(),
            plan.tcp_connections
        ),
    );
    report.check(
        PART,
        "phone still running",
        if alive { "yes" } else { "no" }.into(),
        "yes".into(),
        alive,
    );
    match gap {
        Ok((gap_ms, heard_s)) => report.check(
            PART,
            "longest gap in the heard tone",
            format!("{gap_ms:.0} ms (over {heard_s:.1} s heard)"),
            "<= 100 ms".into(),
            gap_ms <= 100.0,
        ),
        Err(e) => report.check(
            PART,
            "longest gap in the heard tone",
            e,
            "<= 100 ms".into(),
            false,
        ),
    }
    let t = tally.lock().unwrap_or_else(|e| e.into_inner());
    for kind in KINDS {
        let sent = t.sent.get(&kind).copied().unwrap_or(0);
        let finals = t.finals.get(&kind).cloned().unwrap_or_default();
        let answered: u64 = finals.values().sum();
        let provisional = t.provisional.values().filter(|k| **k == kind).count();
        let mut codes: Vec<_> = finals.into_iter().collect();
        codes.sort();
        let codes = codes
            .iter()
            .map(|(c, n)| format!("{c} x{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        report.note(
            PART,
            &format!("{} answered", kind.name()),
            format!(
                "{answered} of {sent} finally ({codes}){}; the rest dropped",
                if provisional > 0 {
                    format!(", {provisional} provisionally only")
                } else {
                    String::new()
                }
            ),
        );
    }
    report.note(
        PART,
        "TCP connections",
        format!("{held} accepted by the kernel and held, {refused} refused"),
    );
    let probes = probes.lock().unwrap_or_else(|e| e.into_inner());
    let failed: Vec<_> = probes
        .iter()
        .filter_map(|(at, r)| r.as_ref().err().map(|e| format!("{at:.1} s: {e}")))
        .collect();
    let slowest = probes
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .max()
        .copied()
        .unwrap_or_default();
    report.check(
        PART,
        "control socket answers",
        format!(
            "{} of {} (slowest {} ms){}",
            probes.len() - failed.len(),
            probes.len(),
            slowest.as_millis(),
            failed
                .first()
                .map(|e| format!("; first failure at {e}"))
                .unwrap_or_default()
        ),
        "all".into(),
        failed.is_empty() && !probes.is_empty(),
    );
    let peak_rss = peak_during
        .iter()
        .map(|s| s.rss_mb)
        .fold(start.rss_mb, f64::max);
    let peak_fds = peak_during.iter().map(|s| s.fds).max().unwrap_or(start.fds);
    report.check(
        PART,
        "RSS during the flood",
        format!("{:.1} MB at start, {peak_rss:.1} MB at most", start.rss_mb),
        "< 2x start".into(),
        peak_rss < 2.0 * start.rss_mb,
    );
    report.note(
        PART,
        "descriptors during the flood",
        format!(
            "{} at start, {peak_fds} at most (limit {})",
            start.fds, plan.max_files
        ),
    );
    match after {
        Some(after) => {
            report.check(
                PART,
                "descriptors after",
                format!(
                    "{} ({settle:.0} s after the flood; back to the start {})",
                    after.fds,
                    fds_back_after.map_or("never".into(), |s| format!("{s:.1} s after"))
                ),
                format!("<= {} (start)", start.fds),
                after.fds <= start.fds,
            );
            report.check(
                PART,
                "RSS after",
                format!(
                    "{:.1} MB: own {:.1} MB (start {:.1}), code and libraries {:.1} MB (start {:.1})",
                    after.rss_mb, after.anon_mb, start.anon_mb, after.file_mb, start.file_mb
                ),
                format!("<= {:.1} MB (start + 25 %)", start.rss_mb * 1.25),
                after.rss_mb <= start.rss_mb * 1.25,
            );
            report.check(
                PART,
                "CPU after",
                format!(
                    "{:.1} % of a core (before the flood {:.1} %)",
                    after_cpu * 100.0,
                    baseline_cpu * 100.0
                ),
                "<= before + 5 points".into(),
                after_cpu <= baseline_cpu + 0.05,
            );
        }
        None => report.check(
            PART,
            "figures after",
            "the phone is gone".into(),
            "running".into(),
            false,
        ),
    }
    drop(watch);
    daemon.process.stop();
}

/// Lets this process hold `n` descriptors (the idle connections), within
/// its hard limit.
fn raise_own_file_limit(n: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < n {
            limit.rlim_cur = n.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_matched_to_their_kind() {
        let from = SocketAddr::from(([127, 0, 0, 1], 5000));
        let to = SocketAddr::from(([127, 0, 0, 1], 5060));
        let invite = String::from_utf8(datagram(Kind::Invite, 7, from, to)).unwrap();
        let call_id = invite
            .lines()
            .find_map(|l| l.strip_prefix("Call-ID: "))
            .unwrap();
        let answer = format!("SIP/2.0 486 Busy Here\r\nCall-ID: {call_id}\r\n\r\n");
        assert_eq!(
            parse_answer(answer.as_bytes()),
            Some((486, Kind::Invite, call_id.to_string()))
        );
        assert_eq!(
            parse_answer(b"SIP/2.0 200 OK\r\nCall-ID: other\r\n\r\n"),
            None
        );
        assert!(invite.ends_with("PCMU/8000\r\n"));
        let length: usize = invite
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, invite.split("\r\n\r\n").nth(1).unwrap().len());
        assert!(datagram(Kind::Oversized, 1, from, to).len() > 60_000);
    }
}
