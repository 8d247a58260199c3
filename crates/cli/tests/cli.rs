//! The `hookswitch` binary as a user or a script runs it: output, exit codes,
//! DTMF, recordings, and commands sent to a running instance.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use hookswitch_tests::{Process, assert_within_1pct, free_port, recorded_tone};

fn hookswitch(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    // Never touch the user's own configuration or runtime directory.
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env_remove("RUST_LOG");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("hookswitch runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn call_with_tone_and_dtmf_then_exit_0() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let mut listen = hookswitch(dir.path());
    listen
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "listen",
            "--auto-answer",
            "--count",
            "1",
            "--record",
        ])
        .arg(dir.path().join("got.wav"));
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("listening on", Duration::from_secs(10));

    let out = run(hookswitch(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        &format!("sip:bob@127.0.0.1:{port}"),
        "--tone",
        "1000",
        "--duration",
        "1.5",
        "--dtmf",
        "4#",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    // Two Hookswitches talk Opus.
    assert!(said.contains("call 1: established (opus"), "{said}");
    assert!(said.contains("call 1: ended (local)"), "{said}");

    assert!(
        listener.wait(Duration::from_secs(10)).success(),
        "{}",
        listener.log()
    );
    let heard = listener.log();
    assert!(
        heard.contains("call 1: dtmf 4") && heard.contains("call 1: dtmf #"),
        "{heard}"
    );
    assert!(heard.contains("call 1: ended (remote)"), "{heard}");
    let (f, _) = recorded_tone(&dir.path().join("got.wav"));
    assert_within_1pct(f, 1000.0, "the callee's recording");
}

/// A second call that comes while `listen --auto-answer` is in a call is
/// answered too, beside the first (each has its own sound, so none is held:
/// D91, crates/cli/tests/listen.rs), and both callers see their calls
/// established and ended normally.
#[test]
fn listen_answers_a_second_call_during_the_first() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let mut listen = hookswitch(dir.path());
    listen.args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "listen",
        "--auto-answer",
        "--count",
        "2",
        "--tone",
        "500",
    ]);
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("listening on", Duration::from_secs(10));
    let caller = |name: &str, seconds: &str| {
        let mut c = hookswitch(dir.path());
        c.args([
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
            "call",
            &format!("sip:bob@127.0.0.1:{port}"),
            "--duration",
            seconds,
        ]);
        Process::spawn(name, c, dir.path())
    };
    let mut first = caller("first", "4");
    first.wait_for_log("established", Duration::from_secs(10));
    let mut second = caller("second", "1");
    second.wait_for_log("established", Duration::from_secs(10));
    for (who, p) in [("second", &mut second), ("first", &mut first)] {
        assert_eq!(
            p.wait(Duration::from_secs(15)).code(),
            Some(0),
            "{who}: {}",
            p.log()
        );
    }
    assert!(
        listener.wait(Duration::from_secs(10)).success(),
        "{}",
        listener.log()
    );
    let heard = listener.log();
    assert!(
        !heard.contains("on hold"),
        "the first call goes on beside the second: {heard}"
    );
    assert!(heard.contains("call 2: established"), "{heard}");
}

#[test]
fn call_echo_needs_no_account_and_plays_back_what_it_hears() {
    let dir = hookswitch_tests::tempdir();
    let heard = dir.path().join("echo.wav");
    let out = run(hookswitch(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        "echo",
        "--tone",
        "700",
        "--duration",
        "2.5",
        "--record",
        heard.to_str().unwrap(),
    ]));
    assert!(out.status.success(), "{}", text(&out));
    let (f, seconds) = recorded_tone(&heard);
    assert_within_1pct(f, 700.0, "the echo");
    assert!(seconds > 1.0, "{seconds:.1} s echoed");
}

#[test]
fn a_call_leaves_the_headsets_to_a_running_phone() {
    let dir = hookswitch_tests::tempdir();
    std::fs::create_dir_all(dir.path().join("hookswitch")).unwrap();
    std::fs::write(
        dir.path().join("hookswitch/config.toml"),
        "[devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n",
    )
    .unwrap();
    let mut daemon = hookswitch(dir.path());
    daemon.args(["--bind", &format!("127.0.0.1:{}", free_port()), "run"]);
    let daemon = Process::spawn("run", daemon, dir.path());
    daemon.wait_for_log("control socket", Duration::from_secs(10));
    let out = run(hookswitch(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        "echo",
        "--duration",
        "0.5",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("has the headsets"),
        "the call said nothing about the devices: {}",
        text(&out)
    );
    // Alone, a call drives the headsets itself and says nothing.
    drop(daemon);
    let out = run(hookswitch(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        "echo",
        "--duration",
        "0.5",
    ]));
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("has the headsets"), "{}", text(&out));
}

#[test]
fn rejected_call_exits_2() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let mut listen = hookswitch(dir.path());
    listen.args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "listen",
        "--reject",
        "486",
        "--count",
        "1",
    ]);
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("listening on", Duration::from_secs(10));
    let out = run(hookswitch(dir.path()).args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        &format!("bob@127.0.0.1:{port}"),
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ended (rejected 486 Busy Here)"),
        "{}",
        text(&out)
    );
    assert!(listener.wait(Duration::from_secs(10)).success());
}

#[test]
fn commands_reach_a_running_instance() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let control = dir.path().join("control.sock");
    // No sound card here: calls of the daemon make no sound.
    std::fs::create_dir_all(dir.path().join("hookswitch")).unwrap();
    std::fs::write(
        dir.path().join("hookswitch/config.toml"),
        "[devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n",
    )
    .unwrap();
    let mut daemon = hookswitch(dir.path());
    daemon
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--accept-p2p",
            "--control",
        ])
        .arg(&control)
        .arg("run");
    let daemon = Process::spawn("run", daemon, dir.path());
    daemon.wait_for_log("control socket", Duration::from_secs(10));

    let mut caller = hookswitch(dir.path());
    caller.args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        &format!("sip:bob@127.0.0.1:{port}"),
        "--tone",
        "440",
    ]);
    let mut caller = Process::spawn("caller", caller, dir.path());
    daemon.wait_for_log("call 1: incoming", Duration::from_secs(10));

    let ask = |args: &[&str]| {
        run(hookswitch(dir.path())
            .arg("--control")
            .arg(&control)
            .args(args))
    };
    let listed = ask(&["calls"]);
    assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
    assert!(
        text(&listed).contains("\"outgoing\": false"),
        "{}",
        text(&listed)
    );
    assert_eq!(ask(&["answer", "1"]).status.code(), Some(0));
    daemon.wait_for_log("call 1: established", Duration::from_secs(10));
    caller.wait_for_log("established", Duration::from_secs(10));
    let stats = ask(&["stats", "1"]);
    assert_eq!(stats.status.code(), Some(0), "{}", text(&stats));
    assert!(
        text(&stats).contains("\"packets_sent\""),
        "{}",
        text(&stats)
    );
    assert_eq!(ask(&["mute", "1", "on"]).status.code(), Some(0));
    assert_eq!(
        ask(&["volume", "1", "--speaker", "80", "--mic", "120"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(ask(&["hold", "1"]).status.code(), Some(0));
    daemon.wait_for_log("call 1: media now sendonly", Duration::from_secs(10));
    assert_eq!(ask(&["resume", "1"]).status.code(), Some(0));
    daemon.wait_for_log("call 1: media now sendrecv", Duration::from_secs(10));
    assert_eq!(ask(&["dnd", "on"]).status.code(), Some(0));
    assert_eq!(
        ask(&["forward", "busy", "sip:voicemail@127.0.0.1:5999"])
            .status
            .code(),
        Some(0)
    );
    let no_account = ask(&["dnd", "on", "--account", "nobody"]);
    assert_eq!(no_account.status.code(), Some(1), "{}", text(&no_account));
    let too_loud = ask(&["volume", "1", "--speaker", "500"]);
    assert_eq!(too_loud.status.code(), Some(1), "{}", text(&too_loud));
    assert!(
        text(&too_loud).contains("above 400%"),
        "{}",
        text(&too_loud)
    );
    assert_eq!(ask(&["hangup"]).status.code(), Some(0));
    // The caller sees the far end hang up, and that still counts as success.
    assert_eq!(
        caller.wait(Duration::from_secs(10)).code(),
        Some(0),
        "{}",
        caller.log()
    );
    assert!(caller.log().contains("ended (remote)"), "{}", caller.log());
    assert_eq!(ask(&["hangup", "7"]).status.code(), Some(1), "no such call");
}

#[test]
fn nothing_running_exits_4() {
    let dir = hookswitch_tests::tempdir();
    let out = run(hookswitch(dir.path())
        .arg("--control")
        .arg(dir.path().join("none.sock"))
        .arg("hangup"));
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out).contains("hookswitch run"), "{}", text(&out));
}

/// Kept to PulseAudio (`HOOKSWITCH_SOUND_BACKEND=pulse`) with no server
/// there, a call's microphone fails with the server's reason, not as an
/// unknown device.
#[test]
fn kept_to_pulseaudio_without_a_server_says_why() {
    let dir = hookswitch_tests::tempdir();
    let out = run(hookswitch(dir.path())
        .env("HOOKSWITCH_SOUND_BACKEND", "pulse")
        .env(
            "PULSE_SERVER",
            format!("unix:{}", dir.path().join("no-server").display()),
        )
        .args([
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
            "call",
            &format!("sip:x@127.0.0.1:{}", free_port()),
            "--mic",
        ]));
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("sound device pulse") && said.contains("Connection refused"),
        "{said}"
    );
}

#[test]
fn configuration_helpers_and_missing_password() {
    let dir = hookswitch_tests::tempdir();
    let out = run(hookswitch(dir.path()).args(["config", "path"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        dir.path()
            .join("hookswitch/config.toml")
            .display()
            .to_string()
    );
    std::fs::create_dir_all(dir.path().join("hookswitch")).unwrap();
    std::fs::write(
        dir.path().join("hookswitch/config.toml"),
        "[[accounts]]\nname = \"work\"\naor = \"sip:alice@127.0.0.1:9\"\n",
    )
    .unwrap();
    // No keyring service here and no environment variable: a clear error, exit 1.
    let out = run(hookswitch(dir.path())
        .env_remove("HOOKSWITCH_PASSWORD_WORK")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
        .arg("run"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("HOOKSWITCH_PASSWORD_WORK"),
        "{}",
        text(&out)
    );
    let out = run(hookswitch(dir.path())
        .env("HOOKSWITCH_PASSWORD_WORK", "x")
        .args(["config", "check"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !text(&out).contains("\"x\""),
        "the password is never printed"
    );
}

#[test]
fn register_checks_an_account() {
    use hookswitch_tests::kamailio::Kamailio;
    let dir = hookswitch_tests::tempdir();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let _k = kamailio.start();
    std::fs::create_dir_all(dir.path().join("hookswitch")).unwrap();
    std::fs::write(
        dir.path().join("hookswitch/config.toml"),
        format!("[sip]\nlisten = \"127.0.0.1:{}\"\nt1_ms = 100\n\n[[accounts]]\nname = \"lab\"\naor = \"sip:alice@127.0.0.1:{kport}\"\n", free_port()),
    )
    .unwrap();
    let out = run(hookswitch(dir.path())
        .env("HOOKSWITCH_PASSWORD_LAB", "alice-secret")
        .arg("register"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("account lab: registered (expires in 600 s)"),
        "{}",
        text(&out)
    );
    let out = run(hookswitch(dir.path())
        .env("HOOKSWITCH_PASSWORD_LAB", "wrong")
        .arg("register"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("401") && !text(&out).contains("wrong"),
        "{}",
        text(&out)
    );
}

#[test]
fn devices_reads_a_descriptor_file() {
    let dir = hookswitch_tests::tempdir();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hid/tests/fixtures");
    let out = run(hookswitch(dir.path())
        .args(["--json", "devices", "--simulate"])
        .arg(fixtures.join("Jabra-EvolveLinkMS.hex")));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["profile"], "Jabra");
    assert_eq!(json["capabilities"]["telephony"], true);
    assert!(
        json["capabilities"]["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "Hook Switch")
    );
    let out = run(hookswitch(dir.path())
        .args(["devices", "--simulate"])
        .arg(fixtures.join("Logitech-G535.hex")));
    assert!(
        text(&out).contains("not a call-control device") && text(&out).contains("profile: none"),
        "{}",
        text(&out)
    );
    std::fs::write(dir.path().join("bad.hex"), "05 0b a1\n").unwrap();
    let out = run(hookswitch(dir.path())
        .args(["devices", "--simulate"])
        .arg(dir.path().join("bad.hex")));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("not a valid HID report descriptor"),
        "{}",
        text(&out)
    );
    // An empty file, and one with a descriptor of no collection: no device.
    std::fs::write(dir.path().join("empty.hex"), "").unwrap();
    std::fs::write(dir.path().join("none.hex"), "05 0b 09 01\n").unwrap();
    for (file, said) in [
        ("empty.hex", "no report descriptor in it"),
        ("none.hex", "describes no collection"),
    ] {
        let out = run(hookswitch(dir.path())
            .args(["devices", "--simulate"])
            .arg(dir.path().join(file)));
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(text(&out).contains(said), "{file}: {}", text(&out));
    }
    // A configuration named on purpose must exist.
    let out = run(hookswitch(dir.path())
        .arg("--config")
        .arg(dir.path().join("typo.toml"))
        .args(["call", "echo"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("typo.toml: no such file"),
        "{}",
        text(&out)
    );
}

/// Runs `hookswitch` with `input` on its standard input.
fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookswitch runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn hid_monitor_shows_gestures_and_the_reports_it_writes() {
    let dir = hookswitch_tests::tempdir();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hid/tests/fixtures");
    let out = run_with_input(
        hookswitch(dir.path())
            .args(["hid-monitor", "--simulate"])
            .arg(fixtures.join("Jabra-EvolveLinkMS.hex")),
        "report 02 01 00\nmute on\noff-hook on\nreport 02 05 00\nlamp on\nquit\n",
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("plugged in") && t.contains("profile: Jabra"),
        "{t}"
    );
    // Hook Switch = 1, then Phone Mute pressed.
    let hook = t.find("dev1 HookOff").unwrap_or_else(|| panic!("{t}"));
    let mute = t.find("dev1 MuteToggle").unwrap_or_else(|| panic!("{t}"));
    assert!(hook < mute, "{t}");
    // Mute alone (bit 1), then Off-Hook added (bit 0), Jabra's report 2.
    assert!(t.contains("wrote 02 02 00"), "{t}");
    assert!(t.contains("wrote 02 03 00"), "{t}");
    assert!(t.contains("unknown LED \"lamp\""), "{t}");
}

#[test]
fn devices_and_hid_monitor_know_a_busylight() {
    let dir = hookswitch_tests::tempdir();
    let kuando = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hid/tests/fixtures/lights/kuando-BusylightOmega.hex");
    let out = run(hookswitch(dir.path())
        .args(["devices", "--simulate"])
        .arg(&kuando));
    let t = text(&out);
    assert!(
        t.contains("27bb:3bcd") && t.contains("busylight: Busylight UC Omega (kuando Busylight)"),
        "{t}"
    );
    let out = run(hookswitch(dir.path())
        .args(["--json", "devices", "--simulate"])
        .arg(&kuando));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["busylight"]["family"], "kuando Busylight");
    // Plugged in green (available), away is yellow (100 % red, 62 % green:
    // step 0 of its program), a ring flashes red (0.2 s on and off).
    let out = run_with_input(
        hookswitch(dir.path())
            .args(["hid-monitor", "--simulate"])
            .arg(&kuando),
        "presence away\nring on\nstate\nquit\n",
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("busylight (kuando Busylight)"), "{t}");
    assert!(t.contains("wrote 00 10 00 64 3e 00 00 00 80"), "{t}");
    assert!(t.contains("wrote 00 10 00 64 00 00 02 02 80"), "{t}");
    assert!(t.contains("state: ring, presence away"), "{t}");
}

#[test]
fn hid_monitor_shows_unmapped_teams_and_programmable_buttons() {
    let dir = hookswitch_tests::tempdir();
    let headset = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../hid/tests/fixtures/constructed/Teams-Headset.hex");
    let out = run(hookswitch(dir.path())
        .args(["devices", "--simulate"])
        .arg(&headset));
    let t = text(&out);
    assert!(t.contains("buttons programmable 1, 2, 3, 4"), "{t}");
    // The Teams button (report 0x9B), then Programmable Button 3 (value 3
    // in bits 2-4 of report 2), each pressed and released.
    let out = run_with_input(
        hookswitch(dir.path())
            .args(["hid-monitor", "--simulate"])
            .arg(&headset),
        "report 9b 01\nreport 9b 00\nreport 02 0c\nreport 02 00\nquit\n",
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let teams = t.find("dev1 Teams").unwrap_or_else(|| panic!("{t}"));
    let button = t.find("dev1 Button(3)").unwrap_or_else(|| panic!("{t}"));
    assert!(teams < button, "{t}");
}

#[test]
fn hid_learn_writes_a_profile_that_hookswitch_then_uses() {
    let dir = hookswitch_tests::tempdir();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hid/tests/fixtures");
    let jabra = fixtures.join("Jabra-EvolveLinkMS.hex");
    // At rest; answer (hook latches); hang up; mute (vendor page copy only);
    // the rest skipped.
    let steps = "02 00 00\n\n02 01 00\n\n02 00 00\n\n04 04\n04 00\n\ns\ns\ns\ns\ns\ns\n";
    let out = run_with_input(
        hookswitch(dir.path())
            .args(["hid-learn", "--simulate"])
            .arg(&jabra),
        steps,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let written = dir.path().join("hookswitch/device-profiles/0b0e-0307.toml");
    let profile = std::fs::read_to_string(&written).unwrap_or_else(|_| panic!("{t}"));
    assert!(profile.contains("hook = \"absolute\""), "{profile}");
    assert!(profile.contains("usage = \"0xFF30:0x002F\""), "{profile}");
    assert!(profile.contains("gesture = \"MuteToggle\""), "{profile}");
    // The learnt profile is the user's and wins over the shipped one.
    let out = run(hookswitch(dir.path())
        .args(["--json", "devices", "--simulate"])
        .arg(&jabra));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(json["profile"], "Jabra-EvolveLinkMS", "{}", text(&out));
    // Learning again does not overwrite without --force.
    let out = run_with_input(
        hookswitch(dir.path())
            .args(["hid-learn", "--simulate"])
            .arg(&jabra),
        steps,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--force"), "{}", text(&out));
}

#[test]
fn devices_lists_what_is_plugged_in_or_explains_how_to_get_access() {
    let dir = hookswitch_tests::tempdir();
    let out = run(hookswitch(dir.path()).args(["--json", "devices"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert!(json["devices"].is_array() && json["unusable"].is_array());
    let out = run(hookswitch(dir.path()).arg("devices"));
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    let nothing = json["devices"].as_array().unwrap().is_empty()
        && json["unusable"].as_array().unwrap().is_empty()
        && json["claimed_by_other_applications"]
            .as_array()
            .unwrap()
            .is_empty();
    if nothing {
        assert!(t.contains("cargo xtask setup --udev"), "{t}");
    }
}

/// `listen --control PATH` serves the control socket there while it runs:
/// a script lists and hangs up its call. The caller says "calling" once.
#[test]
fn listen_serves_its_control_socket_when_asked() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let control = dir.path().join("listen.sock");
    let mut listen = hookswitch(dir.path());
    listen
        .args(["--bind", &format!("127.0.0.1:{port}"), "--control"])
        .arg(&control)
        .args(["listen", "--auto-answer", "--count", "1"]);
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("control socket", Duration::from_secs(10));
    let mut caller = hookswitch(dir.path());
    caller.args([
        "--bind",
        &format!("127.0.0.1:{}", free_port()),
        "call",
        &format!("sip:bob@127.0.0.1:{port}"),
    ]);
    let mut caller = Process::spawn("caller", caller, dir.path());
    listener.wait_for_log("call 1: established", Duration::from_secs(10));
    let ask = |args: &[&str]| {
        run(hookswitch(dir.path())
            .arg("--control")
            .arg(&control)
            .args(args))
    };
    let listed = ask(&["calls"]);
    assert!(
        text(&listed).contains("\"outgoing\": false"),
        "{}",
        text(&listed)
    );
    assert_eq!(ask(&["hangup"]).status.code(), Some(0));
    assert!(listener.wait(Duration::from_secs(10)).success());
    assert_eq!(caller.wait(Duration::from_secs(10)).code(), Some(0));
    let said = caller.log();
    assert_eq!(said.matches(": calling ").count(), 1, "{said}");
    assert!(!control.exists(), "the socket is removed when listen ends");
}

/// A second `listen --control` on a socket a running instance holds is
/// refused before it takes any call.
#[test]
fn a_control_socket_in_use_is_refused() {
    let dir = hookswitch_tests::tempdir();
    let control = dir.path().join("taken.sock");
    let first_port = free_port();
    let mut first = hookswitch(dir.path());
    first
        .args(["--bind", &format!("127.0.0.1:{first_port}"), "--control"])
        .arg(&control)
        .arg("listen");
    let _first = Process::spawn("first", first, dir.path());
    _first.wait_for_log("control socket", Duration::from_secs(10));
    let out = run(hookswitch(dir.path())
        .args(["--bind", &format!("127.0.0.1:{}", free_port()), "--control"])
        .arg(&control)
        .arg("listen"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("in use"), "{}", text(&out));
}

/// Output into a pipe nobody reads any more is dropped, not a panic
/// (`hookswitch audio-devices | head -0`).
#[test]
fn a_closed_pipe_is_not_a_panic() {
    let dir = hookswitch_tests::tempdir();
    for args in [
        &["audio-devices"][..],
        &["devices"],
        &["config", "path"],
        &["--help"],
        &["--version"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = hookswitch(dir.path())
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

#[test]
fn the_manual_page_and_completions_come_from_the_command_line() {
    let dir = hookswitch_tests::tempdir();
    let man = run(hookswitch(dir.path()).arg("man"));
    assert!(man.status.success(), "{}", text(&man));
    let page = String::from_utf8_lossy(&man.stdout);
    for section in [
        ".TH hookswitch 1",
        ".SH SYNOPSIS",
        ".SH \"HOOKSWITCH CALL\"",
        ".SH \"HOOKSWITCH HID-LEARN\"",
        ".SH \"EXIT STATUS\"",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "no {section} in the page");
    }
    assert!(
        !page.contains("HOOKSWITCH MAN\""),
        "the hidden command is not in it"
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = run(hookswitch(dir.path()).args(["completions", shell]));
        assert!(out.status.success(), "{}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("hid-learn"), "{shell}: no subcommands");
    }
    // bash reads its script.
    let out = run(hookswitch(dir.path()).args(["completions", "bash"]));
    let path = dir.path().join("hookswitch.bash");
    std::fs::write(&path, &out.stdout).unwrap();
    let checked = run(Command::new("bash").arg("-n").arg(&path));
    assert!(checked.status.success(), "{}", text(&checked));
    // Into a pipe that closes early: no panic, success.
    let piped = run(Command::new("sh").arg("-c").arg(format!(
        "{} man | head -1",
        env!("CARGO_BIN_EXE_hookswitch")
    )));
    assert!(
        piped.status.success() && !text(&piped).contains("panicked"),
        "{}",
        text(&piped)
    );
}

/// The support bundle: every part is there, the running phone's state is
/// in it, and no secret of the configuration, the environment or the
/// daemon's log is.
#[test]
fn a_support_bundle_holds_what_a_bug_report_needs_and_no_secret() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        "[devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n\n\
         [[accounts]]\nname = \"office\"\naor = \"sip:alice@127.0.0.1\"\nregister = false\n\n\
         [accounts.balance]\nurl = \"https://alice:url-pass-7f3@billing.example/b?token=tok-91c&user={user}\"\npointer = \"/balance\"\n",
    )
    .unwrap();
    let state_home = home.join("state");
    let with_env = |cmd: &mut Command| {
        cmd.env("XDG_STATE_HOME", &state_home)
            .env("HOOKSWITCH_PASSWORD_OFFICE", "env-pass-5d2");
    };
    let mut daemon = hookswitch(home);
    daemon.args(["--bind", &format!("127.0.0.1:{}", free_port()), "run"]);
    with_env(&mut daemon);
    let daemon = Process::spawn("run", daemon, home);
    daemon.wait_for_log("control socket", Duration::from_secs(10));

    let bundle = home.join("bundle.tar.gz");
    let mut diagnose = hookswitch(home);
    diagnose.args(["diagnose", "--output"]).arg(&bundle);
    with_env(&mut diagnose);
    let out = run(&mut diagnose);
    assert!(out.status.success(), "{}", text(&out));
    drop(daemon);

    let unpacked = home.join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let tar = run(Command::new("tar")
        .arg("-xzf")
        .arg(&bundle)
        .arg("-C")
        .arg(&unpacked));
    assert!(tar.status.success(), "{}", text(&tar));
    let root = unpacked.join("bundle");
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for part in [
        "README.txt",
        "versions.txt",
        "config.toml",
        "config-check.txt",
        "devices.json",
        "audio-devices.json",
        "state.json",
        "udev.txt",
        "keyring.txt",
        "logs/daemon.log",
    ] {
        assert!(root.join(part).is_file(), "{part} is missing");
    }
    assert!(read("versions.txt").starts_with(&format!("hookswitch {}", env!("CARGO_PKG_VERSION"))));
    assert!(
        read("config.toml").contains("billing.example/b"),
        "{}",
        read("config.toml")
    );
    assert!(
        read("state.json").contains("\"registrations\""),
        "the running phone's state: {}",
        read("state.json")
    );
    assert!(
        read("keyring.txt").contains("office: from the environment (HOOKSWITCH_PASSWORD_OFFICE)"),
        "{}",
        read("keyring.txt")
    );
    assert!(serde_json::from_str::<serde_json::Value>(&read("devices.json")).is_ok());
    assert!(
        read("logs/daemon.log").contains("INFO"),
        "{}",
        read("logs/daemon.log")
    );
    // No secret anywhere in the bundle.
    let all = run(Command::new("grep")
        .args(["-r", "-l", "-E", "url-pass-7f3|tok-91c|env-pass-5d2"])
        .arg(&root));
    assert!(
        all.stdout.is_empty(),
        "secrets in: {}",
        String::from_utf8_lossy(&all.stdout)
    );
}
