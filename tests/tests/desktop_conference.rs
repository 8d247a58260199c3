//! The three-way conference from the window: two baresip parties called
//! from the dial pad ("New call…" holds the first), Merge brings them
//! together, a member's own Mute, and "Leave conference" ends both calls.
//! (What each party hears through the mix is checked in conference.rs.)

use std::time::Duration;

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::desktop::{self, Desktop};

const T: Duration = Duration::from_secs(20);

#[test]
fn merge_mute_a_member_and_leave_from_the_window() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let bob = Baresip::playing_tone(dir.path());
    let carol = Baresip::playing_tone(dir.path());
    let _bob = bob.start(90, None);
    let _carol = carol.start(90, None);
    let app = Desktop::start(dir.path(), "");
    let d = &app.driver;

    d.type_into("dial-input", &format!("sip:bob@127.0.0.1:{}", bob.port), T);
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_for("add-call", T).click().unwrap();
    // Both baresips are "bob"; carol is the one on her port.
    let carol_at = format!("127.0.0.1:{}", carol.port);
    d.type_into("dial-input", &format!("sip:bob@{carol_at}"), T);
    d.wait_for("dial-call", T).click().unwrap();
    d.wait_text("call-remote", T, |t| t.contains(&carol_at));
    d.wait_attribute("call-panel", "data-phase", "connected", T);

    d.wait_for("merge", T).click().unwrap();
    let bob_at = format!("127.0.0.1:{}", bob.port);
    d.wait_content("conference", T, |t| {
        t.contains(&bob_at) && t.contains(&carol_at) && t.contains("3 people")
    });
    d.wait_gone("merge", T);
    d.wait_gone("swap", T);
    // Both are talking: the held one was resumed.
    d.wait_attribute("hold", "aria-pressed", "false", T);
    // The first member's own mute: only that leg, so the panel's Mute (every
    // member) is not pressed.
    d.wait_for("member-mute", T).click().unwrap();
    d.wait_attribute("member-mute", "aria-pressed", "true", T);
    d.wait_attribute("mute", "aria-pressed", "false", T);
    app.screenshot("conference");

    d.wait_for("leave-conference", T).click().unwrap();
    d.wait_gone("call-panel", T);
    for (who, b) in [("bob", &bob), ("carol", &carol)] {
        hookswitch_tests::wait_until(T, &format!("{who}'s call to end"), || b.calls().is_empty());
    }
}
