//! An account's balance from a provider's page (Python's http.server):
//! read with no phone running, at start, when asked, after a call; then the
//! page fails (503), then it is too slow: the phone says so and keeps the
//! last amount, and warns under `low`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, free_port};

const T: Duration = Duration::from_secs(20);
const PASSWORD: &str = "p@ss word&1";

fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

struct Rig {
    home: tempfile::TempDir,
    mode: PathBuf,
}

impl Rig {
    fn hookswitch(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
        c.env("XDG_CONFIG_HOME", self.home.path())
            .env("XDG_RUNTIME_DIR", self.home.path())
            .env("XDG_STATE_HOME", self.home.path())
            .env("XDG_DATA_HOME", self.home.path())
            .env("XDG_STATE_HOME", self.home.path())
            .env("HOOKSWITCH_PASSWORD_CARRIER", PASSWORD)
            .env_remove("RUST_LOG");
        c
    }

    /// `hookswitch balance ARGS`: exit code and output.
    fn balance(&self, args: &[&str]) -> (i32, String) {
        let out = self
            .hookswitch()
            .arg("balance")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    fn serve(&self, mode: &str) {
        std::fs::write(&self.mode, mode).unwrap();
    }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-S"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_balance_is_shown_warned_of_and_its_failures_told() {
    let home = hookswitch_tests::tempdir();
    let rig = Rig {
        mode: home.path().join("mode"),
        home,
    };
    rig.serve("json 12.50");
    let provider_port = free_port();
    let mut provider = Command::new(python());
    provider
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/balance_provider.py"))
        .arg(provider_port.to_string())
        .arg(PASSWORD)
        .arg(&rig.mode)
        .env("PYTHONUNBUFFERED", "1");
    let provider = Process::spawn("provider", provider, rig.home.path());
    provider.wait_for_log("listening", T);

    let api_port = free_port();
    std::fs::create_dir_all(rig.home.path().join("hookswitch")).unwrap();
    std::fs::write(
        rig.home.path().join("hookswitch/config.toml"),
        format!(
            r#"[sip]
listen = "127.0.0.1:{sip}"
[devices]
microphone = "none"
speaker = "none"
[api]
listen = "127.0.0.1:{api_port}"

[[accounts]]
name = "carrier"
aor = "sip:4930555@carrier.example"
register = false

[accounts.balance]
url = "http://127.0.0.1:{provider_port}/balance?user={{user}}&key={{password}}"
pointer = "/data/credit"
currency = "EUR"
low = 5.0
every_minutes = 60
timeout_secs = 1
"#,
            sip = free_port(),
        ),
    )
    .unwrap();

    // No phone running: read here and now.
    let (code, out) = rig.balance(&[]);
    assert_eq!(
        (code, out.trim()),
        (0, "account carrier: balance 12.50 EUR")
    );

    let mut run = rig.hookswitch();
    run.arg("run");
    let phone = Process::spawn("run", run, rig.home.path());
    // Read once at start.
    phone.wait_for_log("account carrier: balance 12.50 EUR", T);

    rig.serve("json 4.20");
    let (code, out) = rig.balance(&["--check"]);
    assert_eq!(
        (code, out.trim()),
        (0, "account carrier: balance 4.20 EUR (low)")
    );

    rig.serve("error");
    let (code, out) = rig.balance(&["--check"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().next().unwrap_or(""),
        "account carrier: balance 4.20 EUR (low) (could not check: the provider answered 503)"
    );

    rig.serve("slow");
    let (code, out) = rig.balance(&["--check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("4.20 EUR (low) (could not check: no answer in 1 s)"),
        "{out}"
    );

    // A call from the account ends: its balance is read again.
    rig.serve("json 7.00");
    let uas_port = free_port();
    let mut uas = sipp::uas(rig.home.path(), uas_port, Scenario::Builtin("uas"), 1, &[]);
    let token = std::fs::read_to_string(rig.home.path().join("hookswitch/api-token")).unwrap();
    let auth = format!("Authorization: Bearer {}", token.trim());
    let base = format!("http://127.0.0.1:{api_port}");
    let before: serde_json::Value =
        serde_json::from_str(&curl(&["-H", &auth, &format!("{base}/v1/balances")])).unwrap();
    let checks = before[0]["checks"].as_u64().unwrap();
    let placed = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        &format!("{{\"target\": \"sip:bob@127.0.0.1:{uas_port}\", \"account\": \"carrier\"}}"),
        &format!("{base}/v1/calls"),
    ]);
    let call: serde_json::Value = serde_json::from_str(&placed).unwrap();
    let call = call["call"].as_u64().unwrap_or_else(|| panic!("{placed}"));
    phone.wait_for_log(&format!("call {call}: established"), T);
    curl(&[
        "-H",
        &auth,
        "-X",
        "DELETE",
        &format!("{base}/v1/calls/{call}"),
    ]);
    assert!(uas.wait(T).success(), "{}", uas.log());
    let deadline = Instant::now() + T;
    let after = loop {
        let now: serde_json::Value =
            serde_json::from_str(&curl(&["-H", &auth, &format!("{base}/v1/balances")])).unwrap();
        if now[0]["checks"].as_u64().unwrap() > checks {
            break now;
        }
        assert!(Instant::now() < deadline, "no check after the call: {now}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(after[0]["amount"], 7.0);
    assert_eq!(after[0]["low"], false);
    assert_eq!(after[0]["error"], serde_json::Value::Null);
    phone.wait_for_log("account carrier: balance 7.00 EUR", T);
}
