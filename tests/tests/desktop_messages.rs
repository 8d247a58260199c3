//! Instant messages in the window, through a PBX account (kamailio as
//! registrar and proxy, D67): bob's message makes the Messages badge count
//! it, opening the conversation reads it, Enter sends the answer (which bob
//! gets, and which shows delivered), bob typing shows "typing…", a new
//! message to a bare extension number goes from the account, and the
//! conversations are in the store for the next start.

use std::time::Duration;

use hookswitch_phone::{Action, Engine, Passwords, PhoneEvent, Reply};
use hookswitch_tests::desktop;
use hookswitch_tests::kamailio::Kamailio;
use hookswitch_tests::{expect_event, free_port, test_account, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

/// Bob and extension 2000: a headless Hookswitch registered at kamailio.
async fn colleagues(kport: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut config = test_config(free_port());
    config.sip.accept_p2p = false;
    for user in ["bob", "2000"] {
        let aor = format!("sip:{user}@127.0.0.1:{kport}");
        config.accounts.push(test_account(user, &aor, true));
    }
    let passwords = Passwords::from([
        ("bob".to_string(), "bob-secret".to_string()),
        ("2000".to_string(), "2000-secret".to_string()),
    ]);
    let (engine, mut events) = hookswitch_tests::start_engine(&config, &passwords).await;
    for _ in 0..2 {
        expect_event(&mut events, T, "bob and 2000 registered", |e| match e {
            PhoneEvent::Registration { state, .. } if state.as_str() == "registered" => Some(()),
            _ => None,
        })
        .await;
    }
    (engine, events)
}

fn received(e: &PhoneEvent) -> Option<(Option<String>, String, String)> {
    match e {
        PhoneEvent::Message {
            account,
            from,
            text,
            ..
        } => Some((account.clone(), from.clone(), text.clone())),
        _ => None,
    }
}

#[test]
fn a_conversation_through_the_pbx_in_the_messages_page() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = desktop::runtime();
    let kamailio = Kamailio::configure(dir.path(), free_port());
    let kport = kamailio.port;
    let _k = kamailio.start();
    let (bob, mut bob_events) = rt.block_on(colleagues(kport));
    let (app, _bus, _) = desktop::alice_at_pbx(dir.path(), kport, "");
    let d = &app.driver;

    // Bob writes "alice": his account's domain, through kamailio.
    let sent = rt.block_on(bob.act(Action::Message {
        target: "alice".into(),
        text: "are you free at 3?".into(),
        account: Some("bob".into()),
    }));
    assert!(matches!(sent, Ok(Reply::Message(_))), "{sent:?}");
    d.wait_text("messages-unread", T, |t| t == "1");
    d.wait_for("nav-messages", T).click().unwrap();
    let peer = format!("bob@127.0.0.1:{kport}");
    let conversation = d.wait_for_css(
        &format!("[data-testid=\"conversation\"][data-peer=\"{peer}\"]"),
        T,
    );
    // (textContent: WebKitWebDriver's visible text leaves out what sits in
    // an `overflow: hidden` box, which the one-line preview is.)
    let label = d
        .execute(&format!(
            "return document.querySelector('[data-peer=\"{peer}\"]').textContent"
        ))
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    assert!(label.contains("are you free at 3?"), "{label}");
    conversation.click().unwrap();
    d.wait_text("thread", T, |t| t.contains("are you free at 3?"));
    d.wait_gone("messages-unread", T);

    // The answer, with Enter (WebDriver's key U+E007); bob gets it from
    // alice's account.
    d.type_into("message-input", "yes, call me\u{E007}", T);
    let (account, from, text) =
        rt.block_on(expect_event(&mut bob_events, T, "alice's answer", received));
    assert_eq!(account.as_deref(), Some("bob"));
    assert!(from.contains(&format!("alice@127.0.0.1:{kport}")), "{from}");
    assert_eq!(text, "yes, call me");
    d.wait_css_attribute(
        "[data-testid=\"message\"]:last-child",
        "data-delivery",
        T,
        |v| v == "delivered",
    );

    // Bob types: the window says so.
    rt.block_on(bob.act(Action::Composing {
        target: "alice".into(),
        active: true,
        account: Some("bob".into()),
    }))
    .unwrap();
    d.wait_for("typing", T);

    // A new message to extension 2000, a bare number: from the account.
    d.wait_for("conversations-back", T).click().unwrap();
    d.wait_for("message-new", T).click().unwrap();
    d.type_into("message-to", "2000", T);
    d.type_into("message-input", "hello 2000\u{E007}", T);
    let (account, _, text) = rt.block_on(expect_event(
        &mut bob_events,
        T,
        "the message to 2000",
        received,
    ));
    assert_eq!(
        (account.as_deref(), text.as_str()),
        (Some("2000"), "hello 2000")
    );
    d.wait_text("conversation-title", T, |t| {
        t == format!("2000@127.0.0.1:{kport}")
    });
    d.wait_css_attribute(
        "[data-testid=\"message\"]:last-child",
        "data-delivery",
        T,
        |v| v == "delivered",
    );

    // Kept in the store for the next start.
    let store = hookswitch_phone::store::Store::open(
        &app.dir.join("home/.local/share/hookswitch/hookswitch.db"),
        hookswitch_directory::NumberPlan::default(),
    )
    .expect("the store");
    let kept: Vec<String> = store
        .messages(100)
        .expect("messages")
        .into_iter()
        .map(|m| m.text)
        .collect();
    for text in ["are you free at 3?", "yes, call me", "hello 2000"] {
        assert!(kept.iter().any(|k| k == text), "{text} not kept: {kept:?}");
    }
}
