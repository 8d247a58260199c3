//! Media benchmark: speech through a lossy, jittery network into Hookswitch and
//! into baresip, scored by PESQ (ITU-T P.862) at each one's speaker.
//!
//! The same sender (`hookswitch listen --play`) speaks a sentence; the
//! receiver under test calls it through an `ImpairedPath` (seeded loss and
//! jitter on the sender's RTP) and plays what it hears on a PulseAudio null
//! sink, whose monitor is recorded. Both receivers see the same losses and
//! delays (same seed). Reported per row: PESQ of each, the mouth-to-ear delay
//! from the first packet reaching the network to the first sample at the
//! speaker, and the receiver's CPU time per minute of call.
//!
//! Usage: bench-media --hookswitch PATH [--codecs PCMU,opus] [--rows 3/0,10/60]
//! [--out DIR] [--venv DIR] (run by `cargo xtask bench media`; `--rows` picks
//! loss%/jitter-ms rows of the nine).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hookswitch_tests::impair::{ImpairedPath, Impairment};
use hookswitch_tests::pulse::Pulse;
use hookswitch_tests::{Process, free_port, wait_until, write_tone_channels};

const SENTENCE: &str = "The birch canoe slid on the smooth planks. Glue the sheet to the \
    dark blue background. It is easy to tell the depth of a well. These days a chicken \
    leg is a rare dish.";

/// Aligns the recording with the reference by cross-correlation, then scores it.
const ANALYSE: &str = r#"
import json, sys
import numpy as np
import scipy.io.wavfile as wf
import scipy.signal as ss
from pesq import pesq

ref_path, rec_path, mode = sys.argv[1:4]
fs, ref = wf.read(ref_path)
fs2, rec = wf.read(rec_path)
assert fs == fs2, (fs, fs2)
ref = ref.astype(np.float64)
rec = np.concatenate([rec.astype(np.float64), np.zeros(len(ref))])
c = ss.correlate(rec, ref, mode="valid", method="fft")
offset = int(np.argmax(c))
deg = rec[offset:offset + len(ref)]
norm = np.sqrt(np.sum(ref * ref) * np.sum(deg * deg))
score = pesq(fs, ref, deg, mode)
print(json.dumps({"offset_s": offset / fs, "pesq": score,
                  "correlation": float(c[offset] / norm) if norm > 0 else 0.0}))
"#;

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Hookswitch,
    Baresip,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Hookswitch => "hookswitch",
            Tool::Baresip => "baresip",
        }
    }
}

struct Codec {
    /// As Hookswitch's configuration names it.
    ours: &'static str,
    /// As baresip's `audio_codecs` names it.
    baresip: &'static str,
    /// baresip's aufile source must match the codec's rate and channels.
    source_rate: u32,
    source_channels: u16,
    /// PESQ's rate and mode.
    pesq_rate: u32,
    pesq_mode: &'static str,
}

fn codec(name: &str) -> Codec {
    match name.to_ascii_lowercase().as_str() {
        "pcmu" => Codec {
            ours: "PCMU",
            baresip: "PCMU/8000/1",
            source_rate: 8000,
            source_channels: 1,
            pesq_rate: 8000,
            pesq_mode: "nb",
        },
        "pcma" => Codec {
            ours: "PCMA",
            baresip: "PCMA/8000/1",
            source_rate: 8000,
            source_channels: 1,
            pesq_rate: 8000,
            pesq_mode: "nb",
        },
        "g722" => Codec {
            ours: "G722",
            baresip: "G722/16000/1",
            source_rate: 16000,
            source_channels: 1,
            pesq_rate: 16000,
            pesq_mode: "wb",
        },
        "opus" => Codec {
            ours: "opus",
            baresip: "opus/48000/2",
            source_rate: 48000,
            source_channels: 2,
            pesq_rate: 16000,
            pesq_mode: "wb",
        },
        other => panic!("unknown codec {other} (PCMU, PCMA, G722, opus)"),
    }
}

struct Outcome {
    pesq: f64,
    correlation: f64,
    delay_ms: f64,
    cpu_per_minute_s: f64,
    lost: u64,
}

struct Bench {
    dir: PathBuf,
    hookswitch: PathBuf,
    python: PathBuf,
    pulse: Pulse,
    /// The sentence at 16 kHz (what the sender plays) and at each PESQ rate.
    reference: PathBuf,
}

fn sox(args: &[&str]) {
    let ok = Command::new("sox")
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "sox {args:?} failed");
}

/// A venv with `pesq` (ITU-T P.862), made once in `dir`.
fn pesq_venv(dir: &Path) -> PathBuf {
    let python = dir.join("bin/python");
    let has_pesq = |p: &Path| {
        Command::new(p)
            .args(["-c", "import pesq, scipy, numpy"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_pesq(&python) {
        return python;
    }
    eprintln!("bench-media: making a venv with pesq in {}", dir.display());
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "python3 -m venv failed (Debian: python3-venv)");
    let ok = Command::new(dir.join("bin/pip"))
        .args(["install", "-q", "numpy", "scipy", "pesq"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok && has_pesq(&python), "pip install pesq failed");
    python
}

/// CPU seconds (user + system) of a running process.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces, in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / per_second)
}

fn write_config(path: &Path, port: u16, codec: &Codec) {
    let text = format!(
        "[sip]\nlisten = \"127.0.0.1:{port}\"\nuser = \"bench\"\n\n[audio]\ncodecs = [\"{}\"]\n",
        codec.ours
    );
    std::fs::write(path, text).expect("config");
}

impl Bench {
    fn run_once(&self, tool: Tool, codec: &Codec, impairment: Impairment, label: &str) -> Outcome {
        let dir = self.dir.join(format!("{label}-{}", tool.name()));
        std::fs::create_dir_all(&dir).expect("run dir");

        // The sender: answers, speaks the sentence, hangs up.
        let sender_port = free_port();
        let sender_config = dir.join("sender.toml");
        write_config(&sender_config, sender_port, codec);
        let mut cmd = Command::new(&self.hookswitch);
        cmd.arg("--config")
            .arg(&sender_config)
            .args(["listen", "--auto-answer", "--count", "1", "--play"])
            .arg(&self.reference);
        let mut sender = Process::spawn("sender", cmd, &dir);
        sender.wait_for_log("listening on", Duration::from_secs(10));
        let path = ImpairedPath::start(
            format!("127.0.0.1:{sender_port}").parse().expect("addr"),
            impairment,
        );

        // The speaker's monitor, recorded from before the call.
        let recording = dir.join("speaker.wav");
        let mut rec = self.pulse.command("parecord");
        rec.args([
            "--device=spk.monitor",
            "--latency-msec=10",
            "--rate=48000",
            "--channels=1",
            "--format=s16le",
            "--file-format=wav",
        ])
        .arg(&recording);
        let mut recorder = Process::spawn("parecord", rec, &dir);
        // When the first recorded sample was taken: now, less what the file holds.
        let mut recording_started = None;
        wait_until(Duration::from_secs(5), "parecord to start", || {
            let size = std::fs::metadata(&recording).map_or(0, |m| m.len());
            if size > 44 + 960 {
                let held = (size - 44) as f64 / (48000.0 * 2.0);
                recording_started = Some(Instant::now() - Duration::from_secs_f64(held));
                true
            } else {
                false
            }
        });
        let recording_started = recording_started.expect("started");

        let uri = format!("sip:alice@{}", path.sip_addr);
        let receiver_port = free_port();
        let mut receiver = match tool {
            Tool::Hookswitch => {
                let config = dir.join("receiver.toml");
                write_config(&config, receiver_port, codec);
                let mut cmd = self.pulse.command(&self.hookswitch.to_string_lossy());
                cmd.arg("--config")
                    .arg(&config)
                    .args(["call", &uri, "--speaker", "default"]);
                Process::spawn("hookswitch-receiver", cmd, &dir)
            }
            Tool::Baresip => {
                let home = dir.join("baresip");
                std::fs::create_dir_all(&home).expect("baresip dir");
                let silence = home.join("silence.wav");
                write_tone_channels(
                    &silence,
                    0.0,
                    codec.source_rate,
                    60.0,
                    codec.source_channels,
                );
                let config = format!(
                    "poll_method epoll\n\
                     sip_listen 127.0.0.1:{receiver_port}\n\
                     net_interface 127.0.0.1\n\
                     audio_player alsa,default\n\
                     audio_source aufile,{silence}\n\
                     audio_alert alsa,default\n\
                     audio_srate 8000-48000\n\
                     module_path /usr/lib/baresip/modules\n\
                     module g711.so\n\
                     module g722.so\n\
                     module opus.so\n\
                     module plc.so\n\
                     module aufile.so\n\
                     module alsa.so\n\
                     module_app account.so\n\
                     module_app menu.so\n\
                     rtp_ports 40000-59999\n",
                    silence = silence.display()
                );
                std::fs::write(home.join("config"), config).expect("baresip config");
                std::fs::write(
                    home.join("accounts"),
                    format!(
                        "<sip:carol@127.0.0.1>;regint=0;audio_codecs={}\n",
                        codec.baresip
                    ),
                )
                .expect("accounts");
                let mut cmd = self.pulse.command("baresip");
                cmd.arg("-f")
                    .arg(&home)
                    .args(["-t", "120", "-e", &format!("/dial {uri}")]);
                Process::spawn("baresip-receiver", cmd, &dir)
            }
        };

        // Until the sender has spoken and hung up; the receiver's CPU meanwhile.
        let mut cpu = 0.0;
        let pid = receiver.pid();
        let ended = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(c) = cpu_seconds(pid) {
                cpu = c;
            }
            if sender.log().contains("ended") && sender.log().contains("call 1") {
                let quiet = Instant::now();
                // The sender logs the end, then exits (--count 1).
                while Instant::now() < quiet + Duration::from_secs(5) {
                    if cpu_seconds(sender.pid()).is_none() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                break;
            }
            assert!(
                Instant::now() < ended,
                "the call did not end:\n{}\n{}",
                sender.log(),
                receiver.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let first = path.first_packet().expect("the sender sent RTP");
        let call_seconds = first.elapsed().as_secs_f64();
        let (_, lost) = path.counts();
        // Let the last buffered audio reach the speaker before stopping.
        std::thread::sleep(Duration::from_millis(500));
        receiver.stop();
        recorder.stop();
        sender.stop();

        let degraded = dir.join(format!("speaker-{}.wav", codec.pesq_rate));
        sox(&[
            &recording.to_string_lossy(),
            "-c",
            "1",
            "-r",
            &codec.pesq_rate.to_string(),
            "-b",
            "16",
            &degraded.to_string_lossy(),
        ]);
        let reference = self
            .reference
            .with_file_name(format!("reference-{}.wav", codec.pesq_rate));
        let script = self.dir.join("analyse.py");
        let out = Command::new(&self.python)
            .arg(&script)
            .arg(&reference)
            .arg(&degraded)
            .arg(codec.pesq_mode)
            .output()
            .expect("python");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "analysis failed: {}\n{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |name: &str| -> f64 {
            let at = text.find(&format!("\"{name}\": ")).expect(name) + name.len() + 4;
            text[at..]
                .split([',', '}'])
                .next()
                .and_then(|v| v.trim().parse().ok())
                .expect(name)
        };
        let played_at = recording_started + Duration::from_secs_f64(field("offset_s"));
        let delay_ms = if played_at >= first {
            played_at.duration_since(first).as_secs_f64() * 1000.0
        } else {
            -(first.duration_since(played_at).as_secs_f64() * 1000.0)
        };
        Outcome {
            pesq: field("pesq"),
            correlation: field("correlation"),
            delay_ms,
            cpu_per_minute_s: cpu / (call_seconds / 60.0),
            lost,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let hookswitch = PathBuf::from(value("--hookswitch").expect("--hookswitch PATH"));
    let codecs: Vec<String> = value("--codecs")
        .unwrap_or_else(|| "PCMU,opus".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let out = value("--out").map_or_else(
        || std::env::temp_dir().join(format!("bench-media-{}", std::process::id())),
        PathBuf::from,
    );
    let venv = value("--venv").map_or_else(|| out.join("venv"), PathBuf::from);
    std::fs::create_dir_all(&out).expect("out dir");
    let python = pesq_venv(&venv);
    std::fs::write(out.join("analyse.py"), ANALYSE).expect("script");

    // The sentence, spoken, at 16 kHz for the sender and at each PESQ rate.
    let spoken = out.join("spoken.wav");
    let ok = Command::new("espeak-ng")
        .args(["-s", "150", "-w"])
        .arg(&spoken)
        .arg(SENTENCE)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "espeak-ng failed");
    let reference = out.join("reference-16000.wav");
    for rate in ["16000", "8000"] {
        let target = out.join(format!("reference-{rate}.wav"));
        sox(&[
            &spoken.to_string_lossy(),
            "-c",
            "1",
            "-r",
            rate,
            "-b",
            "16",
            &target.to_string_lossy(),
            "pad",
            "0.3",
            "0.3",
        ]);
    }
    let pulse = Pulse::start(&out, &["spk"]);
    let bench = Bench {
        dir: out.clone(),
        hookswitch,
        python,
        pulse,
        reference,
    };

    let all: Vec<(f64, u64)> = [0.0, 0.03, 0.10]
        .iter()
        .flat_map(|&loss| [0u64, 30, 60].map(|j| (loss, j)))
        .collect();
    let picked = value("--rows");
    let wanted = |&(loss, jitter): &(f64, u64)| {
        picked.as_deref().is_none_or(|rows| {
            rows.split(',')
                .any(|r| r == format!("{}/{jitter}", (loss * 100.0).round() as u32))
        })
    };
    let mut report = String::from(
        "| codec | loss | jitter | PESQ hookswitch | PESQ baresip | ratio | delay hookswitch | delay baresip | ratio | CPU s/min hookswitch | CPU s/min baresip |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for name in &codecs {
        let codec = codec(name);
        for (i, &(loss, jitter)) in all.iter().enumerate() {
            if !wanted(&(loss, jitter)) {
                continue;
            }
            let impairment = Impairment {
                loss,
                jitter: Duration::from_millis(jitter),
                seed: 0x5EED_0000 + i as u64,
            };
            let label = format!("{}-{:02}loss-{jitter}ms", codec.ours, (loss * 100.0) as u32);
            let ours = bench.run_once(Tool::Hookswitch, &codec, impairment, &label);
            let theirs = bench.run_once(Tool::Baresip, &codec, impairment, &label);
            let line = format!(
                "| {} | {:.0}% | {jitter} ms | {:.2} | {:.2} | {:.2} | {:.0} ms | {:.0} ms | {:.2} | {:.2} | {:.2} |\n",
                codec.ours,
                loss * 100.0,
                ours.pesq,
                theirs.pesq,
                ours.pesq / theirs.pesq,
                ours.delay_ms,
                theirs.delay_ms,
                ours.delay_ms / theirs.delay_ms,
                ours.cpu_per_minute_s,
                theirs.cpu_per_minute_s,
            );
            eprintln!(
                "{label}: lost {}/{} packets; correlation {:.3}/{:.3}",
                ours.lost, theirs.lost, ours.correlation, theirs.correlation
            );
            print!("{line}");
            let _ = std::io::stdout().flush();
            report.push_str(&line);
        }
    }
    let file = out.join("bench-media.md");
    std::fs::write(&file, &report).expect("report");
    println!("\n{report}\nwritten to {}", file.display());
}
