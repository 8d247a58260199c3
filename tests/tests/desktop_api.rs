//! The local API against a real browser engine (the app's own WebKit under
//! WebDriver): a page of another site that calls it with fetch, token and
//! all, is refused; a page from an origin listed in `api.cors_origins` gets
//! its answer. And an account's balance, read from a provider's page, in
//! the window's status bar with its low warning.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::{Process, desktop, free_port};

const T: Duration = Duration::from_secs(20);

/// Python's http.server serving tests/fixtures/web on `port`.
fn site(dir: &Path, port: u16) -> Process {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/web");
    let mut cmd = Command::new("python3");
    cmd.args([
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        &port.to_string(),
    ])
    .arg("--directory")
    .arg(web);
    let p = Process::spawn(&format!("site-{port}"), cmd, dir);
    hookswitch_tests::wait_tcp_listening(&p, port, T);
    p
}

#[test]
fn a_page_of_another_site_is_refused_and_a_listed_one_answered() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let api_port = free_port();
    let (listed, other) = (free_port(), free_port());
    let _listed_site = site(dir.path(), listed);
    let _other_site = site(dir.path(), other);
    let app = desktop::Desktop::start(
        dir.path(),
        &format!(
            "[api]\nlisten = \"127.0.0.1:{api_port}\"\ncors_origins = [\"http://127.0.0.1:{listed}\"]\n\n\
             [[accounts]]\nname = \"carrier\"\naor = \"sip:4930555@127.0.0.1\"\nregister = false\n\n\
             [accounts.balance]\nurl = \"http://127.0.0.1:{listed}/balance.json\"\n\
             pointer = \"/data/credit\"\ncurrency = \"EUR\"\nlow = 20.0\n"
        ),
    );
    let balance = app
        .driver
        .wait_content("balance-carrier", T, |t| t.contains("€"));
    assert_eq!(balance.trim(), "carrier: €12.50 (low)");
    let token_file = dir.path().join("home/.local/state/hookswitch/api-token");
    hookswitch_tests::wait_until(T, "the API's token", || token_file.exists());
    let token = std::fs::read_to_string(&token_file).unwrap();
    let page = |port: u16| {
        format!(
            "http://127.0.0.1:{port}/crm.html?api=http://127.0.0.1:{api_port}&token={}",
            token.trim()
        )
    };

    app.driver.navigate(&page(other)).unwrap();
    let refused = app.driver.wait_content("result", T, |t| {
        t.starts_with("refused") || t.starts_with("answered")
    });
    assert!(refused.starts_with("refused: "), "{refused}");

    app.driver.navigate(&page(listed)).unwrap();
    let answered = app.driver.wait_content("result", T, |t| {
        t.starts_with("refused") || t.starts_with("answered")
    });
    assert_eq!(answered, "answered 200 calls []");
}
