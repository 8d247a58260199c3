//! Faults, the headset: a simulated Jabra Evolve Link (its real report
//! descriptor, served on a socket by `hookswitch run` from
//! `devices.simulated`) answers a call and is then unplugged and plugged
//! back in again and again, the microphone muted and unmuted through the
//! control socket now and then. Judged: after each plug the headset is shown
//! the call as it is (Off-Hook lit, Mute as the call's), no other report
//! first; the call goes on; descriptors and threads after the cycles are
//! those of before (no reader, socket or thread left behind by a device that
//! went).

use std::path::Path;
use std::time::{Duration, Instant};

use super::{Daemon, Report, T, Watch};
use crate::devices::{Headset, JABRA_EVOLVE_LINK_HEX};

const PART: &str = "headset";

/// The Evolve Link's LED report: ID 2, bit 0 Off-Hook, bit 1 Mute.
fn leds(mute: bool) -> Vec<u8> {
    vec![0x02, if mute { 0x03 } else { 0x01 }, 0x00]
}

/// Mute changes every this many cycles.
const MUTE_EVERY: u32 = 10;

pub fn run(bin: &Path, dir: &Path, cycles: u32, report: &mut Report) {
    let descriptor = dir.join("jabra.hex");
    std::fs::write(&descriptor, JABRA_EVOLVE_LINK_HEX).expect("descriptor");
    let socket = dir.join("jabra.sock");
    let mut daemon = Daemon::start_with(
        bin,
        dir,
        "headset-phone",
        "",
        &format!(
            "[[devices.simulated]]\ndescriptor = \"{}\"\nsocket = \"{}\"\n",
            descriptor.display(),
            socket.display()
        ),
        &[],
        1024,
    );
    let mut headset = Headset::connect(&socket);
    let mut caller = super::tone_caller(bin, dir, "headset-caller", daemon.port);
    // It rings; lifting the headset answers it.
    let id = daemon.ringing(T).expect("the call never rang");
    headset.report("02 01 00");
    caller.wait_for_log("established", T);
    headset.wait_shown("Off-Hook", T, |r| r == leds(false).as_slice());
    let watch = Watch::start(daemon.process.pid());
    let before = watch.sample();

    let mut mute = false;
    let (mut right, mut flickers) = (0u32, 0u32);
    let mut first_miss: Option<String> = None;
    let mut shapes = Vec::new();
    let mut miss = |what: String| {
        if first_miss.is_none() {
            first_miss = Some(what);
        }
    };
    let began = Instant::now();
    for i in 1..=cycles {
        if i % MUTE_EVERY == 0 {
            mute = !mute;
            let state = if mute { "on" } else { "off" };
            if let Err(e) = daemon.ask(&["mute", &id.to_string(), state], T) {
                miss(format!("cycle {i}: mute {state}: {e}"));
            }
        }
        if let Err(e) = headset.command("unplug") {
            miss(format!("cycle {i}: unplug: {e}"));
            continue;
        }
        let mut shown = match headset.command("plug") {
            Ok(shown) => shown,
            Err(e) => {
                miss(format!("cycle {i}: plug: {e}"));
                continue;
            }
        };
        // The first report the device is written must be the call's state.
        let want = leds(mute);
        let mut seen = Vec::new();
        if shown.is_empty()
            && let Some(r) = headset.shown_within(Duration::from_secs(5), |_| true, &mut seen)
        {
            shown.push(r);
        }
        match shown.first() {
            Some(first) if *first == want => right += 1,
            Some(first) => {
                flickers += 1;
                miss(format!(
                    "cycle {i}: first shown {first:02x?}, the call is {want:02x?}"
                ));
                // Count it right if the state follows at once.
                if shown.contains(&want)
                    || headset
                        .shown_within(Duration::from_secs(5), |r| r == want.as_slice(), &mut seen)
                        .is_some()
                {
                    right += 1;
                }
            }
            None => miss(format!("cycle {i}: nothing shown after the plug")),
        }
        if i % 100 == 0 || i == cycles {
            // The reader of the device just unplugged has ended by now
            // ("ok" to unplug comes after it).
            shapes.extend(watch.sample());
        }
    }
    let took = began.elapsed().as_secs_f64();
    let call_up = caller.exited().is_none() && daemon.calls_in("connected").contains(&id);

    report.check(
        PART,
        "plug cycles with the call's LEDs shown",
        format!(
            "{right} of {cycles} in {took:.0} s{}",
            first_miss
                .as_ref()
                .map(|m| format!("; first miss: {m}"))
                .unwrap_or_default()
        ),
        format!("{cycles}"),
        right == cycles,
    );
    report.check(
        PART,
        "plugs whose first report was not the call's state",
        flickers.to_string(),
        "0".into(),
        flickers == 0,
    );
    report.check_up(PART, "the call through the cycles", call_up);
    if let Some(before) = before {
        report.check_shapes(PART, "every 100 cycles", &shapes, &before);
        let after = shapes.last().map_or(before.rss_mb, |s| s.rss_mb);
        report.check(
            PART,
            "RSS growth over the cycles",
            format!(
                "{:+.2} MB ({:.1} -> {after:.1})",
                after - before.rss_mb,
                before.rss_mb
            ),
            "< 2 MB".into(),
            after - before.rss_mb < 2.0,
        );
    }
    drop(watch);
    caller.stop();
    daemon.process.stop();
}
