//! `cargo xtask bench presence`: how long a presence change takes from the
//! moment a user sets it to the watcher's phone telling its faces, through
//! kamailio as the presence server (PUBLISH in, NOTIFY out), over 100
//! changes (away and available in turn, each with a new note), in a release
//! build on this machine. Prints p50, p99 and the slowest.

use std::time::{Duration, Instant};

use hookswitch_phone::{Action, Availability, PhoneEvent};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{expect_event, free_port, test_config};

const CHANGES: usize = 100;
const T: Duration = Duration::from_secs(20);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Kamailio::configure_presence(dir.path(), free_port());
    let _k = server.start();
    let kport = server.port;
    let mut bob_account = account("bob", kport, 600);
    bob_account.presence = true;
    let (bob, mut bob_events) = kamailio::phone(bob_account, test_config(free_port())).await;
    registered(&mut bob_events).await;
    let mut alice_config = test_config(free_port());
    alice_config.presence.watch = vec!["bob".into()];
    let mut alice_account = account("alice", kport, 600);
    alice_account.presence = true;
    let (_alice, mut alice_events) = kamailio::phone(alice_account, alice_config).await;
    registered(&mut alice_events).await;
    expect_event(&mut alice_events, T, "bob available", |e| match e {
        PhoneEvent::Presence {
            target,
            availability: Availability::Available,
            ..
        } if target == "bob" => Some(()),
        _ => None,
    })
    .await;

    let mut took = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        let availability = if n % 2 == 0 {
            Availability::Away
        } else {
            Availability::Available
        };
        let note = format!("change {n}");
        let started = Instant::now();
        bob.act(Action::Presence {
            availability,
            note: Some(note.clone()),
        })
        .await
        .expect("presence set");
        expect_event(&mut alice_events, T, &note, |e| match e {
            PhoneEvent::Presence {
                target,
                note: Some(seen),
                ..
            } if target == "bob" && *seen == note => Some(()),
            _ => None,
        })
        .await;
        took.push(started.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "presence change -> watcher's event through kamailio, {CHANGES} changes: \
         p50 {:.2} ms, p99 {:.2} ms, slowest {:.2} ms",
        ms(took[CHANGES / 2]),
        ms(took[CHANGES * 99 / 100]),
        ms(took[CHANGES - 1])
    );
}
