//! Faults, the network: alice's `hookswitch run` in a home office behind a
//! NAT (the netns rig of `crate::netns`: LAN, router with masquerade, WAN),
//! registered at kamailio on the WAN side, in a call with bob (another
//! `hookswitch run`, on the WAN side, registered there too). The WAN link
//! goes down for 30 s and comes back. Judged: the call goes on (the media
//! timeout, 60 s by default, is longer than the outage) and both sides hear
//! each other again once the link is back; alice's registration is renewed
//! at the registrar within one refresh interval of the link's return; no
//! descriptor left behind after the call. (A call whose media does not come
//! back within `media_timeout_secs` ends with its reason: crates/cli/tests/
//! media_timeout.rs.)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Daemon, Report, T, Watch, heard, wait_for};
use crate::kamailio::{Kamailio, password};
use crate::netns::{self, NatRig};
use crate::{free_port, wait_until};

const PART: &str = "network down";
/// Bindings for this long: refreshed every EXPIRES / 2.
const EXPIRES: u32 = 20;

/// A `hookswitch run` with `user`'s account at `registrar`, listening on
/// 0.0.0.0 or `ip`:`port`, started by `command` (inside a namespace or not).
fn phone(
    bin: &Path,
    dir: &Path,
    user: &str,
    (ip, port): (std::net::Ipv4Addr, u16),
    registrar: &str,
    extra: &str,
    mut command: std::process::Command,
) -> Daemon {
    let name = format!("network-{user}");
    let home = Daemon::home(dir, &name);
    std::fs::write(
        home.join("hookswitch/config.toml"),
        format!(
            "[sip]\nlisten = \"{ip}:{port}\"\n{extra}\n\
             [audio]\ncodecs = [\"PCMU\"]\n\
             [devices]\nenabled = false\nmicrophone = \"none\"\nspeaker = \"none\"\n\n\
             [[accounts]]\nname = \"{user}\"\naor = \"sip:{user}@{registrar}\"\nexpires = {EXPIRES}\n"
        ),
    )
    .expect("config");
    command.env(
        format!("HOOKSWITCH_PASSWORD_{}", user.to_uppercase()),
        password(user),
    );
    Daemon::launch(bin, dir, &name, home, port, command)
}

/// Level (rms) of what a call recording heard over its last `seconds`.
fn heard_at_end(path: &Path, seconds: f64) -> Result<f64, String> {
    let (heard, rate) = heard(path)?;
    let tail = (f64::from(rate) * seconds) as usize;
    let end = &heard[heard.len().saturating_sub(tail)..];
    if end.is_empty() {
        return Err("empty recording".into());
    }
    Ok(hookswitch_media::tone::rms(end))
}

pub fn run(bin: &Path, dir: &Path, outage: Duration, report: &mut Report) {
    if !netns::can_build() {
        report.check(
            PART,
            "the network rig",
            "needs root (network namespaces)".into(),
            "built".into(),
            false,
        );
        return;
    }
    let rig = NatRig::build();
    let wan = rig.wan_ip();
    let stun_port = free_port();
    let _stun = netns::stun_server(dir, wan, stun_port);
    let kport = free_port();
    let kamailio = Kamailio::configure_on(dir, wan.into(), kport, None);
    let k = kamailio.start();
    let registrar = format!("{wan}:{kport}");
    let alice = phone(
        bin,
        dir,
        "alice",
        (std::net::Ipv4Addr::UNSPECIFIED, 5060),
        &registrar,
        &format!("stun_server = \"{wan}:{stun_port}\"\nnetwork_check_secs = 3600"),
        rig.lan_command(bin),
    );
    let bob = phone(
        bin,
        dir,
        "bob",
        (wan, free_port()),
        &registrar,
        "accept_p2p = false",
        std::process::Command::new(bin),
    );
    for user in ["alice", "bob"] {
        let saved = format!("REGISTER of {user} saved");
        wait_until(T, &format!("{user} registered"), || {
            k.log().contains(&saved)
        });
    }
    let watch = Watch::start(alice.process.pid());
    let before = watch.sample();

    // Alice calls bob by name; each sends a tone and records.
    let alice_heard: PathBuf = alice.home.join("heard.wav");
    let bob_heard: PathBuf = bob.home.join("heard.wav");
    let placed = alice.act(&format!(
        r#"{{"cmd":"call","target":"bob","audio":{{"tone_hz":600.0,"record":"{}"}}}}"#,
        alice_heard.display()
    ));
    let answered = bob.ringing(T).is_some_and(|id| {
        bob.act(&format!(
            r#"{{"cmd":"answer","call":{id},"audio":{{"tone_hz":440.0,"record":"{}"}}}}"#,
            bob_heard.display()
        ))
        .is_ok()
    });
    let connected = answered
        && wait_for(T, || {
            !alice.calls_in("connected").is_empty() && !bob.calls_in("connected").is_empty()
        })
        .is_some();
    report.check(
        PART,
        "alice (behind the NAT) calls bob by name",
        match (&placed, connected) {
            (Ok(_), true) => "connected".to_string(),
            (Ok(_), false) => "never connected".to_string(),
            (Err(e), _) => format!("not placed: {e}"),
        },
        "connected".into(),
        connected,
    );
    if !connected {
        return;
    }
    std::thread::sleep(Duration::from_secs(3));
    let saved_before = k.log().matches("REGISTER of alice saved").count();

    // The cable is pulled out, and plugged back in.
    rig.set_wan_link(false);
    std::thread::sleep(outage);
    rig.set_wan_link(true);
    let back = Instant::now();
    let limit = Duration::from_secs(u64::from(EXPIRES / 2) + 4);
    let renewed = wait_for(limit, || {
        k.log().matches("REGISTER of alice saved").count() > saved_before
    });
    report.check(
        PART,
        &format!(
            "registration renewed after {} s without the network",
            outage.as_secs()
        ),
        renewed.map_or(format!("not within {} s", limit.as_secs()), |s| {
            format!("{s:.1} s after the link came back")
        }),
        format!(
            "<= {} s (one refresh interval and a retransmission)",
            limit.as_secs()
        ),
        renewed.is_some(),
    );
    // Both hear each other again: 4 s of the call after the link is back.
    std::thread::sleep(Duration::from_secs(4).saturating_sub(back.elapsed()));
    let up = alice.calls_in("connected").len() == 1 && bob.calls_in("connected").len() == 1;
    report.check_up(PART, "the call through the outage (both sides)", up);
    let _ = alice.ask(&["hangup"], T);
    let ended = wait_for(T, || alice.calls().is_empty() && bob.calls().is_empty()).is_some();
    report.check(
        PART,
        "alice's hangup ends both sides",
        if ended {
            "ended"
        } else {
            "a side still in the call"
        }
        .into(),
        "ended".into(),
        ended,
    );
    for (who, path, tone) in [("alice", &alice_heard, 440), ("bob", &bob_heard, 600)] {
        let level = heard_at_end(path, 2.0);
        report.check(
            PART,
            &format!("{who} hears the {tone} Hz tone in the last 2 s"),
            match &level {
                Ok(l) => format!("{l:.0} rms"),
                Err(e) => e.clone(),
            },
            "> 1000 rms".into(),
            level.is_ok_and(|l| l > 1000.0),
        );
    }
    if let Some(before) = before {
        let fds = watch.fds_back_to(before.fds, Duration::from_secs(5));
        report.check(
            PART,
            "alice's descriptors after the call",
            format!("{fds} (before {})", before.fds),
            "as before".into(),
            fds == before.fds,
        );
    }
    drop(watch);
    let (mut alice, mut bob, mut k) = (alice, bob, k);
    alice.process.stop();
    bob.process.stop();
    k.stop();
}
