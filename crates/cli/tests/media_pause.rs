//! Media players pause for a call: `hookswitch listen` on a D-Bus session
//! bus of its own with two MPRIS players (tests/python/mpris_player.py), one
//! playing and one paused by its user. sipp calls; the playing one is paused
//! while the call rings and talks, and plays again when it ends; the other
//! is never touched.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::desktop::session_bus;
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);

fn player(dir: &Path, bus: &str, name: &str, status: &str) -> Process {
    let mut cmd = Command::new("/usr/bin/python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/mpris_player.py"))
        .args([name, status])
        .env("DBUS_SESSION_BUS_ADDRESS", bus);
    let p = Process::spawn(&format!("player-{name}"), cmd, dir);
    p.wait_for_log("ready ", T);
    p
}

#[test]
fn a_call_pauses_the_playing_media_and_the_end_plays_it_again() {
    let have = Command::new("/usr/bin/python3")
        .args(["-c", "from gi.repository import Gio"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("dbus-daemon")
            .arg("--version")
            .output()
            .is_ok();
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "dbus-daemon and python3-gi are missing (cargo xtask setup installs them)"
        );
        eprintln!("skipped: dbus-daemon or python3-gi is missing");
        return;
    }
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        "[devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n",
    )
    .unwrap();
    let (_bus, address) = session_bus(home);
    let music = player(home, &address, "music", "Playing");
    let podcast = player(home, &address, "podcast", "Paused");

    let port = free_port();
    let mut listen = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    listen
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("RUST_LOG", "hookswitch_phone=info")
        .args(["--bind", &format!("127.0.0.1:{port}"), "listen"])
        .args(["--auto-answer", "--answer-after", "1", "--count", "1"]);
    let listen = Process::spawn("listen", listen, home);
    listen.wait_for_log("listening", T);

    let mut caller = sipp::uac(
        home,
        free_port(),
        ([127, 0, 0, 1], port).into(),
        Scenario::Builtin("uac"),
        1,
        &["-d", "1500"],
    );
    music.wait_for_log("Pause -> Paused", T);
    assert!(caller.wait(T).success(), "sipp:\n{}", caller.log());
    music.wait_for_log("Play -> Playing", T);
    let log = music.log();
    assert!(
        log.find("Pause -> Paused") < log.find("Play -> Playing"),
        "{log}"
    );
    assert!(
        !podcast.log().contains(" -> "),
        "the player its user paused is left alone: {}",
        podcast.log()
    );
}
