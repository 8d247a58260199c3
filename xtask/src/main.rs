//! `cargo xtask setup|run|test|package|bench|fuzz|soak`: the only commands a user or CI needs.
//! Plain std + anyhow so it builds in seconds on a fresh machine.

mod bench;
mod fuzz;
mod package;
mod setup;
mod soak;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <command>

  setup [--udev]   install the system packages builds and tests need (apt-get; idempotent);
                   --udev: install the udev rules that let you open USB telephony devices;
                   --bench: also what `bench media` needs (python3-venv for PESQ)
  run [ARGS...]    set up, build, and start Hookswitch: the desktop app where there is a
                   display, else the daemon (`hookswitch run`); ARGS go to the daemon
  test             set up, then run every check and test (what CI runs)
  package          build the release and the Debian package, target/debian/hookswitch_*.deb
                   (--debug-build: pack the test build in target/debug instead)
  screenshots      run the desktop app's end-to-end test and save its screenshots in
                   docs/screenshots (shown in the README)
  bench sip        SIP benchmarks: parse/serialise rate; INVITE -> 180 time vs baresip
  bench hid        HID benchmarks: descriptor parse, report decode and encode cost
  bench media      speech quality (PESQ), delay and CPU vs baresip through a seeded
                   lossy, jittery relay (--codecs PCMU,opus --rows 3/0,10/60)
  bench desktop    the desktop app's cold start, idle memory (all its processes) and
                   binary size, next to Debian's Linphone Desktop on this machine
                   (--installed: of the release package, installed with apt-get from
                   target/debian, with its package and installed sizes; purged after)
  bench phone      the desk's reaction: device input -> SIP message, state change ->
                   LED report, p50/p99 over 10,000 events (simulated Jabra)
  fuzz [SECONDS] [--keep] [TARGET...]
                   every cargo-fuzz target (or those named) for SECONDS each (default 60)
                   from fuzz/seeds, fuzz/minimised and fuzz/regressions; a crash found is
                   copied into fuzz/regressions, to be committed with its fix; --keep
                   merges the run's finds into fuzz/minimised (`test` runs each 4 s)
  soak [--short] [flood|listen|sound|registrar|network|headset|gadget|calls...]
                   the release build under a 60 s flood (500 requests/s, 2,000 idle
                   connections), 300 calls at 5/s to `listen --auto-answer`, 20 sound
                   server restarts in a call, registrar restarts, the network gone 30 s,
                   1,000 headset and 50 QEMU gadget plug cycles, and an hour of calls
                   with DTMF and hold; every figure with its limit in
                   target/soak/report.md (`test` runs a short version of each)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("screenshots") => screenshots(),
        Some("bench") => bench::run(&args[1..]),
        Some("package") => setup::run(&[]).and_then(|()| package::run(&args[1..])),
        Some("fuzz") => setup::run(&[]).and_then(|()| fuzz::command(&args[1..])),
        Some("soak") => soak::run(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(workspace_root());
    c
}

/// Runs a command, failing with its name if it fails.
pub fn status(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    eprintln!("xtask: {what}");
    let s = cmd
        .status()
        .with_context(|| format!("cannot start: {what}"))?;
    if !s.success() {
        bail!("failed: {what} ({s})");
    }
    Ok(())
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn npm(args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(workspace_root().join("ui"));
    c
}

/// The window's front end: `npm ci` when the lock file changed since the
/// last install, then `vite build` into ui/dist (which the app embeds).
pub fn build_ui() -> anyhow::Result<()> {
    let ui = workspace_root().join("ui");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(&ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < modified(&ui.join("package-lock.json")) {
        status(npm(&["ci", "--no-audit", "--no-fund"]), "npm ci (ui/)")?;
    }
    status(npm(&["run", "build"]), "vite build (ui/)")
}

/// The window's files, then the app and the CLI with `features`, optimised.
pub fn build_release(features: &[&str]) -> anyhow::Result<()> {
    build_ui()?;
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "hookswitch-app",
        "-p",
        "hookswitch-cli",
    ]);
    if !features.is_empty() {
        build.args(["--features", &features.join(",")]);
    }
    status(
        build,
        "cargo build --release -p hookswitch-app -p hookswitch-cli",
    )
}

fn run(args: &[String]) -> anyhow::Result<()> {
    setup::run(&[])?;
    let display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if display && args.is_empty() {
        build_release(&[])?;
        let app = target_dir().join("release/hookswitch-app");
        eprintln!("xtask: starting {}", app.display());
        let s = Command::new(&app)
            .status()
            .with_context(|| format!("cannot start {}", app.display()))?;
        if !s.success() {
            bail!("hookswitch-app exited with {s}");
        }
        return Ok(());
    }
    let mut build = cargo();
    build.args(["build", "--release", "-p", "hookswitch-cli"]);
    status(build, "cargo build --release -p hookswitch-cli")?;
    let bin = target_dir().join("release/hookswitch");
    if !display {
        eprintln!("xtask: no display here: starting the headless daemon.");
    }
    eprintln!(
        "xtask: from another terminal: `{0} call sip:user@HOST`, `{0} calls`, `{0} hangup`; Ctrl-C stops it.",
        bin.display()
    );
    let mut daemon = Command::new(&bin);
    if args.is_empty() {
        daemon.arg("run");
    } else {
        daemon.args(args);
    }
    let s = daemon
        .status()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    if !s.success() {
        bail!("hookswitch exited with {s}");
    }
    Ok(())
}

/// The desktop end-to-end test, saving its screenshots in docs/screenshots.
fn screenshots() -> anyhow::Result<()> {
    setup::run(&[])?;
    build_ui()?;
    let mut build = cargo();
    build.args(["build", "-p", "hookswitch-app"]);
    status(build, "cargo build -p hookswitch-app")?;
    let mut test = cargo();
    test.args([
        "test",
        "-p",
        "hookswitch-tests",
        "--test",
        "desktop",
        "--test",
        "desktop_settings",
        "--",
        "--test-threads=1",
    ])
    .env(
        "HOOKSWITCH_SCREENSHOTS",
        workspace_root().join("docs/screenshots"),
    );
    status(test, "the desktop tests, saving docs/screenshots")
}

fn test() -> anyhow::Result<()> {
    setup::run(&[])?;
    // The front end first: its checks, its unit tests, and the build the app
    // embeds (clippy compiles the app, which needs ui/dist).
    build_ui()?;
    status(npm(&["run", "check"]), "svelte-check (ui/)")?;
    status(npm(&["test"]), "vitest (ui/)")?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    status(fmt, "cargo fmt --all --check")?;
    // Everything is built and tested with every feature (G.729 included);
    // the default build is only checked.
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]);
    status(
        clippy,
        "cargo clippy --workspace --all-targets --all-features -- -D warnings",
    )?;
    let mut check = cargo();
    check.args(["check", "--workspace"]);
    status(check, "cargo check --workspace (default features)")?;
    // The desktop test drives the built app.
    let mut app = cargo();
    app.args(["build", "-p", "hookswitch-app", "--all-features"]);
    status(app, "cargo build -p hookswitch-app")?;
    let mut tests = cargo();
    tests.args(["test", "--workspace", "--all-features", "--no-fail-fast"]);
    status(tests, "cargo test --workspace --all-features")?;
    // Every parser's fuzz target a few seconds from its corpus, and every
    // crash ever found replayed.
    fuzz::run(fuzz::SUITE_SECONDS, &[])
}
