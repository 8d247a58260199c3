//! `cargo xtask bench phone`: how fast the desk reacts (PHONE-BEHAVIOUR.md's
//! budgets: p99 under 5 ms each), measured by the engine itself over 10,000
//! events in a release build:
//! - device input -> the SIP message it causes handed to the socket: Flash
//!   on a simulated Jabra Evolve Link holds and resumes a call with another
//!   engine (a re-INVITE each press);
//! - state change -> LED report written: the Hold LED after each of those,
//!   and the Mute LED after 10,000 mutes from the API (timed from the
//!   event) and then 10,000 Phone Mute presses (timed from the read);
//! - state change -> busylight report written: a simulated kuando and a
//!   Luxafor on the same engine, through the lights' own protocols: the
//!   call's looks during the presses above, then 10,000 DND toggles from
//!   the API with no call (purple, green).
//!
//! The device's input timestamps are the real read times: the profile the
//! benchmark installs has no debounce, so presses can follow each other as
//! fast as the calls allow.

use hookswitch_tests::Phone;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::SimulatedHandle;
use hookswitch_phone::{DeskLatency, Engine, Passwords, PhoneEvent};
use hookswitch_tests::{free_port, test_config};
use tokio::sync::broadcast;

const PRESSES: usize = 10_000;
const T: Duration = Duration::from_secs(10);

async fn wait(
    events: &mut broadcast::Receiver<PhoneEvent>,
    mut want: impl FnMut(&PhoneEvent) -> bool,
) {
    let deadline = tokio::time::Instant::now() + T;
    let mut seen = std::collections::VecDeque::new();
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(e)) if want(&e) => return,
            Ok(Ok(e)) => {
                seen.push_back(format!("{e:?}"));
                if seen.len() > 30 {
                    seen.pop_front();
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                seen.push_back(format!("lagged {n}"))
            }
            Ok(Err(e)) => panic!("engine gone: {e}"),
            Err(_) => panic!(
                "an expected event did not come within {T:?}; the last events:\n{}",
                Vec::from(seen).join("\n")
            ),
        }
    }
}

fn report(what: &str, l: &DeskLatency) {
    for (name, p) in [
        (
            "device input -> SIP message handed to the socket",
            l.input_to_sip,
        ),
        ("state change -> LED report written", l.state_to_led),
        ("state change -> busylight report written", l.state_to_light),
    ] {
        if p.count == 0 {
            continue;
        }
        println!(
            "{what}: {name}: n {} p50 {} us p99 {} us max {} us (budget p99 < 5000 us: {})",
            p.count,
            p.p50_us,
            p.p99_us,
            p.max_us,
            if p.p99_us < 5000 { "met" } else { "NOT met" }
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profiles = dir.path().join("device-profiles");
    std::fs::create_dir_all(&profiles).expect("profiles dir");
    std::fs::write(
        profiles.join("bench.toml"),
        "name = \"Evolve Link, no debounce\"\n[match]\nvendor_id = \"0x0b0e\"\n\
         [quirks]\nhook = \"absolute\"\ndebounce_ms = 0\nhook_echo_window_ms = 0\n",
    )
    .expect("profile");
    let mut config = test_config(free_port());
    config.devices.profiles_dir = Some(profiles);
    let b_port = config.sip.listen.port();
    let (b, mut b_events) = Engine::start(&config, &Passwords::new())
        .await
        .expect("engine");
    let (a, mut a_events) = Engine::start(&test_config(free_port()), &Passwords::new())
        .await
        .expect("engine");
    let jabra: SimulatedHandle = b
        .devices()
        .simulate(&hookswitch_tests::devices::jabra())
        .expect("simulated Jabra");
    // Two busylights; what they are written is not checked here (the
    // engine times its own writes): a thread each takes their reports.
    for hex in [
        hookswitch_tests::devices::KUANDO_HEX,
        hookswitch_tests::devices::LUXAFOR_HEX,
    ] {
        let spec = hookswitch_devices::hid::simulated::SimulatedSpec::from_text(hex, "light")
            .expect("light fixture");
        let light = b.devices().simulate(&spec).expect("simulated light");
        std::thread::spawn(move || {
            loop {
                let _ = light.next_written(Duration::from_secs(1));
            }
        });
    }
    a.call(
        &format!("sip:b@127.0.0.1:{b_port}"),
        None,
        Default::default(),
    )
    .await
    .expect("call");
    wait(&mut b_events, |e| {
        matches!(e, PhoneEvent::IncomingCall { .. })
    })
    .await;
    jabra.input(&[0x02, 0x01, 0x00]);
    // Up at both ends: B's phone (the one with the headset) has the call
    // once A's ACK reached it, which can be after A saw it established.
    for events in [&mut a_events, &mut b_events] {
        wait(events, |e| matches!(e, PhoneEvent::Established { .. })).await;
    }

    let started = Instant::now();
    for i in 0..PRESSES {
        // Flash (report 2 bit 3) pressed and released: hold, then resume.
        jabra.input(&[0x02, 0x09, 0x00]);
        jabra.input(&[0x02, 0x01, 0x00]);
        let direction = if i % 2 == 0 { "sendonly" } else { "sendrecv" };
        wait(
            &mut b_events,
            |e| matches!(e, PhoneEvent::MediaUpdated { direction: d, .. } if d.as_str() == direction),
        )
        .await;
    }
    let flash = b.desk_latency().await.expect("latency");
    report(
        &format!(
            "{PRESSES} Flash presses ({:.1} s)",
            started.elapsed().as_secs_f64()
        ),
        &flash,
    );

    let call = b.state().calls[0].id;
    // Each half alone (the samples keep the last PRESSES): a mute from the
    // API is timed from its event, a press from when the device was read.
    for i in 0..PRESSES {
        b.set_mute(call, i % 2 == 0).await.expect("mute");
        wait(&mut b_events, |e| matches!(e, PhoneEvent::Muted { .. })).await;
    }
    report_mutes(
        &format!("then {PRESSES} mutes from the API"),
        &b.desk_latency().await.expect("latency"),
    );
    for _ in 0..PRESSES {
        // Phone Mute (report 2 bit 2) pressed and released.
        jabra.input(&[0x02, 0x05, 0x00]);
        jabra.input(&[0x02, 0x01, 0x00]);
        wait(&mut b_events, |e| matches!(e, PhoneEvent::Muted { .. })).await;
    }
    report_mutes(
        &format!("then {PRESSES} Phone Mute presses"),
        &b.desk_latency().await.expect("latency"),
    );
    b.act(hookswitch_phone::Action::Hangup { call: Some(call) })
        .await
        .expect("hang up");
    wait(&mut b_events, |e| matches!(e, PhoneEvent::Ended { .. })).await;
    for i in 0..PRESSES {
        b.act(hookswitch_phone::Action::Dnd {
            on: i % 2 == 0,
            account: None,
        })
        .await
        .expect("dnd");
        wait(&mut b_events, |e| matches!(e, PhoneEvent::Dnd { .. })).await;
    }
    let l = b.desk_latency().await.expect("latency");
    let p = &l.state_to_light;
    println!(
        "then {PRESSES} DND toggles from the API, no call: state change -> busylight report written (kuando and Luxafor): n {} p50 {} us p99 {} us max {} us",
        p.count, p.p50_us, p.p99_us, p.max_us
    );
    b.shutdown().await;
    a.shutdown().await;
}

fn report_mutes(what: &str, l: &DeskLatency) {
    let p = &l.state_to_led;
    println!(
        "{what}: state change -> LED report written: n {} p50 {} us p99 {} us max {} us",
        p.count, p.p50_us, p.p99_us, p.max_us
    );
}
