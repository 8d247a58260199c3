//! `hookswitch message`: on its own (an engine for the length of it) and
//! through a running `hookswitch run`; `run --json` prints what comes in
//! as a `message` event. Exit 0 when delivered, 2 when not.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);

fn hookswitch(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env_remove("RUST_LOG");
    c
}

/// A `hookswitch --json run` taking peer-to-peer messages on `port`, with
/// its control socket at `control`.
fn running(home: &Path, name: &str, port: u16, control: &Path) -> Process {
    let mut c = hookswitch(home);
    c.args(["--json", "--accept-p2p", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--control")
        .arg(control)
        .arg("run");
    let p = Process::spawn(name, c, home);
    p.wait_for_log("\"event\":\"ready\"", T);
    hookswitch_tests::wait_until(T, "the control socket", || control.exists());
    p
}

/// `hookswitch message TARGET TEXT...` on its own (no running instance at
/// `none`), from `own`.
fn message_alone(
    home: &Path,
    none: &str,
    own: &str,
    target: &str,
    text: &[&str],
    stdin: Option<&str>,
) -> (Option<i32>, String) {
    let mut args = vec!["--control", none, "--bind", own, "message", target];
    args.extend_from_slice(text);
    run(home, &args, stdin)
}

/// Runs `hookswitch ARGS` to its end: exit code, standard output and error.
fn run(home: &Path, args: &[&str], stdin: Option<&str>) -> (Option<i32>, String) {
    let mut c = hookswitch(home);
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("hookswitch");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("hookswitch output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}

#[test]
fn a_message_on_its_own_is_delivered_and_printed_by_the_receiving_run() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let pb = free_port();
    let bob = running(home, "bob", pb, &home.join("bob.sock"));
    let nobody_running = home.join("none.sock");
    let none = nobody_running.to_str().unwrap();
    let target = format!("sip:bob@127.0.0.1:{pb}");
    let own = format!("127.0.0.1:{}", free_port());

    let (code, said) = message_alone(home, none, &own, &target, &["lunch", "at", "noon?"], None);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("message delivered"), "{said}");
    bob.wait_for_log("\"text\":\"lunch at noon?\"", T);
    let line = bob
        .log()
        .lines()
        .find(|l| l.contains("\"text\":\"lunch at noon?\""))
        .map(str::to_string)
        .unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["event"], "message");
    assert_eq!(event["from"], format!("sip:hookswitch@{own}"));

    // From standard input, as a script pipes a long text in.
    let long = "line one\nline two: ".to_string() + &"x".repeat(2000);
    let other = format!("127.0.0.1:{}", free_port());
    let (code, said) = message_alone(home, none, &other, &target, &["-"], Some(&long));
    assert_eq!(code, Some(0), "{said}");
    let escaped = serde_json::to_string(&long).unwrap();
    bob.wait_for_log(&format!("\"text\":{escaped}"), T);

    // Nobody there: not delivered, exit 2 with why.
    let closed = format!("sip:nobody@127.0.0.1:{}", free_port());
    let other = format!("127.0.0.1:{}", free_port());
    let (code, said) = message_alone(home, none, &other, &closed, &["hello?"], None);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("not delivered"), "{said}");
}

#[test]
fn a_message_through_the_running_instance_goes_from_its_address() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let (pa, pb) = (free_port(), free_port());
    let a_sock = home.join("alice.sock");
    let alice = running(home, "alice", pa, &a_sock);
    let bob = running(home, "bob", pb, &home.join("bob.sock"));
    let (code, said) = run(
        home,
        &[
            "--control",
            a_sock.to_str().unwrap(),
            "message",
            &format!("sip:bob@127.0.0.1:{pb}"),
            "via the phone",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{said}");
    bob.wait_for_log(&format!("\"from\":\"sip:hookswitch@127.0.0.1:{pa}\""), T);
    // The running phone told of it, as the window would see it.
    alice.wait_for_log("\"event\":\"message_sent\"", T);
    alice.wait_for_log("\"event\":\"message_delivered\"", T);
    // A refusal comes back through it too.
    let (code, said) = run(
        home,
        &[
            "--control",
            a_sock.to_str().unwrap(),
            "message",
            &format!("sip:nobody@127.0.0.1:{}", free_port()),
            "hello?",
        ],
        None,
    );
    assert_eq!(code, Some(2), "{said}");
    alice.wait_for_log("\"event\":\"message_failed\"", T);
}
