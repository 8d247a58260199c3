//! `cargo xtask setup`: installs the Debian packages the build and the tests use,
//! only those missing, with sudo when not root.

use std::process::Command;

use anyhow::bail;

use crate::status;

/// Libraries the build links against.
const BUILD: &[&str] = &[
    "pkg-config",
    "libdbus-1-dev",                  // keyring (Secret Service)
    "libudev-dev",                    // hidapi's hidraw backend enumerates through libudev
    "libusb-1.0-0-dev",               // rusb, for USB phones without a Telephony page
    "cmake",                          // builds the libopus the `opus` crate bundles
    "libasound2-dev",                 // cpal's ALSA host (sound devices)
    "libbcg729-dev",                  // G.729, with the `g729` feature (always in tests)
    "libwebrtc-audio-processing-dev", // echo cancellation for speakerphones
    "g++",                            // builds the small C++ shim over it
    "libsqlite3-dev",                 // the store (rusqlite on the system's SQLite, D72)
    // The desktop app (Tauri 2): the webview, GTK, the tray, the hot key.
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libssl-dev",
    "nodejs", // builds the window's front end (ui/: Vite, Svelte)
    // The app registers itself as the desktop's sip:/tel: handler with these.
    "xdg-utils",
    "desktop-file-utils",
    // `cargo xtask package`: dpkg-shlibdeps names the libraries' packages.
    "dpkg-dev",
];

/// Real peers and tools the tests start (see the shared TEST-RIGS recipes).
const TEST: &[&str] = &[
    "sip-tester",                // sipp
    "baresip-core",              // baresip, the reference softphone
    "kamailio",                  // registrar with digest auth
    "kamailio-tls-modules",      // its TLS transport, for SIP over TLS tests
    "kamailio-presence-modules", // presence server (PUBLISH/SUBSCRIBE) for presence tests
    "dnsmasq-base",              // a DNS server with NAPTR and SRV test zones (RFC 3263)
    "sox",                       // makes and measures test audio
    "sqlite3",                   // the store tests read schema versions with it
    "radicale",                  // a CardDAV server (address book sync tests)
    "slapd",                     // an LDAP server (corporate directory tests)
    "ldap-utils",                // ldapadd/ldapsearch to fill and check it
    "curl",                      // CardDAV changes as another client; the HTTP API as a client
    // The HTTP API tests: a venv from PyPI (schemathesis,
    // openapi-spec-validator, websockets) for the Python client and fuzzer.
    "python3-venv",
    // The sound path: cpal's ALSA host reaches PulseAudio null sinks.
    "pulseaudio",
    "pulseaudio-utils",
    "alsa-utils",
    "libasound2-plugins",
    // The real-kernel HID test: Debian's kernel under QEMU with a busybox initramfs.
    "qemu-system-x86",
    "busybox-static",
    "espeak-ng", // speaks the sample of the sound-path test
    // The NAT test: network namespaces, a masquerading router, a STUN server.
    "iproute2",
    "nftables",
    "coturn",
    // The desktop app's end-to-end test: a virtual display, the webview's
    // WebDriver, and the screenshots (xwd + ImageMagick).
    "xvfb",
    "webkit2gtk-driver",
    "x11-apps",
    "imagemagick",
    "xdotool",       // presses the global hot key
    "dbus-daemon",   // a session bus: single-instance hands links over on it
    "gnome-keyring", // a Secret Service: the wizard saves passwords there
    // The tray test: a StatusNotifier watcher (tests/tray_watcher.py) and
    // gdbus to read and click the tray item as a panel does.
    "python3-gi",
    "libglib2.0-bin",
    // The package's checks: AppStream metadata, Debian policy.
    "appstream",
    "lintian",
    // The installed test: udevadm applies the package's rules to a simulated
    // hidraw node; `man` reads its manual page.
    "udev",
    "man-db",
    // The accessibility test reads the window as a screen reader does:
    // AT-SPI's bus and registry, the GTK bridge, and pyatspi.
    "at-spi2-core",
    "libatk-adaptor",
    "python3-pyatspi",
];

/// Tools from crates.io: tauri-driver sits between the desktop tests and
/// WebKitWebDriver; cargo-fuzz builds and runs the fuzz targets.
const CARGO_TOOLS: &[CargoTool] = &[
    CargoTool {
        krate: "tauri-driver",
        binary: "tauri-driver",
        version: "2.1.0",
    },
    CargoTool {
        krate: "cargo-fuzz",
        binary: "cargo-fuzz",
        version: "0.13.2",
    },
];

struct CargoTool {
    krate: &'static str,
    binary: &'static str,
    version: &'static str,
}

/// What `cargo xtask bench media` adds: a venv for the `pesq` package
/// (built from source, so headers and a compiler).
const BENCH: &[&str] = &["python3-venv", "python3-dev", "gcc"];

/// The real-kernel test downloads this package (never installs it): apt's
/// package lists must know it.
const KERNEL_PACKAGE: &str = "linux-image-amd64";

fn apt_knows(package: &str) -> bool {
    Command::new("apt-cache")
        .args(["show", package])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

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

pub fn apt(args: &[&str]) -> Command {
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
    let bench: &[&str] = match args.first().map(String::as_str) {
        None => &[],
        Some("--udev") => return install_udev_rules(),
        Some("--bench") => BENCH,
        Some(a) => bail!("unknown setup option {a:?} (--udev, --bench)"),
    };
    let mut missing: Vec<&str> = BUILD
        .iter()
        .chain(TEST)
        .chain(bench)
        .copied()
        .filter(|p| !installed(p))
        .collect();
    // Debian's nodejs comes without npm (NodeSource's carries its own, which
    // Debian's npm package would clash with).
    if !on_path("npm") {
        missing.push("npm");
    }
    let result = install(&missing);
    for tool in CARGO_TOOLS {
        install_cargo_tool(tool)?;
    }
    result
}

/// Installs these packages if missing (for a benchmark's own needs).
pub fn ensure(packages: &[&str]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    install(&missing)
}

fn on_path(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `cargo install` a tool once (tauri-driver about 30 s, cargo-fuzz about
/// a minute), into cargo's bin folder.
fn install_cargo_tool(tool: &CargoTool) -> anyhow::Result<()> {
    let installed = Command::new(tool.binary).arg("--help").output().is_ok()
        || std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
            .is_some_and(|home| home.join("bin").join(tool.binary).is_file());
    if installed {
        return Ok(());
    }
    let mut install = crate::cargo();
    install.args(["install", tool.krate, "--locked", "--version", tool.version]);
    // Its own target folder: not the workspace's, not the clone's.
    install.env_remove("CARGO_TARGET_DIR");
    status(install, &format!("cargo install {} --locked", tool.krate))
}

fn install(missing: &[&str]) -> anyhow::Result<()> {
    if missing.is_empty() {
        if !apt_knows(KERNEL_PACKAGE) {
            status(apt(&["update", "-qq"]), "apt-get update")?;
        }
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
    install.extend(missing);
    status(
        apt(&install),
        &format!("apt-get install {}", missing.join(" ")),
    )?;
    Ok(())
}

/// `cargo xtask setup --udev`: lets the logged-in user open telephony devices.
fn install_udev_rules() -> anyhow::Result<()> {
    let rules = crate::workspace_root().join("udev/70-hookswitch.rules");
    let target = "/etc/udev/rules.d/70-hookswitch.rules";
    let privileged = |program: &str| {
        if is_root() {
            Command::new(program)
        } else {
            let mut c = Command::new("sudo");
            c.arg(program);
            c
        }
    };
    let mut copy = privileged("install");
    copy.args(["-m", "0644"]).arg(&rules).arg(target);
    status(copy, &format!("install {} {target}", rules.display()))?;
    if Command::new("udevadm").arg("--version").output().is_ok() {
        let mut reload = privileged("udevadm");
        reload.args(["control", "--reload-rules"]);
        status(reload, "udevadm control --reload-rules")?;
        let mut trigger = privileged("udevadm");
        trigger.args([
            "trigger",
            "--subsystem-match=hidraw",
            "--subsystem-match=usb",
        ]);
        status(trigger, "udevadm trigger")?;
        eprintln!("xtask: rules installed; unplug and replug the device if it was connected.");
    } else {
        eprintln!("xtask: rules installed; no udevadm here, so they apply after the next boot.");
    }
    Ok(())
}
