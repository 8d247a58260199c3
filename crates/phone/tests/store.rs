//! The store on a real file: the schema from nothing and refused when
//! newer, the old JSON-lines files taken in once, contacts and their caller
//! keys, the search index following another process's writes, and a
//! `kill -9` in the middle of writing losing nothing that was committed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use hookswitch_directory::NumberPlan;
use hookswitch_directory::contact::{Address, Contact};
use hookswitch_phone::directory::Directory;
use hookswitch_phone::store::{LOCAL_BOOK, SCHEMA_VERSION, Store, StoreError};

fn de() -> NumberPlan {
    NumberPlan::new(Some("DE"), None).unwrap()
}

fn contact(name: &str, number: &str, unique: u128) -> Contact {
    let mut c = Contact::new(name, unique);
    c.addresses.push(Address::tel("work", number));
    c
}

#[test]
fn a_new_store_is_at_the_current_schema_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/hookswitch.db");
    let store = Store::open(&path, de()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    drop(store);
    let conn = rusqlite_version(&path);
    assert_eq!(conn, SCHEMA_VERSION);
    set_version(&path, SCHEMA_VERSION + 1);
    match Store::open(&path, de()) {
        Err(StoreError::Newer { found, known }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION))
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
}

fn rusqlite_version(path: &std::path::Path) -> i64 {
    let out = Command::new("sqlite3")
        .arg(path)
        .arg("PRAGMA user_version;")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn set_version(path: &std::path::Path, v: i64) {
    let ok = Command::new("sqlite3")
        .arg(path)
        .arg(format!("PRAGMA user_version = {v};"))
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn processes_opening_a_new_store_at_once_make_it_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("history.jsonl"),
        r#"{"outgoing":true,"remote":"sip:x@h","account":null,"started":1,"talked":0,"answered":false,"missed":false,"reason":"local"}
"#,
    )
    .unwrap();
    let path = dir.path().join("hookswitch.db");
    let openers: Vec<_> = (0..6)
        .map(|n| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = Store::open(&path, de()).unwrap();
                store
                    .add_contact(LOCAL_BOOK, &contact(&format!("C{n}"), "1001", n + 1))
                    .unwrap();
            })
        })
        .collect();
    for o in openers {
        o.join().expect("every opener succeeds");
    }
    let store = Store::open(&path, de()).unwrap();
    assert_eq!(store.history(10).unwrap().len(), 1, "taken in once");
    assert_eq!(store.contacts(None).unwrap().len(), 6);
}

#[test]
fn the_old_files_are_taken_in_once_and_left_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let history = r#"{"outgoing":true,"remote":"sip:+49305550777@pbx","account":"work","started":10,"talked":5,"answered":true,"missed":false,"reason":"local"}
{"outgoing":false,"remote":"sip:bob@h","account":null,"started":20,"talked":0,"answered":false,"missed":true,"reason":"cancelled"}
{"outgoing":false,"rem"#;
    let messages = r#"{"id":1,"peer":"bob@h","peer_uri":"sip:bob@h","name":null,"account":null,"incoming":true,"text":"hi","at":1,"delivery":"received","failure":null,"read":false}
{"id":1,"peer":"bob@h","peer_uri":"sip:bob@h","name":null,"account":null,"incoming":true,"text":"hi","at":1,"delivery":"received","failure":null,"read":true}
"#;
    std::fs::write(dir.path().join("history.jsonl"), history).unwrap();
    std::fs::write(dir.path().join("messages.jsonl"), messages).unwrap();
    let path = dir.path().join("hookswitch.db");
    for _ in 0..2 {
        let store = Store::open(&path, de()).unwrap();
        let h = store.history(100).unwrap();
        assert_eq!(h.len(), 2, "taken in once, the torn line skipped");
        assert_eq!(h[0].started, 10);
        let m = store.messages(100).unwrap();
        assert_eq!(m.len(), 1);
        assert!(m[0].read, "the message's last line wins");
        assert_eq!(
            store.call_counts().unwrap().get("+49305550777"),
            Some(&1),
            "history rows carry the caller key"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("history.jsonl")).unwrap(),
        history
    );
}

#[test]
fn contacts_are_found_by_every_form_of_their_number() {
    let store = Store::in_memory(de());
    let ayse = store
        .add_contact(LOCAL_BOOK, &contact("Ayşe Öztürk", "+49 30 5550 777", 1))
        .unwrap();
    let mut ext = contact("Reception", "2001", 2);
    ext.addresses
        .push(Address::sip("", "sip:reception@pbx.example"));
    store.add_contact(LOCAL_BOOK, &ext).unwrap();
    for caller in [
        "sip:+49305550777@carrier;user=phone",
        "\"Someone\" <sip:0305550777@pbx.example>",
        "tel:+49-30-5550-777",
    ] {
        let found = store.identify(caller).unwrap().expect(caller);
        assert_eq!(found.id, ayse);
    }
    assert_eq!(
        store
            .identify("sip:2001@pbx.example")
            .unwrap()
            .unwrap()
            .contact
            .name,
        "Reception"
    );
    assert_eq!(
        store
            .identify("<sip:Reception@PBX.example;transport=tcp>")
            .unwrap()
            .unwrap()
            .contact
            .name,
        "Reception"
    );
    assert!(
        store
            .identify("sip:+49305550778@carrier")
            .unwrap()
            .is_none()
    );
    // Edited: the old number no longer finds it, the new one does.
    let mut edited = store.contact(ayse).unwrap().unwrap().contact;
    edited.addresses = vec![Address::tel("mobile", "0171 5550123")];
    store.update_contact(ayse, &edited).unwrap();
    assert!(store.identify("+49305550777").unwrap().is_none());
    assert_eq!(store.identify("+491715550123").unwrap().unwrap().id, ayse);
    store.delete_contact(ayse).unwrap();
    assert!(store.identify("+491715550123").unwrap().is_none());
    assert!(matches!(
        store.delete_contact(ayse),
        Err(StoreError::NoContact(_))
    ));
}

#[test]
fn a_speed_dial_belongs_to_one_contact() {
    let store = Store::in_memory(de());
    let mut a = contact("Anna", "1001", 1);
    a.speed_dial = Some(3);
    let a = store.add_contact(LOCAL_BOOK, &a).unwrap();
    let mut b = contact("Bert", "1002", 2);
    b.speed_dial = Some(3);
    let b = store.add_contact(LOCAL_BOOK, &b).unwrap();
    assert_eq!(store.speed_dial(3).unwrap().unwrap().id, b);
    assert_eq!(store.contact(a).unwrap().unwrap().contact.speed_dial, None);
    let mut bad = contact("Carl", "1003", 3);
    bad.speed_dial = Some(10);
    assert!(matches!(
        store.add_contact(LOCAL_BOOK, &bad),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn an_import_adds_new_cards_and_updates_known_ones() {
    let store = Store::in_memory(de());
    let mut next = 100u128;
    let mut unique = || {
        next += 1;
        next
    };
    let mut known = contact("Known", "1001", 1);
    known.uid = "uid-1".into();
    let report = store
        .import(
            LOCAL_BOOK,
            &[known.clone(), contact("No Uid", "1002", 0)],
            &mut unique,
        )
        .unwrap();
    assert_eq!((report.added, report.updated), (2, 0));
    known.name = "Known Renamed".into();
    let mut no_uid = contact("No Uid", "1002", 0);
    no_uid.uid.clear();
    let report = store
        .import(LOCAL_BOOK, &[known, no_uid], &mut unique)
        .unwrap();
    assert_eq!((report.added, report.updated), (1, 1));
    let names: Vec<_> = store
        .contacts(None)
        .unwrap()
        .into_iter()
        .map(|c| c.contact.name)
        .collect();
    assert_eq!(names, ["Known Renamed", "No Uid", "No Uid"]);
}

#[test]
fn changing_the_country_makes_the_keys_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookswitch.db");
    let store = Store::open(&path, NumberPlan::default()).unwrap();
    store
        .add_contact(LOCAL_BOOK, &contact("Local", "030 5550777", 1))
        .unwrap();
    assert!(
        store.identify("+49305550777").unwrap().is_none(),
        "no country yet"
    );
    drop(store);
    let store = Store::open(&path, de()).unwrap();
    assert_eq!(
        store
            .identify("+49305550777")
            .unwrap()
            .unwrap()
            .contact
            .name,
        "Local"
    );
}

#[test]
fn the_index_follows_writes_here_and_in_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookswitch.db");
    let directory = Directory::new(Arc::new(Store::open(&path, de()).unwrap()));
    assert!(directory.search_local("ozt", 10).is_empty());
    directory
        .store()
        .add_contact(LOCAL_BOOK, &contact("Ayşe Öztürk", "+49 30 5550 777", 1))
        .unwrap();
    let hits = directory.search_local("ozt", 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].source, "Contacts");
    // The CLI beside the app: another connection to the same file.
    let other = Store::open(&path, de()).unwrap();
    other
        .add_contact(LOCAL_BOOK, &contact("Oz Other", "1001", 2))
        .unwrap();
    let names: Vec<_> = directory
        .search_local("oz", 10)
        .into_iter()
        .map(|h| h.contact.name)
        .collect();
    assert_eq!(names, ["Oz Other", "Ayşe Öztürk"]);
    assert_eq!(directory.search_local("5550", 10).len(), 1);
}

/// The writer half of the crash test: adds contacts one transaction at a
/// time and prints each id once its commit returned.
#[test]
fn crash_writer() {
    let Ok(path) = std::env::var("HOOKSWITCH_STORE_CRASH_WRITER") else {
        return;
    };
    let store = Store::open(std::path::Path::new(&path), de()).unwrap();
    for n in 0u32.. {
        let id = store
            .add_contact(
                LOCAL_BOOK,
                &contact(
                    &format!("Writer {n}"),
                    &format!("+4930{n:07}"),
                    u128::from(n) + 1,
                ),
            )
            .unwrap();
        println!("committed {id}");
    }
}

#[test]
fn a_kill_9_while_writing_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookswitch.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer", "--nocapture", "--test-threads=1"])
        .env("HOOKSWITCH_STORE_CRASH_WRITER", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while committed.len() < 200 {
        let line = lines.next().expect("the writer runs").unwrap();
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.parse::<i64>().unwrap());
        }
    }
    // SIGKILL, mid-write: it is adding the next contact as we speak.
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&path, de()).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    for id in &committed {
        assert!(store.contact(*id).unwrap().is_some(), "contact {id} lost");
    }
    let n = committed.len() - 1;
    assert!(
        store.identify(&format!("+4930{n:07}")).unwrap().is_some(),
        "its caller key too"
    );
}
