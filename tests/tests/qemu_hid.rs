//! The real-kernel HID test: Debian's kernel under QEMU (TCG) presents a USB HID
//! gadget with the Jabra Evolve Link descriptor (configfs + dummy_hcd +
//! usb_f_hid); the project's hidraw backend and hotplug run in the guest
//! (tests/src/bin/qemu_hid_guest.rs) and are checked from the gadget side:
//! hook switch reports become `PhoneInput`s, the Off-Hook and Mute LEDs arrive
//! as the right bytes, and an unplug/replug drops and re-finds the device.
//! The gadget also has a USB audio-class function, as a headset has its
//! sound card: the host's snd-usb-audio makes a card of it, and the pairing
//! must find that card (not the gadget side's own) from the hidraw node. It
//! is MIDI rather than PCM audio because dummy_hcd has no isochronous
//! endpoints (usb_f_uac2 cannot bind: "afunc_bind ... Error!", -ENODEV);
//! for the sysfs topology the pairing walks, a card is a card.
//!
//! Then, in the same boot, every descriptor of crates/hid/tests/fixtures (the
//! real captures and the constructed Teams headset) and a kuando busylight
//! are plugged in as gadgets of their own, one after another: each is found,
//! read (a hook and a mute press, and the Teams button where there is one,
//! reach the phone) and written (its LEDs, or the light's colour and its
//! keep-alive, read back at the gadget); the Logitech G535 (no Telephony
//! collection) is left alone (tests/src/bin/qemu_hid_guest/fixtures.rs).
//!
//! The input-report -> PhoneInput latency it measures and each device's
//! plug-to-ready time are printed and written to
//! <target>/qemu-hid-latency.txt (under emulation: upper bounds).

use std::time::Duration;

use hookswitch_tests::qemu;

#[test]
fn the_hidraw_backend_on_a_real_kernel_with_a_jabra_gadget() {
    let target = qemu::target_dir();
    let run_dir = tempfile::tempdir().unwrap();
    // A few more unplug/replug cycles after the first (`cargo xtask soak`
    // runs 50).
    let boot = qemu::boot_jabra_gadget(
        std::path::Path::new(env!("CARGO_BIN_EXE_qemu_hid_guest")),
        "5",
        run_dir.path(),
        Duration::from_secs(240),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let console = boot.console;
    let results: Vec<&str> = console
        .lines()
        .filter_map(|l| l.split_once("HOOKSWITCH-RESULT ").map(|(_, r)| r))
        .collect();
    for r in &results {
        println!("{r}");
    }
    println!("guest boot and run: {:.1} s", boot.elapsed.as_secs_f64());
    assert!(
        console.contains("HOOKSWITCH-OK"),
        "the guest did not pass; console:\n{console}"
    );
    let summary = format!(
        "{}\nguest boot and run: {:.1} s\n",
        results.join("\n"),
        boot.elapsed.as_secs_f64()
    );
    let _ = std::fs::write(target.join("qemu-hid-latency.txt"), summary);
}
