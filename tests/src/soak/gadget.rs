//! Faults, the real kernel: the Jabra gadget of the QEMU rig (Debian's
//! kernel, dummy_hcd, usb_f_hid; tests/tests/qemu_hid.rs) unplugged and
//! plugged back in `cycles` times under the project's hidraw backend and
//! hotplug (tests/src/bin/qemu_hid_guest/cycles.rs). Judged in the guest and
//! read from its console: every cycle found again and shown the state of the
//! moment, and no descriptor or thread left behind.

use std::path::Path;
use std::time::Duration;

use super::Report;
use crate::qemu::{self, Guest, HID_GADGET_MODULES, JABRA_GADGET_SETUP};

const PART: &str = "USB gadget (QEMU)";

/// `guest_program`: the built `qemu_hid_guest`.
pub fn run(guest_program: &Path, dir: &Path, cycles: u32, report: &mut Report) {
    let cache = qemu::target_dir().join("qemu-rig");
    let kernel = match qemu::debian_kernel(&cache.join("kernel")) {
        Ok(k) => k,
        Err(e) => {
            report.check(PART, "the rig", e, "booted".into(), false);
            return;
        }
    };
    let descriptor = hookswitch_hid::descriptor_from_hex(crate::devices::JABRA_EVOLVE_LINK_HEX)
        .expect("the Jabra fixture");
    let guest = Guest {
        kernel: &kernel,
        modules: HID_GADGET_MODULES,
        program: guest_program,
        setup: JABRA_GADGET_SETUP,
        files: vec![
            ("/etc/descriptor.bin".into(), descriptor),
            (
                "/etc/plug-cycles".into(),
                format!("{cycles} only").into_bytes(),
            ),
        ],
    };
    let image = match qemu::initramfs(&guest) {
        Ok(i) => i,
        Err(e) => {
            report.check(PART, "the guest image", e, "built".into(), false);
            return;
        }
    };
    let initrd = dir.join("gadget-initramfs.cpio");
    std::fs::write(&initrd, image).expect("initramfs");
    let boot = qemu::boot(&kernel, &initrd, Duration::from_secs(600));
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
