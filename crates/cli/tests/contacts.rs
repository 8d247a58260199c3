//! `hookswitch contacts` on a real store file (XDG_DATA_HOME), and a name on
//! a real call: sipp calls from a carrier-style number, `hookswitch run`
//! names it from the address book after it rang, and declines it when told.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use hookswitch_tests::sipp::{self, Scenario};
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

/// Runs `hookswitch ARGS` (stdin: `input`): exit code, stdout, stderr.
fn run(home: &Path, args: &[&str], input: Option<&str>) -> (Option<i32>, String, String) {
    let mut child = hookswitch(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookswitch");
    let mut stdin = child.stdin.take().expect("stdin");
    if let Some(text) = input {
        stdin.write_all(text.as_bytes()).expect("stdin");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A configuration that reads national numbers as German ones.
fn home_in_germany() -> tempfile::TempDir {
    let dir = hookswitch_tests::tempdir();
    let config = dir.path().join("hookswitch");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        "[directory]\ncountry = \"DE\"\n",
    )
    .unwrap();
    dir
}

const CARDS: &str = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:ayse\r\nFN:Ayşe Öztürk\r\n\
ORG:ACME GmbH;Sales\r\nTEL;VALUE=uri;TYPE=work:tel:+49-30-5550-777\r\nIMPP:sip:ayse@acme.example\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nN:Brown;Bob\r\nFN:Bob Brown\r\nTEL;TYPE=CELL:0171 5550123\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:nobody@example.com\r\nEND:VCARD\r\n";

#[test]
fn import_search_edit_export_and_identify() {
    let dir = home_in_germany();
    let home = dir.path();
    let (code, out, err) = run(home, &["contacts", "import", "-"], Some(CARDS));
    assert_eq!(code, Some(2), "a bad card is reported: {out}{err}");
    assert!(out.contains("2 added, 0 updated, 1 not imported"), "{out}");
    assert!(err.contains("card 3") && err.contains("no name"), "{err}");

    let (code, out, _) = run(home, &["contacts", "search", "ozt"], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("Ayşe Öztürk (ACME GmbH, Sales)"), "{out}");
    let (_, out, _) = run(home, &["--json", "contacts", "search", "5550"], None);
    let hits: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["contact"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ayşe Öztürk", "Bob Brown"], "number fragments");

    // The same UID again replaces, it does not duplicate.
    let (code, out, _) = run(
        home,
        &["contacts", "import", "-"],
        Some(&CARDS[..CARDS.find("BEGIN:VCARD\r\nVERSION:3.0").unwrap()]),
    );
    assert_eq!(code, Some(0));
    assert!(out.contains("0 added, 1 updated"), "{out}");

    let (code, id, err) = run(
        home,
        &[
            "contacts",
            "add",
            "--name",
            "Reception",
            "--number",
            "main=2001",
            "--sip",
            "sip:reception@pbx.example",
            "--favourite",
            "--speed-dial",
            "1",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let id = id.trim().to_string();
    let (_, out, _) = run(home, &["contacts", "search", "re"], None);
    assert!(
        out.lines().next().unwrap().contains("Reception * [1]"),
        "favourites first: {out}"
    );

    for (caller, who) in [
        ("sip:+49305550777@carrier.example;user=phone", "Ayşe Öztürk"),
        ("030 5550777", "Ayşe Öztürk"),
        ("+49 171 5550123", "Bob Brown"),
        ("sip:2001@pbx.example", "Reception"),
    ] {
        let (code, out, _) = run(home, &["contacts", "identify", caller], None);
        assert_eq!(code, Some(0), "{caller}");
        assert!(out.contains(who), "{caller}: {out}");
    }
    let (code, _, err) = run(home, &["contacts", "identify", "+1 212 555 0100"], None);
    assert_eq!(code, Some(2));
    assert!(err.contains("nobody"), "{err}");

    let (code, _, err) = run(home, &["contacts", "edit", &id, "--number", "2002"], None);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, _) = run(home, &["contacts", "identify", "2001"], None);
    assert_eq!(code, Some(2), "the old number is gone");
    let (code, _, err) = run(
        home,
        &["contacts", "add", "--name", "X", "--speed-dial", "12"],
        None,
    );
    assert_eq!(code, Some(1), "{err}");

    let exported = home.join("all.vcf");
    let (code, _, _) = run(
        home,
        &[
            "contacts",
            "export",
            exported.to_str().unwrap(),
            "--version",
            "3.0",
        ],
        None,
    );
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(text.matches("BEGIN:VCARD").count(), 3);
    assert!(text.contains("VERSION:3.0") && text.contains("X-HOOKSWITCH-SPEED-DIAL:1"));

    // Into a fresh store: the same three, speed dial and favourite kept.
    let other = home_in_germany();
    let (code, out, _) = run(
        other.path(),
        &["contacts", "import", exported.to_str().unwrap()],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    let (_, out, _) = run(other.path(), &["--json", "contacts", "list"], None);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let reception = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contact"]["name"] == "Reception")
        .unwrap();
    assert_eq!(reception["contact"]["speed_dial"], 1);
    assert_eq!(reception["contact"]["favourite"], true);

    let (code, _, _) = run(home, &["contacts", "delete", &id], None);
    assert_eq!(code, Some(0));
    let (code, _, _) = run(home, &["contacts", "delete", &id], None);
    assert_eq!(code, Some(1), "deleted once");
}

#[test]
fn a_caller_in_the_address_book_is_named_after_the_ring() {
    let dir = home_in_germany();
    let home = dir.path();
    let (code, _, err) = run(
        home,
        &[
            "contacts",
            "add",
            "--name",
            "Ayşe Öztürk",
            "--number",
            "work=030 5550 777",
        ],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let port = free_port();
    let control = home.join("phone.sock");
    let mut c = hookswitch(home);
    c.args(["--json", "--accept-p2p", "--bind"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--control")
        .arg(&control)
        .arg("run");
    let phone = Process::spawn("phone", c, home);
    phone.wait_for_log("\"event\":\"ready\"", T);
    hookswitch_tests::wait_until(T, "the control socket", || control.exists());
    let caller = sipp::uac(
        home,
        free_port(),
        ([127, 0, 0, 1], port).into(),
        Scenario::File("uac_caller_number"),
        1,
        &["-s", "reception"],
    );
    phone.wait_for_log("\"event\":\"caller_identified\"", T);
    let log = phone.log();
    let rang = log.find("\"event\":\"incoming_call\"").expect("it rang");
    let named = log.find("\"event\":\"caller_identified\"").unwrap();
    assert!(rang < named, "the ring came first:\n{log}");
    assert!(log[named..].contains("\"name\":\"Ayşe Öztürk\""), "{log}");
    assert!(log[named..].contains("\"source\":\"Contacts\""), "{log}");
    // The state says so too: `calls` shows the contact.
    let (_, calls, _) = run(
        home,
        &["--control", control.to_str().unwrap(), "--json", "calls"],
        None,
    );
    assert!(calls.contains("\"contact\":\"Ayşe Öztürk\""), "{calls}");
    let (code, _, err) = run(
        home,
        &["--control", control.to_str().unwrap(), "hangup"],
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    let mut caller = caller;
    let status = caller.wait(T);
    assert!(status.success(), "sipp: {}", caller.log());
}
