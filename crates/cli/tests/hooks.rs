//! Hooks as a CRM meets them: sipp calls `hookswitch run`; a screen pop
//! opens (a stand-in `xdg-open` first in PATH takes the URL), a program
//! runs with the call in its environment, and a webhook receiver (Python's
//! http.server, checking every signature) gets each event exactly once,
//! though it is stopped while calls go on and started again later.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hookswitch_tests::sipp;
use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);
const SECRET: &str = "s3cret-for-the-crm";

fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

struct Rig {
    home: tempfile::TempDir,
    bin: PathBuf,
}

impl Rig {
    fn hookswitch(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.env("XDG_CONFIG_HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path())
            .env("XDG_STATE_HOME", self.home.path())
            .env("XDG_DATA_HOME", self.home.path())
            .env("XDG_STATE_HOME", self.home.path())
            .env("PATH", path)
            .env("HOOKSWITCH_PASSWORD_HOOK_CRM_WEBHOOK", SECRET)
            .env_remove("RUST_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = self.hookswitch().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "hookswitch {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
}

fn receiver(rig: &Rig, port: u16) -> Process {
    let mut c = Command::new(python());
    c.arg(script("webhook_receiver.py"))
        .arg(port.to_string())
        .arg(SECRET)
        .arg(rig.file("received.jsonl"))
        .env("PYTHONUNBUFFERED", "1");
    let p = Process::spawn("receiver", c, rig.home.path());
    p.wait_for_log("listening", T);
    p
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    lines(path)
        .iter()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// Waits until `path` has `n` lines (or fails with what it has).
fn wait_lines(path: &Path, n: usize, what: &str) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let got = lines(path);
        if got.len() >= n {
            return got
                .iter()
                .map(|l| serde_json::from_str(l).unwrap_or(serde_json::Value::String(l.clone())))
                .collect();
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {n}: {got:?}",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The number of the call the phone last said rang.
fn wait_incoming(phone: &Process, nth: usize) -> u64 {
    let deadline = Instant::now() + T;
    loop {
        let log = phone.log();
        let calls: Vec<u64> = log
            .lines()
            .filter(|l| l.contains(": incoming from"))
            .filter_map(|l| l.strip_prefix("call ")?.split(':').next()?.parse().ok())
            .collect();
        if let Some(call) = calls.get(nth - 1) {
            return *call;
        }
        assert!(Instant::now() < deadline, "no call {nth} rang:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_crm_hears_of_every_call_once_though_its_receiver_was_down() {
    let home = hookswitch_tests::tempdir();
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let rig = Rig { home, bin };
    // The desktop's browser, as far as this test goes.
    let opener = rig.bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            rig.file("opened.txt").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let sip_port = free_port();
    let hook_port = free_port();
    std::fs::create_dir_all(rig.home.path().join("hookswitch")).unwrap();
    std::fs::write(
        rig.home.path().join("hookswitch/config.toml"),
        format!(
            r#"[sip]
listen = "127.0.0.1:{sip_port}"
accept_p2p = true
[devices]
microphone = "none"
speaker = "none"
[directory]
country = "DE"

[[hooks]]
name = "crm-pop"
on = ["ringing"]
open = "https://crm.example/search?phone={{number}}&name={{name}}"

[[hooks]]
name = "crm-note"
on = ["missed", "ended"]
direction = "incoming"
run = ["{python}", "{record}", "{notes}", "{{event}}", "{{number}}"]

[[hooks]]
name = "crm-webhook"
on = ["ringing", "answered", "ended", "missed", "message"]
webhook = "http://127.0.0.1:{hook_port}/hook"
"#,
            python = python(),
            record = script("record_env.py").display(),
            notes = rig.file("notes.jsonl").display(),
        ),
    )
    .unwrap();
    rig.run(&[
        "contacts",
        "add",
        "--name",
        "Ayşe Öztürk",
        "--number",
        "+49 30 5550 777",
    ]);
    let mut up = receiver(&rig, hook_port);
    let mut run = rig.hookswitch();
    run.arg("run");
    let phone = Process::spawn("run", run, rig.home.path());
    phone.wait_for_log("control socket", T);

    // Call 1 rings (from the contact's number) and is declined: missed.
    let caller = sipp::calls(rig.home.path(), sip_port, "uac_caller_number");
    let first = wait_incoming(&phone, 1);
    wait_lines(&rig.file("opened.txt"), 1, "the screen pop");
    rig.run(&["hangup", &first.to_string()]);
    let mut caller = caller;
    assert!(caller.wait(T).success(), "{}", caller.log());
    let received = wait_lines(&rig.file("received.jsonl"), 3, "call 1's webhooks");
    up.stop();

    // Call 2 goes on while the receiver is down: answered, then hung up.
    let mut caller = sipp::calls(rig.home.path(), sip_port, "uac_call_hung_up_by_callee");
    let second = wait_incoming(&phone, 2);
    rig.run(&["answer", &second.to_string()]);
    phone.wait_for_log(&format!("call {second}: established"), T);
    rig.run(&["hangup", &second.to_string()]);
    assert!(caller.wait(T).success(), "{}", caller.log());
    // Its deliveries failed and wait (the log says so).
    let deadline = Instant::now() + T;
    while !rig.run(&["hooks", "log"]).contains(": retry") {
        assert!(Instant::now() < deadline, "{}", rig.run(&["hooks", "log"]));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(lines(&rig.file("received.jsonl")).len(), received.len());

    let _up = receiver(&rig, hook_port);
    wait_lines(&rig.file("received.jsonl"), 6, "every webhook");
    // Six taken, each once: the queue held six, and each left it when taken.
    let deadline = Instant::now() + T;
    while rig
        .run(&["hooks", "log"])
        .matches(": delivered (200)")
        .count()
        < 6
    {
        assert!(Instant::now() < deadline, "{}", rig.run(&["hooks", "log"]));
        std::thread::sleep(Duration::from_millis(50));
    }
    let received = json_lines(&rig.file("received.jsonl"));
    assert_eq!(received.len(), 6, "{received:?}");
    let mut ids: Vec<&str> = received
        .iter()
        .map(|r| r["delivery"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 6, "each event once: {received:?}");
    let of = |call: u64| -> Vec<&str> {
        received
            .iter()
            .filter(|r| r["event"]["call"] == call)
            .map(|r| r["event"]["event"].as_str().unwrap())
            .collect()
    };
    assert_eq!(of(first), ["ringing", "missed", "ended"]);
    assert_eq!(of(second), ["ringing", "answered", "ended"]);
    let ringing = &received[0]["event"];
    assert_eq!(ringing["number"], "+49305550777");
    assert_eq!(
        ringing["name"], "Ayşe Öztürk",
        "the address book's name: {ringing}"
    );
    assert_eq!(ringing["direction"], "incoming");

    // The screen pop: the contact's number and name, encoded.
    let opened = std::fs::read_to_string(rig.file("opened.txt")).unwrap();
    let pops: Vec<&str> = opened.lines().collect();
    assert_eq!(pops.len(), 2, "{opened}");
    assert_eq!(
        pops[0],
        "https://crm.example/search?phone=%2B49305550777&name=Ay%C5%9Fe%20%C3%96zt%C3%BCrk"
    );

    // The program: arguments and variables, and no password of the phone's.
    let notes = wait_lines(&rig.file("notes.jsonl"), 3, "the program's runs");
    let mut seen: Vec<(String, String)> = notes
        .iter()
        .map(|n| {
            let env = &n["env"];
            assert!(
                env.as_object()
                    .unwrap()
                    .keys()
                    .all(|k| !k.starts_with("HOOKSWITCH_PASSWORD")),
                "a password reached the hook: {env}"
            );
            assert_eq!(n["argv"][0], env["HOOKSWITCH_EVENT"]);
            assert_eq!(n["argv"][1], env["HOOKSWITCH_NUMBER"]);
            (
                env["HOOKSWITCH_EVENT"].as_str().unwrap().to_string(),
                env["HOOKSWITCH_CALL"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    let (a, b) = (first.to_string(), second.to_string());
    let mut want = vec![
        ("ended".to_string(), a.clone()),
        ("missed".to_string(), a),
        ("ended".to_string(), b),
    ];
    want.sort();
    assert_eq!(seen, want);
    let log = rig.run(&["hooks", "log"]);
    assert_eq!(log.matches(": delivered (200)").count(), 6, "{log}");
    assert!(log.contains(": retry"), "{log}");
}
