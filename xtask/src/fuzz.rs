//! The cargo-fuzz targets of `fuzz/`, run from their checked-in corpus:
//! a few seconds each in `cargo xtask test`, longer with `cargo xtask fuzz`.
//!
//! Inputs read, in this order (libFuzzer adds what it finds to the first):
//! - `fuzz/corpus/<target>`: this machine's own finds (not in git);
//! - `fuzz/seeds/<target>`: hand-made inputs, named for what they are;
//! - `fuzz/minimised/<target>`: the checked-in corpus, what earlier runs
//!   found, minimised (`--keep` merges this run's finds into it);
//! - `fuzz/regressions/<target>`: every crash found so far, kept for ever,
//!   so a fault once fixed stays fixed.
//!
//! A crash, timeout or out-of-memory is copied into `fuzz/regressions/` and
//! fails the run: commit the file with the fix.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::{status, target_dir, workspace_root};

/// Seconds per target in `cargo xtask test`.
pub const SUITE_SECONDS: u32 = 4;
/// Seconds per target when `cargo xtask fuzz` is given none.
const DEFAULT_SECONDS: u32 = 60;

const USAGE: &str = "usage: cargo xtask fuzz [SECONDS] [--keep] [TARGET...]
  runs every target (or those named) for SECONDS each (default 60) from
  fuzz/seeds, fuzz/minimised and fuzz/regressions; a crash is kept in
  fuzz/regressions; --keep merges what the run found into fuzz/minimised";

fn fuzz_dir() -> PathBuf {
    workspace_root().join("fuzz")
}

/// `cargo fuzz VERB` on the stable toolchain: the instrumentation flags it
/// passes are unstable ones, and without AddressSanitizer (`-s none`) no
/// nightly-only runtime is needed. `build` and `run` share their flags
/// (else `run` would build again): many codegen units, since the build is
/// most of what a short run costs, into the workspace's target folder.
fn cargo_fuzz(verb: &str) -> Command {
    let mut c = crate::cargo();
    c.current_dir(fuzz_dir())
        .args(["fuzz", verb])
        .env("RUSTC_BOOTSTRAP", "1");
    if verb != "list" {
        c.args(["-s", "none", "--codegen-units", "16", "--target-dir"])
            .arg(fuzz_target_dir());
    }
    c
}

fn fuzz_target_dir() -> PathBuf {
    target_dir().join("fuzz")
}

/// The targets `fuzz/Cargo.toml` declares.
fn targets() -> anyhow::Result<Vec<String>> {
    let out = cargo_fuzz("list")
        .output()
        .context("cannot start `cargo fuzz list` (cargo xtask setup installs cargo-fuzz)")?;
    if !out.status.success() {
        bail!(
            "cargo fuzz list: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// `cargo xtask fuzz [SECONDS] [--keep] [TARGET...]`.
pub fn command(args: &[String]) -> anyhow::Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut chosen = Vec::new();
    let mut keep = false;
    for a in args {
        if let Ok(s) = a.parse::<u32>() {
            seconds = s.max(1);
        } else if a == "--keep" {
            keep = true;
        } else if a.starts_with('-') {
            bail!("{USAGE}");
        } else {
            chosen.push(a.clone());
        }
    }
    run(seconds, &chosen)?;
    if keep {
        let all = targets()?;
        let names: Vec<&String> = if chosen.is_empty() {
            all.iter().collect()
        } else {
            chosen.iter().collect()
        };
        for target in names {
            merge_into_minimised(target)?;
        }
    }
    Ok(())
}

/// Adds to `fuzz/minimised/<target>` those of this machine's finds that
/// reach code it does not (libFuzzer's `-merge=1`).
fn merge_into_minimised(target: &str) -> anyhow::Result<()> {
    let fuzz = fuzz_dir();
    let kept = fuzz.join("minimised").join(target);
    std::fs::create_dir_all(&kept).with_context(|| format!("creating {}", kept.display()))?;
    let before = files(&kept).len();
    let mut merge = cargo_fuzz("run");
    merge
        .arg(target)
        .arg(&kept)
        .arg(fuzz.join("corpus").join(target))
        .args(["--", "-merge=1"]);
    let out = merge
        .output()
        .with_context(|| format!("cannot start the merge for {target}"))?;
    if !out.status.success() {
        bail!(
            "merging {target}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let after = files(&kept).len();
    eprintln!(
        "xtask: fuzz target {target}: {} new inputs in {}",
        after - before,
        kept.display()
    );
    Ok(())
}

/// Builds the targets, then runs each (all when `chosen` is empty) for
/// `seconds`; every target runs even when one fails.
pub fn run(seconds: u32, chosen: &[String]) -> anyhow::Result<()> {
    let all = targets()?;
    if let Some(unknown) = chosen.iter().find(|t| !all.contains(t)) {
        bail!("no fuzz target {unknown:?}; there are: {}", all.join(", "));
    }
    let run: Vec<&String> = if chosen.is_empty() {
        all.iter().collect()
    } else {
        chosen.iter().collect()
    };
    status(
        cargo_fuzz("build"),
        "cargo fuzz build -s none (all targets)",
    )?;
    let mut failed = Vec::new();
    for target in run {
        if let Err(e) = run_one(target, seconds) {
            eprintln!("xtask: fuzz target {target}: {e:#}");
            failed.push(target.as_str());
        }
    }
    if !failed.is_empty() {
        bail!(
            "fuzz targets failed: {} (inputs kept in fuzz/regressions/: commit them with the fix)",
            failed.join(", ")
        );
    }
    Ok(())
}

fn run_one(target: &str, seconds: u32) -> anyhow::Result<()> {
    let fuzz = fuzz_dir();
    let own = fuzz.join("corpus").join(target);
    let artifacts = fuzz_target_dir().join("artifacts").join(target);
    for dir in [&own, &artifacts] {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut inputs = vec![own];
    for kept in ["seeds", "minimised", "regressions"] {
        let dir = fuzz.join(kept).join(target);
        if dir.is_dir() {
            inputs.push(dir);
        }
    }
    let before = files(&artifacts);
    let mut cmd = cargo_fuzz("run");
    cmd.arg(target).args(&inputs).args([
        "--".into(),
        format!("-max_total_time={seconds}"),
        // A single input may take this long before it is a hang...
        "-timeout=10".into(),
        // ... and this much memory before it is a fault.
        "-rss_limit_mb=2048".into(),
        format!("-artifact_prefix={}/", artifacts.display()),
        // How many inputs were tried, for the log.
        "-print_final_stats=1".into(),
    ]);
    // libFuzzer prints a line per new input: the whole of it goes to a log
    // file, and only its end to the terminal when the run fails.
    let log = fuzz_target_dir().join("logs").join(format!("{target}.log"));
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    eprintln!(
        "xtask: cargo fuzz run {target} ({seconds} s; log {})",
        log.display()
    );
    cmd.stdout(log_file.try_clone()?).stderr(log_file);
    let ok = cmd
        .status()
        .with_context(|| format!("cannot start cargo fuzz run {target}"))?
        .success();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    if ok {
        let runs = text
            .lines()
            .rev()
            .find(|l| l.starts_with("Done "))
            .unwrap_or("finished");
        eprintln!("xtask: fuzz target {target}: {runs}");
        return Ok(());
    }
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines[lines.len().saturating_sub(40)..] {
        eprintln!("  {line}");
    }
    for k in keep_new_artifacts(target, &artifacts, &before)? {
        eprintln!("xtask: fuzz target {target}: kept {}", k.display());
    }
    bail!("failed (log {})", log.display())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// Copies what libFuzzer wrote this run into `fuzz/regressions/<target>`.
fn keep_new_artifacts(
    target: &str,
    artifacts: &Path,
    before: &[PathBuf],
) -> anyhow::Result<Vec<PathBuf>> {
    let regressions = fuzz_dir().join("regressions").join(target);
    let mut kept = Vec::new();
    for file in files(artifacts) {
        if before.contains(&file) || !file.is_file() {
            continue;
        }
        let Some(name) = file.file_name() else {
            continue;
        };
        std::fs::create_dir_all(&regressions)
            .with_context(|| format!("creating {}", regressions.display()))?;
        let to = regressions.join(name);
        std::fs::copy(&file, &to).with_context(|| format!("copying to {}", to.display()))?;
        kept.push(to);
    }
    Ok(kept)
}
