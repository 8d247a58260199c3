//! Instant messages (RFC 3428) and is-composing (RFC 3994) between real
//! peers: two Hookswitch engines peer to peer (a long text goes over TCP,
//! whole); two users of a kamailio, by name through the default account
//! (proxy authentication answered), and a user it does not know (404);
//! baresip both ways (its contact and cons modules); and sipp's edge
//! cases: a 1400-byte text over UDP, the billion laughs as is-composing, a
//! content type we do not read, a body that is not XML.

use std::time::Duration;

use hookswitch_phone::{Action, Engine, EngineError, Passwords, PhoneEvent, Reply};
use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::kamailio::{self, Kamailio, account, registered};
use hookswitch_tests::sipp;
use hookswitch_tests::{expect_event, free_port, start_engine, test_config, write_tone};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

fn message(target: &str, text: &str) -> Action {
    Action::Message {
        target: target.into(),
        text: text.into(),
        account: None,
    }
}

fn received(e: &PhoneEvent) -> Option<(String, Option<String>, Option<String>, String)> {
    match e {
        PhoneEvent::Message {
            from,
            name,
            account,
            text,
        } => Some((from.clone(), name.clone(), account.clone(), text.clone())),
        _ => None,
    }
}

async fn peer() -> (Engine, broadcast::Receiver<PhoneEvent>, u16) {
    let port = free_port();
    let (engine, events) = start_engine(&test_config(port), &Passwords::new()).await;
    (engine, events, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_message_each_other_and_a_long_text_goes_over_tcp_whole() {
    let (a, mut a_events, a_port) = peer().await;
    let (_b, mut b_events, b_port) = peer().await;
    let to_b = format!("sip:hookswitch@127.0.0.1:{b_port}");

    let reply = a.act(message(&to_b, "Grüße, Bob 👋")).await;
    let Ok(Reply::Message(id)) = reply else {
        panic!("{reply:?}")
    };
    let (sent_to, text) = expect_event(&mut a_events, T, "sent", |e| match e {
        PhoneEvent::MessageSent {
            message, to, text, ..
        } if *message == id => Some((to.clone(), text.clone())),
        _ => None,
    })
    .await;
    assert_eq!(
        (sent_to.as_str(), text.as_str()),
        (to_b.as_str(), "Grüße, Bob 👋")
    );
    expect_event(&mut a_events, T, "delivered", |e| match e {
        PhoneEvent::MessageDelivered { message } if *message == id => Some(()),
        _ => None,
    })
    .await;
    let (from, _, account, text) = expect_event(&mut b_events, T, "the message", received).await;
    assert_eq!(from, format!("sip:hookswitch@127.0.0.1:{a_port}"));
    assert_eq!(account, None, "peer to peer");
    assert_eq!(text, "Grüße, Bob 👋");

    // RFC 3428 6: too large for UDP, so TCP, and never cut.
    let long: String = "0123456789abcdef".repeat(200);
    let reply = a.act(message(&to_b, &long)).await;
    assert!(matches!(reply, Ok(Reply::Message(_))), "{reply:?}");
    let (.., text) = expect_event(&mut b_events, T, "the long message", received).await;
    assert_eq!(text.len(), long.len());
    assert_eq!(text, long);
    // ... unless UDP is named.
    let reply = a
        .act(message(&format!("{to_b};transport=udp"), &long))
        .await;
    assert!(matches!(reply, Err(EngineError::TooLarge(_))), "{reply:?}");

    // Typing, then not.
    for active in [true, false] {
        let reply = a
            .act(Action::Composing {
                target: to_b.clone(),
                active,
                account: None,
            })
            .await;
        assert!(reply.is_ok(), "{reply:?}");
        let got = expect_event(&mut b_events, T, "is-composing", |e| match e {
            PhoneEvent::Composing { active, .. } => Some(*active),
            _ => None,
        })
        .await;
        assert_eq!(got, active);
    }

    // Nobody at a closed port: a failure, told at once (ICMP) with the reason.
    let closed = format!("sip:nobody@127.0.0.1:{}", free_port());
    let reply = a.act(message(&closed, "hello?")).await;
    assert!(
        matches!(reply, Err(EngineError::MessageFailed { .. })),
        "{reply:?}"
    );
    expect_event(&mut a_events, T, "failed", |e| match e {
        PhoneEvent::MessageFailed { .. } => Some(()),
        _ => None,
    })
    .await;
}

/// Whoever hears of a message or a call's end (the answer to the action,
/// an event) finds it already kept: the driver feeds the records before it
/// publishes or answers. (The API's client once read the conversations
/// right after its message was answered and found none.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_face_hears_of_is_already_in_the_records() {
    use hookswitch_phone::StartOptions;
    use hookswitch_phone::message_store::Delivery;
    use hookswitch_phone::records::Records;

    async fn kept_peer() -> (
        Engine,
        broadcast::Receiver<PhoneEvent>,
        u16,
        std::sync::Arc<Records>,
    ) {
        let port = free_port();
        let records = Records::in_memory();
        let options = StartOptions {
            records: Some(records.clone()),
            ..StartOptions::default()
        };
        let (engine, events) = Engine::start_with(&test_config(port), &Passwords::new(), options)
            .await
            .expect("engine starts");
        (engine, events, port, records)
    }
    let (a, mut a_events, _, a_records) = kept_peer().await;
    let (b, mut b_events, b_port, b_records) = kept_peer().await;
    let to_b = format!("sip:hookswitch@127.0.0.1:{b_port}");
    let mut a_kept = a_records.subscribe();

    for round in 0..20 {
        let text = format!("ticket {round}");
        let reply = a.act(message(&to_b, &text)).await;
        assert!(matches!(reply, Ok(Reply::Message(_))), "{reply:?}");
        // Answered: the sender's conversation has it, delivered.
        let conversation = a_records
            .messages()
            .conversation(&format!("hookswitch@127.0.0.1:{b_port}"));
        let last = conversation.last().expect("the sent message is kept");
        assert_eq!(
            (last.text.as_str(), last.delivery),
            (text.as_str(), Delivery::Delivered)
        );
        // Told: the receiver's records have it.
        let (_, _, _, got) = expect_event(&mut b_events, T, "the message", received).await;
        assert_eq!(got, text);
        let newest = b_records.messages().conversations();
        assert_eq!(
            newest.first().map(|c| c.last_text.as_str()),
            Some(text.as_str())
        );
    }
    // The subscription told the same, in order: sent, then delivered.
    let first = a_kept.try_recv().expect("told").message.expect("a message");
    assert_eq!(
        (first.text.as_str(), first.delivery),
        ("ticket 0", Delivery::Sending)
    );
    let second = a_kept.try_recv().expect("told").message.expect("a message");
    assert_eq!(
        (second.text.as_str(), second.delivery),
        ("ticket 0", Delivery::Delivered)
    );

    // A call b refuses: when a hears it ended, its history has it.
    let reply = a
        .act(Action::Call {
            target: to_b.clone(),
            account: None,
            audio: None,
        })
        .await;
    let Ok(Reply::Call(placed)) = reply else {
        panic!("{reply:?}")
    };
    let incoming = expect_event(&mut b_events, T, "the call", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    let refused = b
        .act(Action::Reject {
            call: incoming,
            status: 486,
        })
        .await;
    assert!(refused.is_ok(), "{refused:?}");
    expect_event(&mut a_events, T, "the end", |e| match e {
        PhoneEvent::Ended { call, .. } if *call == placed => Some(()),
        _ => None,
    })
    .await;
    let history = a_records.history();
    let entry = history
        .entries()
        .next()
        .expect("the call is in the history");
    assert!(entry.outgoing && !entry.answered, "{entry:?}");
    drop(history);
    let missed = b_records.history().entries().next().cloned();
    assert!(
        missed.is_some_and(|e| !e.outgoing),
        "b's history has the call it refused"
    );
}

/// A phone that does not take peer-to-peer calls does not take a
/// stranger's messages either (403); an empty text is not sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_closed_to_strangers_refuses_their_messages() {
    let (a, _a_events, _) = peer().await;
    let b_port = free_port();
    let mut config = test_config(b_port);
    config.sip.accept_p2p = false;
    let (_b, mut b_events) = start_engine(&config, &Passwords::new()).await;
    let reply = a
        .act(message(&format!("sip:x@127.0.0.1:{b_port}"), "let me in"))
        .await;
    assert!(
        matches!(reply, Err(EngineError::MessageFailed { status: 403, .. })),
        "{reply:?}"
    );
    assert!(
        std::iter::from_fn(|| b_events.try_recv().ok()).all(|e| received(&e).is_none()),
        "no message event on the refusing side"
    );
    let reply = a
        .act(message(&format!("sip:x@127.0.0.1:{b_port}"), "  "))
        .await;
    assert!(reply.is_err(), "{reply:?}");
}

/// Through kamailio: alice writes "bob" (a name: her account's domain,
/// the default-account rule), kamailio asks for credentials (407) and
/// relays to bob's registered address; bob sees it for his account, from
/// alice's address of record with her display name. A user kamailio does
/// not know: 404, an error and a failed event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_registrar_a_name_reaches_its_user_and_an_unknown_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let kamailio = Kamailio::configure(dir.path(), free_port());
    let _k = kamailio.start();
    let kport = kamailio.port;
    let (alice, mut alice_events) =
        kamailio::phone(account("alice", kport, 600), test_config(free_port())).await;
    registered(&mut alice_events).await;
    let (_bob, mut bob_events) =
        kamailio::phone(account("bob", kport, 600), test_config(free_port())).await;
    registered(&mut bob_events).await;

    let reply = alice.act(message("bob", "meeting at 3?")).await;
    assert!(matches!(reply, Ok(Reply::Message(_))), "{reply:?}");
    let (from, name, account, text) =
        expect_event(&mut bob_events, T, "alice's message", received).await;
    assert_eq!(from, format!("sip:alice@127.0.0.1:{kport}"));
    assert_eq!(name.as_deref(), Some("ALICE"));
    assert_eq!(account.as_deref(), Some("bob"));
    assert_eq!(text, "meeting at 3?");
    let to = expect_event(&mut alice_events, T, "sent", |e| match e {
        PhoneEvent::MessageSent { to, account, .. } => Some((to.clone(), account.clone())),
        _ => None,
    })
    .await;
    assert_eq!(
        to,
        (
            format!("sip:bob@127.0.0.1:{kport}"),
            Some("alice".to_string())
        )
    );

    let reply = alice.act(message("2000", "anyone?")).await;
    assert!(
        matches!(reply, Err(EngineError::MessageFailed { status: 404, .. })),
        "{reply:?}"
    );
}

/// baresip (a second implementation) writes to us and we to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_and_hookswitch_write_to_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (engine, mut events, port) = peer().await;
    let silence = dir.path().join("silence.wav");
    write_tone(&silence, 0.0, 8000, 1.0);
    let b = Baresip::configure(dir.path(), free_port(), &silence, "PCMU", "udp")
        .with_messages(&format!("sip:hookswitch@127.0.0.1:{port}"));
    let process = b.start(60, None);
    hookswitch_tests::wait_until(T, "baresip to be ready", || {
        process.log().contains("baresip is ready")
    });
    let mut console = b.console();

    b.send_message("hello from baresip").unwrap();
    let (from, _, _, text) = expect_event(&mut events, T, "baresip's message", received).await;
    assert_eq!(text, "hello from baresip");
    assert!(from.starts_with("sip:bob@127.0.0.1"), "{from}");

    let reply = engine
        .act(message(
            &format!("sip:bob@127.0.0.1:{}", b.port),
            "Grüße zurück",
        ))
        .await;
    assert!(matches!(reply, Ok(Reply::Message(_))), "{reply:?}");
    console.wait_for("\"Grüße zurück\"", T);
}

/// sipp sends what the RFCs allow and what they do not: each is answered
/// as it should be, the texts arrive whole, the bad bodies are dropped
/// (and counted in the log), and nothing stops the last one arriving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_edge_cases_long_texts_bad_bodies_and_unknown_types() {
    let dir = tempfile::tempdir().unwrap();
    let (_engine, mut events, port) = peer().await;
    let run = sipp::calls(dir.path(), port, "uac_messages");
    let (_, name, _, text) = expect_event(&mut events, T, "the long text", received).await;
    assert_eq!(name.as_deref(), Some("Sipp Sender"));
    assert!(text.trim_end().len() >= 1400, "{} bytes", text.len());
    assert!(text.starts_with("The quick brown fox"));
    // The billion laughs, from a socket of the test's own.
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n\
        <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
        <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n\
        <isComposing><state>&lol3;</state></isComposing>";
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(T)).unwrap();
    let me = socket.local_addr().unwrap();
    let request = format!(
        "MESSAGE sip:hookswitch@127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKlaughs\r\nMax-Forwards: 70\r\n\
         From: <sip:laughs@{me}>;tag=l1\r\nTo: <sip:hookswitch@127.0.0.1:{port}>\r\n\
         Call-ID: laughs@127.0.0.1\r\nCSeq: 1 MESSAGE\r\n\
         Content-Type: application/im-iscomposing+xml\r\nContent-Length: {}\r\n\r\n{laughs}",
        laughs.len()
    );
    socket
        .send_to(request.as_bytes(), ("127.0.0.1", port))
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");

    let mut seen = Vec::new();
    let last = expect_event(&mut events, T, "the last text", |e| {
        if let PhoneEvent::Composing { .. } = e {
            seen.push(format!("{e:?}"));
        }
        received(e).map(|(.., text)| text)
    })
    .await;
    assert_eq!(last.trim_end(), "still here after the bad ones");
    assert!(seen.is_empty(), "bad bodies made events: {seen:?}");
    sipp::succeeds(run).await;
}
