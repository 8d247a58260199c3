//! The address book in the window: favourites on the Phone page, a name
//! typed in the dial box suggests contacts and directory entries, the
//! Contacts page searches as you type and adds a contact, a long press on a
//! key calls its speed dial (the call shows the contact's name), a sipp
//! caller whose number is a contact's rings with the name, a CardDAV server
//! that is down is said on the Contacts page, and an LDAP server that stops
//! leaves the local results and says it is unreachable.

use std::time::Duration;

use hookswitch_directory::NumberPlan;
use hookswitch_directory::contact::{Address, Contact};
use hookswitch_phone::store::{LOCAL_BOOK, Store};
use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::slapd::{self, Slapd};
use hookswitch_tests::{desktop, free_port};

const T: Duration = Duration::from_secs(20);

/// Empties a field as a user does (select all, delete), so its input
/// handlers run (WebDriver's clear does not fire them in WebKit).
fn clear(d: &hookswitch_tests::webdriver::WebDriver, test_id: &str) {
    d.wait_for(test_id, T)
        .send_keys("\u{E009}a\u{E009}\u{E003}")
        .unwrap();
}

#[test]
fn contacts_favourites_suggestions_speed_dial_and_a_named_caller() {
    if !desktop::can_run(&[]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let mut ldap = Slapd::configure(dir.path(), 200);
    ldap.start();
    let sipp_port = free_port();
    let answering = sipp::uas(dir.path(), sipp_port, Scenario::Builtin("uas"), 1, &[]);

    // The store the app will open, seeded as a user's would be.
    let store = Store::open(
        &dir.path()
            .join("home/.local/share/hookswitch/hookswitch.db"),
        NumberPlan::new(Some("DE"), None).unwrap(),
    )
    .unwrap();
    let mut ayse = Contact::new("Ayşe Öztürk", 1);
    ayse.addresses.push(Address::tel("work", "+49 30 5550 777"));
    ayse.organization = Some("ACME".into());
    ayse.favourite = true;
    store.add_contact(LOCAL_BOOK, &ayse).unwrap();
    let mut bob = Contact::new("Bob Brown", 2);
    bob.addresses.push(Address::sip(
        "",
        &format!("sip:service@127.0.0.1:{sipp_port}"),
    ));
    bob.speed_dial = Some(2);
    store.add_contact(LOCAL_BOOK, &bob).unwrap();
    drop(store);

    // A CardDAV server that is down from the start (nothing listens).
    let config = format!(
        "[directory]\ncountry = \"DE\"\n\n[directory.ldap]\nurl = \"{}\"\nbase = \"{}\"\ntimeout_ms = 2000\n\n\
         [[directory.carddav]]\nname = \"Office\"\nurl = \"http://127.0.0.1:{}/\"\nusername = \"alice\"\n",
        ldap.url(),
        slapd::BASE,
        free_port()
    );
    let app = desktop::Desktop::start_with(
        dir.path(),
        &config,
        &[("HOOKSWITCH_PASSWORD_CARDDAV_OFFICE", "x")],
    );
    let d = &app.driver;

    // Favourites first on the Phone page.
    d.wait_text("favourite", T, |t| t.contains("Ayşe Öztürk"));

    // A name in the dial box: the contact at once, the directory after.
    d.type_into("dial-input", "ayş", T);
    d.wait_text("dial-suggestion", T, |t| {
        t.contains("Ayşe Öztürk · work +49 30 5550 777")
    });
    clear(d, "dial-input");
    d.type_into("dial-input", "Dubois", T);
    d.wait_text("dial-suggestion", T, |t| {
        t.contains("Dubois") && t.contains("directory")
    });
    clear(d, "dial-input");

    // A long press on 2: Bob's speed dial, and the call shows his name.
    d.execute(
        "const k = document.querySelector('[data-testid=\"key-2\"]');\
         k.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));\
         setTimeout(() => { k.dispatchEvent(new PointerEvent('pointerup', {bubbles: true})); k.click(); }, 900);",
    )
    .unwrap();
    d.wait_text("call-remote", T, |t| t == "Bob Brown");
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_for("hangup", T).click().unwrap();
    d.wait_gone("call-panel", T);
    let typed = d
        .execute("return document.querySelector('[data-testid=\"dial-input\"]').value;")
        .unwrap();
    assert_eq!(typed, "", "the held key dialled nothing");
    drop(answering);

    // The Contacts page: search as you type, then a new contact.
    d.wait_for("nav-contacts", T).click().unwrap();
    d.wait_text("book-unreachable", T, |t| {
        t.contains("Office is unreachable") && t.contains("cannot reach")
    });
    d.type_into("contacts-search", "ozt", T);
    d.wait_text("contact-name-shown", T, |t| t == "Ayşe Öztürk");
    clear(d, "contacts-search");
    d.type_into("contacts-search", "5550", T);
    d.wait_text("contact-name-shown", T, |t| t == "Ayşe Öztürk");
    clear(d, "contacts-search");
    d.wait_for("contact-new", T).click().unwrap();
    d.type_into("contact-name", "Carol Chen", T);
    d.type_into("contact-address-0", "2001", T);
    d.wait_for("contact-save", T).click().unwrap();
    d.wait_gone("contact-editor", T);
    d.type_into("contacts-search", "carol", T);
    d.wait_text("contact-name-shown", T, |t| t == "Carol Chen");

    // A caller whose number is Ayşe's: the window names her.
    d.wait_for("nav-phone", T).click().unwrap();
    let mut caller = sipp::uac(
        dir.path(),
        free_port(),
        ([127, 0, 0, 1], app.sip_port).into(),
        Scenario::File("uac_caller_number"),
        1,
        &["-s", "alice"],
    );
    d.wait_text("incoming-name", T, |t| t == "Ayşe Öztürk");
    d.wait_text("incoming-number", T, |t| t.contains("+49305550777"));
    d.wait_for("decline", T).click().unwrap();
    let status = caller.wait(T);
    assert!(status.success(), "sipp: {}", caller.log());

    // The directory stops: local results stay, and the page says so.
    ldap.stop();
    d.wait_for("nav-contacts", T).click().unwrap();
    clear(d, "contacts-search");
    d.type_into("contacts-search", "Öztürk", T);
    d.wait_text("contact-name-shown", T, |t| t == "Ayşe Öztürk");
    d.wait_text("directory-error", T, |t| {
        t.contains("unreachable") && t.contains("cannot reach")
    });
    app.screenshot("contacts");
}
