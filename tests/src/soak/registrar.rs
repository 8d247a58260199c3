//! Faults, the registrar: `hookswitch run` with an account at kamailio
//! (digest auth, calls record-routed through it) and baresip registered as
//! bob. kamailio is stopped for a few seconds and started again, which
//! forgets every binding (usrloc in memory), twice:
//! - mid-call, a call placed to the bare name `bob` through the account:
//!   the call goes on without a gap in what we hear, its BYE passes the new
//!   instance, and the phone is registered again within one refresh interval;
//! - between calls: both register again, and bob's call to alice rings and
//!   is answered through the new instance.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Daemon, Report, T, Watch, longest_gap_ms, wait_for};
use crate::baresip::Baresip;
use crate::kamailio::{Kamailio, password};
use crate::{Process, free_port, wait_until, write_tone};

const PART: &str = "registrar restart";
/// Bindings for this long: refreshed every EXPIRES / 2 (refresh_after).
const EXPIRES: u32 = 20;
/// How long the registrar is away each time.
const DOWN: Duration = Duration::from_secs(5);

/// Seconds from `since` until the new instance `k` has saved `user`'s
/// binding, or None once `limit` has passed since then.
fn registered_again(k: &Process, user: &str, since: Instant, limit: Duration) -> Option<f64> {
    let saved = format!("REGISTER of {user} saved");
    let waited = since.elapsed();
    wait_for(limit.saturating_sub(waited), || k.log().contains(&saved))
        .map(|s| s + waited.as_secs_f64())
}

/// Stops `k`, waits `DOWN`, starts a new instance: it and when it answered.
fn restart(kamailio: &Kamailio, k: &mut Process) -> (Process, Instant) {
    k.stop();
    std::thread::sleep(DOWN);
    let new = kamailio.start();
    (new, Instant::now())
}

pub fn run(bin: &Path, dir: &Path, report: &mut Report) {
    let kport = free_port();
    let kamailio = Kamailio::configure(dir, kport);
    let mut k = kamailio.start();
    let tone = dir.join("registrar-tone.wav");
    write_tone(&tone, 440.0, 8000, 600.0);
    let registrar = std::net::SocketAddr::from(([127, 0, 0, 1], kport));
    let bob = Baresip::configure(dir, free_port(), &tone, "PCMU/8000/1", "udp")
        .lean()
        .with_account("bob", password("bob"), registrar, EXPIRES, "PCMU/8000/1");
    let _bob_process = bob.start(3600, None);
    let daemon = Daemon::start_with(
        bin,
        dir,
        "registrar-phone",
        "",
        &format!(
            "[[accounts]]\nname = \"alice\"\naor = \"sip:alice@127.0.0.1:{kport}\"\n\
             expires = {EXPIRES}\ndefault = true\n"
        ),
        &[("HOOKSWITCH_PASSWORD_ALICE", password("alice"))],
        1024,
    );
    for user in ["alice", "bob"] {
        let saved = format!("REGISTER of {user} saved");
        wait_until(T, &format!("{user} registered"), || {
            k.log().contains(&saved)
        });
    }
    // One refresh interval (refresh_after: half the binding), and the
    // challenge's round trip.
    let limit = Duration::from_secs(u64::from(EXPIRES / 2) + 2);
    let watch = Watch::start(daemon.process.pid());
    let before = watch.sample();

    // Mid-call: alice dials the bare name through her account.
    let call = daemon
        .act(r#"{"cmd":"call","target":"bob"}"#)
        .and_then(|reply| {
            serde_json::from_str::<serde_json::Value>(&reply)
                .ok()
                .and_then(|v| v.pointer("/result/call")?.as_u64())
                .ok_or(format!("no call in {reply}"))
        });
    let connected = call.as_ref().is_ok_and(|id| {
        wait_for(T, || {
            daemon.calls_in("connected").contains(id) && bob.calls().len() == 1
        })
        .is_some()
            && daemon.ask(&["record", &id.to_string(), "on"], T).is_ok()
    });
    report.check(
        PART,
        "a call to the bare name bob through the account",
        match (&call, connected) {
            (Ok(id), true) => format!("call {id} connected"),
            (Ok(id), false) => format!("call {id} never connected"),
            (Err(e), _) => format!("not placed: {e}"),
        },
        "connected".into(),
        connected,
    );
    let Ok(id) = call else { return };
    std::thread::sleep(Duration::from_secs(3));
    let (new_k, back) = restart(&kamailio, &mut k);
    k = new_k;
    let again = registered_again(&k, "alice", back, limit);
    report.check(
        PART,
        "mid-call: registered again after the registrar came back",
        again.map_or(format!("not within {} s", limit.as_secs()), |s| {
            format!("{s:.1} s")
        }),
        format!("<= {} s (one refresh interval)", limit.as_secs()),
        again.is_some(),
    );
    // At least 5 s of the call after the restart.
    std::thread::sleep(Duration::from_secs(5).saturating_sub(back.elapsed()));
    let up = daemon.calls_in("connected").contains(&id) && bob.calls().len() == 1;
    report.check_up(
        PART,
        "mid-call: the call through the restart (both sides)",
        up,
    );
    let hung_up = daemon.ask(&["hangup", &id.to_string()], T).is_ok()
        && wait_for(T, || bob.calls().is_empty()).is_some();
    report.check(
        PART,
        "mid-call: our BYE through the new instance ends bob's side",
        if hung_up {
            "ended"
        } else {
            "bob still in the call"
        }
        .into(),
        "ended".into(),
        hung_up,
    );
    match daemon.recording().map(|p| longest_gap_ms(&p)) {
        Some(Ok((gap, heard))) => report.check(
            PART,
            "mid-call: longest gap in what we heard",
            format!("{gap:.0} ms over {heard:.1} s"),
            "<= 100 ms".into(),
            gap <= 100.0,
        ),
        Some(Err(e)) => report.check(PART, "mid-call: the recording", e, "heard".into(), false),
        None => report.check(
            PART,
            "mid-call: the recording",
            "none".into(),
            "a WAV file".into(),
            false,
        ),
    }

    // Between calls.
    let (new_k, back) = restart(&kamailio, &mut k);
    k = new_k;
    let alice_again = registered_again(&k, "alice", back, limit);
    let bob_again = registered_again(&k, "bob", back, limit);
    report.check(
        PART,
        "between calls: registered again after the registrar came back",
        alice_again.map_or(format!("not within {} s", limit.as_secs()), |s| {
            format!("{s:.1} s")
        }),
        format!("<= {} s (one refresh interval)", limit.as_secs()),
        alice_again.is_some(),
    );
    let rang = bob_again.is_some()
        && bob
            .command("dial", &format!("sip:alice@127.0.0.1:{kport}"))
            .is_ok()
        && daemon.ringing(T).is_some_and(|id| {
            daemon.ask(&["answer", &id.to_string()], T).is_ok()
                && wait_for(T, || daemon.calls_in("connected").contains(&id)).is_some()
        });
    report.check(
        PART,
        "between calls: bob's call to alice through the new instance",
        if rang {
            "rang and connected".to_string()
        } else if bob_again.is_none() {
            "bob never registered again".to_string()
        } else {
            "never connected".to_string()
        },
        "connected".into(),
        rang,
    );
    let _ = bob.command("hangup", "");
    let ended = wait_for(T, || daemon.calls().is_empty()).is_some();
    if let (Some(before), true) = (before, ended) {
        // A connection or socket of either call's would show here.
        let fds = watch.fds_back_to(before.fds, Duration::from_secs(5));
        report.check(
            PART,
            "descriptors after both calls",
            format!("{fds} (before {})", before.fds),
            "as before".into(),
            fds == before.fds,
        );
    }
    drop(watch);
    let mut daemon = daemon;
    daemon.process.stop();
    k.stop();
}
