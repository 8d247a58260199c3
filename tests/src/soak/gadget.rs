//! Faults, the real kernel: the Jabra gadget of the QEMU rig (Debian's
//! kernel, dummy_hcd, usb_f_hid; tests/tests/qemu_hid.rs) unplugged and
//! plugged back in `cycles` times under the project's hidraw backend and
//! hotplug (tests/src/bin/qemu_hid_guest/cycles.rs). Judged in the guest and
//! read from its console: every cycle found again and shown the state of the
//! moment, and no descriptor or thread left behind.

use std::path::Path;
use std::time::Duration;

use super::Report;
use crate::qemu;

const PART: &str = "USB gadget (QEMU)";

/// `guest_program`: the built `qemu_hid_guest`.
pub fn run(guest_program: &Path, dir: &Path, cycles: u32, report: &mut Report) {
    let boot = match qemu::boot_jabra_gadget(
        guest_program,
        &format!("{cycles} only"),
        dir,
        Duration::from_secs(600),
    ) {
        Ok(boot) => boot,
        Err(e) => {
            report.check(PART, "the rig", e, "booted".into(), false);
            return;
        }
    };
    let console = boot.console;
    let _ = std::fs::write(dir.join("gadget-console.txt"), &console);
    let result = console.lines().find_map(|l| {
        l.split_once("HOOKSWITCH-RESULT plug_cycles ")
            .map(|(_, r)| r.trim())
    });
    let failure = console
        .lines()
        .find_map(|l| l.split_once("HOOKSWITCH-FAIL ").map(|(_, r)| r.trim()));
    let passed = console.contains("HOOKSWITCH-OK");
    report.check(
        PART,
        "plug cycles found again, each shown the state, nothing left behind",
        match (result, failure) {
            (_, Some(f)) => format!("failed: {f}"),
            (Some(r), None) => r.to_string(),
            (None, None) => "no result on the console".into(),
        },
        format!("{cycles}, descriptors and threads as before"),
        passed && result.is_some(),
    );
    report.note(
        PART,
        "guest boot and run",
        format!("{:.0} s", boot.elapsed.as_secs_f64()),
    );
}
