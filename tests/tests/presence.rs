//! Presence through kamailio as the presence server (presence and
//! presence_xml on db_text, D68): two Hookswitch users publish theirs and
//! watch each other's; a change by hand, with a note, DND and a call reach
//! the watcher (the call through kamailio too); a user kamailio has no presence for shows honestly.

use std::time::Duration;

use hookswitch_phone::{Action, Availability, Engine, PhoneEvent};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn user(name: &str, kport: u16, watch: &[&str]) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut config = test_config(free_port());
    config.presence.watch = watch.iter().map(|w| w.to_string()).collect();
    let mut acct = account(name, kport, 600);
    acct.presence = true;
    let (engine, mut events) = kamailio::phone(acct, config).await;
    registered(&mut events).await;
    (engine, events)
}

/// Waits until `target` shows `want` to the watcher; its note.
async fn sees(
    events: &mut broadcast::Receiver<PhoneEvent>,
    target: &str,
    want: Availability,
) -> Option<String> {
    expect_event(
        events,
        T,
        &format!("{target} {}", want.as_str()),
        |e| match e {
            PhoneEvent::Presence {
                target: t,
                availability,
                note,
                ..
            } if t == target && *availability == want => Some(note.clone()),
            _ => None,
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_see_each_others_presence_change() {
    let dir = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::configure_presence(dir.path(), free_port());
    let _k = kamailio.start();
    let kport = kamailio.port;
    let (bob, _bob_events) = user("bob", kport, &[]).await;
    let (alice, mut alice_events) = user("alice", kport, &["bob"]).await;

    // Bob published "available" when he started (in alice's state: its
    // NOTIFY may have come while she waited for her registration).
    hookswitch_tests::expect_state(&alice, T, "bob available", |s| {
        s.presence
            .watched
            .iter()
            .any(|w| w.target == "bob" && w.availability == Availability::Available)
    })
    .await;

    bob.act(Action::Presence {
        availability: Availability::Away,
        note: Some("lunch, back at 2".into()),
    })
    .await
    .unwrap();
    let note = sees(&mut alice_events, "bob", Availability::Away).await;
    assert_eq!(note.as_deref(), Some("lunch, back at 2"));

    bob.act(Action::Dnd {
        on: true,
        account: None,
    })
    .await
    .unwrap();
    sees(&mut alice_events, "bob", Availability::Dnd).await;
    bob.act(Action::Dnd {
        on: false,
        account: None,
    })
    .await
    .unwrap();
    bob.act(Action::Presence {
        availability: Availability::Available,
        note: None,
    })
    .await
    .unwrap();
    let note = sees(&mut alice_events, "bob", Availability::Available).await;
    assert_eq!(note, None);

    // Bob calls alice: while it rings and while they talk, he is on the
    // phone; once it ends, available again.
    let placed = bob
        .act(Action::Call {
            target: "alice".into(),
            account: None,
            audio: None,
        })
        .await;
    assert!(placed.is_ok(), "{placed:?}");
    sees(&mut alice_events, "bob", Availability::OnThePhone).await;
    bob.act(Action::Hangup { call: None }).await.unwrap();
    sees(&mut alice_events, "bob", Availability::Available).await;

    // Alice watches a user with no presence at kamailio: unknown, not offline.
    alice
        .act(Action::Watch {
            target: "2000".into(),
            account: None,
        })
        .await
        .unwrap();
    let told = expect_event(&mut alice_events, T, "2000's first NOTIFY", |e| match e {
        PhoneEvent::Presence {
            target,
            availability,
            detail,
            ..
        } if target == "2000" && detail.as_deref() != Some("asking") => {
            Some((*availability, detail.clone()))
        }
        _ => None,
    })
    .await;
    // kamailio's NOTIFY for a user who never published has no body.
    assert_eq!(told.0, Availability::Unknown, "{told:?}");
}

/// baresip (its presence module) as the other side: registered at kamailio
/// as 2000, it publishes "open" and "closed", which alice sees as
/// available and offline; and it watches alice (contacts `;presence=p2p`,
/// SUBSCRIBE through kamailio): alice busy, available and away show in its
/// log as Busy, Online and Offline (baresip 1.0 reads `<basic>` and the
/// RPID busy, on-the-phone and away elements of our PIDF; it has no away,
/// and shows it closed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_publishes_and_watches_a_hookswitch_user() {
    let dir = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::configure_presence(dir.path(), free_port());
    let k = kamailio.start();
    let kport = kamailio.port;
    let (alice, mut alice_events) = user("alice", kport, &["2000"]).await;
    let silence = dir.path().join("silence.wav");
    hookswitch_tests::write_tone(&silence, 0.0, 8000, 1.0);
    let b = hookswitch_tests::baresip::Baresip::configure(
        dir.path(),
        free_port(),
        &silence,
        "PCMU",
        "udp",
    )
    .with_presence_account(
        "2000",
        "2000-secret",
        ([127, 0, 0, 1], kport).into(),
        &format!("sip:alice@127.0.0.1:{kport}"),
    );
    let process = b.start(60, None);
    // baresip 1.0 starts offline; `presence_online` publishes "open".
    hookswitch_tests::wait_until(T, "baresip registered", || process.log().contains("200 OK"));
    b.command("presence_online", "").unwrap();
    sees(&mut alice_events, "2000", Availability::Available).await;
    b.command("presence_offline", "").unwrap();
    sees(&mut alice_events, "2000", Availability::Offline).await;

    // baresip subscribes to alice a second after it starts; its first
    // NOTIFY sets her state without a line in its log.
    hookswitch_tests::wait_until(T, "baresip's subscription to alice", || {
        k.log().contains("SUBSCRIBE of 2000 for alice answered")
    });
    // The states baresip has shown alice in, in order (its log without its
    // terminal colours: "... changed status from Online to Busy").
    let shown = || -> Vec<String> {
        without_colours(&process.log())
            .lines()
            .filter(|l| l.contains("changed status from"))
            .filter_map(|l| l.rsplit(" to ").next())
            .map(|s| s.trim().to_string())
            .collect()
    };
    let mut expected: Vec<String> = Vec::new();
    for (availability, to) in [
        (Availability::Busy, "Busy"),
        (Availability::Available, "Online"),
        (Availability::Away, "Offline"),
    ] {
        alice
            .act(Action::Presence {
                availability,
                note: None,
            })
            .await
            .unwrap();
        expected.push(to.to_string());
        let deadline = std::time::Instant::now() + T;
        while shown() != expected {
            assert!(
                std::time::Instant::now() < deadline,
                "baresip showed alice as {:?}, not {expected:?}:\n{}",
                shown(),
                process.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `text` without ANSI colour sequences (`ESC [ ... m`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
