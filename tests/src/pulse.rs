//! A private PulseAudio server with null sinks, for tests of the sound path.
//! cpal's ALSA host reaches it through the pulse ALSA plugin; a process picks
//! its devices with PULSE_SINK / PULSE_SOURCE. Each null sink's monitor is a
//! source: playing a file into sink `mic_a` makes `mic_a.monitor` a microphone
//! that says it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::Process;

pub struct Pulse {
    pub runtime: PathBuf,
    dir: PathBuf,
    sinks: Vec<String>,
    process: Process,
}

impl Pulse {
    /// Starts PulseAudio in `dir` with a null sink per name.
    pub fn start(dir: &Path, sinks: &[&str]) -> Pulse {
        let runtime = dir.join("pulse-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let process = Self::spawn(dir, &runtime, sinks);
        let pulse = Pulse {
            runtime,
            dir: dir.into(),
            sinks: sinks.iter().map(|s| s.to_string()).collect(),
            process,
        };
        pulse.wait_ready();
        pulse
    }

    /// Stops the server and starts it again with the same sinks (what a
    /// desktop's sound server restart looks like to its clients).
    pub fn restart(&mut self) {
        self.process.stop();
        let sinks: Vec<&str> = self.sinks.iter().map(String::as_str).collect();
        self.process = Self::spawn(&self.dir, &self.runtime, &sinks);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        crate::wait_until(Duration::from_secs(10), "PulseAudio to start", || {
            self.command("pactl")
                .args(["list", "short", "sinks"])
                .output()
                .is_ok_and(|o| {
                    let text = String::from_utf8_lossy(&o.stdout);
                    self.sinks.iter().all(|s| text.contains(s.as_str()))
                })
        });
    }

    fn spawn(dir: &Path, runtime: &Path, sinks: &[&str]) -> Process {
        let mut cmd = Command::new("pulseaudio");
        cmd.env("XDG_RUNTIME_DIR", runtime).env("HOME", dir).args([
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit=1",
            "--use-pid-file=no",
            "-L",
            "module-native-protocol-unix",
        ]);
        for s in sinks {
            cmd.args(["-L", &format!("module-null-sink sink_name={s} rate=48000")]);
        }
        cmd.args(["-L", "module-always-sink"]);
        Process::spawn("pulseaudio", cmd, dir)
    }

    /// A command that talks to this server.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", &self.runtime);
        c
    }

    pub fn log(&self) -> String {
        self.process.log()
    }
}
