//! RFC 3263 against a real DNS server (dnsmasq, started here with test
//! zones) and a real registrar (kamailio): an account for
//! `sip:alice@provider.test` finds its registrar through SRV alone, NAPTR
//! chooses TCP when the account leaves the transport to DNS, and a dead
//! first SRV target (a closed port, or one that never answers) is left for
//! the next one.

use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{AudioSpec, Config, Engine, PhoneEvent};
use hookswitch_tests::dnsmasq::{self, Zone};
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::{Phone, expect_event, free_port, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);
const DOMAIN: &str = "provider.test";

/// A phone of `user` at `sip:<user>@provider.test`, asking DNS at `dns`.
async fn phone(user: &str, dns: u16, transport: &str) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut config: Config = test_config(free_port());
    config.sip.dns_servers = vec![format!("127.0.0.1:{dns}")];
    let account = AccountSettings {
        aor: format!("sip:{user}@{DOMAIN}"),
        transport: transport.into(),
        ..account(user, 0, 600)
    };
    kamailio::phone(account, config).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_srv_only_provider_is_found_and_calls_go_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let k = kamailio.start();
    let dns = free_port();
    let _dns = dnsmasq::start(
        dir.path(),
        dns,
        &[
            Zone::Srv {
                name: "_sip._udp.provider.test",
                target: "sip.provider.test",
                port: kport,
                priority: 10,
                weight: 50,
            },
            Zone::Host {
                name: "sip.provider.test",
                ip: "127.0.0.1",
            },
        ],
    );
    let (alice, mut a_events) = phone("alice", dns, "udp").await;
    let (bob, mut b_events) = phone("bob", dns, "udp").await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    // A bare name through the account: INVITE to sip:bob@provider.test,
    // which only DNS can place.
    let call = alice
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let incoming = expect_event(&mut b_events, T, "bob rings", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    bob.answer(incoming, AudioSpec::default()).await.unwrap();
    expect_event(&mut a_events, T, "alice connected", |e| match e {
        PhoneEvent::Established { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    alice.hangup(Some(call)).await.unwrap();
    assert!(
        k.log().contains("REGISTER of alice over udp"),
        "{}",
        k.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn naptr_chooses_tcp_when_the_account_leaves_it_to_dns() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let k = kamailio.start();
    let dns = free_port();
    let _dns = dnsmasq::start(
        dir.path(),
        dns,
        &[
            Zone::Naptr {
                name: DOMAIN,
                order: 10,
                preference: 50,
                service: "SIP+D2T",
                replacement: "_sip._tcp.provider.test",
            },
            Zone::Naptr {
                name: DOMAIN,
                order: 20,
                preference: 50,
                service: "SIP+D2U",
                replacement: "_sip._udp.provider.test",
            },
            Zone::Srv {
                name: "_sip._tcp.provider.test",
                target: "sip.provider.test",
                port: kport,
                priority: 0,
                weight: 0,
            },
            Zone::Srv {
                name: "_sip._udp.provider.test",
                target: "sip.provider.test",
                port: kport,
                priority: 0,
                weight: 0,
            },
            Zone::Host {
                name: "sip.provider.test",
                ip: "127.0.0.1",
            },
        ],
    );
    let (_alice, mut events) = phone("alice", dns, "auto").await;
    registered(&mut events).await;
    let log = k.log();
    assert!(log.contains("REGISTER of alice over tcp"), "{log}");
    assert!(!log.contains("REGISTER of alice over udp"), "{log}");
}

/// The first SRV target is a closed port (ICMP) and the second one a
/// socket that never answers; the third is the registrar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_srv_targets_are_left_for_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let k = kamailio.start();
    let closed = free_port();
    let silent = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let dns = free_port();
    let srv = |port, priority| Zone::Srv {
        name: "_sip._udp.provider.test",
        target: "sip.provider.test",
        port,
        priority,
        weight: 0,
    };
    let _dns = dnsmasq::start(
        dir.path(),
        dns,
        &[
            srv(closed, 10),
            srv(silent_port, 20),
            srv(kport, 30),
            Zone::Host {
                name: "sip.provider.test",
                ip: "127.0.0.1",
            },
        ],
    );
    let (alice, mut events) = phone("alice", dns, "udp").await;
    registered(&mut events).await;
    let mut buf = [0u8; 2048];
    silent.set_nonblocking(true).unwrap();
    assert!(
        silent.recv(&mut buf).is_ok(),
        "the silent target was tried before the registrar"
    );
    assert!(k.log().contains("REGISTER of alice over udp"));
    // The registration is refreshed where it worked, not at the dead ones.
    let state = alice.state();
    assert_eq!(
        state.registrations["alice"].state.as_str(),
        "registered",
        "{state:?}"
    );
}
