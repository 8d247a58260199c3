//! The desktop app under test: a virtual X display (Xvfb), tauri-driver in
//! front of WebKitWebDriver, and the built `hookswitch-app` with a
//! configuration of the test's own, holding a simulated headset that the test
//! drives through its socket. Every process started here is stopped with its
//! whole process group when the guard drops.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::Process;
pub use crate::devices::Headset;
use crate::webdriver::WebDriver;

/// The app binary next to this test binary (`target/debug/hookswitch-app`),
/// built by `cargo xtask test` before the tests run.
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HOOKSWITCH_APP") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/desktop-1234 -> target/debug/hookswitch-app
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("hookswitch-app"))
        .expect("target dir")
}

/// Why the desktop test cannot run here, if it cannot: the app is not built
/// or the display tools are missing. CI has them all (`cargo xtask test`).
pub fn missing() -> Option<String> {
    let app = app_binary();
    if !app.exists() {
        return Some(format!(
            "{} is not built (cargo xtask test builds it: npm ci + vite build in ui/, then cargo build -p hookswitch-app)",
            app.display()
        ));
    }
    for tool in ["Xvfb", "WebKitWebDriver", "tauri-driver"] {
        if which(tool).is_none() {
            return Some(format!("{tool} is missing (cargo xtask setup installs it)"));
        }
    }
    None
}

/// Whether a desktop test can run here (also needing `tools`): outside CI a
/// missing piece skips it with the reason; in CI it fails.
pub fn can_run(tools: &[&str]) -> bool {
    let missing = missing().or_else(|| {
        tools
            .iter()
            .find(|t| which(t).is_none())
            .map(|t| format!("{t} is missing (cargo xtask setup installs it)"))
    });
    match missing {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("desktop test cannot run: {why}"),
        Some(why) => {
            eprintln!("desktop test skipped: {why}");
            false
        }
    }
}

/// A private D-Bus session bus for the app (single-instance hands links
/// over on it): the bus process and its address.
pub fn session_bus(dir: &Path) -> (Process, String) {
    let socket = dir.join("bus");
    let address = format!("unix:path={}", socket.display());
    let mut cmd = Command::new("dbus-daemon");
    cmd.args(["--session", "--nofork", "--nopidfile"])
        .arg(format!("--address={address}"));
    let bus = Process::spawn("dbus", cmd, dir);
    crate::wait_until(Duration::from_secs(10), "dbus-daemon's socket", || {
        socket.exists()
    });
    (bus, address)
}

/// One window at a time in a test binary: each is several processes on a
/// 2-core machine.
pub fn one_window() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn which(tool: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
}

/// A display number nobody holds (no lock file), from the PID so parallel
/// test binaries differ.
fn free_display() -> u32 {
    let start = 100 + std::process::id() % 300;
    (start..start + 300)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .expect("a free X display")
}

/// The app running under WebDriver.
pub struct Desktop {
    pub driver: WebDriver,
    pub dir: PathBuf,
    /// The app's SIP address.
    pub sip_port: u16,
    pub device_socket: PathBuf,
    pub display: String,
    pub config_path: PathBuf,
    /// The app's environment (home, XDG folders), for a second instance.
    env: Vec<(String, String)>,
    // Dropped last: the driver session closes first.
    _tauri_driver: Process,
    _xvfb: Process,
    /// When the window was asked for and when the first page was ready.
    pub started_in: Duration,
}

impl Desktop {
    /// Starts the app with `config` (TOML appended to the test's own: SIP on
    /// `sip_port`, p2p calls accepted, no real devices, no sound, a simulated
    /// Jabra on `device_socket`).
    pub fn start(dir: &Path, extra_config: &str) -> Desktop {
        Desktop::start_with(dir, extra_config, &[])
    }

    /// As `start`, with more environment for the app (`GTK_THEME`, ...).
    pub fn start_with(dir: &Path, extra_config: &str, env: &[(&str, &str)]) -> Desktop {
        Desktop::start_configured(dir, "", extra_config, env)
    }

    /// As `start_with`, with `devices_config` in the `[devices]` table
    /// (`disabled = [...]`).
    pub fn start_configured(
        dir: &Path,
        devices_config: &str,
        extra_config: &str,
        env: &[(&str, &str)],
    ) -> Desktop {
        Desktop::launch(&app_binary(), dir, devices_config, extra_config, env)
    }

    /// As `start`, on a D-Bus session bus of its own (returned with it: its
    /// process and address), as a desktop session gives the app one.
    pub fn start_on_bus(dir: &Path) -> (Desktop, Process, String) {
        let (bus, address) = session_bus(dir);
        let app = Desktop::start_with(dir, "", &[("DBUS_SESSION_BUS_ADDRESS", address.as_str())]);
        (app, bus, address)
    }

    /// As `start`, with the app at `app` (the package's /usr/bin/hookswitch-app).
    pub fn start_app(app: &Path, dir: &Path) -> Desktop {
        Desktop::launch(app, dir, "", "", &[])
    }

    fn launch(
        app: &Path,
        dir: &Path,
        devices_config: &str,
        extra_config: &str,
        env: &[(&str, &str)],
    ) -> Desktop {
        let display_number = free_display();
        let display = format!(":{display_number}");
        let xvfb = {
            let mut cmd = Command::new("Xvfb");
            cmd.args([&display, "-screen", "0", "1024x800x24", "-nolisten", "tcp"]);
            Process::spawn("xvfb", cmd, dir)
        };
        let socket = format!("/tmp/.X11-unix/X{display_number}");
        crate::wait_until(Duration::from_secs(10), "Xvfb's socket", || {
            Path::new(&socket).exists()
        });

        let home = dir.join("home");
        let config_dir = home.join(".config/hookswitch");
        let runtime = dir.join("run");
        std::fs::create_dir_all(&config_dir).expect("config dir");
        std::fs::create_dir_all(&runtime).expect("runtime dir");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
                .expect("runtime dir mode");
        }
        let sip_port = crate::free_port();
        let device_socket = runtime.join("jabra.sock");
        let descriptor = dir.join("Jabra-EvolveLinkMS.hex");
        std::fs::write(&descriptor, crate::devices::JABRA_EVOLVE_LINK_HEX).expect("descriptor");
        let config = format!(
            "[sip]\nlisten = \"127.0.0.1:{sip_port}\"\naccept_p2p = true\n\n\
             [devices]\nenabled = false\nmicrophone = \"none\"\nspeaker = \"none\"\n{devices_config}\n\n\
             [[devices.simulated]]\ndescriptor = \"{}\"\nsocket = \"{}\"\nname = \"Jabra Evolve Link\"\n\n{extra_config}\n",
            descriptor.display(),
            device_socket.display(),
        );
        let config_path = config_dir.join("config.toml");
        std::fs::write(&config_path, config).expect("config");

        let driver_port = crate::free_port();
        let mut app_env: Vec<(String, String)> = vec![
            ("DISPLAY".into(), display.clone()),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            ("XDG_RUNTIME_DIR".into(), runtime.display().to_string()),
            // English whatever the developer's locale (a test asks for
            // another with LANG in `env`).
            ("LANG".into(), "C.UTF-8".into()),
        ];
        app_env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let tauri_driver = {
            let tool = which("tauri-driver").expect("tauri-driver");
            let mut cmd = Command::new(tool);
            cmd.args([
                "--port",
                &driver_port.to_string(),
                "--native-port",
                &(driver_port + 1).to_string(),
                "--native-driver",
                "/usr/bin/WebKitWebDriver",
            ])
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("WAYLAND_DISPLAY")
            // The app is not in the developer's login session: logind's
            // idle state (the screen they left) is not its own.
            .env_remove("XDG_SESSION_ID")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANGUAGE")
            .env("RUST_LOG", "info,hookswitch_phone=debug")
            .env("HOOKSWITCH_LOG", dir.join("app.log"))
            // The webview's own GPU path is not what is tested, and Xvfb has none.
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            // The app's own (a second instance gets them too), the test's last.
            .envs(app_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            Process::spawn("tauri-driver", cmd, dir)
        };
        crate::wait_until(Duration::from_secs(20), "tauri-driver to listen", || {
            std::net::TcpStream::connect(("127.0.0.1", driver_port)).is_ok()
        });

        let asked = Instant::now();
        let capabilities = json!({
            "tauri:options": {
                "application": app,
                "args": ["--config", config_path],
            }
        });
        // tauri-driver listens before WebKitWebDriver behind it does: a
        // refused connection to the native driver is retried.
        let deadline = Instant::now() + Duration::from_secs(20);
        let driver = loop {
            match WebDriver::connect(driver_port, capabilities.clone()) {
                Ok(d) => break d,
                Err(e) if Instant::now() > deadline => panic!(
                    "no WebDriver session: {e}; tauri-driver's log:\n{}",
                    std::fs::read_to_string(dir.join("tauri-driver.log")).unwrap_or_default()
                ),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        // The phone is up: "ready", or an account's registration (which
        // may be over before the window draws).
        driver.wait_for_css(
            "[data-testid=\"status-ready\"], [data-testid^=\"reg-\"]",
            Duration::from_secs(30),
        );
        let started_in = asked.elapsed();
        Desktop {
            driver,
            dir: dir.to_path_buf(),
            sip_port,
            device_socket,
            display,
            config_path,
            env: app_env,
            _tauri_driver: tauri_driver,
            _xvfb: xvfb,
            started_in,
        }
    }

    /// Opens `link` as the desktop does: a new process of the app with the
    /// link as its argument, which hands it to the running one and exits
    /// (single-instance over the session bus `bus`).
    pub fn second_instance(&self, link: &str, bus: &str) -> Process {
        let mut cmd = Command::new(app_binary());
        cmd.arg("--config")
            .arg(&self.config_path)
            .arg(link)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .env("HOOKSWITCH_LOG", self.dir.join("second.log"));
        Process::spawn("second-instance", cmd, &self.dir)
    }

    /// Presses keys on the X display (xdotool's names: `ctrl+alt+a`), as a
    /// keyboard would: global hot keys see them.
    pub fn press_keys(&self, keys: &str) {
        self.xdotool(&["key", "--clearmodifiers", keys]);
    }

    /// Gives the window the keyboard focus, as a click on it would (no
    /// window manager runs to do it).
    pub fn focus_window(&self) {
        self.xdotool(&[
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            "Hookswitch",
            "windowfocus",
            "--sync",
        ]);
    }

    /// Types `text` on the X display, key by key.
    pub fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "20", text]);
    }

    /// Presses Tab until `test_id` has the focus, at most `presses` times;
    /// fails listing where the focus went.
    pub fn tab_to(&self, test_id: &str, presses: usize) {
        let mut path = vec![self.driver.focused()];
        for _ in 0..presses {
            if path.last().is_some_and(|f| f == test_id) {
                return;
            }
            self.press_keys("Tab");
            // The key event reaches the page asynchronously.
            let before = path.last().cloned().unwrap_or_default();
            let deadline = Instant::now() + Duration::from_secs(2);
            let mut now = self.driver.focused();
            while now == before && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
                now = self.driver.focused();
            }
            path.push(now);
        }
        assert!(
            path.last().is_some_and(|f| f == test_id),
            "Tab never reached {test_id}; the focus went: {path:?}"
        );
    }

    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .status()
            .expect("xdotool");
        assert!(status.success(), "xdotool {args:?}");
    }

    /// Opens Settings > Add an account and fills the wizard (account "work").
    pub fn fill_account_wizard(&self, user: &str, domain: &str, password: &str) {
        let (d, t) = (&self.driver, Duration::from_secs(20));
        d.wait_for("nav-settings", t).click().expect("Settings");
        d.wait_for("add-account", t)
            .click()
            .expect("Add an account");
        d.type_into("account-name", "work", t);
        d.type_into("account-user", user, t);
        d.type_into("account-domain", domain, t);
        d.type_into("account-password", password, t);
    }

    /// The app's log (it writes to tauri-driver's output).
    pub fn log(&self) -> String {
        self._tauri_driver.log()
    }

    /// Connects to the simulated headset inside the app.
    pub fn headset(&self) -> Headset {
        Headset::connect(&self.device_socket)
    }

    /// Saves the window as `<name>.png` in the target's screenshot folder
    /// (a test artifact) and, when `HOOKSWITCH_SCREENSHOTS` names a folder
    /// (`cargo xtask screenshots`: docs/screenshots), there too. The X
    /// display is captured (WebKitWebDriver's own screenshot waits for a
    /// compositor frame that never comes under Xvfb), cut to the window,
    /// which sits at the origin with no window manager.
    pub fn screenshot(&self, name: &str) {
        let size = self
            .driver
            .execute("return [window.innerWidth, window.innerHeight]")
            .ok()
            .and_then(|v| Some((v.get(0)?.as_u64()?, v.get(1)?.as_u64()?)))
            .unwrap_or((420, 720));
        let artifacts = app_binary()
            .parent()
            .expect("target dir")
            .join("desktop-screenshots");
        std::fs::create_dir_all(&artifacts).expect("screenshot dir");
        let path = artifacts.join(format!("{name}.png"));
        let xwd = Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.display])
            .output()
            .expect("xwd (x11-apps)");
        assert!(xwd.status.success(), "xwd failed");
        let mut convert = Command::new("/usr/bin/convert-im6.q16")
            .args([
                "xwd:-",
                "-crop",
                &format!("{}x{}+0+0", size.0, size.1),
                "+repage",
            ])
            .arg(format!("png:{}", path.display()))
            .stdin(Stdio::piped())
            .spawn()
            .expect("ImageMagick's convert");
        convert
            .stdin
            .take()
            .expect("stdin")
            .write_all(&xwd.stdout)
            .expect("convert's input");
        assert!(convert.wait().expect("convert").success(), "convert failed");
        if let Some(dir) = std::env::var_os("HOOKSWITCH_SCREENSHOTS") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            std::fs::copy(&path, dir.join(format!("{name}.png"))).expect("screenshot copy");
        }
    }

    /// The configuration file as the app last saved it.
    pub fn saved_config(&self) -> String {
        std::fs::read_to_string(&self.config_path).unwrap_or_default()
    }

    /// The app's own log (`HOOKSWITCH_LOG`).
    pub fn app_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("app.log")).unwrap_or_default()
    }
}

impl Drop for Desktop {
    /// A failing test shows what the app logged: the page text alone seldom
    /// says why a state never came.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.app_log();
            let tail: Vec<&str> = log.lines().rev().take(150).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!("--- the app's log, its last lines ---\n{}", tail.join("\n"));
        }
    }
}

/// The window as a PBX user: the account "work" of alice at the kamailio
/// on `kport` (with `more` account lines, e.g. `presence = true\n`), its
/// password in the environment, on a session bus of its own (its process
/// and address returned with it); returned once registered.
pub fn alice_at_pbx(dir: &Path, kport: u16, more: &str) -> (Desktop, Process, String) {
    let (bus_process, bus) = session_bus(dir);
    let account =
        format!("[[accounts]]\nname = \"work\"\naor = \"sip:alice@127.0.0.1:{kport}\"\n{more}");
    let app = Desktop::start_with(
        dir,
        &account,
        &[
            ("HOOKSWITCH_PASSWORD_WORK", "alice-secret"),
            ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()),
        ],
    );
    app.driver
        .wait_text("reg-work", Duration::from_secs(20), |t| {
            t.contains("online")
        });
    (app, bus_process, bus)
}

/// A runtime for the engines a desktop test runs beside the window.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
