//! IPv6: two Hookswitches on ::1 call each other (SDP `IN IP6`, media over
//! IPv6), and register with kamailio listening on [::1] and call through it.

use std::net::{Ipv6Addr, SocketAddr};
use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{AudioSpec, Config, Passwords, PhoneEvent};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{Phone, expect_event, free_port, start_engine, test_config};

const T: Duration = Duration::from_secs(20);

fn v6_config(port: u16) -> Config {
    let mut c = test_config(port);
    c.sip.listen = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), port);
    c
}

fn incoming(e: &PhoneEvent) -> Option<u64> {
    match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    }
}

fn established(e: &PhoneEvent) -> Option<Option<String>> {
    match e {
        PhoneEvent::Established { remote_media, .. } => Some(remote_media.clone()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_call_over_ipv6() {
    let bob_port = free_port();
    let (alice, mut a_events) = start_engine(&v6_config(free_port()), &Passwords::new()).await;
    let (bob, mut b_events) = start_engine(&v6_config(bob_port), &Passwords::new()).await;
    let call = alice
        .call(
            &format!("sip:bob@[::1]:{bob_port}"),
            None,
            AudioSpec::default(),
        )
        .await
        .unwrap();
    let ringing = expect_event(&mut b_events, T, "bob rings", incoming).await;
    bob.answer(ringing, AudioSpec::default()).await.unwrap();
    let media = expect_event(&mut a_events, T, "alice connected", established).await;
    assert!(
        media.as_deref().is_some_and(|m| m.starts_with("[::1]:")),
        "media to {media:?}"
    );
    let media = expect_event(&mut b_events, T, "bob connected", established).await;
    assert!(
        media.as_deref().is_some_and(|m| m.starts_with("[::1]:")),
        "{media:?}"
    );
    alice.hangup(Some(call)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_call_through_kamailio_on_ipv6() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure_on(dir.path(), Ipv6Addr::LOCALHOST.into(), kport, None);
    let _k = kamailio.start();
    let phone = |user: &'static str| {
        let account = AccountSettings {
            aor: format!("sip:{user}@[::1]:{kport}"),
            ..account(user, kport, 600)
        };
        kamailio::phone(account, v6_config(free_port()))
    };
    let (alice, mut a_events) = phone("alice").await;
    let (bob, mut b_events) = phone("bob").await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    let call = alice
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let ringing = expect_event(&mut b_events, T, "bob rings", incoming).await;
    bob.answer(ringing, AudioSpec::default()).await.unwrap();
    let media = expect_event(&mut a_events, T, "alice connected", established).await;
    assert!(
        media.as_deref().is_some_and(|m| m.starts_with("[::1]:")),
        "{media:?}"
    );
    alice.hangup(Some(call)).await.unwrap();
}

/// baresip on [::1] answers our call: SIP and RTP over IPv6 both ways
/// (baresip records our 1 kHz tone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_answers_over_ipv6() {
    let dir = tempfile::tempdir().unwrap();
    let tone = dir.path().join("tone.wav");
    hookswitch_tests::write_tone(&tone, 440.0, 8000, 10.0);
    let bport = free_port();
    let baresip =
        hookswitch_tests::baresip::Baresip::configure(dir.path(), bport, &tone, "PCMU", "udp")
            .on_ipv6();
    let mut process = baresip.start(12, None);
    hookswitch_tests::wait_until(Duration::from_secs(10), "baresip to listen", || {
        process.log().contains("baresip is ready")
    });
    let (engine, mut events) = start_engine(&v6_config(free_port()), &Passwords::new()).await;
    let call = engine
        .call(
            &format!("sip:bob@[::1]:{bport}"),
            None,
            AudioSpec {
                tone_hz: Some(1000.0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let media = expect_event(&mut events, T, "established", established).await;
    assert!(
        media.as_deref().is_some_and(|m| m.starts_with("[::1]:")),
        "{media:?}"
    );
    // The call's length: the audio baresip records.
    tokio::time::sleep(Duration::from_secs(2)).await;
    engine.hangup(Some(call)).await.unwrap();
    let _ = process.wait(Duration::from_secs(15));
    let heard = baresip
        .received_recording()
        .expect("baresip recorded the call");
    let (f, _) = hookswitch_tests::recorded_tone(&heard);
    hookswitch_tests::assert_within_1pct(f, 1000.0, "what baresip heard over IPv6");
}

/// One phone listening on `[::]` takes a call from an IPv4 phone and one
/// from an IPv6 phone, and calls each back: each call's SIP and SDP are of
/// the peer's family (Via/Contact and `c=` name our address of that family).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_on_both_families_serves_ipv4_and_ipv6_peers() {
    let dual_port = free_port();
    let mut dual_config = test_config(dual_port);
    dual_config.sip.listen = SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), dual_port);
    dual_config.sip.advertise = Some([127, 0, 0, 1].into());
    dual_config.sip.advertise_v6 = Some(Ipv6Addr::LOCALHOST);
    let (dual, mut d_events) = start_engine(&dual_config, &Passwords::new()).await;
    let v4_port = free_port();
    let (v4, mut v4_events) = start_engine(&test_config(v4_port), &Passwords::new()).await;
    let v6_port = free_port();
    let (v6, mut v6_events) = start_engine(&v6_config(v6_port), &Passwords::new()).await;

    for (peer, events, peer_uri, ours) in [
        (
            &v4,
            &mut v4_events,
            format!("sip:x@127.0.0.1:{v4_port}"),
            format!("sip:d@127.0.0.1:{dual_port}"),
        ),
        (
            &v6,
            &mut v6_events,
            format!("sip:x@[::1]:{v6_port}"),
            format!("sip:d@[::1]:{dual_port}"),
        ),
    ] {
        let family = if peer_uri.contains('[') {
            "[::1]:"
        } else {
            "127.0.0.1:"
        };
        // The peer calls us.
        let call = peer.call(&ours, None, AudioSpec::default()).await.unwrap();
        let ringing = expect_event(&mut d_events, T, "the dual phone rings", incoming).await;
        dual.answer(ringing, AudioSpec::default()).await.unwrap();
        let media = expect_event(events, T, "the peer connected", established).await;
        assert!(
            media.as_deref().is_some_and(|m| m.starts_with(family)),
            "{media:?}"
        );
        let media = expect_event(&mut d_events, T, "we connected", established).await;
        assert!(
            media.as_deref().is_some_and(|m| m.starts_with(family)),
            "{media:?}"
        );
        peer.hangup(Some(call)).await.unwrap();
        expect_event(&mut d_events, T, "ended", |e| {
            matches!(e, PhoneEvent::Ended { .. }).then_some(())
        })
        .await;
        // We call the peer.
        let call = dual
            .call(&peer_uri, None, AudioSpec::default())
            .await
            .unwrap();
        let ringing = expect_event(events, T, "the peer rings", incoming).await;
        peer.answer(ringing, AudioSpec::default()).await.unwrap();
        let media = expect_event(&mut d_events, T, "we connected", established).await;
        assert!(
            media.as_deref().is_some_and(|m| m.starts_with(family)),
            "{media:?}"
        );
        let media = expect_event(events, T, "the peer connected", established).await;
        assert!(
            media.as_deref().is_some_and(|m| m.starts_with(family)),
            "{media:?}"
        );
        dual.hangup(Some(call)).await.unwrap();
        expect_event(events, T, "ended", |e| {
            matches!(e, PhoneEvent::Ended { .. }).then_some(())
        })
        .await;
    }
}

/// STUN over IPv6 (coturn on ::1): a phone on ::1 that advertises a wrong
/// address learns the right one from the STUN server's Binding answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stun_over_ipv6_gives_our_address() {
    let dir = tempfile::tempdir().unwrap();
    let stun_port = free_port();
    let _stun = hookswitch_tests::netns::stun_server(dir.path(), Ipv6Addr::LOCALHOST, stun_port);
    let port = free_port();
    let mut config = v6_config(port);
    config.sip.advertise = Some("2001:db8::99".parse().unwrap());
    config.sip.stun_server = Some(format!("[::1]:{stun_port}"));
    let (_engine, mut events) = start_engine(&config, &Passwords::new()).await;
    let sip = expect_event(&mut events, T, "the STUN answer", |e| match e {
        PhoneEvent::AddressChanged { sip, cause, .. } if cause.as_str() == "stun" => {
            Some(sip.clone())
        }
        _ => None,
    })
    .await;
    assert_eq!(sip, format!("[::1]:{port}"));
}
