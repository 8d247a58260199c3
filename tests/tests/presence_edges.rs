//! Presence subscriptions against sipp as a presence server doing what RFC
//! 6665 allows: a refresh answered 481 (the server lost the subscription:
//! we subscribe anew), a NOTIFY that ends it with `reason=deactivated`
//! (anew, at once) and with `reason=rejected` (given up, the contact shown
//! unknown with why). Each new subscription is sipp's next call, whose
//! NOTIFY carries its call number in the note, so a note that changes
//! proves the new subscription. (Malformed and oversized bodies: messages.rs
//! and the fuzz targets; kamailio's own behaviour: presence.rs.)

use std::time::Duration;

use hookswitch_phone::{Availability, Engine, Passwords, PhoneState};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{expect_state, free_port, start_engine, test_account, test_config};

const T: Duration = Duration::from_secs(20);

/// sipp serving `scenario` (for `calls` calls, with `extra` arguments) as
/// the presence server of an engine's account, which watches bob.
async fn watching(
    dir: &std::path::Path,
    scenario: &str,
    calls: u32,
    extra: &[&str],
) -> (hookswitch_tests::Process, Engine) {
    let sport = free_port();
    let server = sipp::uas(dir, sport, Scenario::File(scenario), calls, extra);
    let mut config = test_config(free_port());
    let mut account = test_account("office", &format!("sip:alice@127.0.0.1:{sport}"), false);
    account.presence = true;
    config.accounts.push(account);
    config.presence.watch = vec!["bob".into()];
    let (engine, _events) = start_engine(&config, &Passwords::new()).await;
    (server, engine)
}

fn bob(s: &PhoneState) -> Option<&hookswitch_phone::state::WatchedView> {
    s.presence.watched.iter().find(|w| w.target == "bob")
}

/// Bob shows available with the note of sipp's call `n`.
async fn available_with_note(engine: &Engine, n: u32) {
    let note = format!("n{n}");
    expect_state(engine, T, &format!("bob available ({note})"), |s| {
        bob(s).is_some_and(|b| {
            b.availability == Availability::Available && b.note.as_deref() == Some(note.as_str())
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_answered_481_is_made_anew() {
    let dir = tempfile::tempdir().unwrap();
    let (server, engine) = watching(dir.path(), "uas_presence_481_on_refresh", 3, &[]).await;
    // Call 1 is our PUBLISH, 2 the first subscription, 3 the one after the 481.
    available_with_note(&engine, 2).await;
    available_with_note(&engine, 3).await;
    sipp::succeeds(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_deactivated_by_notify_is_made_anew() {
    let dir = tempfile::tempdir().unwrap();
    let extra = ["-key", "reason", "deactivated"];
    let (server, engine) = watching(dir.path(), "uas_presence_terminated", 3, &extra).await;
    available_with_note(&engine, 2).await;
    available_with_note(&engine, 3).await;
    sipp::succeeds(server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_rejected_by_notify_is_given_up_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let extra = ["-key", "reason", "rejected"];
    let (server, engine) = watching(dir.path(), "uas_presence_terminated", 2, &extra).await;
    available_with_note(&engine, 2).await;
    expect_state(&engine, T, "bob given up", |s| {
        bob(s).is_some_and(|b| {
            b.availability == Availability::Unknown
                && b.detail.as_deref().is_some_and(|d| d.contains("rejected"))
        })
    })
    .await;
    sipp::succeeds(server).await;
}
