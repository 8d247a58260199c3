//! The gadget unplugged and plugged back in again and again (`/etc/plug-cycles`
//! holds how many; `cargo xtask soak` asks for 50, the suite for a few): each
//! time the device must be dropped, found again as a new device and shown
//! the state of the moment (Off-Hook, with Mute on every other cycle), and
//! afterwards this process must hold the descriptors and threads it held
//! before the first cycle (no hidraw node, reader or thread left behind).

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::wait_event;
use hookswitch_devices::{DeviceEvent, DeviceId, DeviceManager};
use hookswitch_hid::DeviceState;

use super::{WAIT, added, bind, expect_output, percentile, unbind};

/// How many cycles the image asks for, and whether only they are wanted
/// (`50 only`: the soak's boot skips the other devices).
pub fn wanted() -> (u32, bool) {
    let text = std::fs::read_to_string("/etc/plug-cycles").unwrap_or_default();
    let mut words = text.split_whitespace();
    let n = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    (n, words.next() == Some("only"))
}

/// This process's open descriptors and threads.
fn shape() -> (usize, usize) {
    let fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    let threads = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0);
    (fds, threads)
}

pub fn run(
    udc: &str,
    manager: &DeviceManager,
    rx: &Receiver<DeviceEvent>,
    gadget: &mut std::fs::File,
    mut current: DeviceId,
    cycles: u32,
) -> Result<(), String> {
    let before = shape();
    let mut to_added = Vec::new();
    for i in 1..=cycles {
        let mute = i % 2 == 0;
        manager.show(DeviceState {
            off_hook: true,
            mute,
            ..Default::default()
        });
        let want = [0x02, if mute { 0x03 } else { 0x01 }, 0x00];
        // Shown to the device plugged in now (unless it already showed it).
        let _ = super::read_output(gadget, Duration::from_millis(500));
        unbind()?;
        match wait_event(rx, WAIT, |e| matches!(e, DeviceEvent::Removed(_))) {
            Some(DeviceEvent::Removed(id)) if id == current => {}
            other => {
                return Err(format!(
                    "cycle {i}: unplug: expected Removed, got {other:?}"
                ));
            }
        }
        let t = Instant::now();
        bind(udc)?;
        let again = added(rx).map_err(|e| format!("cycle {i}: {e}"))?;
        to_added.push(t.elapsed());
        if again.id == current {
            return Err(format!(
                "cycle {i}: a replugged device must be a new device"
            ));
        }
        current = again.id;
        expect_output(gadget, &want, &format!("cycle_{i}_leds"))?;
    }
    // The last device's reader is running, as before the first cycle; a
    // reader of one unplugged may still be ending: wait for the shape.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut after = shape();
    while after != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        after = shape();
    }
    to_added.sort();
    println!(
        "HOOKSWITCH-RESULT plug_cycles {cycles} leds_right {cycles} fds {} -> {} threads {} -> {} plug_to_added_ms p50 {} max {}",
        before.0,
        after.0,
        before.1,
        after.1,
        percentile(&to_added, 0.5).as_millis(),
        to_added.last().map_or(0, |d| d.as_millis()),
    );
    if after.0 > before.0 || after.1 > before.1 {
        return Err(format!(
            "after {cycles} plug cycles: descriptors {} -> {}, threads {} -> {}",
            before.0, after.0, before.1, after.1
        ));
    }
    Ok(())
}
