//! `cargo xtask bench desktop`: the desktop app's cold start, idle memory and
//! size, next to Linphone Desktop (Debian's `linphone-desktop`) measured the
//! same way on the same machine, when it is installed.
//!
//! Start: from spawning the process to its first window being mapped on the X
//! display (`xwininfo`), and for Hookswitch also to the page having drawn and
//! asked for its first snapshot (the app logs "window ready"). Memory: after
//! 10 s idle, the RSS and PSS (shared pages split between sharers) of the
//! process and every descendant (the webview's web and network processes).
//!
//! Each app runs as in a desktop session: a session bus of its own
//! (`dbus-daemon --session`, not counted in its memory) and a private
//! runtime directory.
//!
//! With `--deb PATH` (`cargo xtask bench desktop --installed`, the app from
//! the installed package) also the package's size and its installed size.
//!
//! `bench_desktop --app PATH [--runs N] [--deb PATH]`

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use hookswitch_tests::Process;
use std::time::{Duration, Instant};

const IDLE: Duration = Duration::from_secs(10);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let app = PathBuf::from(value("--app").expect("--app PATH"));
    let runs: usize = value("--runs").and_then(|r| r.parse().ok()).unwrap_or(5);
    let work = std::env::temp_dir().join(format!("bench-desktop-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work dir");

    let display = ":77";
    let mut xvfb = Command::new("Xvfb")
        .args([display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb");
    wait("Xvfb", Duration::from_secs(10), || {
        Path::new("/tmp/.X11-unix/X77").exists()
    });

    println!("Hookswitch ({}):", app.display());
    let mut first = Vec::new();
    let mut mapped = Vec::new();
    let mut memory = None;
    for run in 0..runs {
        let home = work.join(format!("hookswitch-{run}"));
        let config = home.join(".config/hookswitch/config.toml");
        std::fs::create_dir_all(config.parent().unwrap()).expect("config dir");
        let bus = session(&home);
        std::fs::write(
            &config,
            "[sip]\nlisten = \"127.0.0.1:0\"\n[devices]\nenabled = false\n",
        )
        .expect("config");
        let log = home.join("app.log");
        let started = Instant::now();
        let mut cmd = Command::new(&app);
        cmd.args(["--config", config.to_str().unwrap()])
            .env("DISPLAY", display)
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("HOOKSWITCH_LOG", &log)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.1);
        let mut child = Process::spawn("hookswitch-app", cmd, &home);
        wait("the window", Duration::from_secs(60), || {
            window_named(display, "Hookswitch")
        });
        mapped.push(started.elapsed());
        wait("the page", Duration::from_secs(60), || {
            std::fs::read_to_string(&log).is_ok_and(|l| l.contains("window ready"))
        });
        first.push(started.elapsed());
        if run == 0 {
            std::thread::sleep(IDLE);
            memory = Some(tree_memory(child.pid()));
        }
        child.stop();
        wait("the window to close", Duration::from_secs(10), || {
            !window_named(display, "Hookswitch")
        });
    }
    report("window mapped", &mapped);
    report("page drawn (first snapshot)", &first);
    if let Some((rss, pss, n)) = memory {
        println!("  idle after 10 s: RSS {rss:.1} MiB, PSS {pss:.1} MiB ({n} processes)");
    }
    let size = std::fs::metadata(&app).map(|m| m.len()).unwrap_or(0);
    let stripped = work.join("stripped");
    let stripped_size = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(&app)
        .status()
        .ok()
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(&stripped).ok())
        .map(|m| m.len());
    println!(
        "  binary: {:.1} MiB ({} stripped); the window's files are inside it",
        mib(size),
        stripped_size.map_or("?".into(), |s| format!("{:.1} MiB", mib(s)))
    );
    if let Some(deb) = value("--deb") {
        let deb_size = std::fs::metadata(&deb).map(|m| m.len()).unwrap_or(0);
        println!(
            "  package: {} {:.1} MiB; installed {:.1} MiB (Installed-Size of hookswitch {})",
            Path::new(&deb)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            mib(deb_size),
            installed_size_kib("hookswitch").unwrap_or(0) as f64 / 1024.0,
            package_version("hookswitch"),
        );
    }

    if Path::new("/usr/bin/linphone").exists() {
        linphone(display, &work, runs);
    } else {
        println!("Linphone Desktop: not installed (apt-get install linphone-desktop to compare)");
    }
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    let _ = std::fs::remove_dir_all(&work);
}

fn linphone(display: &str, work: &Path, runs: usize) {
    println!(
        "Linphone Desktop (/usr/bin/linphone, {}):",
        package_version("linphone-desktop")
    );
    let mut mapped = Vec::new();
    let mut memory = None;
    for run in 0..runs {
        let home = work.join(format!("linphone-{run}"));
        std::fs::create_dir_all(&home).expect("home");
        let bus = session(&home);
        let started = Instant::now();
        let mut cmd = Command::new("/usr/bin/linphone");
        cmd.env("DISPLAY", display)
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", &home)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.1)
            .env("QT_QPA_PLATFORM", "xcb");
        let mut child = Process::spawn("linphone", cmd, &home);
        wait("Linphone's window", Duration::from_secs(60), || {
            window_named(display, "Linphone")
        });
        mapped.push(started.elapsed());
        if run == 0 {
            std::thread::sleep(IDLE);
            memory = Some(tree_memory(child.pid()));
        }
        child.stop();
        wait("Linphone to close", Duration::from_secs(10), || {
            !window_named(display, "Linphone")
        });
    }
    report("window mapped", &mapped);
    if let Some((rss, pss, n)) = memory {
        println!("  idle after 10 s: RSS {rss:.1} MiB, PSS {pss:.1} MiB ({n} processes)");
    }
    let packages = [
        "linphone-desktop",
        "liblinphone10",
        "liblinphone++10",
        "libmediastreamer12",
        "libbellesip1",
        "libortp15",
        "libbctoolbox1",
        "libbelr1",
        "libbelcard1",
        "liblime0",
        "libbzrtp0",
    ];
    let kib: u64 = packages.iter().filter_map(|p| installed_size_kib(p)).sum();
    println!(
        "  installed: {:.1} MiB (linphone-desktop and its Linphone libraries: {})",
        kib as f64 / 1024.0,
        packages.join(", ")
    );
}

/// A private runtime directory (0700) at `home` with a session bus in it,
/// as a desktop session gives an app: the bus's process and address.
fn session(home: &Path) -> (Process, String) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(home).expect("home");
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).expect("0700");
    let socket = home.join("bus");
    let address = format!("unix:path={}", socket.display());
    let mut cmd = Command::new("dbus-daemon");
    cmd.args(["--session", "--nofork", "--nopidfile"])
        .arg(format!("--address={address}"));
    let bus = Process::spawn("dbus-daemon", cmd, home);
    wait("the session bus", Duration::from_secs(10), || {
        socket.exists()
    });
    (bus, address)
}

fn package_version(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn installed_size_kib(package: &str) -> Option<u64> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Installed-Size}", package])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Whether a window whose name contains `name` is mapped (viewable) on the
/// display.
fn window_named(display: &str, name: &str) -> bool {
    let Ok(tree) = Command::new("xwininfo")
        .args(["-root", "-tree", "-display", display])
        .output()
    else {
        return false;
    };
    let tree = String::from_utf8_lossy(&tree.stdout).into_owned();
    tree.lines()
        .filter(|l| l.contains(&format!("\"{name}")))
        .filter_map(|l| l.split_whitespace().next())
        .any(|id| {
            Command::new("xwininfo")
                .args(["-id", id, "-display", display])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("IsViewable"))
        })
}

/// RSS and PSS (MiB) of `pid` and its descendants, and how many processes.
fn tree_memory(pid: u32) -> (f64, f64, usize) {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(p) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((p, ppid));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    let field = |file: &str, key: &str| -> f64 {
        file.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (mut rss, mut pss) = (0.0, 0.0);
    for p in &tree {
        rss += field(
            &std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default(),
            "VmRSS:",
        );
        pss += field(
            &std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default(),
            "Pss:",
        );
    }
    (rss / 1024.0, pss / 1024.0, tree.len())
}

fn wait(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn report(what: &str, times: &[Duration]) {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1000.0).collect();
    if ms.is_empty() {
        return;
    }
    let first = ms[0];
    ms.sort_by(f64::total_cmp);
    println!(
        "  {what}: first run {first:.0} ms; median of {} runs {:.0} ms (min {:.0}, max {:.0})",
        ms.len(),
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1]
    );
}
