//! The window with a PBX account (kamailio as registrar and proxy): a bare
//! user name typed in the dial pad, a `tel:` link, a `sip:` link to the
//! PBX's domain and History's Call button all go from the account, through
//! the proxy with its credentials, and reach the phone registered there as
//! bob and as extension 2000 (D54). Before, each of them went peer to peer
//! and failed.

use std::time::{Duration, Instant};

use hookswitch_phone::{Action, Engine, Passwords, PhoneEvent};
use hookswitch_tests::desktop;
use hookswitch_tests::kamailio::Kamailio;
use hookswitch_tests::{expect_event, free_port, test_account, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

/// The callee: a headless Hookswitch registered at kamailio as bob and as
/// extension 2000.
async fn extension(kport: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
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

/// Waits for the next call at the extension and refuses it; who called.
async fn rings_and_is_refused(
    ext: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    how: &str,
) -> String {
    let (call, from) = expect_event(events, T, how, |e| match e {
        PhoneEvent::IncomingCall { call, from, .. } => Some((*call, from.clone())),
        _ => None,
    })
    .await;
    ext.act(Action::Reject { call, status: 486 }).await.unwrap();
    expect_event(events, T, "the refused call ends", |e| match e {
        PhoneEvent::Ended { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    from
}

#[test]
fn numbers_links_and_redial_go_through_the_pbx_account() {
    if !desktop::can_run(&["dbus-daemon"]) {
        return;
    }
    let _one = desktop::one_window();
    let dir = tempfile::tempdir().unwrap();
    let rt = desktop::runtime();
    let kamailio = Kamailio::configure(dir.path(), free_port());
    let kport = kamailio.port;
    let _k = kamailio.start();
    let (ext, mut ext_events) = rt.block_on(extension(kport));
    let (app, _bus, bus) = desktop::alice_at_pbx(dir.path(), kport, "");
    let d = &app.driver;

    // 1. The bare user name typed in the dial pad, the From list left alone.
    d.type_into("dial-input", "bob", T);
    d.wait_for("dial-call", T).click().unwrap();
    let (call, from, account) = rt.block_on(expect_event(
        &mut ext_events,
        T,
        "the typed name",
        |e| match e {
            PhoneEvent::IncomingCall {
                call,
                from,
                account,
                ..
            } => Some((*call, from.clone(), account.clone())),
            _ => None,
        },
    ));
    assert_eq!(account.as_deref(), Some("bob"), "it reached bob");
    // It came through kamailio, which let it in only with alice's credentials.
    assert!(from.contains(&format!("alice@127.0.0.1:{kport}")), "{from}");
    rt.block_on(ext.act(Action::Answer { call, audio: None }))
        .unwrap();
    d.wait_attribute("call-panel", "data-phase", "connected", T);
    d.wait_for("hangup", T).click().unwrap();
    rt.block_on(expect_event(&mut ext_events, T, "we hung up", |e| {
        matches!(e, PhoneEvent::Ended { .. }).then_some(())
    }));

    // 2. A tel: link opened while the app runs fills the dial pad; Call.
    let dial_pad_shows = |want: &str| {
        let deadline = Instant::now() + T;
        loop {
            let value = d
                .execute("return document.querySelector('[data-testid=\"dial-input\"]').value")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            if value == want {
                return;
            }
            assert!(Instant::now() < deadline, "the dial pad shows {value:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    for (link, typed) in [
        ("tel:2000".to_string(), "2000".to_string()),
        (
            format!("sip:2000@127.0.0.1:{kport}"),
            format!("sip:2000@127.0.0.1:{kport}"),
        ),
    ] {
        let mut second = app.second_instance(&link, &bus);
        second.wait(T);
        dial_pad_shows(&typed);
        d.wait_for("dial-call", T).click().unwrap();
        let from = rt.block_on(rings_and_is_refused(&ext, &mut ext_events, &link));
        assert!(from.contains("alice@"), "{link}: {from}");
    }

    // 3. History's Call button calls the last one again, the same way.
    d.wait_for("nav-history", T).click().unwrap();
    d.wait_for("redial", T).click().unwrap();
    let from = rt.block_on(rings_and_is_refused(&ext, &mut ext_events, "redial"));
    assert!(from.contains("alice@"), "{from}");
    rt.block_on(ext.shutdown());
}
