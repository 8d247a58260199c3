//! `hid-learn`'s core with real descriptors: what each button moved, and the
//! profile drafted from it (which must parse as a valid profile).

use hookswitch_hid::learn::{Draft, Gesture, Learner, understood};
use hookswitch_hid::profile::HookSemantics;
use hookswitch_hid::{Profile, Usage, descriptor_from_hex, parse};

fn learner(fixture: &str) -> Learner {
    let text = std::fs::read_to_string(format!("tests/fixtures/{fixture}.hex")).unwrap();
    Learner::new(&parse(&descriptor_from_hex(&text).unwrap()).unwrap())
}

#[test]
fn a_latching_hook_is_absolute_and_mute_is_understood() {
    let mut l = learner("Jabra-EvolveLinkMS");
    l.observe_idle(&[0x02, 0x00, 0x00]);
    let mut draft = Draft::new("My Jabra", 0x0b0e, 0x0307);
    // The call button latches Hook Switch on.
    let answer = l.changes(&[vec![0x02, 0x01, 0x00]]);
    assert_eq!(answer.len(), 1);
    assert_eq!(answer[0].usage, Usage::telephony(0x20));
    assert!(!answer[0].released);
    assert!(understood(Gesture::Answer, &answer[0]));
    draft.learn(Gesture::Answer, &answer);
    l.observe_idle(&[0x02, 0x01, 0x00]);
    // Mute: press and release, Phone Mute (bit 2).
    let mute = l.changes(&[vec![0x02, 0x05, 0x00], vec![0x02, 0x01, 0x00]]);
    assert_eq!(mute.len(), 1);
    assert_eq!(mute[0].usage, Usage::telephony(0x2F));
    assert!(mute[0].released);
    draft.learn(Gesture::Mute, &mute);
    draft.learn(Gesture::Hold, &[]);
    assert_eq!(draft.hook, Some(HookSemantics::Absolute));
    assert!(draft.vendor_inputs.is_empty());
    let toml = draft.to_toml();
    let profile = Profile::from_toml(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(profile.quirks.hook, HookSemantics::Absolute);
    assert!(toml.contains("Hold: nothing moved"), "{toml}");
}

#[test]
fn a_button_only_on_the_vendor_page_becomes_a_vendor_input() {
    let mut l = learner("Jabra-EvolveLinkMS");
    l.observe_idle(&[0x04, 0x00]);
    // Report 4 is the vendor page 0xFF30 copy; its bit 2 is 0xFF30:0x002F.
    let mute = l.changes(&[vec![0x04, 0x04], vec![0x04, 0x00]]);
    assert_eq!(mute.len(), 1);
    assert!(mute[0].vendor);
    assert!(!understood(Gesture::Mute, &mute[0]));
    let mut draft = Draft::new("Vendor mute", 0x0b0e, 0x0307);
    draft.learn(Gesture::Mute, &mute);
    let profile = Profile::from_toml(&draft.to_toml()).unwrap();
    let gestures = profile.vendor_gestures();
    assert_eq!(gestures.len(), 1);
    assert_eq!(gestures[0].0, Usage::new(0xFF30, 0x002F));
}

#[test]
fn a_hook_button_that_springs_back_is_a_toggle() {
    let mut l = learner("Jabra-EvolveLinkMS");
    l.observe_idle(&[0x02, 0x00, 0x00]);
    let answer = l.changes(&[vec![0x02, 0x01, 0x00], vec![0x02, 0x00, 0x00]]);
    let mut draft = Draft::new("Toggle", 0x0b0e, 0x0307);
    draft.learn(Gesture::Answer, &answer);
    assert_eq!(draft.hook, Some(HookSemantics::Toggle));
    assert_eq!(
        Profile::from_toml(&draft.to_toml()).unwrap().quirks.hook,
        HookSemantics::Toggle
    );
}

#[test]
fn reports_of_other_ids_and_short_reports_move_nothing() {
    let mut l = learner("Poly-BlackwireC5220");
    l.observe_idle(&[0x08, 0x00]);
    assert!(l.changes(&[vec![0x08]]).is_empty());
    assert!(l.changes(&[vec![]]).is_empty());
    assert!(l.changes(&[vec![0xEE, 0xFF, 0xFF]]).is_empty());
}
