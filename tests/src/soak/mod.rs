//! `cargo xtask soak`: a running phone under floods, faults and hours of
//! calls, each part measured from outside (the process's RSS, descriptors,
//! threads and CPU from /proc, its audio from a recording) into a report of
//! figures, each with the limit it is held to. A short version of each part
//! runs in `cargo xtask test` (crates/cli/tests/soak.rs).

pub mod calls;
pub mod flood;
pub mod gadget;
pub mod headset;
pub mod listen;
pub mod network;
pub mod registrar;
pub mod report;
pub mod sound;
pub mod watch;

pub use report::Report;
pub use watch::{Sample, Watch};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Process, free_port, hookswitch_in};

/// How long a step may take before the part fails.
pub const T: Duration = Duration::from_secs(20);

/// A `hookswitch run` for a part: its home (configuration, runtime dir with
/// the control socket, recordings), its SIP port.
pub struct Daemon {
    pub bin: PathBuf,
    pub home: PathBuf,
    pub port: u16,
    pub process: Process,
}

impl Daemon {
    /// Starts `hookswitch run` on a port of its own with `config` added to
    /// a configuration that takes calls straight to its address, uses no
    /// sound device and records into `home/recordings`; its open-file limit
    /// is `max_files` (the usual 1024 of a desktop session).
    pub fn start(bin: &Path, dir: &Path, name: &str, config: &str, max_files: u64) -> Daemon {
        Daemon::start_with(bin, dir, name, config, "", &[], max_files)
    }

    /// As `start`, with `tables` (TOML tables such as
    /// `[[devices.simulated]]`) at the end of the configuration and `env`
    /// (an account's `HOOKSWITCH_PASSWORD_<NAME>`) in its environment.
    pub fn start_with(
        bin: &Path,
        dir: &Path,
        name: &str,
        config: &str,
        tables: &str,
        env: &[(&str, &str)],
        max_files: u64,
    ) -> Daemon {
        use std::os::unix::process::CommandExt;
        let home = Daemon::home(dir, name);
        let port = free_port();
        std::fs::write(
            home.join("hookswitch/config.toml"),
            format!(
                "[sip]\nlisten = \"127.0.0.1:{port}\"\naccept_p2p = true\n{config}\n\
                 [devices]\nenabled = false\nmicrophone = \"none\"\nspeaker = \"none\"\n\
                 [recording]\nfolder = \"{}\"\n{tables}\n",
                home.join("recordings").display()
            ),
        )
        .expect("config");
        let mut run = Command::new(bin);
        run.envs(env.iter().copied());
        // SAFETY: setrlimit only, between fork and exec.
        unsafe {
            run.pre_exec(move || {
                let limit = libc::rlimit {
                    rlim_cur: max_files,
                    rlim_max: max_files,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        Daemon::launch(bin, dir, name, home, port, run)
    }

    /// A private home (0700, as the control socket's folder must be) for
    /// the daemon `name` under `dir`, with its configuration folder.
    pub fn home(dir: &Path, name: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let home = dir.join(name);
        std::fs::create_dir_all(home.join("hookswitch")).expect("home");
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).expect("0700");
        home
    }

    /// Runs `command` (`bin`, or a wrapper such as `ip netns exec NS bin`)
    /// as `hookswitch run` in `home` (its configuration written there,
    /// listening on `port`) and waits until it is ready.
    pub fn launch(
        bin: &Path,
        dir: &Path,
        name: &str,
        home: PathBuf,
        port: u16,
        mut command: Command,
    ) -> Daemon {
        // The environment hookswitch_in gives, on a command of the caller's.
        for (key, value) in hookswitch_in(&bin.to_string_lossy(), &home).get_envs() {
            match value {
                Some(v) => command.env(key, v),
                None => command.env_remove(key),
            };
        }
        command.arg("run");
        let process = Process::spawn(name, command, dir);
        process.wait_for_log("ready on", T);
        Daemon {
            bin: bin.to_path_buf(),
            home,
            port,
            process,
        }
    }

    /// `hookswitch ARGS` against this daemon's control socket.
    pub fn command(&self) -> Command {
        hookswitch_in(&self.bin.to_string_lossy(), &self.home)
    }

    /// Runs `hookswitch ARGS` against the daemon within `timeout`: its
    /// standard output, or why not.
    pub fn ask(&self, args: &[&str], timeout: Duration) -> Result<String, String> {
        ask(&self.bin, &self.home, args, timeout)
    }

    /// Sends one action (its JSON, `{"cmd": "call", ...}`) to the control
    /// socket: the reply line, or why not.
    pub fn act(&self, action: &str) -> Result<String, String> {
        use std::io::{BufRead, Write};
        let path = self.home.join("hookswitch.sock");
        let mut stream = std::os::unix::net::UnixStream::connect(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        stream
            .set_read_timeout(Some(T))
            .map_err(|e| e.to_string())?;
        stream
            .write_all(format!("{action}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        std::io::BufReader::new(stream)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.contains("\"ok\":true") {
            return Err(line.trim().to_string());
        }
        Ok(line)
    }

    /// The calls the daemon lists (`hookswitch calls`: its state's calls).
    pub fn calls(&self) -> Vec<serde_json::Value> {
        self.ask(&["calls"], T)
            .ok()
            .and_then(|out| serde_json::from_str::<Vec<serde_json::Value>>(&out).ok())
            .unwrap_or_default()
    }

    /// The ids of the calls in `phase` ("incoming", "connected"...).
    pub fn calls_in(&self, phase: &str) -> Vec<u64> {
        self.calls()
            .iter()
            .filter(|c| {
                c.get("phase")
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| p.eq_ignore_ascii_case(phase))
            })
            .filter_map(|c| c.get("id")?.as_u64())
            .collect()
    }

    /// The first call ringing here, waiting up to `limit` for one.
    pub fn ringing(&self, limit: Duration) -> Option<u64> {
        let mut id = None;
        wait_for(limit, || {
            id = self.calls_in("incoming").first().copied();
            id.is_some()
        });
        id
    }

    /// The newest WAV file in the recordings folder.
    pub fn recording(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.home.join("recordings"))
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    }
}

/// `hookswitch call` (its own home under `dir`, named `name`) to the phone
/// on 127.0.0.1:`port`, sending a 1 kHz tone.
pub fn tone_caller(bin: &Path, dir: &Path, name: &str, port: u16) -> Process {
    let home = dir.join(name);
    std::fs::create_dir_all(&home).expect("home");
    let mut call = hookswitch_in(&bin.to_string_lossy(), &home);
    call.args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        &format!("sip:hs@127.0.0.1:{port}"),
        "--tone",
        "1000",
    ]);
    Process::spawn(name, call, dir)
}

/// What a call recording heard (its last channel: the right of a stereo
/// recording, the only one of a mono one) and its sample rate.
pub fn heard(path: &Path) -> Result<(Vec<i16>, u32), String> {
    let reader = hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels).max(1);
    let samples = reader
        .into_samples::<i16>()
        .filter_map(Result::ok)
        .skip(channels - 1)
        .step_by(channels)
        .collect();
    Ok((samples, spec.sample_rate))
}

/// Checks `check` every 50 ms until it holds (the seconds that took) or
/// `limit` has passed (None).
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> Option<f64> {
    let start = std::time::Instant::now();
    loop {
        if check() {
            return Some(start.elapsed().as_secs_f64());
        }
        if start.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The longest stretch, in ms, where the heard tone (the right channel of a
/// call recording) fell silent between its first and last sound: 10 ms
/// blocks whose level is under a tenth of the median block's.
pub fn longest_gap_ms(path: &Path) -> Result<(f64, f64), String> {
    let (samples, rate) = heard(path)?;
    let block = (rate / 100).max(1) as usize;
    let levels: Vec<f64> = samples
        .chunks(block)
        .map(|c| (c.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / c.len() as f64).sqrt())
        .collect();
    let mut sorted = levels.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    if median < 100.0 {
        return Err(format!(
            "{}: nothing heard (median level {median:.0})",
            path.display()
        ));
    }
    let loud: Vec<bool> = levels.iter().map(|&l| l >= median / 10.0).collect();
    let (Some(first), Some(last)) = (loud.iter().position(|&l| l), loud.iter().rposition(|&l| l))
    else {
        return Err("no sound".into());
    };
    let (mut longest, mut run) = (0usize, 0usize);
    for &l in &loud[first..=last] {
        run = if l { 0 } else { run + 1 };
        longest = longest.max(run);
    }
    let heard_s = (last - first + 1) as f64 / 100.0;
    Ok((longest as f64 * 10.0, heard_s))
}

/// Runs `hookswitch ARGS` (`bin`, with its home `home`) within `timeout`:
/// its standard output, or why not.
pub fn ask(bin: &Path, home: &Path, args: &[&str], timeout: Duration) -> Result<String, String> {
    let mut c = hookswitch_in(&bin.to_string_lossy(), home);
    c.args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().map_err(|e| e.to_string())?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no answer within {timeout:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
