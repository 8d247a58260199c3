//! `hookswitch listen --auto-answer` as a test line or an answering service
//! meets it: calls that come while others are up are answered too, side by
//! side (each has its own sound; none is held), so sipp's uac scenario at 5
//! calls a second with calls of 500 ms passes whole. Calls that came during
//! another once rang for ever, the held ones were refused by sipp.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, free_port};

fn hookswitch(home: &Path) -> Command {
    hookswitch_tests::hookswitch_in(env!("CARGO_BIN_EXE_hookswitch"), home)
}

#[test]
fn auto_answer_takes_every_call_of_a_burst_side_by_side() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let mut listen = hookswitch(dir.path());
    listen.args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "listen",
        "--auto-answer",
        "--count",
        "10",
    ]);
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("ready on", Duration::from_secs(20));

    let mut sipp = sipp::uac(
        dir.path(),
        free_port(),
        SocketAddr::from(([127, 0, 0, 1], port)),
        Scenario::Builtin("uac"),
        10,
        &["-r", "5", "-d", "500", "-s", "service"],
    );
    let status = sipp.wait(Duration::from_secs(40));
    assert!(
        status.success(),
        "sipp ({status}):\n{}\nlisten:\n{}",
        sipp.log(),
        listener.log()
    );
    let said = listener.log();
    for call in 1..=10 {
        assert!(
            said.contains(&format!("call {call}: established")),
            "call {call} was not answered:\n{said}"
        );
    }
    assert!(!said.contains("on hold"), "a call was held:\n{said}");
    let status = listener.wait(Duration::from_secs(20));
    assert!(status.success(), "listen ({status}):\n{said}");
}
