//! Every row of PHONE-BEHAVIOUR.md on the desk alone: gestures in, actions
//! and device state out, the engine's events fed back as the engine would.

use std::time::{Duration, Instant};

use hookswitch_devices::DeviceId;
use hookswitch_hid::PhoneInput::{self, *};

use super::{Desk, DeskConfig, DeskOutput, LocalTone};
use crate::action::Action;
use crate::event::{CallId, PhoneEvent};

const HEADSET: DeviceId = DeviceId(1);
const HANDSET: DeviceId = DeviceId(2);

struct Bench {
    desk: Desk,
    now: Instant,
}

impl Bench {
    fn new() -> Bench {
        Bench {
            desk: Desk::new(DeskConfig::default()),
            now: Instant::now(),
        }
    }

    fn press(&mut self, device: DeviceId, input: PhoneInput) -> Vec<DeskOutput> {
        self.desk.on_input(self.now, device, input);
        self.actions()
    }

    fn actions(&mut self) -> Vec<DeskOutput> {
        std::iter::from_fn(|| self.desk.poll_output()).collect()
    }

    fn event(&mut self, e: PhoneEvent) -> Vec<DeskOutput> {
        self.desk.on_event(self.now, &e);
        self.actions()
    }

    fn advance(&mut self, d: Duration) -> Vec<DeskOutput> {
        let until = self.now + d;
        while let Some(t) = self.desk.poll_timeout().filter(|t| *t <= until) {
            self.now = t;
            self.desk.handle_timeout(t);
        }
        self.now = until;
        self.actions()
    }

    fn incoming(&mut self, call: CallId) {
        self.event(PhoneEvent::IncomingCall {
            call,
            from: "<sip:bob@example.org>".into(),
            to: "<sip:alice@example.org>".into(),
            account: None,
            answer_after: None,
            replaces: None,
        });
    }

    fn calling(&mut self, call: CallId, to: &str) {
        self.event(PhoneEvent::Calling {
            call,
            to: to.into(),
            account: None,
        });
    }

    fn established(&mut self, call: CallId) {
        self.event(PhoneEvent::Established {
            call,
            codec: "PCMU".into(),
            remote_media: None,
            encryption: None,
        });
    }

    fn ended(&mut self, call: CallId, reason: &str) -> Vec<DeskOutput> {
        let reason = serde_json::from_value(serde_json::json!(reason)).expect("an end reason");
        self.event(PhoneEvent::Ended {
            call,
            reason,
            status: None,
            detail: None,
            stats: None,
        })
    }

    fn held(&mut self, call: CallId, held: bool) {
        self.event(PhoneEvent::Held { call, held });
    }

    /// A connected call (incoming, answered).
    fn connected(&mut self, call: CallId) {
        self.incoming(call);
        self.established(call);
    }

    fn dialing_events(&mut self) -> Vec<(String, bool)> {
        std::iter::from_fn(|| self.desk.poll_event())
            .filter_map(|e| match e {
                PhoneEvent::Dialing { digits, done } => Some((digits, done)),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn idle_off_hook_gives_dial_tone_and_the_off_hook_led() {
    let mut b = Bench::new();
    assert_eq!(
        b.press(HANDSET, HookOff),
        [DeskOutput::Tone(Some(LocalTone::Dial))]
    );
    assert!(b.desk.device_state().off_hook);
    assert_eq!(b.dialing_events(), [(String::new(), false)]);
}

#[test]
fn digits_stop_the_dial_tone_and_the_inter_digit_timeout_dials() {
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    assert_eq!(b.press(HANDSET, Key('2')), [DeskOutput::Tone(None)]);
    for k in "001".chars() {
        b.advance(Duration::from_secs(3));
        assert!(
            b.press(HANDSET, Key(k)).is_empty(),
            "timer restarts per key"
        );
    }
    assert!(b.advance(Duration::from_millis(3999)).is_empty());
    assert_eq!(
        b.advance(Duration::from_millis(1)),
        [DeskOutput::Act(Action::Call {
            target: "2001".into(),
            account: None,
            audio: None
        })]
    );
    let events = b.dialing_events();
    assert_eq!(events.last(), Some(&("2001".to_string(), true)));
}

#[test]
fn a_digit_then_speed_dial_calls_that_key() {
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('3'));
    assert_eq!(b.press(HANDSET, SpeedDial), [DeskOutput::SpeedDial(3)]);
    assert_eq!(b.dialing_events().last(), Some(&(String::new(), true)));
    // Two digits, 0, or no dial tone: Speed Dial does nothing.
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('1'));
    b.press(HANDSET, Key('2'));
    assert!(b.press(HANDSET, SpeedDial).is_empty());
    let mut b = Bench::new();
    b.press(HEADSET, HookToggle);
    b.press(HEADSET, Key('0'));
    assert!(b.press(HEADSET, SpeedDial).is_empty());
    let mut b = Bench::new();
    assert!(b.press(HEADSET, SpeedDial).is_empty());
}

#[test]
fn send_or_the_terminator_dials_at_once() {
    let mut b = Bench::new();
    b.press(HEADSET, HookToggle);
    b.press(HEADSET, Key('7'));
    assert_eq!(
        b.press(HEADSET, Send),
        [DeskOutput::Act(Action::Call {
            target: "7".into(),
            account: None,
            audio: None
        })]
    );
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('4'));
    b.press(HANDSET, Key('2'));
    assert_eq!(
        b.press(HANDSET, Key('#')),
        [DeskOutput::Act(Action::Call {
            target: "42".into(),
            account: None,
            audio: None
        })]
    );
    // An emergency number needs no terminator.
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('1'));
    b.press(HANDSET, Key('1'));
    assert_eq!(
        b.press(HANDSET, Key('2')),
        [DeskOutput::Act(Action::Call {
            target: "112".into(),
            account: None,
            audio: None
        })]
    );
}

#[test]
fn on_hook_abandons_dialing_and_cancels_a_call_being_placed() {
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('5'));
    assert!(b.press(HANDSET, HookOn).is_empty(), "tone already stopped");
    assert!(!b.desk.device_state().off_hook);
    // Dial tone with no key: putting down stops it.
    b.press(HANDSET, HookOff);
    assert_eq!(b.press(HANDSET, HookOn), [DeskOutput::Tone(None)]);
    // Calling: the call is cancelled (the engine sends CANCEL for a hangup).
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('5'));
    b.press(HANDSET, Send);
    b.calling(1, "5");
    assert!(b.desk.device_state().off_hook);
    assert_eq!(
        b.press(HANDSET, HookOn),
        [DeskOutput::Act(Action::Hangup { call: Some(1) })]
    );
    // Drop does the same for a headset.
    b.ended(1, "cancelled");
    b.calling(2, "5");
    assert_eq!(
        b.press(HEADSET, Drop),
        [DeskOutput::Act(Action::Hangup { call: Some(2) })]
    );
}

#[test]
fn no_key_after_lifting_gives_up_after_30_s() {
    let mut b = Bench::new();
    b.press(HEADSET, HookToggle);
    assert_eq!(b.advance(Duration::from_secs(30)), [DeskOutput::Tone(None)]);
    assert!(!b.desk.device_state().off_hook);
}

#[test]
fn redial_calls_the_last_number_from_any_source() {
    let mut b = Bench::new();
    assert!(b.press(HEADSET, Redial).is_empty(), "nothing dialled yet");
    b.calling(1, "sip:carol@example.org");
    b.ended(1, "rejected");
    assert_eq!(
        b.press(HEADSET, Redial),
        [DeskOutput::Act(Action::Call {
            target: "sip:carol@example.org".into(),
            account: None,
            audio: None
        })]
    );
}

#[test]
fn a_ringing_call_rings_and_is_answered_by_lifting_or_the_button() {
    for (device, gesture) in [(HANDSET, HookOff), (HEADSET, HookToggle), (HEADSET, Send)] {
        let mut b = Bench::new();
        b.incoming(7);
        let s = b.desk.device_state();
        assert!(s.ring && s.ringer && !s.off_hook);
        assert_eq!(
            b.press(device, gesture),
            [DeskOutput::Act(Action::Answer {
                call: 7,
                audio: None
            })]
        );
        b.established(7);
        let s = b.desk.device_state();
        assert!(!s.ring && s.off_hook, "{gesture:?}");
    }
}

#[test]
fn drop_or_the_reject_gesture_declines_a_ringing_call() {
    let mut b = Bench::new();
    b.incoming(3);
    assert_eq!(
        b.press(HEADSET, Drop),
        [DeskOutput::Act(Action::Reject {
            call: 3,
            status: 486
        })]
    );
    let mut b = Bench {
        desk: Desk::new(DeskConfig {
            reject_status: 603,
            ..DeskConfig::default()
        }),
        now: Instant::now(),
    };
    b.incoming(3);
    assert_eq!(
        b.press(HEADSET, Reject),
        [DeskOutput::Act(Action::Reject {
            call: 3,
            status: 603
        })]
    );
}

#[test]
fn keys_in_a_call_are_dtmf() {
    let mut b = Bench::new();
    b.connected(1);
    for k in ['5', '*', '#', 'A'] {
        assert_eq!(
            b.press(HANDSET, Key(k)),
            [DeskOutput::Act(Action::Dtmf {
                call: 1,
                keys: k.to_string()
            })]
        );
    }
}

#[test]
fn mute_toggles_and_the_led_follows_the_engine_whoever_muted() {
    let mut b = Bench::new();
    b.connected(1);
    assert_eq!(
        b.press(HEADSET, MuteToggle),
        [DeskOutput::Act(Action::Mute {
            call: 1,
            muted: true
        })]
    );
    assert!(!b.desk.device_state().mute, "the LED waits for the engine");
    b.event(PhoneEvent::Muted {
        call: 1,
        muted: true,
    });
    assert!(b.desk.device_state().mute);
    assert_eq!(
        b.press(HEADSET, MuteToggle),
        [DeskOutput::Act(Action::Mute {
            call: 1,
            muted: false
        })]
    );
    // Muted from the app: the LED agrees, and an absolute mute switch that
    // already says so does not loop.
    b.event(PhoneEvent::Muted {
        call: 1,
        muted: true,
    });
    assert!(b.desk.device_state().mute);
    assert!(b.press(HEADSET, Mute(true)).is_empty(), "no mute loop");
    assert_eq!(
        b.press(HEADSET, Mute(false)),
        [DeskOutput::Act(Action::Mute {
            call: 1,
            muted: false
        })]
    );
}

#[test]
fn hold_holds_and_resumes_and_the_led_mirrors() {
    let mut b = Bench::new();
    b.connected(1);
    assert_eq!(
        b.press(HEADSET, Hold),
        [DeskOutput::Act(Action::Hold {
            call: 1,
            held: true
        })]
    );
    b.held(1, true);
    let s = b.desk.device_state();
    assert!(s.hold && !s.off_hook, "held: Hold LED, no Off-Hook");
    assert_eq!(
        b.press(HEADSET, Hold),
        [DeskOutput::Act(Action::Hold {
            call: 1,
            held: false
        })]
    );
    b.held(1, false);
    assert!(!b.desk.device_state().hold);
    // A refused hold puts the LED back.
    b.press(HEADSET, Hold);
    b.held(1, true);
    b.event(PhoneEvent::HoldFailed {
        call: 1,
        held: true,
        status: 488,
    });
    assert!(!b.desk.device_state().hold);
}

#[test]
fn flash_takes_the_waiting_call_then_swaps() {
    let mut b = Bench::new();
    b.connected(1);
    b.incoming(2);
    assert!(b.desk.device_state().ring, "call waiting rings");
    assert_eq!(
        b.press(HEADSET, Flash),
        [
            DeskOutput::Act(Action::Hold {
                call: 1,
                held: true
            }),
            DeskOutput::Act(Action::Answer {
                call: 2,
                audio: None
            })
        ]
    );
    b.held(1, true);
    b.established(2);
    assert_eq!(b.desk.focused(), Some(2));
    assert_eq!(
        b.press(HEADSET, Flash),
        [
            DeskOutput::Act(Action::Hold {
                call: 2,
                held: true
            }),
            DeskOutput::Act(Action::Hold {
                call: 1,
                held: false
            })
        ]
    );
    b.held(2, true);
    b.held(1, false);
    assert_eq!(b.desk.focused(), Some(1));
}

#[test]
fn flash_alone_holds_and_resumes() {
    let mut b = Bench::new();
    b.connected(1);
    assert_eq!(
        b.press(HEADSET, Flash),
        [DeskOutput::Act(Action::Hold {
            call: 1,
            held: true
        })]
    );
    b.held(1, true);
    assert_eq!(
        b.press(HEADSET, Flash),
        [DeskOutput::Act(Action::Hold {
            call: 1,
            held: false
        })]
    );
}

#[test]
fn transfer_digits_send_is_a_blind_transfer() {
    let mut b = Bench::new();
    b.connected(1);
    assert!(b.press(HANDSET, Transfer).is_empty());
    b.press(HANDSET, Key('3'));
    b.press(HANDSET, Key('0'));
    assert_eq!(
        b.press(HANDSET, Send),
        [DeskOutput::Act(Action::Transfer {
            call: 1,
            target: "30".into()
        })]
    );
    // Keys go back to DTMF afterwards.
    assert_eq!(
        b.press(HANDSET, Key('1')),
        [DeskOutput::Act(Action::Dtmf {
            call: 1,
            keys: "1".into()
        })]
    );
}

#[test]
fn transfer_with_a_held_call_is_attended() {
    let mut b = Bench::new();
    b.connected(1);
    b.held(1, true);
    b.calling(2, "carol");
    b.established(2);
    assert_eq!(
        b.press(HEADSET, Transfer),
        [DeskOutput::Act(Action::TransferAttended {
            call: 1,
            to_call: 2
        })]
    );
}

#[test]
fn hanging_up_leaves_a_held_call_that_rings_back() {
    let mut b = Bench::new();
    b.connected(1);
    b.held(1, true);
    b.calling(2, "carol");
    b.established(2);
    assert_eq!(
        b.press(HEADSET, HookToggle),
        [DeskOutput::Act(Action::Hangup { call: Some(2) })]
    );
    b.ended(2, "local");
    assert!(!b.desk.device_state().ring);
    b.advance(Duration::from_secs(2));
    let s = b.desk.device_state();
    assert!(s.ring && s.hold, "the held call rings back");
    assert_eq!(
        b.press(HEADSET, HookToggle),
        [DeskOutput::Act(Action::Hold {
            call: 1,
            held: false
        })]
    );
    b.held(1, false);
    let s = b.desk.device_state();
    assert!(!s.ring && s.off_hook && !s.hold);
}

#[test]
fn a_remote_hangup_gives_a_lifted_handset_busy_tone_until_put_back() {
    let mut b = Bench::new();
    b.incoming(1);
    b.press(HANDSET, HookOff);
    b.established(1);
    assert_eq!(
        b.ended(1, "remote"),
        [DeskOutput::Tone(Some(LocalTone::Busy))]
    );
    assert!(b.desk.device_state().off_hook);
    assert_eq!(b.press(HANDSET, HookOn), [DeskOutput::Tone(None)]);
    assert!(!b.desk.device_state().off_hook);
    // A headset (toggle) just goes idle: its Off-Hook LED goes off.
    b.connected(2);
    assert!(b.ended(2, "remote").is_empty());
    assert!(!b.desk.device_state().off_hook);
}

#[test]
fn dnd_toggles_through_the_engine_and_the_led_follows() {
    let mut b = Bench::new();
    assert_eq!(
        b.press(HEADSET, Dnd),
        [DeskOutput::Act(Action::Dnd {
            on: true,
            account: None
        })]
    );
    b.event(PhoneEvent::Dnd {
        account: Some("work".into()),
        on: true,
    });
    assert!(b.desk.device_state().dnd);
    assert_eq!(
        b.press(HEADSET, Dnd),
        [DeskOutput::Act(Action::Dnd {
            on: false,
            account: None
        })]
    );
}

#[test]
fn volume_buttons_step_the_call_earpiece() {
    let mut b = Bench::new();
    b.connected(1);
    assert_eq!(
        b.press(HEADSET, VolumeUp),
        [DeskOutput::Act(Action::Volume {
            call: 1,
            speaker: Some(110),
            microphone: None
        })]
    );
    b.event(PhoneEvent::Volume {
        call: 1,
        speaker_percent: Some(110),
        microphone_percent: None,
    });
    assert_eq!(
        b.press(HEADSET, VolumeDown),
        [DeskOutput::Act(Action::Volume {
            call: 1,
            speaker: Some(100),
            microphone: None
        })]
    );
    assert!(Bench::new().press(HEADSET, VolumeUp).is_empty(), "no call");
}

#[test]
fn the_app_answering_lights_the_devices_too() {
    let mut b = Bench::new();
    b.incoming(4);
    // Answered in the app: no gesture, yet the state follows the events.
    b.established(4);
    let s = b.desk.device_state();
    assert!(s.off_hook && !s.ring);
    b.ended(4, "remote");
    assert_eq!(b.desk.device_state(), Default::default());
}

#[test]
fn a_headset_whose_hook_follows_us_hears_no_busy_tone() {
    // A Jabra-class headset: lifted by its button, put "down" by our LED.
    let mut b = Bench::new();
    b.desk.device_added(HEADSET, true, &[]);
    b.incoming(1);
    b.press(HEADSET, HookOff);
    b.established(1);
    b.desk.off_hook_shown(true);
    assert!(b.ended(1, "remote").is_empty(), "no busy tone in a headset");
    b.desk.off_hook_shown(false);
    // Its next press is a lift again: dial tone.
    assert_eq!(
        b.press(HEADSET, HookOff),
        [DeskOutput::Tone(Some(LocalTone::Dial))]
    );
    // Unplugged while lifted: it no longer holds the desk off-hook.
    b.desk.device_removed(HEADSET);
    b.press(HEADSET, HookOn);
    assert!(!b.desk.device_state().off_hook);
}

#[test]
fn the_message_waiting_led_follows_any_account_with_voicemail() {
    let mut b = Bench::new();
    let mwi = |account: &str, waiting| PhoneEvent::MessageWaiting {
        account: Some(account.into()),
        waiting,
        new: None,
        old: None,
    };
    b.event(mwi("work", true));
    b.event(mwi("home", false));
    assert!(b.desk.device_state().message_waiting);
    b.event(mwi("work", false));
    assert!(!b.desk.device_state().message_waiting);
}

#[test]
fn a_number_that_cannot_be_called_gives_a_lifted_handset_busy_tone() {
    let mut b = Bench::new();
    b.press(HANDSET, HookOff);
    b.press(HANDSET, Key('5'));
    assert_eq!(
        b.press(HANDSET, Send),
        [DeskOutput::Act(Action::Call {
            target: "5".into(),
            account: None,
            audio: None
        })]
    );
    b.desk.place_failed();
    assert_eq!(b.actions(), [DeskOutput::Tone(Some(LocalTone::Busy))]);
    assert!(b.desk.device_state().off_hook);
    assert_eq!(b.press(HANDSET, HookOn), [DeskOutput::Tone(None)]);
}

/// Two connected calls, the first held: the state a conference starts from.
fn talking_with_one_held(b: &mut Bench) {
    b.connected(1);
    b.held(1, true);
    b.connected(2);
}

fn acts(outputs: Vec<DeskOutput>) -> Vec<Action> {
    outputs
        .into_iter()
        .filter_map(|o| match o {
            DeskOutput::Act(a) => Some(a),
            _ => None,
        })
        .collect()
}

#[test]
fn the_conference_key_or_send_with_a_held_call_merges() {
    let mut b = Bench::new();
    b.connected(1);
    assert_eq!(
        acts(b.press(HEADSET, Conference)),
        [],
        "one call: nothing to merge"
    );
    assert_eq!(acts(b.press(HANDSET, Send)), []);
    b.held(1, true);
    b.connected(2);
    assert_eq!(
        acts(b.press(HEADSET, Conference)),
        [Action::Merge { calls: None }]
    );
    assert_eq!(
        acts(b.press(HANDSET, Send)),
        [Action::Merge { calls: None }]
    );
}

#[test]
fn in_a_conference_on_hook_leaves_it_and_hold_and_mute_act_on_every_member() {
    let mut b = Bench::new();
    talking_with_one_held(&mut b);
    b.held(1, false);
    b.event(PhoneEvent::Conference { calls: vec![1, 2] });
    assert_eq!(
        acts(b.press(HEADSET, MuteToggle)),
        [
            Action::Mute {
                call: 1,
                muted: true
            },
            Action::Mute {
                call: 2,
                muted: true
            }
        ]
    );
    assert_eq!(
        acts(b.press(HEADSET, Hold)),
        [
            Action::Hold {
                call: 1,
                held: true
            },
            Action::Hold {
                call: 2,
                held: true
            }
        ]
    );
    assert_eq!(
        acts(b.press(HEADSET, HookToggle)),
        [Action::LeaveConference]
    );
    assert_eq!(acts(b.press(HEADSET, Drop)), [Action::LeaveConference]);
    // Over: the focused call (the one touched last) is hung up alone.
    b.event(PhoneEvent::Conference { calls: vec![] });
    assert_eq!(
        acts(b.press(HEADSET, Drop)),
        [Action::Hangup { call: Some(1) }]
    );
}

#[test]
fn a_mapped_pickup_button_picks_up_the_ringing_lamp() {
    let mut b = Bench::new();
    assert_eq!(
        acts(b.press(HEADSET, PickupLamp)),
        [Action::Pickup {
            extension: None,
            account: None
        }]
    );
}

fn mapping(button: &str, action: &str) -> hookswitch_hid::ButtonMapping {
    hookswitch_hid::ButtonMapping {
        button: button.parse().unwrap(),
        action: action.into(),
    }
}

#[test]
fn unmapped_teams_and_programmable_buttons_do_nothing() {
    let mut b = Bench::new();
    b.incoming(1);
    assert!(b.press(HEADSET, Teams).is_empty());
    assert!(b.press(HEADSET, Button(3)).is_empty());
}

#[test]
fn mapped_buttons_run_their_action_the_settings_before_the_profile() {
    let settings = [mapping("teams", "window"), mapping("button 2", "away")];
    let mut b = Bench {
        desk: Desk::new(DeskConfig {
            buttons: super::buttons::parse_mappings(&settings),
            ..DeskConfig::default()
        }),
        now: Instant::now(),
    };
    // The profile maps the Teams button too, and button 3, and has a
    // mapping that does not read (left out).
    b.desk.device_added(
        HEADSET,
        false,
        &[
            mapping("teams", "answer-or-hang-up"),
            mapping("button 3", "answer-or-hang-up"),
            mapping("button 4", "sing"),
            mapping("button 5", "speed-dial 7"),
            mapping("button 6", "call 200"),
            mapping("button 7", "pickup"),
        ],
    );
    assert_eq!(b.press(HEADSET, Teams), [DeskOutput::Window]);
    assert_eq!(b.press(HEADSET, Button(2)), [DeskOutput::ToggleAway]);
    assert!(b.press(HEADSET, Button(4)).is_empty());
    assert_eq!(b.press(HEADSET, Button(5)), [DeskOutput::SpeedDial(7)]);
    assert_eq!(
        acts(b.press(HEADSET, Button(6))),
        [Action::Call {
            target: "200".into(),
            account: None,
            audio: None
        }]
    );
    assert_eq!(
        acts(b.press(HEADSET, Button(7))),
        [Action::Pickup {
            extension: None,
            account: None
        }]
    );
    // Answer or hang up: nothing when idle (it never dials), answers a
    // ringing call, hangs up the active one.
    assert!(b.press(HEADSET, Button(3)).is_empty());
    b.incoming(4);
    assert_eq!(
        acts(b.press(HEADSET, Button(3))),
        [Action::Answer {
            call: 4,
            audio: None
        }]
    );
    b.connected(4);
    assert_eq!(
        acts(b.press(HEADSET, Button(3))),
        [Action::Hangup { call: Some(4) }]
    );
    // Another device has none of this profile's mappings.
    assert!(b.press(HANDSET, Button(3)).is_empty());
    // Unplugged, the profile's mappings go with it; the settings' stay.
    b.desk.device_removed(HEADSET);
    assert!(b.press(HEADSET, Button(5)).is_empty());
    assert_eq!(b.press(HEADSET, Teams), [DeskOutput::Window]);
}
