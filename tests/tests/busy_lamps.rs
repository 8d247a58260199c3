//! Busy lamps through kamailio (dialog module, pua_dialoginfo,
//! presence_dialoginfo): bob watches extension 2000's lamp; alice calls
//! 2000 and the lamp rings with alice as the caller; bob picks the call up
//! (INVITE with Replaces to alice, naming her ringing dialog): alice talks
//! to bob, her call to 2000 is cancelled, and the lamp goes idle.

use std::time::Duration;

use hookswitch_phone::event::LampPhase;
use hookswitch_phone::{Action, Engine, PhoneEvent, Reply};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn user(name: &str, kport: u16, blf: &[&str]) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut acct = account(name, kport, 600);
    acct.blf = blf.iter().map(|b| b.to_string()).collect();
    let (engine, mut events) = kamailio::phone(acct, test_config(free_port())).await;
    registered(&mut events).await;
    (engine, events)
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
    let dir = tempfile::tempdir().unwrap();
    let server = Kamailio::configure_blf(dir.path(), free_port());
    let _k = server.start();
    let kport = server.port;
    let (_ext, mut ext_events) = user("2000", kport, &[]).await;
    let (bob, mut bob_events) = user("bob", kport, &["2000"]).await;
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

    let picked = bob
        .act(Action::Pickup {
            extension: "2000".into(),
            account: None,
        })
        .await;
    let Ok(Reply::Call(bob_call)) = picked else {
        panic!("{picked:?}")
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
