//! The soak: `hookswitch run` takes a call from baresip every 10 s for an
//! hour, each answered, sent DTMF, held, resumed and hung up through the
//! control socket, as a script or a CRM tool would. Judged: no call fails,
//! RSS grows less than 2 MB from the first call's end to the last's, and
//! the descriptors and threads are the same after each call.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Daemon, Report, Sample, T, Watch};
use crate::baresip::Baresip;
use crate::{free_port, wait_until, write_tone};

const PART: &str = "soak";

pub struct SoakPlan {
    /// How long calls keep coming.
    pub seconds: u64,
    /// A call starts this often.
    pub every: Duration,
}

impl SoakPlan {
    /// The issue's: an hour, a call every 10 s.
    pub fn full() -> SoakPlan {
        SoakPlan {
            seconds: 3600,
            every: Duration::from_secs(10),
        }
    }

    /// The suite's: three calls.
    pub fn short() -> SoakPlan {
        SoakPlan {
            seconds: 30,
            every: Duration::from_secs(10),
        }
    }
}

/// Longer than tokio's blocking threads linger (10 s).
pub(super) const IDLE: Duration = Duration::from_secs(12);

/// Keys sent in each call.
const KEYS: &str = "12#";

/// One call from baresip, answered, keyed, held, resumed and hung up; the
/// reason it failed, if it did.
fn one_call(daemon: &Daemon, peer: &Baresip, peer_log: &dyn Fn() -> String) -> Result<(), String> {
    let step = |what: &str, ok: bool| if ok { Ok(()) } else { Err(what.to_string()) };
    let dialled = peer
        .command("dial", &format!("sip:hs@127.0.0.1:{}", daemon.port))
        .map_err(|e| format!("baresip dial: {e}"))?;
    step(
        &format!("baresip refused to dial: {dialled}"),
        !dialled.contains("\"ok\":false"),
    )?;
    let id = daemon.ringing(T).ok_or("the call never rang")?;
    let id_text = id.to_string();
    daemon.ask(&["answer", &id_text], T)?;
    let until = |what: &str, check: &dyn Fn() -> bool| {
        let deadline = Instant::now() + T;
        while !check() {
            if Instant::now() > deadline {
                return Err(format!("call {id}: {what} never came"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    };
    until("connected", &|| daemon.calls_in("connected").contains(&id))?;
    let ends_before = peer_log().matches("' (end=1)").count();
    daemon.ask(&["dtmf", &id_text, KEYS], T)?;
    until("baresip hearing the keys", &|| {
        peer_log().matches("' (end=1)").count() >= ends_before + KEYS.len()
    })?;
    let held = |on: bool| {
        daemon.calls().iter().any(|c| {
            c.get("id").and_then(|v| v.as_u64()) == Some(id)
                && c.get("held").and_then(|v| v.as_bool()) == Some(on)
        })
    };
    daemon.ask(&["hold", &id_text], T)?;
    until("the hold", &|| held(true))?;
    daemon.ask(&["resume", &id_text], T)?;
    until("the resume", &|| held(false))?;
    daemon.ask(&["hangup", &id_text], T)?;
    until("the call's end", &|| {
        daemon.calls().is_empty() && peer.calls().is_empty()
    })?;
    Ok(())
}

pub fn run(bin: &Path, dir: &Path, plan: &SoakPlan, report: &mut Report) {
    let tone = dir.join("soak-tone.wav");
    write_tone(&tone, 440.0, 8000, 30.0);
    let mut daemon = Daemon::start(bin, dir, "soak-phone", "", 1024);
    let peer = Baresip::configure(dir, free_port(), &tone, "PCMU/8000/1", "udp").lean();
    let peer_process = peer.start(plan.seconds as u32 + 600, None);
    crate::wait_tcp_listening(&peer_process, peer.ctrl, T);
    let peer_log = || peer_process.log();
    let watch = Watch::start(daemon.process.pid());
    // Threads of tokio's blocking pool linger 10 s after their work: the
    // process's shape is compared between two idle moments.
    std::thread::sleep(IDLE);
    let idle_before = watch.sample();

    let began = Instant::now();
    let (mut calls, mut failures) = (0u32, Vec::new());
    let mut after_first: Option<Sample> = None;
    let mut shapes = Vec::new();
    while began.elapsed() < Duration::from_secs(plan.seconds) {
        let due = began + plan.every * calls;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        calls += 1;
        if let Err(e) = one_call(&daemon, &peer, &peer_log) {
            failures.push(format!("call {calls}: {e}"));
            // Whatever is left of it goes before the next.
            for call in daemon.calls() {
                if let Some(id) = call.get("id").and_then(|v| v.as_u64()) {
                    let _ = daemon.ask(&["hangup", &id.to_string()], T);
                }
            }
        }
        if let Some(s) = watch.sample() {
            after_first.get_or_insert(s);
            shapes.push(s.fds);
        }
        if daemon.process.exited().is_some() {
            failures.push("the phone exited".into());
            break;
        }
    }
    // Nothing of the last call is left once it is over.
    wait_until(T, "the last call gone", || daemon.calls().is_empty());
    let last = watch.sample();
    std::thread::sleep(IDLE);
    let idle_after = watch.sample();

    report.check(
        PART,
        "calls that failed",
        format!(
            "{} of {calls} (each: answer, DTMF {KEYS}, hold, resume, hang up){}",
            failures.len(),
            failures
                .first()
                .map(|f| format!("; first: {f}"))
                .unwrap_or_default()
        ),
        "0".into(),
        failures.is_empty() && calls > 0,
    );
    match (after_first, last) {
        (Some(first), Some(last)) => {
            let growth = last.rss_mb - first.rss_mb;
            report.check(
                PART,
                "RSS growth, first call's end to the last's",
                format!(
                    "{growth:+.2} MB ({:.1} -> {:.1} MB)",
                    first.rss_mb, last.rss_mb
                ),
                "< 2 MB".into(),
                growth < 2.0,
            );
            let (fds_min, fds_max) = shapes
                .iter()
                .fold((usize::MAX, 0), |(lo, hi), f| (lo.min(*f), hi.max(*f)));
            report.check(
                PART,
                "descriptors after each call",
                format!("{fds_min} to {fds_max}"),
                "constant".into(),
                fds_min == fds_max,
            );
            if let (Some(before), Some(after)) = (idle_before, idle_after) {
                report.check(
                    PART,
                    "threads and descriptors idle, before the first call and after the last",
                    format!(
                        "{} threads, {} descriptors -> {} threads, {} descriptors",
                        before.threads, before.fds, after.threads, after.fds
                    ),
                    "the same".into(),
                    before.threads == after.threads && before.fds == after.fds,
                );
            }
        }
        _ => report.check(
            PART,
            "figures",
            "the phone is gone".into(),
            "running".into(),
            false,
        ),
    }
    drop(watch);
    daemon.process.stop();
}
