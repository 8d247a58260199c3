//! `cargo xtask soak [--short] [PART...]`: the release `hookswitch` under a
//! flood, a burst of calls, faults (sound server and registrar restarts, the
//! network gone, plug cycles) and an hour of calls (tests/src/bin/soak.rs),
//! with a report of every figure in target/soak/report.md. Not part of
//! `cargo xtask test`, which runs a short version of each part.

use crate::status;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    crate::setup::run(&[])?;
    let target = crate::bench::release_binaries("soak")?;
    let mut soak = std::process::Command::new(target.join("release/soak"));
    soak.arg("--hookswitch")
        .arg(target.join("release/hookswitch"))
        .arg("--report")
        .arg(target.join("soak/report.md"))
        .args(args);
    status(
        soak,
        "soak: flood, burst of calls, faults, an hour of calls",
    )
}
