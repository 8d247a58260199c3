//! sipp (Debian `sip-tester`) as a peer: built-in `uas`/`uac` scenarios and the
//! scenario files in tests/sipp/.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Process;

/// A scenario: sipp's built-in one, or a file in tests/sipp/.
pub enum Scenario<'a> {
    Builtin(&'a str),
    File(&'a str),
}

pub fn scenario_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sipp")
        .join(format!("{name}.xml"))
}

fn base(dir: &Path, port: u16, scenario: &Scenario<'_>, calls: u32, tcp: bool) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.current_dir(dir);
    match scenario {
        Scenario::Builtin(name) => cmd.args(["-sn", name]),
        Scenario::File(name) => cmd.arg("-sf").arg(scenario_file(name)),
    };
    cmd.args([
        "-i",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-m",
        &calls.to_string(),
        "-nostdin",
        // sipp's whole run, after which it stops and still exits 0: 40 s,
        // and a second a call (300 calls at 5 a second were cut at 199).
        "-timeout",
        &format!("{}s", 40 + u64::from(calls)),
    ]);
    // Media port away from the SIP ports of parallel tests.
    cmd.args(["-mp", &crate::free_port().to_string()]);
    if tcp {
        cmd.args(["-t", "t1"]);
    }
    cmd
}

/// sipp answering on `port`; extra arguments (e.g. `-rtp_echo`) appended.
/// Returns once sipp has its port: a request sent before would meet a
/// closed port, and a caller that heeds ICMP gives up at once.
pub fn uas(dir: &Path, port: u16, scenario: Scenario<'_>, calls: u32, extra: &[&str]) -> Process {
    let mut cmd = base(dir, port, &scenario, calls, false);
    cmd.args(extra);
    let p = Process::spawn(&format!("sipp-uas-{port}"), cmd, dir);
    crate::wait_udp_bound(&p, ([127, 0, 0, 1], port).into());
    p
}

/// sipp calling `target` from `port`; extra arguments (e.g. `-s service`) appended.
pub fn uac(
    dir: &Path,
    port: u16,
    target: SocketAddr,
    scenario: Scenario<'_>,
    calls: u32,
    extra: &[&str],
) -> Process {
    let mut cmd = base(dir, port, &scenario, calls, false);
    cmd.args(extra).arg(target.to_string());
    Process::spawn(&format!("sipp-uac-{port}"), cmd, dir)
}

/// sipp calling 127.0.0.1:`port` once with scenario file `scenario`.
pub fn calls(dir: &Path, port: u16, scenario: &'static str) -> Process {
    uac(
        dir,
        crate::free_port(),
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Scenario::File(scenario),
        1,
        &[],
    )
}

/// Waits (off the async runtime) for sipp to finish, failing the test with
/// its log unless its scenario passed.
pub async fn succeeds(mut p: Process) {
    let (status, log) = tokio::task::spawn_blocking(move || {
        let s = p.wait(std::time::Duration::from_secs(40));
        (s, p.log())
    })
    .await
    .expect("sipp waiter");
    assert!(status.success(), "sipp failed ({status}):\n{log}");
}
