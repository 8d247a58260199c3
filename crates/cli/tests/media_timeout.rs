//! A peer that answers and then sends nothing (no RTP, no RTCP, no BYE: it
//! crashed, or its network went) does not keep the call up for ever: after
//! `audio.media_timeout_secs` the call ends and says why.

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
fn a_silent_peer_ends_the_call_after_the_media_timeout() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        "[devices]\nenabled = false\nmicrophone = \"none\"\nspeaker = \"none\"\n\
         [audio]\nmedia_timeout_secs = 2\npause_media = false\n",
    )
    .unwrap();
    // sipp answers and then sends nothing at all until our BYE.
    let sipp_port = free_port();
    let mut peer = sipp::uas(home, sipp_port, Scenario::Builtin("uas"), 1, &[]);
    let mut call = hookswitch(home);
    call.args(["--bind", &format!("127.0.0.1:{}", free_port()), "call"])
        .arg(format!(
            "sip:silent@{}",
            SocketAddr::from(([127, 0, 0, 1], sipp_port))
        ));
    let mut caller = Process::spawn("call", call, home);
    caller.wait_for_log("established", Duration::from_secs(20));
    caller.wait_for_log(
        "nothing from the other side for 2 s",
        Duration::from_secs(20),
    );
    // `call` ends with the call (it was answered: that is its exit status).
    caller.wait(Duration::from_secs(20));
    let said = caller.log();
    assert!(
        said.contains("ended (failed nothing from the other side for 2 s"),
        "{said}"
    );
    // sipp got our BYE and its scenario passed.
    let status = peer.wait(Duration::from_secs(20));
    assert!(status.success(), "sipp: {}", peer.log());
}
