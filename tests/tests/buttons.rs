//! Vendor and programmable buttons end to end: a headset with the Teams
//! button and Telephony Programmable Buttons (simulated from its
//! descriptor), buttons mapped in the settings, a real SIP peer (sipp) to
//! answer and hang up. Unmapped buttons do nothing to calls.

use std::time::{Duration, Instant};

use hookswitch_hid::ButtonMapping;
use hookswitch_phone::{Availability, Passwords, PhoneEvent};
use hookswitch_tests::devices::teams_headset;
use hookswitch_tests::{expect_event, free_port, sipp, start_engine, test_config};

const T: Duration = Duration::from_secs(15);

fn map(button: &str, action: &str) -> ButtonMapping {
    ButtonMapping {
        button: button.parse().unwrap(),
        action: action.into(),
    }
}

fn own_presence(e: &PhoneEvent) -> Option<Availability> {
    match e {
        PhoneEvent::OwnPresence { chosen, .. } => Some(*chosen),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_button_and_programmable_buttons_run_their_mapped_actions() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut config = test_config(port);
    config.devices.buttons = vec![
        map("teams", "answer-or-hang-up"),
        map("button 2", "away"),
        map("button 3", "window"),
    ];
    let (engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let headset = engine.devices().simulate(&teams_headset()).unwrap();
    // Presses a person makes are apart (the decoder debounces 15 ms).
    let mut at = Instant::now();
    let mut press = |report: &[u8]| {
        at += Duration::from_millis(100);
        headset.input_at(report, at);
    };

    // Programmable Button 2 (the array's value 2, bits 2-4): away; again:
    // available. Released between (value 0, the array's null).
    press(&[0x02, 0x08]);
    press(&[0x02, 0x00]);
    expect_event(&mut events, T, "away", |e| {
        (own_presence(e) == Some(Availability::Away)).then_some(())
    })
    .await;
    press(&[0x02, 0x08]);
    press(&[0x02, 0x00]);
    expect_event(&mut events, T, "available again", |e| {
        (own_presence(e) == Some(Availability::Available)).then_some(())
    })
    .await;

    // Button 3: the window is asked for.
    press(&[0x02, 0x0c]);
    press(&[0x02, 0x00]);
    expect_event(&mut events, T, "the window wanted", |e| {
        matches!(e, PhoneEvent::WindowWanted).then_some(())
    })
    .await;

    // Button 4 is not mapped: a call rings on, unanswered by it.
    let sipp = sipp::calls(dir.path(), port, "uac_device");
    let call = expect_event(&mut events, T, "a call rings", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    press(&[0x02, 0x10]);
    press(&[0x02, 0x00]);
    // The Teams button answers it (report 0x9B bit 0, pressed and released)...
    press(&[0x9b, 0x01]);
    press(&[0x9b, 0x00]);
    let answered = expect_event(
        &mut events,
        T,
        "answered by the Teams button",
        |e| match e {
            PhoneEvent::Established { call, .. } => Some(*call),
            PhoneEvent::Ended { call: c, .. } if *c == call => {
                panic!("ended before it was answered")
            }
            _ => None,
        },
    )
    .await;
    assert_eq!(answered, call);
    let state = engine.state();
    assert!(
        state.calls.iter().all(|c| c.id == call),
        "button 4 placed nothing: {:?}",
        state.calls
    );
    // ...and hangs it up (sipp's scenario needs our BYE).
    press(&[0x9b, 0x01]);
    press(&[0x9b, 0x00]);
    sipp::succeeds(sipp).await;
}
