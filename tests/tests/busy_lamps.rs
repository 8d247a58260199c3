//! Busy lamps through kamailio (dialog module, pua_dialoginfo,
//! presence_dialoginfo): bob watches extension 2000's lamp; alice calls
//! 2000 and the lamp rings with alice as the caller; bob picks the call up
//! (INVITE with Replaces to alice, naming her ringing dialog): alice talks
//! to bob, her call to 2000 is cancelled, and the lamp goes idle. The same
//! with bob's headset button that his device profile maps to "pick up the
//! ringing lamp", and with a Programmable Button his settings map to `pickup`
//! (`[[devices.buttons]]`).

use std::time::Duration;

use hookswitch_phone::event::LampPhase;
use hookswitch_phone::{Action, Engine, PhoneEvent, Reply};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn user(name: &str, kport: u16, blf: &[&str]) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    user_with(name, kport, blf, test_config(free_port())).await
}

async fn user_with(
    name: &str,
    kport: u16,
    blf: &[&str],
    config: hookswitch_phone::Config,
) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut acct = account(name, kport, 600);
    acct.blf = blf.iter().map(|b| b.to_string()).collect();
    let (engine, mut events) = kamailio::phone(acct, config).await;
    registered(&mut events).await;
    (engine, events)
}

/// How bob picks the ringing call up.
enum PickUp {
    /// `Action::Pickup` naming the extension (the window, `hookswitch pickup`).
    Action,
    /// Button 7 of his Evolve Link, mapped to `PickupLamp` by a profile.
    ProfileButton(tempfile::TempDir),
    /// Programmable Button 1 of a Teams headset, mapped to `pickup` in his
    /// settings.
    MappedButton,
}

/// A user profile for the Evolve Link whose Button 7 (report 2 bit 6)
/// picks up the ringing lamp.
fn pickup_button_profile(dir: &std::path::Path) -> std::path::PathBuf {
    let profiles = dir.join("device-profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(
        profiles.join("0b0e-0307.toml"),
        "name = \"Evolve Link with a pickup button\"\n\n[match]\nvendor_id = \"0x0b0e\"\n\
         product_ids = [\"0x0307\"]\n\n[[vendor_inputs]]\nusage = \"0x0009:0x0007\"\n\
         gesture = \"PickupLamp\"\n",
    )
    .unwrap();
    profiles
}

async fn lamp(events: &mut broadcast::Receiver<PhoneEvent>, want: LampPhase) -> Option<String> {
    expect_event(events, T, &format!("the lamp {want:?}"), |e| match e {
        PhoneEvent::Lamp {
            extension,
            lamp,
            caller,
            ..
        } if extension == "2000" && *lamp == want => Some(caller.clone()),
        _ => None,
    })
    .await
}

/// The lamp in bob's state: its first NOTIFY may come before his
/// registration's 200, and an event read past is gone.
async fn lamp_shows(bob: &Engine, want: LampPhase) {
    hookswitch_tests::expect_state(bob, T, &format!("the lamp {want:?}"), |s| {
        s.lamps
            .iter()
            .any(|l| l.extension == "2000" && l.lamp == want)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ringing_lamp_shows_the_caller_and_is_picked_up() {
    picked_up(PickUp::Action).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headset_button_mapped_in_a_profile_picks_up_the_ringing_lamp() {
    picked_up(PickUp::ProfileButton(tempfile::tempdir().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programmable_button_mapped_in_the_settings_picks_up_the_ringing_lamp() {
    picked_up(PickUp::MappedButton).await;
}

async fn picked_up(how: PickUp) {
    let dir = tempfile::tempdir().unwrap();
    let server = Kamailio::configure_blf(dir.path(), free_port());
    let _k = server.start();
    let kport = server.port;
    let (_ext, mut ext_events) = user("2000", kport, &[]).await;
    let mut bob_config = test_config(free_port());
    match &how {
        PickUp::ProfileButton(profiles) => {
            bob_config.devices.profiles_dir = Some(pickup_button_profile(profiles.path()));
        }
        PickUp::MappedButton => {
            bob_config.devices.buttons = vec![hookswitch_hid::ButtonMapping {
                button: "button 1".parse().unwrap(),
                action: "pickup".into(),
            }];
        }
        PickUp::Action => {}
    }
    let (bob, mut bob_events) = user_with("bob", kport, &["2000"], bob_config).await;
    // The press and release that pick up: Button 7 (report 2 bit 6) of the
    // Evolve Link, or value 1 of the Teams headset's Programmable Button
    // array (report 2 bits 2-4).
    let headset = match &how {
        PickUp::Action => None,
        PickUp::ProfileButton(_) => Some((hookswitch_tests::devices::jabra(), [0x02, 0x40, 0x00])),
        PickUp::MappedButton => Some((
            hookswitch_tests::devices::teams_headset(),
            [0x02, 0x04, 0x00],
        )),
    }
    .map(|(spec, press)| {
        let handle = bob.devices().simulate(&spec).expect("a simulated headset");
        (handle, press)
    });
    let (alice, mut alice_events) = user("alice", kport, &[]).await;
    lamp_shows(&bob, LampPhase::Idle).await;

    let placed = alice
        .act(Action::Call {
            target: "2000".into(),
            account: None,
            audio: None,
        })
        .await;
    let Ok(Reply::Call(alice_call)) = placed else {
        panic!("{placed:?}")
    };
    expect_event(&mut ext_events, T, "2000 rings", |e| {
        matches!(e, PhoneEvent::IncomingCall { .. }).then_some(())
    })
    .await;
    let caller = lamp(&mut bob_events, LampPhase::Ringing).await;
    assert!(
        caller
            .as_deref()
            .is_some_and(|c| c.contains("alice@127.0.0.1")),
        "{caller:?}"
    );

    let bob_call = match headset {
        None => {
            let picked = bob
                .act(Action::Pickup {
                    extension: Some("2000".into()),
                    account: None,
                })
                .await;
            let Ok(Reply::Call(call)) = picked else {
                panic!("{picked:?}")
            };
            call
        }
        Some((headset, press)) => {
            let at = std::time::Instant::now();
            let release = [0x02, 0x00, 0x00];
            let n = if matches!(how, PickUp::MappedButton) {
                2
            } else {
                3
            };
            headset.input_at(&press[..n], at);
            headset.input_at(&release[..n], at + Duration::from_millis(100));
            expect_event(&mut bob_events, T, "bob's pickup call", |e| match e {
                PhoneEvent::Calling { call, .. } => Some(*call),
                _ => None,
            })
            .await
        }
    };
    expect_event(&mut bob_events, T, "bob talks to alice", |e| match e {
        PhoneEvent::Established { call, .. } if *call == bob_call => Some(()),
        _ => None,
    })
    .await;
    expect_event(
        &mut alice_events,
        T,
        "alice's call to 2000 ends",
        |e| match e {
            PhoneEvent::Ended { call, .. } if *call == alice_call => Some(()),
            _ => None,
        },
    )
    .await;
    expect_event(&mut ext_events, T, "2000 stops ringing", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    })
    .await;
    lamp_shows(&bob, LampPhase::Idle).await;
}
