//! `cargo xtask bench conference [--seconds N]`: the CPU a three-way
//! conference mixed here costs, against the same two parties in two plain
//! calls, in a release build on this machine. The parties are baresip
//! (answering by themselves, playing a tone); our side plays a tone and
//! discards what it hears, so only the media path and the mix are counted.
//! The plain calls run in two engines at once (one phone holds a call when
//! it places another, so two talking calls need two); the conference in
//! one, measured first before the merge (one call talking, one held),
//! then merged. CPU is this process's user + system time over N seconds (default
//! 30), scaled to a minute. Rows: both parties on G.711, and one on G.711
//! with one on Opus (the mix resamples 8 kHz and 48 kHz both ways).

use std::time::{Duration, Instant};

use hookswitch_phone::{Action, AudioSpec, CallId, Engine, Passwords, PhoneEvent};
use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::{Process, free_port, start_engine, test_config};
use tokio::sync::broadcast;

const T: Duration = Duration::from_secs(20);

struct Party {
    baresip: Baresip,
    _process: Process,
}

fn party(dir: &std::path::Path, hz: f64, codec: &str, rate: u32, channels: u16) -> Party {
    let tone = dir.join(format!("tone-{hz}.wav"));
    hookswitch_tests::write_tone_channels(&tone, hz, rate, 600.0, channels);
    let baresip = Baresip::configure(dir, free_port(), &tone, codec, "udp");
    let process = baresip.start(3600, None);
    Party {
        baresip,
        _process: process,
    }
}

async fn engine() -> (Engine, broadcast::Receiver<PhoneEvent>) {
    start_engine(&test_config(free_port()), &Passwords::new()).await
}

async fn call(
    engine: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    party: &Party,
) -> CallId {
    let audio = AudioSpec {
        tone_hz: Some(1000.0),
        ..AudioSpec::default()
    };
    let target = format!("sip:bob@127.0.0.1:{}", party.baresip.port);
    hookswitch_tests::call_answered(engine, events, &target, audio, T).await
}

/// This process's CPU seconds (user + system) so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// CPU seconds per minute while `seconds` pass.
async fn cpu_per_minute(seconds: u64) -> f64 {
    // Let the calls settle (jitter buffers, the hold and resume).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    (cpu_seconds() - cpu) / wall.elapsed().as_secs_f64() * 60.0
}

struct Row {
    name: &'static str,
    second: (&'static str, u32, u16),
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let rows = [
        Row {
            name: "G.711 + G.711",
            second: ("PCMU/8000/1", 8000, 1),
        },
        Row {
            name: "G.711 + Opus",
            second: ("opus/48000/2", 48000, 2),
        },
    ];
    println!(
        "| parties | two plain calls (two engines), CPU s/min | one talking, one held (one engine) | conference | conference / plain | conference / before merging |\n|---|---|---|---|---|---|"
    );
    for row in rows {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = party(dir.path(), 600.0, "PCMU/8000/1", 8000, 1);
        let (codec, rate, channels) = row.second;
        let second = party(dir.path(), 1700.0, codec, rate, channels);

        let plain = {
            let (a, mut a_events) = engine().await;
            let (b, mut b_events) = engine().await;
            call(&a, &mut a_events, &first).await;
            call(&b, &mut b_events, &second).await;
            let cpu = cpu_per_minute(seconds).await;
            a.shutdown().await;
            b.shutdown().await;
            cpu
        };
        let (one_held, conference) = {
            let (e, mut events) = engine().await;
            call(&e, &mut events, &first).await;
            call(&e, &mut events, &second).await;
            let one_held = cpu_per_minute(seconds).await;
            let reply = e.act(Action::Merge { calls: None }).await;
            assert!(reply.is_ok(), "merge: {reply:?}");
            let cpu = cpu_per_minute(seconds).await;
            assert_eq!(e.state().conference.len(), 2, "the conference lasted");
            e.shutdown().await;
            (one_held, cpu)
        };
        println!(
            "| {} | {plain:.3} | {one_held:.3} | {conference:.3} | {:.2} | {:.2} |",
            row.name,
            conference / plain,
            conference / one_held,
        );
    }
}
