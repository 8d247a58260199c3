//! The machine's side of a support bundle: versions, udev and the keyring.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::Config;

/// Packages whose versions explain most desktop and sound problems.
const PACKAGES: &[&str] = &[
    "hookswitch",
    "libwebkit2gtk-4.1-0",
    "libgtk-3-0",
    "libayatana-appindicator3-1",
    "pipewire",
    "pipewire-pulse",
    "pulseaudio",
    "libasound2",
    "udev",
    "gnome-keyring",
    "kwalletmanager",
];

pub fn versions() -> String {
    let mut out = format!("hookswitch {}\n", env!("CARGO_PKG_VERSION"));
    if let Ok(release) = std::fs::read_to_string("/etc/os-release")
        && let Some(name) = release.lines().find_map(|l| l.strip_prefix("PRETTY_NAME="))
    {
        let _ = writeln!(out, "system: {}", name.trim_matches('"'));
    }
    if let Some(kernel) = command_line("uname", &["-srm"]) {
        let _ = writeln!(out, "kernel: {kernel}");
    }
    for var in [
        "XDG_CURRENT_DESKTOP",
        "XDG_SESSION_TYPE",
        "DESKTOP_SESSION",
        "LANG",
        "WAYLAND_DISPLAY",
        "DISPLAY",
    ] {
        if let Some(v) = std::env::var_os(var) {
            let _ = writeln!(out, "{var}={}", v.to_string_lossy());
        }
    }
    let mut query = vec!["-W", "-f=${Package} ${Version} ${db:Status-Abbrev}\\n"];
    query.extend(PACKAGES);
    // dpkg-query fails for a package it never heard of but prints the rest.
    if let Ok(o) = Command::new("dpkg-query").args(&query).output() {
        out.push_str("packages:\n");
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(program).args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// Where a udev rule may be, and whether it is ours as shipped.
pub fn udev() -> String {
    let shipped = include_str!("../../../../udev/70-hookswitch.rules");
    let mut out = String::new();
    for place in [
        "/usr/lib/udev/rules.d/70-hookswitch.rules",
        "/etc/udev/rules.d/70-hookswitch.rules",
    ] {
        let _ = match std::fs::read_to_string(place) {
            Ok(text) if text == shipped => writeln!(out, "{place}: present, as shipped"),
            Ok(_) => writeln!(out, "{place}: present, different from this version's"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => writeln!(out, "{place}: absent"),
            Err(e) => writeln!(out, "{place}: {e}"),
        };
    }
    let _ = writeln!(
        out,
        "udev running: {}",
        if Path::new("/run/udev/control").exists() {
            "yes"
        } else {
            "no (/run/udev/control missing)"
        }
    );
    out.push_str("\nhidraw nodes (mode owner:group, may this user read+write, device):\n");
    let mut nodes: Vec<_> = std::fs::read_dir("/dev")
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("hidraw"))
                })
                .collect()
        })
        .unwrap_or_default();
    nodes.sort();
    if nodes.is_empty() {
        out.push_str("  none\n");
    }
    for node in nodes {
        let _ = writeln!(out, "  {}", hidraw_line(&node));
    }
    out
}

fn hidraw_line(node: &Path) -> String {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let name = node.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let meta = match std::fs::metadata(node) {
        Ok(m) => m,
        Err(e) => return format!("{}: {e}", node.display()),
    };
    let path = std::ffi::CString::new(node.as_os_str().as_encoded_bytes()).ok();
    // SAFETY: access(2) reads a NUL-terminated path and has no other
    // precondition.
    let usable =
        path.is_some_and(|p| unsafe { libc::access(p.as_ptr(), libc::R_OK | libc::W_OK) } == 0);
    let device = std::fs::read_to_string(format!("/sys/class/hidraw/{name}/device/uevent"))
        .ok()
        .map(|u| {
            u.lines()
                .filter(|l| l.starts_with("HID_ID=") || l.starts_with("HID_NAME="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let acl = command_line("getfacl", &["-cp", &node.to_string_lossy()])
        .map(|a| {
            format!(
                " acl [{}]",
                a.lines()
                    .filter(|l| l.starts_with("user:"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .unwrap_or_default();
    format!(
        "{}: {:o} {}:{} {}{acl} {device}",
        node.display(),
        meta.permissions().mode() & 0o7777,
        meta.uid(),
        meta.gid(),
        if usable { "yes" } else { "no" },
    )
}

/// Each password the configuration uses: in the environment, in the
/// keyring, or missing (with the keyring's reason). The passwords are read
/// to know they are there and dropped at once.
pub fn keyring(config: Option<&Config>) -> String {
    let Some(config) = config else {
        return "the configuration does not read: no password entries to look up\n".into();
    };
    let mut out = String::new();
    let entries = config.password_entries();
    if entries.is_empty() {
        out.push_str("no account, directory or hook needs a password\n");
    }
    for entry in entries {
        let env = crate::config::password_env_var(&entry);
        let where_ = if std::env::var_os(&env).is_some() {
            format!("from the environment ({env})")
        } else {
            match crate::config::password(&entry) {
                Ok(_) => "in the keyring".to_owned(),
                Err(e) => format!("missing: {e}"),
            }
        };
        let _ = writeln!(out, "{entry}: {where_}");
    }
    out
}
