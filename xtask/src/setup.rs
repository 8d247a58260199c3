//! `cargo xtask setup`: installs the Debian packages the build and the tests use,
//! only those missing, with sudo when not root.

use std::process::Command;

use anyhow::bail;

use crate::status;

/// Libraries the build links against.
const BUILD: &[&str] = &["pkg-config", "libdbus-1-dev"];

/// Real peers and tools the tests start (see the shared TEST-RIGS recipes).
const TEST: &[&str] = &[
    "sip-tester",   // sipp
    "baresip-core", // baresip, the reference softphone
    "kamailio",     // registrar with digest auth
    "sox",          // makes and measures test audio
    // The sound path: cpal's ALSA host reaches PulseAudio null sinks.
    "pulseaudio",
    "pulseaudio-utils",
    "alsa-utils",
    "libasound2-plugins",
];

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

fn apt(args: &[&str]) -> Command {
    let mut c = if is_root() {
        Command::new("apt-get")
    } else {
        let mut s = Command::new("sudo");
        s.arg("apt-get");
        s
    };
    c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
    c
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        bail!("unknown setup option {a:?}");
    }
    let missing: Vec<&str> = BUILD
        .iter()
        .chain(TEST)
        .copied()
        .filter(|p| !installed(p))
        .collect();
    if missing.is_empty() {
        eprintln!("xtask: system packages present");
        return Ok(());
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        bail!(
            "these packages are missing and there is no apt-get here: {}",
            missing.join(" ")
        );
    }
    status(apt(&["update", "-qq"]), "apt-get update")?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    status(
        apt(&install),
        &format!("apt-get install {}", missing.join(" ")),
    )?;
    Ok(())
}
