//! A private PulseAudio server with null sinks, for tests of the sound path.
//! cpal's ALSA host reaches it through the pulse ALSA plugin; a process picks
//! its devices with PULSE_SINK / PULSE_SOURCE. Each null sink's monitor is a
//! source: playing a file into sink `mic_a` makes `mic_a.monitor` a microphone
//! that says it.
//!
//! A null sink with no latency request renders in blocks of two seconds, and
//! a stream that connects mid-block waits for the block to end: a random
//! 0-2 s stall of every new stream, which real sound cards do not have. A
//! low-latency recorder on each sink's monitor keeps the blocks at 5 ms, once
//! the block the sink was in when it connected has ended: a few samples played
//! to each sink, drained, wait for that.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::Process;

pub struct Pulse {
    pub runtime: PathBuf,
    dir: PathBuf,
    sinks: Vec<String>,
    /// Dropped before the server (fields drop in order).
    keepers: Vec<Process>,
    process: Process,
}

impl Pulse {
    /// Starts PulseAudio in `dir` with a null sink per name.
    pub fn start(dir: &Path, sinks: &[&str]) -> Pulse {
        let runtime = dir.join("pulse-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        let process = Self::spawn(dir, &runtime, sinks);
        let mut pulse = Pulse {
            runtime,
            dir: dir.into(),
            sinks: sinks.iter().map(|s| s.to_string()).collect(),
            keepers: Vec::new(),
            process,
        };
        pulse.wait_ready();
        pulse.keep_latency_low();
        pulse
    }

    /// Stops the server and starts it again with the same sinks (what a
    /// desktop's sound server restart looks like to its clients).
    pub fn restart(&mut self) {
        self.keepers.clear();
        self.process.stop();
        let sinks: Vec<&str> = self.sinks.iter().map(String::as_str).collect();
        self.process = Self::spawn(&self.dir, &self.runtime, &sinks);
        self.wait_ready();
        self.keep_latency_low();
    }

    /// One silent low-latency recorder per sink's monitor (see the module
    /// comment).
    fn keep_latency_low(&mut self) {
        self.keepers = self
            .sinks
            .iter()
            .map(|s| {
                let mut c = self.command("parecord");
                c.args(["--latency-msec=5", "--raw", "--device"])
                    .arg(format!("{s}.monitor"))
                    .arg("/dev/null");
                Process::spawn("pulse-latency", c, &self.dir)
            })
            .collect();
        crate::wait_until(Duration::from_secs(10), "the recorders to connect", || {
            self.command("pactl")
                .args(["list", "short", "source-outputs"])
                .output()
                .is_ok_and(|o| {
                    o.stdout
                        .split(|&b| b == b'\n')
                        .filter(|l| !l.is_empty())
                        .count()
                        >= self.sinks.len()
                })
        });
        let silence = self.dir.join("pulse-drain.raw");
        std::fs::write(&silence, [0u8; 960]).expect("silence");
        for sink in &self.sinks {
            let drained = self
                .command("pacat")
                .args(["--playback", "--raw", "--device", sink])
                .arg(&silence)
                .status()
                .is_ok_and(|s| s.success());
            assert!(drained, "pacat could not play to {sink}");
        }
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

    /// Records `device` (a source, e.g. `spk_b.monitor`) to a WAV file until
    /// the process is stopped. Small fragments: parecord's default of 2 s
    /// loses the last one at stop.
    pub fn record(&self, device: &str, file: &Path) -> Process {
        let mut rec = self.command("parecord");
        rec.args([
            &format!("--device={device}"),
            "--latency-msec=20",
            "--file-format=wav",
        ])
        .arg(file);
        Process::spawn(&format!("parecord-{device}"), rec, &self.dir)
    }

    /// Waits until the WAV file `file`, being recorded, holds a loud 20 ms
    /// frame `from` seconds or more into it; returns when in the recording
    /// the sound began. For a test that must hold a sound for a while once it
    /// is heard, whenever the player starts (opening a device, a sound
    /// server's first block).
    pub fn wait_for_sound(file: &Path, from: f64, timeout: Duration) -> f64 {
        let mut onset = None;
        crate::wait_until(timeout, "sound in the recording", || {
            onset = recorded_so_far(file).and_then(|(mono, rate)| {
                let frame = (rate / 50) as usize;
                let skip = (from * f64::from(rate)) as usize / frame;
                mono.chunks_exact(frame)
                    .enumerate()
                    .skip(skip)
                    .find(|(_, c)| hookswitch_media::tone::rms(c) > 500.0)
                    .map(|(i, _)| i as f64 * 0.02)
            });
            onset.is_some()
        });
        onset.unwrap_or_default()
    }

    /// `hookswitch` (at `bin`) on this server, its configuration and state
    /// under `home`, logging what its sound devices do (opened, ended,
    /// opened again).
    pub fn hookswitch(&self, bin: &Path, home: &Path) -> Command {
        let mut c = self.command(&bin.to_string_lossy());
        c.env("XDG_CONFIG_HOME", home)
            .env("XDG_STATE_HOME", home)
            .env("XDG_DATA_HOME", home)
            .env("RUST_LOG", "hookswitch_phone=info,hookswitch_devices=info");
        c
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

/// The first channel of a 16-bit WAV file that is still being written (its
/// header's sizes not yet filled in), and its rate; `None` before the header.
fn recorded_so_far(file: &Path) -> Option<(Vec<i16>, u32)> {
    let bytes = std::fs::read(file).ok()?;
    let mut at = 12;
    let (mut channels, mut rate, mut bits) = (0usize, 0u32, 0u16);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = at + 8;
        if id == b"fmt " && body + 16 <= bytes.len() {
            channels = usize::from(u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]));
            rate = u32::from_le_bytes(bytes[body + 4..body + 8].try_into().ok()?);
            bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
        }
        if id == b"data" {
            if channels == 0 || bits != 16 {
                return None;
            }
            let mono = bytes[body..]
                .chunks_exact(2 * channels)
                .map(|f| i16::from_le_bytes([f[0], f[1]]))
                .collect();
            return Some((mono, rate));
        }
        at = body + size + (size & 1);
    }
    None
}
