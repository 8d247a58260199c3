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
    process: Process,
}

impl Pulse {
    /// Starts PulseAudio in `dir` with a null sink per name.
    pub fn start(dir: &Path, sinks: &[&str]) -> Pulse {
        let runtime = dir.join("pulse-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let mut cmd = Command::new("pulseaudio");
        cmd.env("XDG_RUNTIME_DIR", &runtime).env("HOME", dir).args([
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
        let process = Process::spawn("pulseaudio", cmd, dir);
        let pulse = Pulse { runtime, process };
        crate::wait_until(Duration::from_secs(10), "PulseAudio to start", || {
            pulse
                .command("pactl")
                .args(["list", "short", "sinks"])
                .output()
                .is_ok_and(|o| {
                    let text = String::from_utf8_lossy(&o.stdout);
                    sinks.iter().all(|s| text.contains(s))
                })
        });
        pulse
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
