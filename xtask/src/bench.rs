//! `cargo xtask bench sip`: criterion micro-benchmarks of the SIP core, then the
//! call-setup time of `hookswitch listen` against baresip on this machine.
//! `cargo xtask bench hid`: the cost per report of the pure HID path.
//! `cargo xtask bench media [ARGS]`: PESQ, mouth-to-ear delay and CPU of
//! Hookswitch and baresip receiving speech through a seeded lossy network
//! (ARGS go to bench-media: `--codecs PCMU,opus`, `--rows 3/0,10/60`).
//! `cargo xtask bench phone`: device input -> SIP message and state change ->
//! LED report and -> busylight report (a kuando and a Luxafor), p50/p99 over
//! 10,000 events (release build, in process).
//! `cargo xtask bench desktop`: the desktop app's cold start, idle memory and
//! size, next to Linphone Desktop measured the same way.
//! `cargo xtask bench presence`: a presence change to the watcher's event
//! through kamailio, p50/p99 over 100 changes.
//! `cargo xtask bench conference [--seconds N]`: CPU per minute of a
//! three-way conference against the same two parties in two plain calls.
//! `cargo xtask bench directory`: address book search over 100,000
//! contacts, vCard import, caller lookup, and the LDAP round trip.
//! `cargo xtask bench api`: the local HTTP API's round trip (next to
//! baresip's httpd) and its event fan-out to 100 WebSocket clients.
//! `cargo xtask bench lean [--seconds N] [--only TEXT]`: CPU per call-minute
//! (PCMU, G.722, Opus, PCMU on PulseAudio with and without our echo
//! canceller) and peak RSS of a headless call, idle wake-ups and memory, each
//! next to baresip in the same run, as ratios.

use anyhow::bail;

use crate::{cargo, status};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("sip") => sip(),
        Some("hid") => hid(),
        Some("media") => media(&args[1..]),
        Some("phone") => phone(),
        Some("desktop") => desktop(&args[1..]),
        Some("presence") => presence(),
        Some("conference") => conference(&args[1..]),
        Some("directory") => directory(),
        Some("api") => api(),
        Some("lean") => lean(&args[1..]),
        Some(other) => {
            bail!(
                "unknown benchmark {other:?} (available: sip, hid, media, phone, desktop, presence, conference, directory, api, lean)"
            )
        }
        None => bail!(
            "which benchmark? (available: sip, hid, media, phone, desktop, presence, conference, directory, api, lean)"
        ),
    }
}

fn sip() -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let mut micro = cargo();
    micro.args(["bench", "-p", "hookswitch-sip", "--bench", "sip"]);
    status(
        micro,
        "cargo bench -p hookswitch-sip (parse, serialise, INVITE -> 180 in process)",
    )?;
    let target = release_binaries("bench-call-setup")?;
    let mut compare = std::process::Command::new(target.join("release/bench_call_setup"));
    compare
        .arg("--hookswitch")
        .arg(target.join("release/hookswitch"));
    status(compare, "call setup: hookswitch vs baresip")
}

fn hid() -> anyhow::Result<()> {
    let mut micro = cargo();
    micro.args(["bench", "-p", "hookswitch-hid", "--bench", "hid"]);
    status(
        micro,
        "cargo bench -p hookswitch-hid (descriptor parse, decode, encode per report)",
    )
}

/// Builds `hookswitch` and the benchmark drivers (`which`: the one to run)
/// in release; returns the target directory.
pub(crate) fn release_binaries(which: &str) -> anyhow::Result<std::path::PathBuf> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "hookswitch-cli",
        "-p",
        "hookswitch-tests",
        "--bins",
    ]);
    status(
        build,
        &format!("cargo build --release (hookswitch, {which})"),
    )?;
    Ok(crate::target_dir())
}

fn presence() -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = release_binaries("bench-presence")?;
    let bench = std::process::Command::new(target.join("release/bench_presence"));
    status(bench, "presence change to the watcher, through kamailio")
}

fn conference(args: &[String]) -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = release_binaries("bench-conference")?;
    let mut bench = std::process::Command::new(target.join("release/bench_conference"));
    bench.args(args);
    status(bench, "CPU of a three-way conference vs two plain calls")
}

fn directory() -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = release_binaries("bench-directory")?;
    let bench = std::process::Command::new(target.join("release/bench_directory"));
    status(bench, "address book: search, import, caller lookup, LDAP")
}

fn api() -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = release_binaries("bench-api")?;
    let bench = std::process::Command::new(target.join("release/bench_api"));
    status(bench, "the local API: round trip and event fan-out")
}

fn lean(args: &[String]) -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = release_binaries("bench-lean")?;
    let mut bench = std::process::Command::new(target.join("release/bench_lean"));
    bench
        .arg("--hookswitch")
        .arg(target.join("release/hookswitch"))
        .args(args);
    status(
        bench,
        "a call's and an idle phone's cost: hookswitch vs baresip",
    )
}

fn phone() -> anyhow::Result<()> {
    let target = release_binaries("bench-phone")?;
    let bench = std::process::Command::new(target.join("release/bench_phone"));
    status(
        bench,
        "the desk's reaction times (PHONE-BEHAVIOUR.md budgets)",
    )
}

/// `desktop [--installed]`: the release build as built, or (`--installed`)
/// the release package built, installed with apt-get, measured from
/// /usr/bin with its sizes, and purged again.
fn desktop(args: &[String]) -> anyhow::Result<()> {
    let installed = match args.first().map(String::as_str) {
        None => false,
        Some("--installed") => true,
        Some(a) => bail!("unknown bench desktop option {a:?} (--installed)"),
    };
    crate::setup::run(&[])?;
    // xwininfo sees the windows; Debian's Linphone Desktop is the comparison.
    crate::setup::ensure(&["x11-utils", "linphone-desktop"])?;
    crate::build_ui()?;
    let target = release_binaries("bench-desktop")?;
    let mut bench = std::process::Command::new(target.join("release/bench_desktop"));
    if !installed {
        let mut build = cargo();
        build.args(["build", "--release", "-p", "hookswitch-app"]);
        status(build, "cargo build --release -p hookswitch-app")?;
        bench
            .arg("--app")
            .arg(target.join("release/hookswitch-app"));
        return status(
            bench,
            "the desktop app: start, memory, size (vs Linphone Desktop)",
        );
    }
    let deb = crate::package::make(crate::package::Build::Release)?;
    let mut install = crate::setup::apt(&["install", "-y", "--reinstall"]);
    install.arg(&deb);
    status(install, "apt-get install the package")?;
    bench
        .args(["--app", "/usr/bin/hookswitch-app", "--deb"])
        .arg(&deb);
    let measured = status(
        bench,
        "the installed desktop app: start, memory, sizes (vs Linphone Desktop)",
    );
    status(
        crate::setup::apt(&["purge", "-y", "hookswitch"]),
        "apt-get purge hookswitch",
    )?;
    measured
}

fn media(args: &[String]) -> anyhow::Result<()> {
    crate::setup::run(&["--bench".to_string()])?;
    let target = release_binaries("bench-media")?;
    let out = target.join("bench-media");
    let _ = std::fs::remove_dir_all(out.join("runs"));
    let mut bench = std::process::Command::new(target.join("release/bench_media"));
    bench
        .arg("--hookswitch")
        .arg(target.join("release/hookswitch"))
        .arg("--out")
        .arg(out.join("runs"))
        // The venv (pesq is built from source) outlives the runs.
        .arg("--venv")
        .arg(out.join("venv"))
        .args(args);
    status(bench, "speech quality and delay: hookswitch vs baresip")
}
