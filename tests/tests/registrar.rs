//! Two engines register with kamailio (digest auth on REGISTER, proxy auth on
//! INVITE) and call each other through it; registration survives a restart of
//! the registrar.

use hookswitch_tests::Phone;
use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{AudioSpec, Engine, Passwords, PhoneEvent};
use std::path::Path;

use hookswitch_tests::kamailio::{self, Kamailio, TlsListener, USERS, account, registered};
use hookswitch_tests::tls::TestCa;
use hookswitch_tests::{expect_event, free_port, start_engine, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

async fn phone(
    user: &str,
    registrar_port: u16,
    expires: u32,
) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    phone_with(account(user, registrar_port, expires)).await
}

async fn phone_with(account: AccountSettings) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    kamailio::phone(account, test_config(free_port())).await
}

/// An account that reaches kamailio's TLS listener, trusting `ca_file` if given.
fn tls_account(user: &str, tls_port: u16, ca_file: Option<&Path>) -> AccountSettings {
    AccountSettings {
        aor: format!("sip:{user}@127.0.0.1:{tls_port}"),
        transport: "tls".into(),
        tls_ca_file: ca_file.map(Path::to_path_buf),
        ..account(user, tls_port, 600)
    }
}

fn kamailio_with_tls(dir: &Path, ca: &TestCa) -> Kamailio {
    let kport = free_port();
    Kamailio::configure_with(
        dir,
        kport,
        Some(TlsListener {
            port: kport + 1,
            certificate: &ca.certificate,
            private_key: &ca.private_key,
        }),
    )
}

/// Alice calls bob by name through the registrar; bob answers; alice hangs up.
async fn call_through(
    alice: &Engine,
    a_events: &mut broadcast::Receiver<PhoneEvent>,
    bob: &Engine,
    b_events: &mut broadcast::Receiver<PhoneEvent>,
) -> Option<String> {
    let call = alice
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let (incoming, from) = expect_event(b_events, T, "bob's phone rings", |e| match e {
        PhoneEvent::IncomingCall {
            call,
            from,
            account,
            ..
        } => {
            assert_eq!(
                account.as_deref(),
                Some("bob"),
                "the call is for bob's account"
            );
            Some((*call, from.clone()))
        }
        _ => None,
    })
    .await;
    assert!(from.contains("sip:alice@"), "{from}");
    bob.answer(incoming, AudioSpec::default()).await.unwrap();
    let encryption = |e: &PhoneEvent| match e {
        PhoneEvent::Established { encryption, .. } => Some(encryption.clone()),
        _ => None,
    };
    let a_encryption = expect_event(a_events, T, "alice connected", encryption).await;
    let b_encryption = expect_event(b_events, T, "bob connected", encryption).await;
    alice.hangup(Some(call)).await.unwrap();
    let reason = expect_event(b_events, T, "bob's call ends", |e| match e {
        PhoneEvent::Ended { reason, .. } => Some(*reason),
        _ => None,
    })
    .await;
    assert_eq!(
        reason.as_str(),
        "remote",
        "alice's BYE reached bob through the proxy"
    );
    assert_eq!(a_encryption, b_encryption, "both ends agree on SRTP");
    a_encryption
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_call_through_kamailio() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let _k = kamailio.start();
    let (alice, mut a_events) = phone("alice", kport, 600).await;
    let (bob, mut b_events) = phone("bob", kport, 600).await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    let encryption = call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    assert_eq!(encryption, None, "no SRTP keys over UDP signaling");
    // Bob quits: his binding is removed (REGISTER with Expires: 0), so the
    // registrar no longer knows where he is.
    bob.shutdown().await;
    let second = alice
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let status = expect_event(
        &mut a_events,
        T,
        "the call to an unregistered bob fails",
        |e| match e {
            PhoneEvent::Ended { call, status, .. } if *call == second => Some(*status),
            _ => None,
        },
    )
    .await;
    assert_eq!(status, Some(404));
    alice.shutdown().await;
}

/// kamailio challenging with SHA-256 digests (RFC 8760) and qop=auth:
/// both phones register and call each other through it (INVITE answered to
/// a SHA-256 407 too), and the registrar saw SHA-256 answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sha256_digest_with_qop_at_a_real_registrar() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure_digest(dir.path(), kport, "SHA-256");
    let k = kamailio.start();
    let (alice, mut a_events) = phone("alice", kport, 600).await;
    let (bob, mut b_events) = phone("bob", kport, 600).await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    let log = k.log();
    assert!(
        log.contains("REGISTER answered with algorithm SHA-256 qop auth"),
        "{log}"
    );
    assert!(!log.contains("algorithm MD5"), "{log}");
}

/// A registrar requiring qop=auth-int (sipp): the failure names it instead
/// of blaming the password, and is not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_we_cannot_answer_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let sport = free_port();
    let sipp = hookswitch_tests::sipp::uas(
        dir.path(),
        sport,
        hookswitch_tests::sipp::Scenario::File("uas_register_auth_int"),
        1,
        &[],
    );
    let mut config = test_config(free_port());
    config.accounts.push(account("alice", sport, 600));
    let passwords = Passwords::from([("alice".to_string(), "alice-secret".to_string())]);
    let (_engine, mut events) = start_engine(&config, &passwords).await;
    let detail = expect_event(&mut events, T, "a failed registration", |e| match e {
        PhoneEvent::Registration { state, detail, .. } if state.as_str() == "failed" => {
            Some(detail.clone().unwrap_or_default())
        }
        _ => None,
    })
    .await;
    assert!(detail.contains("qop=auth-int"), "{detail}");
    assert!(!detail.contains("password"), "{detail}");
    assert!(!detail.contains("retrying"), "{detail}");
    hookswitch_tests::sipp::succeeds(sipp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_reported_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let _k = kamailio.start();
    let mut config = test_config(free_port());
    config.accounts.push(account("alice", kport, 600));
    let passwords = Passwords::from([("alice".to_string(), "not-the-password".to_string())]);
    let (_engine, mut events) = start_engine(&config, &passwords).await;
    let detail = expect_event(&mut events, T, "a failed registration", |e| match e {
        PhoneEvent::Registration { state, detail, .. } if state.as_str() == "failed" => {
            Some(detail.clone().unwrap_or_default())
        }
        _ => None,
    })
    .await;
    assert!(
        detail.contains("401") && detail.contains("password"),
        "{detail}"
    );
    assert!(
        !detail.contains("retrying"),
        "a wrong password is not retried: {detail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_survives_a_registrar_restart() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let mut k = kamailio.start();
    // Short bindings so the refresh comes quickly: 4 s, refreshed after 2 s.
    let (alice, mut a_events) = phone("alice", kport, 4).await;
    let (bob, mut b_events) = phone("bob", kport, 4).await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    // The registrar restarts and forgets every binding (usrloc in memory).
    k.stop();
    let _k = kamailio.start();
    // Only registrations with the new instance count: a refresh that reached the
    // old one while it shut down would not put a binding in the new one.
    let (mut a_events, mut b_events) = (a_events.resubscribe(), b_events.resubscribe());
    // Both phones must register again on their own (refresh, or retry after failure)...
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    // ...so that calls work again.
    call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    alice.shutdown().await;
    bob.shutdown().await;
}

/// Both phones register over TLS (verifying kamailio's certificate against the
/// test CA) and call each other through it; kamailio reaches each phone back
/// over the phone's own connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_and_call_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let kamailio = kamailio_with_tls(dir.path(), &ca);
    let _k = kamailio.start();
    let tls_port = kamailio.tls_port.unwrap();
    let (alice, mut a_events) = phone_with(tls_account("alice", tls_port, Some(&ca.ca_file))).await;
    let (bob, mut b_events) = phone_with(tls_account("bob", tls_port, Some(&ca.ca_file))).await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    let encryption = call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    assert_eq!(
        encryption.as_deref(),
        Some("AES_CM_128_HMAC_SHA1_80"),
        "a call signalled over TLS is encrypted (SRTP, optional by default)"
    );
    alice.shutdown().await;
    bob.shutdown().await;
}

/// Without the CA the server's certificate is refused at once, and the user is
/// told why and what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_an_untrusted_certificate_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let kamailio = kamailio_with_tls(dir.path(), &ca);
    let _k = kamailio.start();
    let (_alice, mut events) =
        phone_with(tls_account("alice", kamailio.tls_port.unwrap(), None)).await;
    let detail = expect_event(&mut events, T, "a failed registration", |e| match e {
        PhoneEvent::Registration { state, detail, .. } if state.as_str() == "failed" => {
            Some(detail.clone().unwrap_or_default())
        }
        PhoneEvent::Registration { state, .. } if state.as_str() == "registered" => {
            panic!("registered with a server whose certificate we do not trust")
        }
        _ => None,
    })
    .await;
    assert!(
        detail.contains("certificate") && detail.contains("tls_ca_file"),
        "{detail}"
    );
}

/// With `only_from_registrar`, calls through the registrar ring and a call
/// straight to the phone's address (a SIP scanner's "ghost call") is refused,
/// even when it names the account's user; with peer-to-peer calls off, so is
/// one to no account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_calls_from_the_registrar_ring_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let _k = kamailio.start();
    let mut guarded = test_config(free_port());
    guarded.sip.only_from_registrar = true;
    guarded.sip.accept_p2p = false;
    let (alice, mut a_events) = phone("alice", kport, 600).await;
    let (bob, mut b_events) = kamailio::phone(account("bob", kport, 600), guarded).await;
    registered(&mut a_events).await;
    registered(&mut b_events).await;
    // Through the registrar: it rings and is answered.
    call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    // Straight to bob's address, to his user and to no user.
    let (scanner, mut s_events) = start_engine(&test_config(free_port()), &Passwords::new()).await;
    for user in ["bob", "100"] {
        let call = scanner
            .call(
                &format!("sip:{user}@{}", bob.local_addr()),
                None,
                AudioSpec::default(),
            )
            .await
            .unwrap();
        let status = expect_event(&mut s_events, T, "refused", |e| match e {
            PhoneEvent::Ended {
                call: c, status, ..
            } if *c == call => Some(*status),
            _ => None,
        })
        .await;
        assert_eq!(status, Some(403), "a direct call to {user}");
    }
    while let Ok(e) = b_events.try_recv() {
        assert!(
            !matches!(e, PhoneEvent::IncomingCall { .. }),
            "a direct call rang: {e:?}"
        );
    }
    alice.shutdown().await;
    bob.shutdown().await;
}

/// One phone with two accounts registered at once, alice over UDP and bob over
/// TCP, with their own DND: alice calls bob through kamailio, and the call
/// arrives on the same phone showing it is for bob; with bob in DND, the same
/// call is refused 486 and alice is unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_at_once_each_with_its_transport_and_dnd() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let _k = kamailio.start();
    let mut config = test_config(free_port());
    config.accounts.push(account("alice", kport, 600));
    config.accounts.push(AccountSettings {
        transport: "tcp".into(),
        ..account("bob", kport, 600)
    });
    let passwords: Passwords = USERS
        .iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect();
    let (phone, mut events) = start_engine(&config, &passwords).await;
    let mut registered_accounts = Vec::new();
    while registered_accounts.len() < 2 {
        let account = expect_event(&mut events, T, "both registered", |e| match e {
            PhoneEvent::Registration {
                account,
                state,
                detail,
                ..
            } => match state.as_str() {
                "registered" => Some(account.clone()),
                "failed" => panic!("{account}: {detail:?}"),
                _ => None,
            },
            _ => None,
        })
        .await;
        registered_accounts.push(account);
    }
    registered_accounts.sort();
    assert_eq!(registered_accounts, ["alice", "bob"]);

    let call = phone
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let (incoming, account) = expect_event(&mut events, T, "bob's account rings", |e| match e {
        PhoneEvent::IncomingCall { call, account, .. } => Some((*call, account.clone())),
        _ => None,
    })
    .await;
    assert_eq!(account.as_deref(), Some("bob"));
    phone.answer(incoming, AudioSpec::default()).await.unwrap();
    expect_event(&mut events, T, "connected", |e| match e {
        PhoneEvent::Established { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    phone.hangup(Some(call)).await.unwrap();
    expect_event(&mut events, T, "bob's side ends", |e| match e {
        PhoneEvent::Ended { call, .. } if *call == incoming => Some(()),
        _ => None,
    })
    .await;

    phone.set_dnd(Some("bob"), true).await.unwrap();
    let second = phone
        .call("bob", Some("alice"), AudioSpec::default())
        .await
        .unwrap();
    let (reason, account) = expect_event(&mut events, T, "bob refuses", |e| match e {
        PhoneEvent::Deflected {
            reason, account, ..
        } => Some((*reason, account.clone())),
        PhoneEvent::IncomingCall { .. } => panic!("bob's phone rang in DND"),
        _ => None,
    })
    .await;
    assert_eq!((reason.as_str(), account.as_deref()), ("dnd", Some("bob")));
    let status = expect_event(&mut events, T, "alice hears busy", |e| match e {
        PhoneEvent::Ended { call, status, .. } if *call == second => Some(*status),
        _ => None,
    })
    .await;
    assert_eq!(status, Some(486));
    phone.shutdown().await;
}

/// Bob registers over TCP for 10 minutes; the registrar restarts, which closes
/// his connection. He registers again at once (not 5 minutes later at the
/// refresh), so calls reach him as soon as the registrar is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_registration_comes_back_when_its_connection_drops() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let mut k = kamailio.start();
    let (bob, mut b_events) = phone_with(AccountSettings {
        transport: "tcp".into(),
        ..account("bob", kport, 600)
    })
    .await;
    registered(&mut b_events).await;
    let mut b_events = b_events.resubscribe();
    k.stop();
    let _k = kamailio.start();
    registered(&mut b_events).await;
    let (alice, mut a_events) = phone("alice", kport, 600).await;
    registered(&mut a_events).await;
    call_through(&alice, &mut a_events, &bob, &mut b_events).await;
    alice.shutdown().await;
    bob.shutdown().await;
}

/// A registration over UDP is kept open with OPTIONS keep-alives when asked
/// (`sip.keepalive = "options"`): kamailio logs each one it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_keepalives_reach_the_registrar() {
    let dir = tempfile::tempdir().unwrap();
    let kport = free_port();
    let kamailio = Kamailio::configure(dir.path(), kport);
    let k = kamailio.start();
    let port = free_port();
    let mut config = test_config(port);
    config.sip.keepalive = hookswitch_phone::config::KeepaliveKind::Options;
    config.sip.keepalive_secs = 1;
    let (alice, mut events) = kamailio::phone(account("alice", kport, 600), config).await;
    registered(&mut events).await;
    let from_us = format!("OPTIONS from 127.0.0.1:{port}");
    hookswitch_tests::wait_until(T, "two keep-alives", || {
        k.log().matches(&from_us).count() >= 2
    });
    alice.shutdown().await;
}

/// The account wizard's check: each case a person must fix is told apart,
/// against the real registrar, and a good account is left unregistered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_check_tells_wrong_password_unreachable_and_certificate_apart() {
    use hookswitch_phone::probe::{self, Problem};
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::create(dir.path());
    let kamailio = kamailio_with_tls(dir.path(), &ca);
    let _k = kamailio.start();
    let base = test_config(free_port());
    let wait = Duration::from_secs(10);
    let alice = account("alice", kamailio.port, 600);
    let good = USERS.iter().find(|(u, _)| *u == "alice").unwrap().1;

    let ok = probe::registration(&base, &alice, good, wait).await;
    assert!(ok.registered, "{ok:?}");
    assert_eq!(ok.problem, None);

    let wrong = probe::registration(&base, &alice, "not-the-password", wait).await;
    assert!(!wrong.registered);
    assert_eq!(wrong.problem, Some(Problem::WrongPassword), "{wrong:?}");
    assert!(wrong.detail.contains("401"), "{wrong:?}");

    let tls = tls_account("alice", kamailio.tls_port.unwrap(), None);
    let untrusted = probe::registration(&base, &tls, good, wait).await;
    assert_eq!(
        untrusted.problem,
        Some(Problem::TlsCertificate),
        "{untrusted:?}"
    );

    // A TCP port nobody listens on: refused at once, not after the timeout.
    let mut nowhere = account("alice", free_port(), 600);
    nowhere.transport = "tcp".into();
    let unreachable = probe::registration(&base, &nowhere, good, wait).await;
    assert_eq!(
        unreachable.problem,
        Some(Problem::Unreachable),
        "{unreachable:?}"
    );
}

/// The desktop app restarts its engine in-process after an account is saved:
/// the port must be free again the moment `shutdown` returns (the TCP
/// listener and the UDP socket both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_started_again_in_the_same_process_gets_its_port_back() {
    let config = test_config(free_port());
    for round in 0..3 {
        let (engine, _events) = Engine::start(&config, &Passwords::new())
            .await
            .unwrap_or_else(|e| panic!("start {round}: {e}"));
        // A TCP client connected to us, as a registrar or peer would be.
        let _peer = tokio::net::TcpStream::connect(engine.local_addr())
            .await
            .unwrap();
        engine.shutdown().await;
    }
}
