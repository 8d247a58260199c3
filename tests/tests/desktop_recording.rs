//! Recording from the window: Record on a call shows the indicator, Stop
//! ends it, the file is in the XDG music folder (`user-dirs.dirs`'s
//! XDG_MUSIC_DIR, then `Hookswitch`), and History lists it under the call.

use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};

const T: Duration = Duration::from_secs(20);

#[test]
fn record_a_call_from_the_window_and_find_it_in_history() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config")).unwrap();
    std::fs::write(
        home.join(".config/user-dirs.dirs"),
        "# written by xdg-user-dirs-update\nXDG_MUSIC_DIR=\"$HOME/Tunes\"\n",
    )
    .unwrap();
    let bob = Baresip::playing_tone(dir.path());
    let _bob = bob.start(90, None);
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;

    d.type_into("dial-input", &format!("sip:bob@127.0.0.1:{}", bob.port), T);
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_gone("recording-indicator", T);
    d.wait_for("record", T).click().unwrap();
    d.wait_for("recording-indicator", T);
    d.wait_attribute("record", "aria-pressed", "true", T);
    app.screenshot("recording");
    let folder = home.join("Tunes/Hookswitch");
    hookswitch_tests::wait_until(T, "the recording's file", || {
        std::fs::read_dir(&folder).is_ok_and(|mut d| d.next().is_some())
    });
    d.wait_for("record", T).click().unwrap();
    d.wait_gone("recording-indicator", T);
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);

    let files: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with(" bob.wav"), "{files:?}");
    let (samples, _) = hookswitch_tests::read_wav(&folder.join(&files[0]));
    assert!(!samples.is_empty(), "the file was completed");

    d.wait_for("nav-history", T).click().unwrap();
    d.wait_content("history-recording", T, |t| t.contains(&files[0]));
}
