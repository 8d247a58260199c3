//! The Debian package as a user or an administrator meets it.
//!
//! The files it ships are valid where their own validators say so
//! (desktop-file-validate, appstreamcli, lintian), and the package built by
//! `cargo xtask package --debug-build` installs with apt-get, works from
//! /usr/bin (the CLI's version and an echo call; the app's window under
//! Xvfb), names itself the handler of sip: and tel: links, gives the
//! logged-in user a Jabra's hidraw node (udev, on a simulated sysfs) but not
//! a keyboard maker's, and `apt-get purge` takes every file back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hookswitch_tests::desktop::{self, Desktop};
use hookswitch_tests::free_port;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd.get_program()))
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `tools` are here; outside CI a missing one skips the test (with
/// the reason), in CI it fails.
fn have(tools: &[&str]) -> bool {
    match tools.iter().find(|t| !on_path(t)) {
        None => true,
        Some(t) if std::env::var_os("CI").is_some() => {
            panic!("{t} is missing (cargo xtask setup installs it)")
        }
        Some(t) => {
            eprintln!("skipped: {t} is missing (cargo xtask setup installs it)");
            false
        }
    }
}

#[test]
fn the_desktop_entry_and_the_appstream_metadata_are_valid() {
    if !have(&["desktop-file-validate", "appstreamcli"]) {
        return;
    }
    let linux = root().join("packaging/linux");
    let desktop_file = linux.join("org.hookswitch.app.desktop");
    let out = run(Command::new("desktop-file-validate").arg(&desktop_file));
    assert!(
        out.status.success() && said(&out).trim().is_empty(),
        "{}",
        said(&out)
    );
    let entry = std::fs::read_to_string(&desktop_file).unwrap();
    assert!(
        entry.contains(
            "MimeType=x-scheme-handler/sip;x-scheme-handler/sips;x-scheme-handler/tel;x-scheme-handler/callto;"
        ),
        "{entry}"
    );
    let metainfo = linux.join("org.hookswitch.app.metainfo.xml");
    let out = run(Command::new("appstreamcli")
        .args(["validate", "--no-net"])
        .arg(&metainfo));
    assert!(out.status.success(), "{}", said(&out));
    // This version is the newest release it lists.
    let text = std::fs::read_to_string(&metainfo).unwrap();
    let newest = text
        .split("<release version=\"")
        .nth(1)
        .and_then(|r| r.split('"').next());
    assert_eq!(newest, Some(env!("CARGO_PKG_VERSION")), "{text}");
    assert!(text.matches("<screenshot").count() >= 3, "{text}");
}

/// What `udevadm test` says of a hidraw node under a USB device of `vendor`:
/// a simulated sysfs (a tmpfs in a mount namespace of its own, which udev
/// accepts with SYSTEMD_DEVICE_VERIFY_SYSFS=0), and /run and /dev/char of
/// its own too, so nothing of it stays.
fn udev_test(vendor: &str) -> String {
    let script = format!(
        r#"set -e
mount -t tmpfs fake /sys/devices/virtual/workqueue
mount -t tmpfs run /run
mkdir -p /dev/char && mount -t tmpfs char /dev/char
usb=/sys/devices/virtual/workqueue/usb9/9-1
node=$usb/9-1:1.0/0003:{vendor}:0001.0001/hidraw/hidraw7
mkdir -p $node
echo {vendor} > $usb/idVendor
echo 0001 > $usb/idProduct
printf 'DEVTYPE=usb_device\n' > $usb/uevent
ln -s /sys/bus/usb $usb/subsystem
ln -s /sys/class/hidraw $node/subsystem
printf 'MAJOR=240\nMINOR=7\nDEVNAME=hidraw7\n' > $node/uevent
echo 240:7 > $node/dev
SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=add $node
"#
    );
    let out = run(Command::new("unshare").args(["-m", "sh", "-c", &script]));
    said(&out)
}

/// The node's tags after the rules (none: no line); the run must have
/// reached the properties.
fn current_tags(udev: &str) -> String {
    assert!(
        udev.lines().any(|l| l == "SUBSYSTEM=hidraw"),
        "udevadm did not get to the node:\n{udev}"
    );
    udev.lines()
        .find_map(|l| l.strip_prefix("CURRENT_TAGS="))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_package_installs_works_from_usr_bin_and_purges_clean() {
    let tools = ["apt-get", "dpkg", "lintian", "xdg-mime", "sox"];
    if !have(&tools) {
        return;
    }
    if !hookswitch_tests::netns::can_build() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: this test must run there"
        );
        eprintln!("skipped: installing a package needs root");
        return;
    }
    // The package of the binaries under test (cargo xtask test built them).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = run(Command::new(cargo).current_dir(root()).args([
        "run",
        "-q",
        "-p",
        "xtask",
        "--",
        "package",
        "--debug-build",
    ]));
    assert!(out.status.success(), "{}", said(&out));
    let deb = said(&out)
        .lines()
        .filter_map(|l| l.strip_prefix("xtask: "))
        .rfind(|l| l.ends_with(".deb"))
        .map(PathBuf::from)
        .expect("xtask names the package");
    let size = std::fs::metadata(&deb).unwrap().len();
    eprintln!("package: {} ({} KiB)", deb.display(), size / 1024);

    // Debian's policy checker: no error, no warning.
    let out = run(Command::new("lintian")
        .args(["--tag-display-limit", "0", "--fail-on", "error,warning"])
        .arg(&deb));
    assert!(out.status.success(), "lintian:\n{}", said(&out));

    // A leftover from an earlier run goes first.
    let _ = run(Command::new("apt-get").args(["purge", "-y", "-qq", "hookswitch"]));
    let out = run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .arg(&deb));
    assert!(out.status.success(), "apt-get install:\n{}", said(&out));
    let listed = run(Command::new("dpkg").args(["-L", "hookswitch"]));
    let files: Vec<PathBuf> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect();
    for wanted in [
        "/usr/bin/hookswitch",
        "/usr/bin/hookswitch-app",
        "/usr/lib/udev/rules.d/70-hookswitch.rules",
        "/usr/share/applications/org.hookswitch.app.desktop",
        "/usr/share/metainfo/org.hookswitch.app.metainfo.xml",
        "/usr/share/icons/hicolor/48x48/apps/org.hookswitch.app.png",
        "/usr/share/icons/hicolor/symbolic/apps/org.hookswitch.app-symbolic.svg",
        "/usr/share/man/man1/hookswitch.1.gz",
        "/usr/share/man/man1/hookswitch-app.1.gz",
        "/usr/share/bash-completion/completions/hookswitch",
        "/usr/share/zsh/vendor-completions/_hookswitch",
        "/usr/share/fish/vendor_completions.d/hookswitch.fish",
        "/usr/lib/systemd/user/hookswitch.service",
        "/usr/share/hookswitch/device-profiles/jabra.toml",
    ] {
        assert!(
            files.iter().any(|f| f == Path::new(wanted)),
            "{wanted} is not installed: {files:?}"
        );
    }

    let home = tempfile::tempdir().unwrap();
    let user = |cmd: &mut Command| {
        cmd.env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("XDG_RUNTIME_DIR", home.path())
            .env("XDG_STATE_HOME", home.path().join(".local/state"))
            .env_remove("XDG_DATA_DIRS")
            .env_remove("RUST_LOG");
    };

    // The CLI from /usr/bin: its version, then an echo call.
    let mut version = Command::new("/usr/bin/hookswitch");
    version.arg("--version");
    user(&mut version);
    let out = run(&mut version);
    assert_eq!(
        said(&out).trim(),
        format!("hookswitch {}", env!("CARGO_PKG_VERSION"))
    );
    let heard = home.path().join("echo.wav");
    let mut echo = Command::new("/usr/bin/hookswitch");
    echo.args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        "echo",
        "--tone",
        "700",
        "--duration",
        "2.5",
        "--record",
    ])
    .arg(&heard);
    user(&mut echo);
    let out = run(&mut echo);
    assert!(
        out.status.success(),
        "hookswitch call echo:\n{}",
        said(&out)
    );
    let stat = said(&run(Command::new("sox").arg(&heard).args(["-n", "stat"])));
    let rough = stat
        .lines()
        .find_map(|l| l.strip_prefix("Rough   frequency:"))
        .and_then(|f| f.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("sox: {stat}"));
    assert!((rough - 700.0).abs() < 35.0, "the echo's tone: {rough} Hz");

    // A handler of sip:, tel:, sips: and callto: links (the package's
    // triggers updated the desktop database), and the desktop's default one
    // unless another installed application claims them too (Linphone, say):
    // a package takes no choice from the user.
    let cache =
        std::fs::read_to_string("/usr/share/applications/mimeinfo.cache").unwrap_or_default();
    for scheme in ["sip", "tel", "sips", "callto"] {
        let mime = format!("x-scheme-handler/{scheme}");
        let handlers: Vec<&str> = cache
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{mime}=")))
            .map(|l| l.split(';').filter(|h| !h.is_empty()).collect())
            .unwrap_or_default();
        assert!(
            handlers.contains(&"org.hookswitch.app.desktop"),
            "the {scheme}: handlers in mimeinfo.cache: {handlers:?}"
        );
        if handlers.len() == 1 {
            let mut query = Command::new("xdg-mime");
            query.args(["query", "default", &mime]);
            user(&mut query);
            let out = run(&mut query);
            assert_eq!(
                said(&out).trim(),
                "org.hookswitch.app.desktop",
                "the {scheme}: handler"
            );
        }
    }
    // The man page reads.
    let out = run(Command::new("man")
        .env("MANWIDTH", "80")
        .args(["-P", "cat", "hookswitch"]));
    assert!(
        said(&out).contains("hookswitch call") && said(&out).contains("EXIT STATUS"),
        "man hookswitch:\n{}",
        said(&out)
    );

    // udev: the rule gives a Jabra to the logged-in user, and not a node of
    // a vendor that also makes keyboards (Logitech).
    if on_path("udevadm") && on_path("unshare") {
        let jabra = udev_test("0b0e");
        assert!(
            jabra.contains("Reading rules file: /usr/lib/udev/rules.d/70-hookswitch.rules"),
            "{jabra}"
        );
        assert!(current_tags(&jabra).contains(":uaccess:"), "{jabra}");
        let logitech = udev_test("046d");
        assert!(!current_tags(&logitech).contains(":uaccess:"), "{logitech}");
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "udevadm is missing (cargo xtask setup installs udev)"
        );
    }

    // The app from /usr/bin shows its window.
    if desktop::can_run(&[]) {
        let _one = desktop::one_window();
        let dir = tempfile::tempdir().unwrap();
        let app = Desktop::start_app(Path::new("/usr/bin/hookswitch-app"), dir.path());
        app.driver
            .wait_for("dial-input", std::time::Duration::from_secs(20));
        eprintln!(
            "the installed app's window in {} ms",
            app.started_in.as_millis()
        );
    }

    // Purged: every file it installed is gone.
    let out = run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["purge", "-y", "-qq", "hookswitch"]));
    assert!(out.status.success(), "apt-get purge:\n{}", said(&out));
    let left: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let status = run(Command::new("dpkg-query").args(["-W", "-f=${Status}", "hookswitch"]));
    assert!(
        !said(&status).contains("installed") || said(&status).contains("not-installed"),
        "{}",
        said(&status)
    );
}
