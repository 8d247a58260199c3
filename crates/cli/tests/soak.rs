//! The short version of `cargo xtask soak` (tests/src/soak): a 6 s flood of
//! 500 requests a second and 2,000 idle connections at a phone in a call
//! with baresip; the sound server restarted three times under a call on
//! the microphone and speaker; the registrar restarted mid-call and between
//! calls; the network behind a NAT gone for 5 s mid-call; a simulated headset
//! unplugged and plugged in 50 times mid-call; and three calls from baresip
//! answered, keyed, held, resumed and hung up through the control socket.
//! Every figure of the report must be within its limit. (The burst of calls
//! at `listen --auto-answer` is `listen.rs`; the QEMU gadget's plug cycles
//! are in tests/tests/qemu_hid.rs.)

use std::path::Path;

use hookswitch_tests::soak::{self, Report};

fn hookswitch() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_hookswitch"))
}

/// One at a time: the flood would load the calls' machine too.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn judged(report: &Report) {
    println!("{}", report.markdown());
    assert!(report.passed(), "{}", report.failures().join("\n"));
}

#[test]
fn a_flood_leaves_the_call_and_the_phone_as_they_were() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::flood::run(
        hookswitch(),
        dir.path(),
        &soak::flood::FloodPlan::short(),
        &mut report,
    );
    judged(&report);
}

#[test]
fn calls_with_keys_and_holds_leave_nothing_behind() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::calls::run(
        hookswitch(),
        dir.path(),
        &soak::calls::SoakPlan::short(),
        &mut report,
    );
    judged(&report);
}

#[test]
fn sound_server_restarts_leave_no_stream_or_thread_behind() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::sound::run(hookswitch(), dir.path(), 3, &mut report);
    judged(&report);
}

#[test]
fn a_headset_plugged_in_and_out_mid_call_is_shown_the_call_each_time() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::headset::run(hookswitch(), dir.path(), 50, &mut report);
    judged(&report);
}

#[test]
fn registrar_restarts_mid_call_and_between_calls_lose_nothing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::registrar::run(hookswitch(), dir.path(), &mut report);
    judged(&report);
}

/// The network gone for 5 s (`cargo xtask soak` takes it away for 30 s).
#[test]
fn a_call_and_its_registration_come_through_the_network_going_away() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = hookswitch_tests::tempdir();
    let mut report = Report::default();
    soak::network::run(
        hookswitch(),
        dir.path(),
        std::time::Duration::from_secs(5),
        &mut report,
    );
    judged(&report);
}
