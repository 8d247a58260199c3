//! The desktop window's settings and looks, in the real webview: the account
//! wizard checks a registration against kamailio and explains a wrong
//! password in words; every page reads at 200 % zoom without sideways
//! scrolling; a dark desktop theme gives the dark palette.

use std::time::Duration;

use hookswitch_tests::desktop::{self, Desktop};
use hookswitch_tests::free_port;
use hookswitch_tests::kamailio::{Kamailio, USERS};

const T: Duration = Duration::from_secs(20);

#[test]
fn the_account_wizard_tells_a_wrong_password_from_a_working_account() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::configure(dir.path(), free_port());
    let _k = kamailio.start();
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    app.fill_account_wizard(
        "alice",
        &format!("127.0.0.1:{}", kamailio.port),
        "not-the-password",
    );
    d.wait_for("account-check", T).click().unwrap();
    let said = d.wait_text("account-outcome", T, |t| !t.is_empty());
    assert!(said.contains("refused the user name or password"), "{said}");
    assert!(
        d.wait_for("account-save", T)
            .attribute("disabled")
            .unwrap()
            .is_some(),
        "an account that did not register is not offered for saving"
    );

    d.type_into("account-password", USERS[0].1, T);
    d.wait_for("account-check", T).click().unwrap();
    d.wait_text("account-outcome", T, |t| t.starts_with("Registered"));
    assert_eq!(
        d.wait_for("account-save", T).attribute("disabled").unwrap(),
        None
    );
    app.screenshot("account-check");
}

#[test]
fn every_page_reads_at_200_percent_zoom_and_a_dark_desktop_gets_the_dark_theme() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::start_with(dir.path(), "", &[("GTK_THEME", "Adwaita:dark")]);
    let d = &app.driver;
    let background = d
        .execute(
            "return getComputedStyle(document.documentElement).getPropertyValue('--bg').trim()",
        )
        .unwrap_or_else(|e| panic!("{e}; the app's log:\n{}", app.app_log()));
    assert_eq!(background, "#15181b", "the dark palette");

    // Text at 200 % (WCAG 1.4.4): every size in the window is in rem.
    d.execute("document.documentElement.style.fontSize = '200%'; return true")
        .unwrap();
    for page in ["phone", "history", "devices", "settings"] {
        d.wait_for(&format!("nav-{page}"), T)
            .click()
            .unwrap_or_else(|e| panic!("{e}; tauri-driver:\n{}", app.log()));
        let widths = d
            .execute("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .unwrap();
        let (content, window) = (widths[0].as_f64().unwrap(), widths[1].as_f64().unwrap());
        assert!(
            content <= window + 1.0,
            "{page} at 200 %: {content} px of content in a {window} px window"
        );
    }
    d.wait_for("nav-phone", T).click().unwrap();
    app.screenshot("phone-dark-200");
}

/// "Start at login" writes the XDG autostart entry that starts this app
/// hidden in the tray (the configuration is the user's default one, so no
/// `--config`); turned off, the entry goes.
#[test]
fn starting_at_login_is_a_setting_that_writes_the_autostart_entry() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    let entry = dir
        .path()
        .join("home/.config/autostart/org.hookswitch.app.desktop");
    d.wait_for("nav-settings", T).click().unwrap();
    d.wait_for("autostart", T).click().unwrap();
    hookswitch_tests::wait_until(T, "the autostart entry", || entry.is_file());
    let text = std::fs::read_to_string(&entry).unwrap();
    let exec = format!("Exec={} --hidden", desktop::app_binary().display());
    assert!(text.lines().any(|l| l == exec), "{text}");
    assert!(text.contains("Type=Application"), "{text}");
    // The entry and the setting are written one after the other: wait for
    // the second too (CI once read the setting's file before it was there).
    let settings = app.config_path.with_file_name("desktop.toml");
    hookswitch_tests::wait_until(T, "the setting saved", || {
        std::fs::read_to_string(&settings).is_ok_and(|saved| saved.contains("autostart = true"))
    });

    d.wait_for("autostart", T).click().unwrap();
    hookswitch_tests::wait_until(T, "the entry removed", || !entry.exists());
}

/// Settings' "Save a support bundle" writes the archive and says where.
#[test]
fn the_support_bundle_is_one_button_away() {
    if !desktop::can_run(&["tar"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;
    d.wait_for("nav-settings", T).click().unwrap();
    d.wait_for("diagnose", T).click().unwrap();
    let said = d.wait_text("diagnose-path", T, |t| t.contains(".tar.gz"));
    let path = said
        .split_whitespace()
        .find(|w| w.ends_with(".tar.gz"))
        .expect("a path");
    assert!(
        path.starts_with(&dir.path().join("home").display().to_string()),
        "in the user's folders: {path}"
    );
    let listed = std::process::Command::new("tar")
        .args(["-tzf", path])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&listed.stdout);
    for part in ["config.toml", "devices.json", "state.json", "keyring.txt"] {
        assert!(names.contains(part), "{part} not in {names}");
    }
    // The window's devices are in it: the simulated Jabra.
    let devices = std::process::Command::new("tar")
        .args(["-xzOf", path, "--wildcards", "*/devices.json"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&devices.stdout).contains("Jabra"),
        "{}",
        String::from_utf8_lossy(&devices.stdout)
    );
}
