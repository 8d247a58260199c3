//! A forking proxy (RFC 3261 16.7, 13.2.2.4): kamailio rings both of bob's
//! registered phones in parallel, both answer, and alice gets two 2xx with
//! different To tags. Alice keeps one call, ACKs the other 2xx and ends
//! that dialog with a BYE, so the second phone's call ends at once instead
//! of staying up silent; no ACK storm. Also sipp sending a second 200 with
//! its own tag.

use std::time::Duration;

use hookswitch_phone::state::CallPhase;
use hookswitch_phone::{AudioSpec, Engine, Passwords, PhoneEvent};
use hookswitch_tests::Phone;
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{expect_event, free_port, start_engine, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn phone(user: &str, kport: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let (engine, mut events) =
        kamailio::phone(account(user, kport, 600), test_config(free_port())).await;
    registered(&mut events).await;
    (engine, events)
}

fn incoming(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    }
}

fn established(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::Established { call, .. } => Some(*call),
        _ => None,
    }
}

fn ended(e: &PhoneEvent) -> Option<String> {
    match e {
        PhoneEvent::Ended { reason, .. } => Some(reason.to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_phones_of_a_forked_call_answer_one_is_kept_the_other_ended() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure_forking(dir.path(), kport);
    let k = kamailio.start();
    let (alice, mut a_events) = phone("alice", kport).await;
    let (desk, mut desk_events) = phone("bob", kport).await;
    let (mobile, mut mobile_events) = phone("bob", kport).await;

    let call = alice
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let on_desk = expect_event(&mut desk_events, T, "the desk phone rings", incoming).await;
    let on_mobile = expect_event(&mut mobile_events, T, "the mobile rings", incoming).await;
    let (d, m) = tokio::join!(
        desk.answer(on_desk, AudioSpec::default()),
        mobile.answer(on_mobile, AudioSpec::default())
    );
    d.unwrap();
    m.unwrap();

    assert_eq!(
        expect_event(&mut a_events, T, "alice connected", established).await,
        call
    );
    // One of the two phones is hung up by alice's BYE; which one depends on
    // whose 2xx the proxy relayed first. That one may see the BYE before
    // alice's ACK (the proxy's workers may pass them on in either order):
    // it need not have been established first. The kept one must be.
    let (kept, mut kept_events, other) = tokio::select! {
        r = expect_event(&mut desk_events, T, "a phone's call ends", ended) => {
            assert_eq!(r, "remote");
            (mobile, mobile_events, "desk")
        }
        r = expect_event(&mut mobile_events, T, "a phone's call ends", ended) => {
            assert_eq!(r, "remote");
            (desk, desk_events, "mobile")
        }
    };
    // (Its events may have gone to the race above: its state says.)
    let mut kept_state = kept.watch_state();
    tokio::time::timeout(
        T,
        kept_state.wait_for(|s| s.calls.len() == 1 && s.calls[0].phase == CallPhase::Connected),
    )
    .await
    .expect("the kept phone connected")
    .expect("the kept phone runs");
    // The kept phone and alice talk on; nothing else ends.
    let state = alice.state();
    assert_eq!(
        state.calls.len(),
        1,
        "alice has one call: {:?}",
        state.calls
    );
    assert_eq!(state.calls[0].phase, CallPhase::Connected);
    assert_eq!(
        kept.state().calls.len(),
        1,
        "the {other} phone ended, the other did not"
    );

    alice.hangup(Some(call)).await.unwrap();
    assert_eq!(
        expect_event(&mut kept_events, T, "the kept call ends", ended).await,
        "remote"
    );
    // Alice's call was established once and never twice.
    let mut again = 0;
    while let Ok(e) = a_events.try_recv() {
        again += usize::from(established(&e).is_some());
    }
    assert_eq!(again, 0, "no second Established at alice");
    // Each 2xx was ACKed: the proxy relayed a handful of retransmissions at
    // most, not an ACK storm.
    let log = k.log();
    let acks = log.matches("ACK sip:").count();
    assert!(acks < 20, "{acks} ACKs logged:\n{log}");
}

/// sipp answers, then sends a second 200 with another To tag (as a proxy
/// relays from a second branch): we ACK both and BYE the second dialog,
/// which sipp checks by its To tag, then hang up the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_2xx_with_another_tag_is_acked_and_byed() {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_forked_2xx"),
        1,
        &[],
    );
    let (engine, mut events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        expect_event(&mut events, T, "established", established).await,
        call
    );
    // sipp ends the kept dialog once it has seen the other one's BYE.
    sipp::succeeds(sipp).await;
    assert_eq!(expect_event(&mut events, T, "ended", ended).await, "remote");
}
