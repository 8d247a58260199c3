//! The local HTTP API of `hookswitch run`, from outside, as its users meet
//! it: curl for the guard (token, Host, Origin, TLS), a Python client that
//! follows a sipp call over the WebSocket and Server-Sent Events and walks
//! the routes, openapi-spec-validator on the document, and schemathesis
//! fuzzing a live phone (in a network namespace of its own: the calls it
//! makes up reach nobody).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, free_port, netns, python};

const T: Duration = Duration::from_secs(20);

fn hookswitch(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    env(&mut c, home);
    c
}

fn env(c: &mut Command, home: &Path) {
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env("XDG_STATE_HOME", home)
        .env_remove("RUST_LOG");
}

/// A running `hookswitch run` with the API on.
struct ApiPhone {
    home: tempfile::TempDir,
    sip_port: u16,
    base: String,
    _daemon: Process,
}

/// `hookswitch run` with `[api]` at a free port plus `extra` settings.
fn start(api_extra: &str, extra: &str) -> ApiPhone {
    let home = hookswitch_tests::tempdir();
    let sip_port = free_port();
    let api_port = free_port();
    write_config(
        home.path(),
        &format!(
            "[sip]\nlisten = \"127.0.0.1:{sip_port}\"\naccept_p2p = true\n\
             [devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n\
             [recording]\nfolder = \"{}\"\n\
             [api]\nlisten = \"127.0.0.1:{api_port}\"\n{api_extra}\n{extra}",
            home.path().join("recordings").display()
        ),
    );
    let mut run = hookswitch(home.path());
    run.arg("run");
    let daemon = Process::spawn("run", run, home.path());
    daemon.wait_for_log("api http://", T);
    ApiPhone {
        home,
        sip_port,
        base: format!("http://127.0.0.1:{api_port}"),
        _daemon: daemon,
    }
}

fn write_config(home: &Path, text: &str) {
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(home.join("hookswitch/config.toml"), text).unwrap();
}

impl ApiPhone {
    fn token(&self) -> String {
        let out = hookswitch(self.home.path())
            .args(["api", "token"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// curl: the status and the body.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    (status.parse().unwrap_or(0), body.to_string())
}

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}")
}

#[test]
fn the_guard_wants_the_token_our_own_host_and_a_listed_origin() {
    let phone = start("cors_origins = [\"http://crm.test:3000\"]\n", "");
    let token = phone.token();
    assert_eq!(token.len(), 64);
    let state = format!("{}/v1/state", phone.base);

    let (status, body) = curl(&[&state]);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("hookswitch api token"), "{body}");
    assert_eq!(curl(&["-H", &bearer("not-it"), &state]).0, 401);
    let (status, body) = curl(&["-H", &bearer(&token), &state]);
    assert_eq!(status, 200, "{body}");
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(parsed["calls"].is_array());

    // DNS rebinding: a name that points at 127.0.0.1 is not ours.
    let (status, body) = curl(&["-H", &bearer(&token), "-H", "Host: evil.example:80", &state]);
    assert_eq!(status, 403, "{body}");
    // A page from another origin gets nothing, even with the token.
    let (status, body) = curl(&[
        "-H",
        &bearer(&token),
        "-H",
        "Origin: http://evil.example",
        &state,
    ]);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("cors_origins"), "{body}");
    // A listed origin: the preflight is answered, and so is the request.
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-X",
            "OPTIONS",
            "-H",
            "Origin: http://crm.test:3000",
        ])
        .args(["-H", "Access-Control-Request-Method: POST"])
        .args([
            "-H",
            "Access-Control-Request-Headers: authorization, content-type",
        ])
        .arg(&state)
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert!(
        head.contains("access-control-allow-origin: http://crm.test:3000"),
        "{head}"
    );
    assert!(
        head.contains("access-control-allow-headers: authorization, content-type"),
        "{head}"
    );
    let out = Command::new("curl")
        .args([
            "-s",
            "-i",
            "-H",
            &bearer(&token),
            "-H",
            "Origin: http://crm.test:3000",
        ])
        .arg(&state)
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("access-control-allow-origin: http://crm.test:3000"),
        "{head}"
    );

    // The document needs no token.
    let (status, body) = curl(&[&format!("{}/openapi.json", phone.base)]);
    assert_eq!(status, 200);
    assert!(body.contains("\"openapi\": \"3.1.0\""), "{}", &body[..200]);

    // Bad requests name what was wrong.
    let calls = format!("{}/v1/calls", phone.base);
    let post = |body: &str| {
        curl(&[
            "-H",
            &bearer(&token),
            "-H",
            "Content-Type: application/json",
            "-d",
            body,
            &calls,
        ])
    };
    let (status, body) = post("{\"target\": 5}");
    assert_eq!(status, 400);
    assert!(body.contains("\"field\":\"target\""), "{body}");
    let (status, body) = post("{\"target\": \"1\", \"acount\": \"x\"}");
    assert_eq!(status, 400);
    assert!(body.contains("unknown field `acount`"), "{body}");
    let (status, body) = post("{\"target\": ");
    assert_eq!(status, 400);
    assert!(body.contains("bad JSON"), "{body}");
    let (status, _) = curl(&[
        "-H",
        &bearer(&token),
        "-H",
        "Content-Type: text/plain",
        "-d",
        "x",
        &calls,
    ]);
    assert_eq!(status, 415);

    // A rotated token: the running API takes the new one at once.
    let out = hookswitch(phone.home.path())
        .args(["api", "token", "--rotate"])
        .output()
        .unwrap();
    let rotated = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_ne!(rotated, token);
    assert_eq!(curl(&["-H", &bearer(&token), &state]).0, 401);
    assert_eq!(curl(&["-H", &bearer(&rotated), &state]).0, 200);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(phone.home.path().join("hookswitch/api-token"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn other_machines_are_served_only_when_allowed_and_over_tls() {
    let home = hookswitch_tests::tempdir();
    let refused = |api: &str| {
        write_config(
            home.path(),
            &format!(
                "[sip]\nlisten = \"127.0.0.1:{}\"\n[api]\n{api}",
                free_port()
            ),
        );
        let out = hookswitch(home.path()).arg("run").output().unwrap();
        assert!(!out.status.success(), "{api}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let port = free_port();
    let err = refused(&format!("listen = \"0.0.0.0:{port}\"\n"));
    assert!(err.contains("allow_remote"), "{err}");
    let err = refused(&format!(
        "listen = \"0.0.0.0:{port}\"\nallow_remote = true\n"
    ));
    assert!(err.contains("tls_certificate"), "{err}");

    let ca = hookswitch_tests::tls::TestCa::create(home.path());
    write_config(
        home.path(),
        &format!(
            "[sip]\nlisten = \"127.0.0.1:{}\"\n[api]\nlisten = \"0.0.0.0:{port}\"\nallow_remote = true\n\
             tls_certificate = \"{}\"\ntls_private_key = \"{}\"\n",
            free_port(),
            ca.certificate.display(),
            ca.private_key.display()
        ),
    );
    let mut run = hookswitch(home.path());
    run.arg("run");
    let daemon = Process::spawn("run", run, home.path());
    daemon.wait_for_log("api https://", T);
    let token = std::fs::read_to_string(home.path().join("hookswitch/api-token")).unwrap();
    let url = format!("https://localhost:{port}/v1/state");
    let cafile = ca.ca_file.display().to_string();
    let (status, body) = curl(&["--cacert", &cafile, "-H", &bearer(token.trim()), &url]);
    assert_eq!(status, 200, "{body}");
    // Plain HTTP gets no answer there.
    let (status, _) = curl(&[
        "-H",
        &bearer(token.trim()),
        &format!("http://127.0.0.1:{port}/v1/state"),
    ]);
    assert_ne!(status, 200);
}

/// The venv's `bin/` with the API test tools.
fn tools() -> PathBuf {
    python::venv("api-tools", python::API_TOOLS)
}

#[test]
fn the_openapi_document_is_valid_openapi() {
    let dir = hookswitch_tests::tempdir();
    let out = hookswitch(dir.path())
        .args(["api", "openapi"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let out = Command::new(tools().join("openapi-spec-validator"))
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("OK"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_python_client_follows_a_sipp_call_and_walks_the_routes() {
    let bin = tools();
    let phone = start(
        "",
        "[[accounts]]\nname = \"office\"\naor = \"sip:alice@127.0.0.1\"\nregister = false\n",
    );
    let home = phone.home.path();
    let added = hookswitch(home)
        .args([
            "contacts",
            "add",
            "--name",
            "Ayşe Öztürk",
            "--number",
            "+49 30 5550 777",
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    // sipp takes the message the client sends.
    let message_port = free_port();
    let message_sipp = sipp::uas(home, message_port, Scenario::File("uas_message"), 1, &[]);

    let mut client = Command::new(bin.join("python"));
    client
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/api_client.py"))
        .env("HOOKSWITCH_API", &phone.base)
        .env("HOOKSWITCH_TOKEN", phone.token())
        .env(
            "MESSAGE_TARGET",
            format!("sip:crm@127.0.0.1:{message_port}"),
        )
        .env("PYTHONUNBUFFERED", "1");
    let mut client = Process::spawn("api-client", client, home);
    client.wait_for_log("READY", T);
    let mut caller = sipp::uac(
        home,
        free_port(),
        ([127, 0, 0, 1], phone.sip_port).into(),
        Scenario::File("uac_call_hung_up_by_callee"),
        1,
        &[],
    );
    let status = client.wait(Duration::from_secs(60));
    let log = client.log();
    assert!(status.success() && log.contains("OK"), "the client:\n{log}");
    assert!(caller.wait(T).success(), "sipp:\n{}", caller.log());
    let mut message_sipp = message_sipp;
    assert!(message_sipp.wait(T).success(), "{}", message_sipp.log());
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_off_the_schema() {
    if !netns::can_build() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: this test must run there"
        );
        eprintln!("skipped: building a network namespace needs root");
        return;
    }
    let bin = tools();
    let home = hookswitch_tests::tempdir();
    let ns = netns::Isolated::new("api");
    let api_port = free_port();
    write_config(
        home.path(),
        &format!(
            "[sip]\nlisten = \"127.0.0.1:{}\"\naccept_p2p = true\n\
             [devices]\nmicrophone = \"none\"\nspeaker = \"none\"\n\
             [api]\nlisten = \"127.0.0.1:{api_port}\"\n",
            free_port()
        ),
    );
    let mut run = ns.command(env!("CARGO_BIN_EXE_hookswitch"));
    env(&mut run, home.path());
    run.arg("run");
    let daemon = Process::spawn("run", run, home.path());
    daemon.wait_for_log("api http://", T);
    let token = std::fs::read_to_string(home.path().join("hookswitch/api-token")).unwrap();
    let token = token.trim();
    let base = format!("http://127.0.0.1:{api_port}");
    // A live call (the echo test) for the routes that act on one.
    let mut place = ns.command("curl");
    place
        .args([
            "-s",
            "-H",
            &bearer(token),
            "-H",
            "Content-Type: application/json",
        ])
        .args(["-d", "{\"target\": \"echo\"}", &format!("{base}/v1/calls")]);
    let placed = place.output().unwrap();
    let placed: serde_json::Value = serde_json::from_slice(&placed.stdout).expect("placed");
    let call = placed["call"].as_u64().expect("a call");
    let config = home.path().join("schemathesis.toml");
    std::fs::write(&config, format!("[parameters]\n\"path.call\" = {call}\n")).unwrap();

    let mut st = ns.command(bin.join("schemathesis"));
    st.current_dir(home.path())
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{base}/openapi.json"), "-H", &bearer(token)])
        // Every check but "a valid-looking request is taken": a schema
        // cannot say which strings name someone to call.
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        // The event stream is a stream: the Python client tests it.
        .args(["--exclude-path", "/v1/events"])
        .args(["--max-examples", "40", "--workers", "1", "--seed", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = st.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("passed"),
        "schemathesis:\n{text}{}\nthe phone:\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
}
