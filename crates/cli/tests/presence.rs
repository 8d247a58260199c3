//! `hookswitch presence` against a running `hookswitch run`: set and show
//! (what we chose, what shows), a bad state refused, watching without an
//! account that has presence refused with why, and `pickup` of an
//! extension that is no lamp here refused.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);

fn hookswitch(home: &Path, control: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env_remove("RUST_LOG")
        .arg("--control")
        .arg(control);
    c
}

fn said(c: &mut Command) -> (Option<i32>, String) {
    let out = c.output().expect("hookswitch");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn presence_set_show_and_refusals_through_the_running_phone() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let control = home.join("phone.sock");
    let mut run = hookswitch(home, &control);
    run.args(["--bind", &format!("127.0.0.1:{}", free_port()), "run"]);
    let phone = Process::spawn("run", run, home);
    phone.wait_for_log("listening on", T);
    hookswitch_tests::wait_until(T, "the control socket", || control.exists());

    let (code, out) =
        said(hookswitch(home, &control).args(["presence", "set", "away", "--note", "back at 2"]));
    assert_eq!(code, Some(0), "{out}");
    phone.wait_for_log("presence: away (back at 2)", T);
    let (code, out) = said(hookswitch(home, &control).args(["presence", "show"]));
    assert_eq!(code, Some(0), "{out}");
    let shown: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(shown["availability"], "away", "{out}");
    assert_eq!(shown["chosen"], "away", "{out}");
    assert_eq!(shown["note"], "back at 2", "{out}");

    let (code, out) = said(hookswitch(home, &control).args(["presence", "set", "sleepy"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("one of available"), "{out}");

    let (code, out) = said(hookswitch(home, &control).args(["presence", "watch", "bob"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("presence = true"), "{out}");

    let (code, out) = said(hookswitch(home, &control).args(["pickup", "2000"]));
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("not a busy lamp"), "{out}");
}
