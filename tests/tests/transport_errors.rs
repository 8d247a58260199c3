//! ICMP errors end transactions at once (RFC 3261 8.1.3.1, 18.4): a call to
//! a UDP port nobody listens on fails with the reason, not after Timer B's
//! 32 s, and a blind transfer to such a target is reported failed to the
//! transferor. The timers are the defaults (T1 500 ms): a timeout would say
//! "no answer from the network", which the tests tell apart.

use std::time::Duration;

use hookswitch_phone::{AudioSpec, Passwords, PhoneEvent};
use hookswitch_tests::{Phone, call_between, expect_event, free_port, start_engine, test_config};

const T: Duration = Duration::from_secs(15);

fn default_timers(port: u16) -> hookswitch_phone::Config {
    let mut c = test_config(port);
    let d = hookswitch_phone::Config::default();
    (c.sip.t1_ms, c.sip.t2_ms, c.sip.t4_ms) = (d.sip.t1_ms, d.sip.t2_ms, d.sip.t4_ms);
    c
}

/// A UDP port with nobody behind it.
fn closed_port() -> u16 {
    let port = free_port();
    drop(std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap());
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_to_a_closed_port_fails_at_once_with_the_reason() {
    let (engine, mut events) = start_engine(&default_timers(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:nobody@127.0.0.1:{}", closed_port()),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let (status, detail) = expect_event(&mut events, T, "the call fails", |e| match e {
        PhoneEvent::Ended {
            call: c,
            status,
            detail,
            ..
        } if *c == call => Some((*status, detail.clone().unwrap_or_default())),
        _ => None,
    })
    .await;
    assert_eq!(status, Some(503));
    assert!(detail.contains("port unreachable"), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blind_transfer_to_a_closed_port_is_reported_failed() {
    let (a, b, _) = call_between(
        default_timers(free_port()),
        default_timers(free_port()),
        AudioSpec::default(),
        AudioSpec::default(),
    )
    .await;
    let (a_engine, mut a_events, ab) = (a.engine, a.events, a.call);
    let _b = b;
    a_engine
        .transfer(ab, &format!("sip:nobody@127.0.0.1:{}", closed_port()))
        .await
        .unwrap();
    let status = expect_event(&mut a_events, T, "the transfer's end", |e| match e {
        PhoneEvent::TransferProgress {
            call,
            status,
            done: true,
        } if *call == ab => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(status, 503, "the target could not be reached");
    assert!(
        a_engine.state().calls.iter().any(|c| c.id == ab),
        "A keeps B"
    );
}
