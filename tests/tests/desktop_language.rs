//! The window in the user's language, in the real webview: started with
//! `LANG=de_DE.UTF-8` it speaks German and formats for Germany (a call's
//! length in the history as "Sek."); the language setting turns it French
//! at once and back to the system's, and is kept in desktop.toml.

use std::time::Duration;

use hookswitch_tests::desktop::{self, Desktop};

const T: Duration = Duration::from_secs(20);

#[test]
fn a_german_desktop_gets_a_german_window_and_the_setting_changes_it() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let app = Desktop::start_with(dir.path(), "", &[("LANG", "de_DE.UTF-8")]);
    let d = &app.driver;

    // The labels, the dial pad's names and the page's language.
    d.wait_text("nav-phone", T, |t| t == "Telefon");
    d.wait_text("nav-history", T, |t| t == "Verlauf");
    d.wait_text("nav-settings", T, |t| t == "Einstellungen");
    d.wait_text("dial-call", T, |t| t == "Anrufen");
    d.wait_text("status-ready", T, |t| t.starts_with("bereit auf"));
    assert_eq!(page_language(d), "de-DE");

    // A call to the echo test: its panel and controls in German, then its
    // length in the history as Germany writes it.
    d.type_into("dial-input", "echo", T);
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_text("mute", T, |t| t == "Stumm");
    d.wait_text("hangup", T, |t| t == "Auflegen");
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
    d.wait_for("nav-history", T).click().unwrap();
    let history = d.wait_text("history", T, |t| t.contains("Sek."));
    assert!(history.contains("Anrufen"), "{history}");
    app.screenshot("german-history");

    // The setting: French at once (no restart), kept in desktop.toml.
    d.wait_for("nav-settings", T).click().unwrap();
    d.wait_for("language", T);
    let system = d
        .execute(r#"return document.querySelector('[data-testid="language"] option[value=""]').textContent"#)
        .unwrap();
    assert!(
        system.as_str().is_some_and(|s| s.contains("Deutsch")),
        "the system's choice names it: {system}"
    );
    d.find("[data-testid=\"language\"] option[value=\"fr\"]")
        .unwrap()
        .click()
        .unwrap();
    d.wait_text("nav-settings", T, |t| t == "Réglages");
    d.wait_text("nav-phone", T, |t| t == "Téléphone");
    let desktop_toml =
        std::fs::read_to_string(app.config_path.with_file_name("desktop.toml")).unwrap_or_default();
    assert!(desktop_toml.contains("language = \"fr\""), "{desktop_toml}");
    assert_eq!(page_language(d), "fr");

    // Back to the system's: German again.
    d.find("[data-testid=\"language\"] option[value=\"\"]")
        .unwrap()
        .click()
        .unwrap();
    d.wait_text("nav-phone", T, |t| t == "Telefon");
}

/// The `lang` of the page (what screen readers pronounce it as).
fn page_language(d: &hookswitch_tests::webdriver::WebDriver) -> String {
    d.execute("return document.documentElement.lang")
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}
