//! `cargo xtask bench lean [--seconds N]`: what a headless call and an idle
//! phone cost on this machine, next to baresip measured the same way in the
//! same run (issue 22). Usage: bench-lean --hookswitch PATH [--seconds N]
//! [--only TEXT] (only the rows whose name has TEXT: "Opus", "PulseAudio",
//! "idle").
//!
//! - A call: a pair of processes on loopback, both sides playing the same
//!   tone file and playing nothing to a sound device: `hookswitch call
//!   --play` to `hookswitch listen --auto-answer --play`, and baresip to
//!   baresip (aufile source, nil player, auto answer), both pairs at the same
//!   time. CPU is each process's time on the CPU (its threads'
//!   /proc/PID/task/*/schedstat) over N seconds (default 30) of the
//!   established call, scaled to a minute; peak RSS is VmHWM at the end.
//!   Rows for PCMU, G.722 and Opus, and PCMU with both sides on a PulseAudio
//!   sound device (a private server's null sinks; each microphone hears a
//!   tone paplay plays into it): once with our echo canceller off, as
//!   baresip runs none (the like-for-like row), and once with it on, as a
//!   laptop's speaker and microphone would have it.
//! - Idle: `hookswitch run` with no account next to baresip with no
//!   registration: wake-ups per second (context switches of all threads,
//!   /proc/PID/task/*/status) and RSS over N seconds.
//! - The size of the `hookswitch` binary measured.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::pulse::Pulse;
use std::process::Command;

use hookswitch_tests::{Process, free_port, hookswitch_in, write_tone};

const T: Duration = Duration::from_secs(20);
/// After the call is up: jitter buffers filled, first RTCP sent.
const SETTLE: Duration = Duration::from_secs(2);

/// What the kernel counts for a process so far.
#[derive(Debug, Clone, Copy)]
struct Usage {
    cpu_seconds: f64,
    switches: u64,
}

fn usage(pid: u32) -> Usage {
    let (mut cpu_ns, mut switches) = (0u64, 0u64);
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            // Time on the CPU in ns, to the nanosecond (stat's utime and
            // stime are sampled at 100 Hz: too coarse for 1% of a CPU).
            let schedstat = std::fs::read_to_string(t.path().join("schedstat")).unwrap_or_default();
            cpu_ns += schedstat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
    }
    Usage {
        cpu_seconds: cpu_ns as f64 / 1e9,
        switches,
    }
}

/// A `/proc/PID/status` figure in MB (VmHWM, VmRSS).
fn status_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One side's figures over the measured stretch.
#[derive(Debug, Clone, Copy)]
struct Side {
    cpu_per_minute: f64,
    peak_rss_mb: f64,
}

/// Measures `pids` over the same `seconds` from now.
fn measure<const N: usize>(pids: [u32; N], seconds: u64) -> [Side; N] {
    let start = pids.map(usage);
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let elapsed = wall.elapsed().as_secs_f64();
    std::array::from_fn(|i| Side {
        cpu_per_minute: (usage(pids[i]).cpu_seconds - start[i].cpu_seconds) / elapsed * 60.0,
        peak_rss_mb: status_mb(pids[i], "VmHWM:"),
    })
}

struct Codec {
    name: &'static str,
    ours: &'static str,
    baresip: &'static str,
    rate: u32,
    /// baresip's aufile wants the file's channels to be the codec's.
    channels: u16,
}

const CODECS: [Codec; 3] = [
    Codec {
        name: "PCMU",
        ours: "PCMU",
        baresip: "PCMU/8000/1",
        rate: 8000,
        channels: 1,
    },
    Codec {
        name: "G.722",
        ours: "G722",
        baresip: "G722/16000/1",
        rate: 16000,
        channels: 1,
    },
    Codec {
        name: "Opus",
        ours: "opus",
        baresip: "opus/48000/2",
        rate: 48000,
        channels: 2,
    },
];

fn home(dir: &Path, name: &str, config: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join(name);
    std::fs::create_dir_all(home.join("hookswitch")).expect("home");
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).expect("0700");
    std::fs::write(home.join("hookswitch/config.toml"), config).expect("config");
    home
}

/// Where a side's sound comes from and goes.
#[derive(Clone, Copy)]
enum Sound<'a> {
    /// The tone file, and nothing played.
    File(&'a Path),
    /// PulseAudio: the microphone `mic_<side>.monitor`, the speaker
    /// `spk_<side>`; with or without our echo canceller.
    Pulse(&'a Pulse, Echo),
}

#[derive(Clone, Copy, PartialEq)]
enum Echo {
    Off,
    On,
}

/// A hookswitch command for `side` ("a" or "b") with `sound`.
fn side_command(bin: &str, home: &Path, side: &str, sound: Sound) -> Command {
    let mut c = hookswitch_in(bin, home);
    match sound {
        Sound::File(_) => {}
        Sound::Pulse(pulse, _) => {
            c.env(
                "PULSE_SERVER",
                format!("unix:{}", pulse.runtime.join("pulse/native").display()),
            )
            .env("PULSE_SOURCE", format!("mic_{side}.monitor"))
            .env("PULSE_SINK", format!("spk_{side}"));
        }
    }
    c
}

fn sound_args(c: &mut Command, sound: Sound) {
    match sound {
        Sound::File(tone) => {
            c.arg("--play").arg(tone);
        }
        Sound::Pulse(_, echo) => {
            c.args(["--mic", "--speaker", "--echo-cancellation"]);
            c.arg(if echo == Echo::On { "on" } else { "off" });
        }
    }
}

/// A Hookswitch call, established: (caller, callee).
fn hookswitch_call(
    bin: &str,
    dir: &Path,
    codec: &Codec,
    sound: Sound,
    seconds: u64,
) -> [Process; 2] {
    let devices = match sound {
        Sound::File(_) => "[devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n",
        Sound::Pulse(..) => "",
    };
    let config = format!("[audio]\ncodecs = [\"{}\"]\n{devices}", codec.ours);
    let tag = match sound {
        Sound::File(_) => codec.ours.to_string(),
        Sound::Pulse(_, Echo::Off) => format!("{}-pulse", codec.ours),
        Sound::Pulse(_, Echo::On) => format!("{}-pulse-echo", codec.ours),
    };
    let (a, b) = (
        home(dir, &format!("a-{tag}"), &config),
        home(dir, &format!("b-{tag}"), &config),
    );
    let port = free_port();
    let mut listen = side_command(bin, &b, "b", sound);
    listen
        .args(["--bind", &format!("127.0.0.1:{port}"), "listen"])
        .args(["--auto-answer", "--count", "1"]);
    sound_args(&mut listen, sound);
    let listen = Process::spawn("listen", listen, &b);
    listen.wait_for_log("ready on", T);
    let mut call = side_command(bin, &a, "a", sound);
    // The target first: `--mic` and `--speaker` take an optional name.
    call.args(["--bind", &format!("127.0.0.1:{}", free_port()), "call"])
        .arg(format!("sip:bench@127.0.0.1:{port}"))
        .args(["--duration", &(seconds + 10).to_string()]);
    sound_args(&mut call, sound);
    let call = Process::spawn("call", call, &a);
    call.wait_for_log("established", T);
    [call, listen]
}

/// A baresip call, established: (caller, callee).
fn baresip_call(dir: &Path, codec: &Codec, tone: &Path, pulse: Option<&Pulse>) -> [Process; 2] {
    let configure = || {
        let b = Baresip::configure(dir, free_port(), tone, codec.baresip, "udp").lean();
        if pulse.is_some() {
            b.on_sound_device()
        } else {
            b
        }
    };
    let (callee, caller) = (configure(), configure());
    let command = |side: &str| {
        let mut c = Command::new("baresip");
        if let Some(pulse) = pulse {
            c.env(
                "PULSE_SERVER",
                format!("unix:{}", pulse.runtime.join("pulse/native").display()),
            )
            .env("PULSE_SOURCE", format!("mic_{side}.monitor"))
            .env("PULSE_SINK", format!("spk_{side}"));
        }
        c
    };
    let callee_p = callee.start_with(command("b"), 3600, None);
    let target = format!("sip:bob@127.0.0.1:{}", callee.port);
    let caller_p = caller.start_with(command("a"), 3600, Some(&target));
    hookswitch_tests::wait_until(T, "baresip's call established", || {
        !caller.calls().is_empty() && !callee.calls().is_empty()
    });
    [caller_p, callee_p]
}

fn idle(bin: &str, dir: &Path, seconds: u64) -> [(f64, f64); 2] {
    let ours = home(dir, "idle", "");
    let mut run = hookswitch_in(bin, &ours);
    run.args(["--bind", &format!("127.0.0.1:{}", free_port()), "run"]);
    let mut run = Process::spawn("run", run, &ours);
    run.wait_for_log("ready on", T);
    let tone = dir.join("idle-tone.wav");
    write_tone(&tone, 440.0, 8000, 1.0);
    let theirs = Baresip::configure(dir, free_port(), &tone, "PCMU/8000/1", "udp").lean();
    let mut baresip = theirs.start(3600, None);
    // Start-up done: the first seconds are not idle.
    std::thread::sleep(SETTLE);
    let pids = [run.pid(), baresip.pid()];
    let start = pids.map(usage);
    let wall = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let elapsed = wall.elapsed().as_secs_f64();
    let out = [0, 1].map(|i| {
        let end = usage(pids[i]);
        (
            (end.switches - start[i].switches) as f64 / elapsed,
            status_mb(pids[i], "VmRSS:"),
        )
    });
    run.stop();
    baresip.stop();
    out
}

fn ratio(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.2}x", ours / theirs)
    } else {
        "-".into()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().skip_while(|a| *a != flag).nth(1).cloned();
    let bin = value("--hookswitch").expect("--hookswitch PATH");
    let seconds: u64 = value("--seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = hookswitch_tests::tempdir();
    let size_mb = std::fs::metadata(&bin).map_or(0.0, |m| m.len() as f64 / 1e6);
    println!(
        "Each call {seconds} s on loopback, both sides playing a 440 Hz tone file, no sound device.\n"
    );
    println!("| what | Hookswitch | baresip | Hookswitch / baresip |\n|---|---|---|---|");
    let pulse = Pulse::start(dir.path(), &["mic_a", "mic_b", "spk_a", "spk_b"]);
    let pulse_tone = dir.path().join("tone-pulse.wav");
    write_tone(&pulse_tone, 440.0, 48000, (seconds * 2 + 60) as f64);
    let _players: Vec<Process> = ["mic_a", "mic_b"]
        .iter()
        .map(|mic| {
            let mut c = pulse.command("paplay");
            c.arg(format!("--device={mic}")).arg(&pulse_tone);
            Process::spawn(&format!("paplay-{mic}"), c, dir.path())
        })
        .collect();
    let only = value("--only");
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let rows = CODECS
        .iter()
        .map(|c| (c, None))
        .chain([(&CODECS[0], Some(Echo::Off)), (&CODECS[0], Some(Echo::On))]);
    for (codec, on_pulse) in rows {
        let name = match on_pulse {
            None => codec.name.to_string(),
            Some(Echo::Off) => format!("{} on PulseAudio", codec.name),
            Some(Echo::On) => format!("{} on PulseAudio, our echo canceller on", codec.name),
        };
        if !wanted(&name) {
            continue;
        }
        let tone = dir
            .path()
            .join(format!("tone-{}-{}.wav", codec.rate, codec.channels));
        hookswitch_tests::write_tone_channels(
            &tone,
            440.0,
            codec.rate,
            (seconds + 30) as f64,
            codec.channels,
        );
        // Both pairs at once: the same machine, the same moment (a VM's
        // idle states make one process's figures move between runs).
        let (ours, theirs) = match on_pulse {
            Some(echo) => (
                hookswitch_call(&bin, dir.path(), codec, Sound::Pulse(&pulse, echo), seconds),
                baresip_call(dir.path(), codec, &tone, Some(&pulse)),
            ),
            None => (
                hookswitch_call(&bin, dir.path(), codec, Sound::File(&tone), seconds),
                baresip_call(dir.path(), codec, &tone, None),
            ),
        };
        std::thread::sleep(SETTLE);
        let [a, b, c, d] = measure(
            [
                ours[0].pid(),
                ours[1].pid(),
                theirs[0].pid(),
                theirs[1].pid(),
            ],
            seconds,
        );
        drop((ours, theirs));
        let (ours, theirs) = ([a, b], [c, d]);
        for (i, side) in ["caller", "callee"].iter().enumerate() {
            println!(
                "| {name} CPU s per call-minute, {side} | {:.3} | {:.3} | {} |",
                ours[i].cpu_per_minute,
                theirs[i].cpu_per_minute,
                ratio(ours[i].cpu_per_minute, theirs[i].cpu_per_minute)
            );
        }
        for (i, side) in ["caller", "callee"].iter().enumerate() {
            println!(
                "| {name} peak RSS MB, {side} | {:.1} | {:.1} | {} |",
                ours[i].peak_rss_mb,
                theirs[i].peak_rss_mb,
                ratio(ours[i].peak_rss_mb, theirs[i].peak_rss_mb)
            );
        }
    }
    if !wanted("idle") {
        println!("| `hookswitch` binary MB (as built) | {size_mb:.1} | | |");
        return;
    }
    let [ours, theirs] = idle(&bin, dir.path(), seconds);
    println!(
        "| idle wake-ups per second | {:.2} | {:.2} | {} |",
        ours.0,
        theirs.0,
        ratio(ours.0, theirs.0)
    );
    println!(
        "| idle RSS MB | {:.1} | {:.1} | {} |",
        ours.1,
        theirs.1,
        ratio(ours.1, theirs.1)
    );
    println!("| `hookswitch` binary MB (as built) | {size_mb:.1} | | |");
}
