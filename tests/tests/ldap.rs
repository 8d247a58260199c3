//! The corporate directory against a real OpenLDAP (slapd) with 10,000
//! people: search as you type anonymously and bound, a wrong password said
//! as such, StartTLS and ldaps:// with a test CA, paged results, the typed
//! text escaped (RFC 4515), a server that stops or never answers, and a
//! caller named from the directory while the call rings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hookswitch_directory::NumberPlan;
use hookswitch_directory::contact::{Address, Contact};
use hookswitch_phone::directory::{Directory, LdapSettings, LdapSource};
use hookswitch_phone::store::{LOCAL_BOOK, Store};
use hookswitch_tests::slapd::{self, Slapd};

fn settings(url: &str) -> LdapSettings {
    LdapSettings {
        url: url.into(),
        base: slapd::BASE.into(),
        ..LdapSettings::default()
    }
}

fn directory(ldap: LdapSettings, password: Option<&str>) -> Arc<Directory> {
    let d = Directory::new(Arc::new(Store::in_memory(
        NumberPlan::new(Some("DE"), None).unwrap(),
    )));
    d.set_ldap(Some(
        LdapSource::new(ldap, password.map(str::to_string)).unwrap(),
    ));
    d
}

fn names(r: &hookswitch_phone::directory::RemoteSearch) -> Vec<String> {
    r.hits.iter().map(|h| h.contact.name.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_as_you_type_anonymously_bound_and_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Slapd::configure(dir.path(), 10_000);
    server.start();

    // Anonymous: a name fragment with a diacritic typed without it? LDAP
    // matches as the server does (case-insensitive); the name comes whole.
    let anon = directory(settings(&server.url()), None);
    let found = anon.search_remote("Öztürk").await;
    assert_eq!(found.error, None);
    assert_eq!(names(&found), ["Ayşe Öztürk"]);
    let hit = &found.hits[0];
    assert_eq!(hit.source, "LDAP");
    assert_eq!(hit.contact.department.as_deref(), Some("Sales"));
    assert_eq!(hit.contact.addresses[0].value, "+49 30 5551 777");
    // A number fragment (telephoneNumber substring matching ignores spaces).
    assert_eq!(names(&anon.search_remote("5551777").await), ["Ayşe Öztürk"]);
    // Too short: not asked.
    assert!(!anon.search_remote("Öz").await.asked);
    // What is typed stays a value: no filter injection.
    for evil in ["*)(uid=*", "*", "a)(|(cn=*", "\\2a"] {
        let r = anon.search_remote(evil).await;
        assert_eq!(r.error, None, "{evil}");
        assert!(r.hits.is_empty(), "{evil}: {:?}", names(&r));
    }
    // Many matches: pages of 20 until 50 (the server's own limit is 1000).
    let mut paged = settings(&server.url());
    paged.page_size = 20;
    paged.max_results = 50;
    let many = directory(paged, None).search_remote("Anna").await;
    assert_eq!(many.error, None);
    assert_eq!(many.hits.len(), 50);

    // Bound: the reader's password; a wrong one is said as such.
    let mut bound = settings(&server.url());
    bound.bind_dn = Some(slapd::READER_DN.into());
    let ok = directory(bound.clone(), Some(slapd::READER_PASSWORD))
        .search_remote("Öztürk")
        .await;
    assert_eq!(names(&ok), ["Ayşe Öztürk"], "{:?}", ok.error);
    let wrong = directory(bound, Some("nope")).search_remote("Öztürk").await;
    let why = wrong.error.expect("refused");
    assert!(why.contains("invalid credentials"), "{why}");

    // StartTLS and ldaps:// with the test CA; without it, refused.
    let mut starttls = settings(&format!("ldap://localhost:{}", server.port));
    starttls.starttls = true;
    starttls.ca_file = Some(server.ca_file.clone());
    let r = directory(starttls.clone(), None)
        .search_remote("Öztürk")
        .await;
    assert_eq!(names(&r), ["Ayşe Öztürk"], "{:?}", r.error);
    let mut ldaps = settings(&server.ldaps_url());
    ldaps.ca_file = Some(server.ca_file.clone());
    let r = directory(ldaps, None).search_remote("Öztürk").await;
    assert_eq!(names(&r), ["Ayşe Öztürk"], "{:?}", r.error);
    starttls.ca_file = None;
    let untrusted = directory(starttls, None).search_remote("Öztürk").await;
    assert!(untrusted.error.is_some(), "an unknown CA is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_down_or_silent_leaves_local_results_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Slapd::configure(dir.path(), 100);
    server.start();
    let d = directory(settings(&server.url()), None);
    d.store()
        .add_contact(LOCAL_BOOK, &{
            let mut c = Contact::new("Ayşe Öztürk (mine)", 1);
            c.addresses.push(Address::tel("work", "+49 30 5551 777"));
            c
        })
        .unwrap();
    // The directory's Ayşe has the number of the local one: shown once.
    let r = d.search_remote("Öztürk").await;
    assert_eq!(r.error, None);
    assert!(r.hits.is_empty(), "deduplicated: {:?}", names(&r));
    assert_eq!(d.search_local("ozt", 10).len(), 1);

    server.stop();
    let r = d.search_remote("Öztürk").await;
    let why = r.error.expect("down");
    assert!(why.contains("cannot reach"), "{why}");
    assert_eq!(
        d.search_local("ozt", 10).len(),
        1,
        "local results still there"
    );

    // A server that accepts and never answers: the timeout, not a hang.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut slow = settings(&format!(
        "ldap://127.0.0.1:{}",
        silent.local_addr().unwrap().port()
    ));
    slow.timeout_ms = 400;
    let d = directory(slow, None);
    let started = Instant::now();
    let r = d.search_remote("Öztürk").await;
    assert!(
        r.error
            .expect("timed out")
            .contains("did not answer within 400 ms")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // A caller is looked up within 300 ms, and nobody is named.
    let started = Instant::now();
    let who = d.clone().identify("sip:+49305551777@carrier".into()).await;
    assert_eq!(who, None);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_is_named_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Slapd::configure(dir.path(), 2_000);
    server.start();
    let d = directory(settings(&server.url()), None);
    for caller in [
        "sip:+49305551777@carrier.example;user=phone",
        "\"Trunk\" <sip:0305551777@pbx.example>",
    ] {
        let who = d.clone().identify(caller.into()).await.expect(caller);
        assert_eq!(
            (who.name.as_str(), who.source.as_str()),
            ("Ayşe Öztürk", "LDAP")
        );
    }
    let who = d.clone().identify("sip:+49400001234@x".into()).await;
    assert_eq!(who.map(|w| w.name), Some(slapd::person(1234).1));
    assert_eq!(
        d.clone().identify("sip:+4940999999999@x".into()).await,
        None
    );
}
