//! CardDAV against a real Radicale with an htpasswd user: discovery from
//! the server's root, the first sync, a card added, changed and deleted on
//! the server showing after the next sync, an edit made here written back,
//! a wrong password said as such, and a server that is down leaving the
//! copy searchable with the reason on the book.

use std::sync::Arc;

use hookswitch_directory::NumberPlan;
use hookswitch_phone::directory::{CardDavSettings, Directory, DirectorySettings};
use hookswitch_phone::store::Store;
use hookswitch_tests::radicale::{self, Radicale, card};

/// A directory syncing `url` as `name` with `password` (through the
/// environment variable the keyring lookup reads first).
fn directory(name: &str, url: &str, password: &str) -> Arc<Directory> {
    let settings = CardDavSettings {
        name: name.into(),
        url: url.into(),
        username: radicale::USER.into(),
        ..CardDavSettings::default()
    };
    let var = hookswitch_phone::config::password_env_var(&settings.password_entry());
    // SAFETY: each test uses its own variable; nothing else reads it.
    unsafe { std::env::set_var(var, password) };
    let d = Directory::new(Arc::new(Store::in_memory(
        NumberPlan::new(Some("DE"), None).unwrap(),
    )));
    d.apply(&DirectorySettings {
        country: Some("DE".into()),
        carddav: vec![settings],
        ..DirectorySettings::default()
    })
    .unwrap();
    d
}

fn names(d: &Directory) -> Vec<String> {
    let mut n: Vec<String> = d
        .store()
        .contacts(None)
        .unwrap()
        .into_iter()
        .map(|c| c.contact.name)
        .collect();
    n.sort();
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_sync_changes_and_write_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Radicale::configure(dir.path(), &[("work", "Work")]);
    server.start();
    server.put_card(
        "work",
        "ayse.vcf",
        &card("ayse", "Ayşe Öztürk", "+49 30 5550 777"),
    );
    server.put_card("work", "bob.vcf", &card("bob", "Bob Brown", "0171 5550123"));

    // Discovery from the root: principal, home, the book.
    let d = directory("office", &server.url(), radicale::PASSWORD);
    let first = d.sync_carddav().await;
    assert_eq!(first.len(), 1, "{first:?}");
    let report = first[0].result.clone().expect("synced");
    assert_eq!((report.book.as_str(), report.changed), ("Work", 2));
    assert_eq!(names(&d), ["Ayşe Öztürk", "Bob Brown"]);
    let books = d.store().books().unwrap();
    let work = books.iter().find(|b| b.name == "Work").unwrap();
    assert_eq!((work.contacts, work.last_error.as_deref()), (2, None));
    assert!(!work.read_only, "Radicale lets its owner write");
    assert_eq!(d.search_local("ozt", 5)[0].source, "Work");
    assert_eq!(
        d.store()
            .identify("sip:0305550777@pbx")
            .unwrap()
            .unwrap()
            .contact
            .name,
        "Ayşe Öztürk"
    );

    // Nothing changed: nothing fetched.
    let again = d.sync_carddav().await;
    assert!(again[0].result.as_ref().unwrap().unchanged, "{again:?}");

    // Added, changed, deleted on the server: after the next sync, here.
    server.put_card(
        "work",
        "carol.vcf",
        &card("carol", "Carol Chen", "+49 40 1234567"),
    );
    server.put_card(
        "work",
        "bob.vcf",
        &card("bob", "Bob Brown-Smith", "0171 5550123"),
    );
    server.delete_card("work", "ayse.vcf");
    let next = d.sync_carddav().await;
    let r = next[0].result.clone().expect("synced");
    assert_eq!((r.changed, r.deleted), (2, 1), "{r:?}");
    assert_eq!(names(&d), ["Bob Brown-Smith", "Carol Chen"]);
    assert!(d.store().identify("+49305550777").unwrap().is_none());

    // A favourite set here survives the server's edits of the card.
    let carol = d.store().identify("+494012345 67").unwrap().unwrap();
    d.store().set_favourite(carol.id, true).unwrap();
    // Edited here: written back to the server, which then has it.
    let mut edited = carol.contact.clone();
    edited.name = "Carol Chen-Li".into();
    edited.favourite = true;
    d.save_contact(Some(carol.id), carol.book, edited)
        .await
        .expect("written back");
    let on_server = server.get_card("work", "carol.vcf");
    assert!(on_server.contains("FN:Carol Chen-Li"), "{on_server}");
    let after = d.sync_carddav().await;
    assert!(after[0].result.is_ok(), "{after:?}");
    assert_eq!(names(&d), ["Bob Brown-Smith", "Carol Chen-Li"]);
    let carol = d
        .store()
        .contact(carol.id)
        .unwrap()
        .expect("the same contact");
    assert!(carol.contact.favourite);
    // Deleted here: gone from the server too.
    d.delete_contact(carol.id).await.expect("deleted there");
    let listing = d.sync_carddav().await;
    assert!(listing[0].result.is_ok());
    assert_eq!(names(&d), ["Bob Brown-Smith"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_a_server_that_is_down_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Radicale::configure(dir.path(), &[("team", "Team")]);
    server.start();
    server.put_card("team", "dan.vcf", &card("dan", "Dan Dane", "2001"));

    let wrong = directory("wrong", &server.book_url("team"), "not-it");
    let r = wrong.sync_carddav().await;
    let why = r[0].result.clone().unwrap_err();
    assert!(why.contains("refused the user name or password"), "{why}");

    // The book's own URL works as well as the root.
    let d = directory("team", &server.book_url("team"), radicale::PASSWORD);
    assert!(d.sync_carddav().await[0].result.is_ok());
    assert_eq!(names(&d), ["Dan Dane"]);
    server.stop();
    let down = d.sync_carddav().await;
    let why = down[0].result.clone().unwrap_err();
    assert!(why.contains("cannot reach"), "{why}");
    assert_eq!(
        d.search_local("dan", 5).len(),
        1,
        "the copy is still searched"
    );
    let book = d
        .store()
        .books()
        .unwrap()
        .into_iter()
        .find(|b| b.name == "Team")
        .unwrap();
    assert!(
        book.last_error
            .as_deref()
            .is_some_and(|e| e.contains("cannot reach")),
        "{book:?}"
    );
}
