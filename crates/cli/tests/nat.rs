//! Hookswitch behind a real NAT (network namespaces and nftables masquerade,
//! see `hookswitch_tests::netns`): it learns its public address from a real
//! STUN server (coturn), registers it with kamailio, and a caller on the other
//! side of the NAT reaches it, with audio both ways. Then the laptop moves to
//! another network (new private and public addresses): Hookswitch notices
//! through the kernel's route events (the timed look is set to an hour, so
//! only the events can catch it within the test's 20 s), registers the new
//! address, and is reachable again.
//!
//! Without STUN the registrar would hold a 10.x address it cannot route to,
//! and the calls would never arrive: the test checks the call, not a log line.

use hookswitch_tests::Phone;
use std::path::Path;
use std::time::Duration;

use hookswitch_phone::{AudioSpec, Engine, Passwords, PhoneEvent};
use hookswitch_tests::kamailio::{Kamailio, password};
use hookswitch_tests::netns::{self, NatRig};
use hookswitch_tests::{
    Process, assert_within_1pct, expect_event, free_port, recorded_tone, start_engine,
    test_account, test_config, wait_until,
};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

/// Bob, on the public side, registered with kamailio.
async fn bob(rig: &NatRig, kamailio_port: u16) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let mut config = test_config(free_port());
    config.sip.listen.set_ip(rig.wan_ip().into());
    config.sip.accept_p2p = false;
    config.accounts.push(test_account(
        "bob",
        &format!("sip:bob@{}:{kamailio_port}", rig.wan_ip()),
        true,
    ));
    let passwords = Passwords::from([("bob".to_string(), password("bob").to_string())]);
    let (engine, mut events) = start_engine(&config, &passwords).await;
    expect_event(&mut events, T, "bob registered", |e| match e {
        PhoneEvent::Registration { state, .. } if state.as_str() == "registered" => Some(()),
        _ => None,
    })
    .await;
    (engine, events)
}

/// Alice: `hookswitch listen` inside the LAN, answering with a 440 Hz tone
/// and recording what she hears to `record`.
fn alice(rig: &NatRig, dir: &Path, kamailio_port: u16, stun_port: u16, record: &Path) -> Process {
    let home = dir.join("alice");
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        format!(
            "[sip]\nlisten = \"0.0.0.0:5060\"\nstun_server = \"{wan}:{stun_port}\"\n\
             network_check_secs = 3600\nt1_ms = 100\n\
             [audio]\ncodecs = [\"PCMU\"]\n\n\
             [[accounts]]\nname = \"alice\"\naor = \"sip:alice@{wan}:{kamailio_port}\"\nexpires = 600\n",
            wan = rig.wan_ip()
        ),
    )
    .unwrap();
    let mut c = rig.lan_command(env!("CARGO_BIN_EXE_hookswitch"));
    c.env("XDG_CONFIG_HOME", &home)
        .env("HOOKSWITCH_PASSWORD_ALICE", password("alice"))
        .env(
            "RUST_LOG",
            "hookswitch_phone=info,hookswitch_phone::edge::address=debug",
        )
        .args(["listen", "--auto-answer", "--count", "2", "--tone", "440"])
        .arg("--record")
        .arg(record);
    Process::spawn("alice", c, dir)
}

/// Bob calls alice through kamailio for 3 s: both hear the other's tone.
async fn bob_calls_alice(
    bob: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    alice: &Process,
    dir: &Path,
    alice_heard: &Path,
    round: u32,
) {
    let bob_heard = dir.join(format!("bob-heard-{round}.wav"));
    let _ = std::fs::remove_file(alice_heard);
    let audio = AudioSpec {
        tone_hz: Some(600.0),
        record: Some(bob_heard.clone()),
        ..AudioSpec::default()
    };
    let call = bob.call("alice", Some("bob"), audio).await.unwrap();
    expect_event(events, T, "alice answers through the NAT", |e| match e {
        PhoneEvent::Established { call: c, .. } if *c == call => Some(()),
        PhoneEvent::Ended {
            call: c, reason, ..
        } if *c == call => {
            panic!(
                "the call did not reach alice: {reason}; alice's log:\n{}",
                alice.log()
            )
        }
        _ => None,
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    bob.hangup(Some(call)).await.unwrap();
    expect_event(events, T, "the call ends", |e| match e {
        PhoneEvent::Ended { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    let ended = format!("call {round}: ended");
    alice.wait_for_log(&ended, T);
    let (f, seconds) = recorded_tone(&bob_heard);
    assert_within_1pct(f, 440.0, "what bob heard from behind the NAT");
    assert!(seconds > 2.0, "bob heard {seconds:.1} s of alice");
    let (f, seconds) = recorded_tone(alice_heard);
    assert_within_1pct(f, 600.0, "what alice heard through the NAT");
    assert!(seconds > 2.0, "alice heard {seconds:.1} s of bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_nat_stun_gives_the_public_address_and_a_network_switch_registers_again() {
    if !netns::can_build() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root: the NAT test must run there"
        );
        eprintln!("skipped: building network namespaces needs root (CI runs this test)");
        return;
    }
    let dir = hookswitch_tests::tempdir();
    let mut rig = NatRig::build();
    let stun_port = free_port();
    let _stun = netns::stun_server(dir.path(), rig.wan_ip(), stun_port);
    let kamailio_port = free_port();
    let kamailio = Kamailio::configure_on(dir.path(), rig.wan_ip().into(), kamailio_port, None);
    let _kamailio = kamailio.start();
    let (bob, mut bob_events) = bob(&rig, kamailio_port).await;

    let alice_heard = dir.path().join("alice-heard.wav");
    let alice = alice(&rig, dir.path(), kamailio_port, stun_port, &alice_heard);
    let public = format!(
        "address now {}:5060 (media {}; stun)",
        rig.public_ip(),
        rig.public_ip()
    );
    alice.wait_for_log(&public, T);
    alice.wait_for_log("account alice: registered", T);
    bob_calls_alice(&bob, &mut bob_events, &alice, dir.path(), &alice_heard, 1).await;

    rig.move_to_another_network();
    let moved = format!(
        "address now {}:5060 (media {}; network)",
        rig.public_ip(),
        rig.public_ip()
    );
    alice.wait_for_log(&moved, T);
    wait_until(T, "alice registered again", || {
        alice.log().matches("account alice: registered").count() >= 2
    });
    bob_calls_alice(&bob, &mut bob_events, &alice, dir.path(), &alice_heard, 2).await;
    assert_eq!(
        alice.log().matches("media sockets mapped by STUN").count(),
        2,
        "both calls' SDP named a STUN-learnt media address:\n{}",
        alice.log()
    );
}
