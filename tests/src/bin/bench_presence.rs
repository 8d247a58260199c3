//! `cargo xtask bench presence`: how long a presence change takes from the
//! moment a user sets it to the watcher's phone telling its faces, through
//! kamailio as the presence server (PUBLISH in, NOTIFY out), over 100
//! changes (away and available in turn, each with a new note), in a release
//! build on this machine; then the same for baresip 1.0 as publisher and
//! watcher through the same kamailio. Prints p50, p99 and the slowest.

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
    let k = server.start();
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
    report("hookswitch", "the watcher's event", took);
    report(
        "baresip",
        "the watcher's log line",
        baresip_changes(dir.path(), &k, kport),
    );
}

fn report(who: &str, until: &str, mut took: Vec<Duration>) {
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{who}: presence change -> {until} through kamailio, {} changes: \
         p50 {:.2} ms, p99 {:.2} ms, slowest {:.2} ms",
        took.len(),
        ms(took[took.len() / 2]),
        ms(took[took.len() * 99 / 100]),
        ms(took[took.len() - 1])
    );
}

/// The reference on the same server: baresip 1.0 as 2000 publishing open
/// and closed in turn (`presence_online`/`presence_offline` over ctrl_tcp),
/// and another baresip as bob watching it (contacts `;presence=p2p`); timed
/// from the command to the watcher's "changed status" line in its log
/// (read every 0.2 ms: baresip tells nobody else).
fn baresip_changes(
    dir: &std::path::Path,
    kamailio: &hookswitch_tests::Process,
    kport: u16,
) -> Vec<Duration> {
    use hookswitch_tests::baresip::Baresip;
    let silence = dir.join("silence.wav");
    hookswitch_tests::write_tone(&silence, 0.0, 8000, 1.0);
    let server = std::net::SocketAddr::from(([127, 0, 0, 1], kport));
    let publisher = Baresip::configure(dir, free_port(), &silence, "PCMU", "udp")
        .with_presence_account("2000", "2000-secret", server, "sip:nobody@127.0.0.1");
    let watcher = Baresip::configure(dir, free_port(), &silence, "PCMU", "udp")
        .with_presence_account(
            "bob",
            "bob-secret",
            server,
            &format!("sip:2000@127.0.0.1:{kport}"),
        );
    let publishing = publisher.start(600, None);
    let watching = watcher.start(600, None);
    let lines = || watching.log().matches("changed status from").count();
    hookswitch_tests::wait_until(T, "both baresips registered", || {
        publishing.log().contains("200 OK") && watching.log().contains("200 OK")
    });
    // baresip logs a change only from a known state, and its own state at
    // start is not for us to know: toggle until the watcher logs one.
    hookswitch_tests::wait_until(T, "the watcher's subscription", || {
        kamailio
            .log()
            .contains("SUBSCRIBE of bob for 2000 answered")
    });
    let command = |online: bool| {
        let c = if online {
            "presence_online"
        } else {
            "presence_offline"
        };
        publisher.command(c, "").expect("ctrl_tcp");
    };
    let mut online = false;
    let synced = (0..10).any(|_| {
        online = !online;
        command(online);
        let asked = Instant::now();
        while lines() == 0 && asked.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(1));
        }
        lines() > 0
    });
    assert!(synced, "the watcher never logged 2000's state");
    let mut took = Vec::with_capacity(CHANGES);
    for n in 0..CHANGES {
        online = !online;
        let before = lines();
        let started = Instant::now();
        command(online);
        while lines() == before {
            assert!(started.elapsed() < T, "the watcher never saw change {n}");
            std::thread::sleep(Duration::from_micros(200));
        }
        took.push(started.elapsed());
    }
    took
}
