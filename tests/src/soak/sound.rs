//! Faults, the sound server: `hookswitch listen --auto-answer --mic
//! --speaker` in a call on a private PulseAudio that is restarted again and
//! again. Judged: the call goes on, both streams are opened again after each
//! restart, the descriptors after each are those of before the first and
//! the threads no more (no stream, connection or thread left behind), and
//! the speaker plays the call after the last.

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Report, T, Watch};
use crate::pulse::Pulse;
use crate::{Process, free_port, read_wav};

const PART: &str = "sound server";

pub fn run(bin: &Path, dir: &Path, restarts: u32, report: &mut Report) {
    let mut pulse = Pulse::start(dir, &["mic", "spk"]);
    let home = dir.join("sound-phone");
    std::fs::create_dir_all(home.join("hookswitch")).expect("home");
    let port = free_port();
    let mut listen = pulse.hookswitch(bin, &home);
    listen
        .env("PULSE_SOURCE", "mic.monitor")
        .env("PULSE_SINK", "spk")
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "listen",
            "--auto-answer",
            "--count",
            "1",
            "--mic",
            "--speaker",
        ]);
    let mut listener = Process::spawn("sound-listen", listen, dir);
    listener.wait_for_log("listening on", T);
    let mut caller = super::tone_caller(bin, dir, "sound-caller", port);
    caller.wait_for_log("established", T);
    // Both streams open and settled.
    std::thread::sleep(Duration::from_secs(2));
    let watch = Watch::start(listener.pid());
    let before = watch.sample();

    let (mut reopened, mut missed) = (0u32, Vec::new());
    let mut shapes = Vec::new();
    for i in 1..=restarts {
        pulse.restart();
        // The microphone and the speaker each say so once opened again.
        let want = 2 * i as usize;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let count = listener.log().matches("sound device opened again").count();
            if count >= want {
                reopened += 1;
                break;
            }
            if Instant::now() > deadline {
                missed.push(format!("restart {i}: {count} of {want} reopenings"));
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // The attempts' threads end once they have handed over.
        std::thread::sleep(Duration::from_millis(1500));
        shapes.extend(watch.sample());
    }
    // The speaker after the last restart: the caller's 1 kHz tone.
    let heard = dir.join("sound-after.wav");
    let mut recorder = pulse.record("spk.monitor", &heard);
    std::thread::sleep(Duration::from_secs(3));
    recorder.stop();
    let (samples, rate) = read_wav(&heard);
    let tail = samples.len().saturating_sub(rate as usize * 3 / 2);
    let level = hookswitch_media::tone::rms(&samples[tail..]);
    let call_up = caller.exited().is_none() && !caller.log().contains("ended");

    report.check(
        PART,
        "restarts after which both streams reopened",
        format!(
            "{reopened} of {restarts}{}",
            missed
                .first()
                .map(|m| format!("; first miss: {m}"))
                .unwrap_or_default()
        ),
        format!("{restarts}"),
        reopened == restarts,
    );
    report.check_up(PART, "the call through the restarts", call_up);
    if let Some(before) = before {
        report.check_shapes(PART, "after each restart", &shapes, &before);
    }
    report.check(
        PART,
        "speaker level after the last restart",
        format!("{level:.0} rms"),
        "> 1000".into(),
        level > 1000.0,
    );
    drop(watch);
    caller.stop();
    listener.stop();
}
