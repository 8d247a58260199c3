//! `call --duration` and `listen --count` follow a conversation through a
//! transfer: the call the transfer makes is the one they time and count,
//! not the old one that ends because of it. Three or four `hookswitch`
//! processes, the transferor driven over its `--control` socket.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);

fn hookswitch(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env_remove("RUST_LOG");
    c
}

fn spawn(home: &Path, name: &str, args: &[&str]) -> Process {
    let mut c = hookswitch(home);
    c.args(args);
    Process::spawn(name, c, home)
}

fn transfer(home: &Path, control: &Path, target: &str) {
    let out = hookswitch(home)
        .arg("--control")
        .arg(control)
        .args(["transfer", "1", target])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A calls B for 2 s; B transfers A to C. A's call to C is the one
/// `--duration` hangs up, 2 s after C answered.
#[test]
fn call_duration_applies_to_the_call_a_transfer_makes() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let (pb, pc) = (free_port(), free_port());
    let b_sock = home.join("b.sock");
    let b_sock_arg = b_sock.to_str().unwrap().to_string();
    let mut carol = spawn(
        home,
        "carol",
        &[
            "--bind",
            &format!("127.0.0.1:{pc}"),
            "listen",
            "--auto-answer",
            "--count",
            "1",
        ],
    );
    carol.wait_for_log("listening on", T);
    let bob = spawn(
        home,
        "bob",
        &[
            "--bind",
            &format!("127.0.0.1:{pb}"),
            "--control",
            &b_sock_arg,
            "listen",
            "--auto-answer",
        ],
    );
    bob.wait_for_log("control socket", T);
    let mut alice = spawn(
        home,
        "alice",
        &[
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
            "call",
            &format!("sip:bob@127.0.0.1:{pb}"),
            "--duration",
            "2",
        ],
    );
    bob.wait_for_log("call 1: established", T);
    transfer(home, &b_sock, &format!("sip:carol@127.0.0.1:{pc}"));
    assert_eq!(alice.wait(T).code(), Some(0), "{}", alice.log());
    let said = alice.log();
    assert!(said.contains("call 2: established"), "{said}");
    assert!(
        said.contains("call 2: ended (local)"),
        "alice hung up the new call herself: {said}"
    );
    assert!(carol.wait(T).success(), "{}", carol.log());
    assert!(
        carol.log().contains("call 1: ended (remote)"),
        "{}",
        carol.log()
    );
}

/// X calls L; X transfers L to C, who hangs up after 1 s. `listen --count
/// 1` on L counts the conversation once, when its call to C ends, not when
/// X's call ends because of the transfer.
#[test]
fn listen_count_counts_a_transferred_conversation_once() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let (pl, pc) = (free_port(), free_port());
    let x_sock = home.join("x.sock");
    let x_sock_arg = x_sock.to_str().unwrap().to_string();
    let mut carol = spawn(
        home,
        "carol",
        &[
            "--bind",
            &format!("127.0.0.1:{pc}"),
            "listen",
            "--auto-answer",
            "--count",
            "1",
            "--duration",
            "1",
        ],
    );
    carol.wait_for_log("listening on", T);
    let mut listener = spawn(
        home,
        "listen",
        &[
            "--bind",
            &format!("127.0.0.1:{pl}"),
            "listen",
            "--auto-answer",
            "--count",
            "1",
        ],
    );
    listener.wait_for_log("listening on", T);
    let mut x = spawn(
        home,
        "x",
        &[
            "--bind",
            &format!("127.0.0.1:{}", free_port()),
            "--control",
            &x_sock_arg,
            "call",
            &format!("sip:bob@127.0.0.1:{pl}"),
            "--duration",
            "30",
        ],
    );
    listener.wait_for_log("call 1: established", T);
    transfer(home, &x_sock, &format!("sip:carol@127.0.0.1:{pc}"));
    assert!(listener.wait(T).success(), "{}", listener.log());
    let said = listener.log();
    assert!(said.contains("call 1: ended"), "{said}");
    assert!(
        said.contains("call 2: ended (remote)"),
        "listen stayed for the transferred call: {said}"
    );
    assert!(x.wait(T).success(), "{}", x.log());
    assert!(carol.wait(T).success(), "{}", carol.log());
}
