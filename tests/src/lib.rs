//! The test harness: starts real peers (sipp, baresip, kamailio) on loopback,
//! always stops them (a guard kills each process it started), and analyses the
//! audio they recorded. Nothing here sleeps to wait for state: every wait is for
//! a condition, with a deadline.

pub mod baresip;
pub mod cpio;
pub mod desktop;
pub mod devices;
pub mod dnsmasq;
pub mod impair;
pub mod kamailio;
pub mod netns;
pub mod phone;
pub mod process;
pub mod pulse;
pub mod python;
pub mod qemu;
pub mod radicale;
pub mod relay;
pub mod sipp;
pub mod slapd;
pub mod soak;
pub mod tls;
pub mod webdriver;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent};
use tokio::sync::broadcast;

pub use phone::Phone;
pub use process::Process;

/// Ports handed to tests come from below the kernel's ephemeral range
/// (/proc/sys/net/ipv4/ip_local_port_range, 32768 and up by default), so a socket
/// bound to port 0 elsewhere can never take one between our check and its use.
const TEST_PORTS: std::ops::Range<u16> = 20000..32000;

/// Each allocation owns a block of this many ports: peers bind neighbours of the
/// port they are given (sipp's RTP echo takes media port + 2, baresip's TLS + 1).
const BLOCK: u16 = 4;

/// A temporary directory only its owner may enter (0700), as a desktop
/// session's `$XDG_RUNTIME_DIR` is: the control socket lives only in such a
/// directory (tempfile's own follow the umask, 0755 here).
pub fn tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .expect("a private temporary directory");
    dir
}

/// The `hookswitch` binary at `bin` (a CLI test's `CARGO_BIN_EXE_hookswitch`)
/// with its configuration, runtime, state and data under `home` and no
/// `RUST_LOG` of the developer's.
pub fn hookswitch_in(bin: &str, home: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(bin);
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_DATA_HOME", home)
        .env_remove("RUST_LOG");
    c
}

/// A port free for both UDP and TCP on 127.0.0.1, with its block of neighbours,
/// never handed out twice by this process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    let blocks = (TEST_PORTS.end - TEST_PORTS.start) / BLOCK;
    // Start where this process's PID points, so test binaries run one after
    // another do not reuse each other's ports while sockets linger.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let _ = NEXT.compare_exchange(
        0,
        (std::process::id() % u32::from(blocks)) as u16 + 1,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst) % blocks;
        let port = TEST_PORTS.start + n * BLOCK;
        let free = (port..port + BLOCK).all(|p| {
            UdpSocket::bind(("127.0.0.1", p)).is_ok() && TcpListener::bind(("127.0.0.1", p)).is_ok()
        });
        if free {
            return port;
        }
    }
}

/// An engine config for tests: loopback, fast timers, no accounts.
pub fn test_config(port: u16) -> Config {
    let mut c = Config::default();
    c.sip.listen = SocketAddr::from(([127, 0, 0, 1], port));
    c.sip.t1_ms = 100;
    c.sip.t2_ms = 800;
    c.sip.t4_ms = 1000;
    // The tests' peers call our address directly.
    c.sip.accept_p2p = true;
    // Devices are simulated by the tests that want them, and calls from a
    // device make no sound (there is no sound card).
    c.devices.enabled = false;
    c.devices.microphone = "none".into();
    c.devices.speaker = "none".into();
    // The developer's own music is not the tests' to pause.
    c.audio.pause_media = false;
    c
}

/// An account over UDP at `aor` (numbers dialled from it go to the AOR's
/// domain), registering or not; callers change the rest with `..`.
pub fn test_account(name: &str, aor: &str, register: bool) -> AccountSettings {
    AccountSettings {
        register,
        ..AccountSettings::new(name, aor)
    }
}

/// Starts an in-process engine.
pub async fn start_engine(
    config: &Config,
    passwords: &Passwords,
) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    Engine::start(config, passwords)
        .await
        .expect("engine starts")
}

/// Waits for the first event that `pick` accepts, failing the test after `timeout`.
pub async fn expect_event<T>(
    events: &mut broadcast::Receiver<PhoneEvent>,
    timeout: Duration,
    what: &str,
    mut pick: impl FnMut(&PhoneEvent) -> Option<T>,
) -> T {
    // What else came meanwhile, for the failure message.
    let mut seen: Vec<String> = Vec::new();
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(t) = pick(&e) {
                        return t;
                    }
                    seen.push(format!("{e:?}"));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    panic!("engine stopped while waiting for {what}")
                }
            }
        }
    };
    match tokio::time::timeout(timeout, wait).await {
        Ok(t) => t,
        Err(_) => panic!(
            "timed out after {timeout:?} waiting for {what}; events meanwhile:\n{}",
            seen.join("\n")
        ),
    }
}

/// Waits until the engine's published state satisfies `want` (it may
/// already): for what a test must not miss by reading events after it came.
pub async fn expect_state(
    engine: &hookswitch_phone::Engine,
    timeout: Duration,
    what: &str,
    mut want: impl FnMut(&hookswitch_phone::PhoneState) -> bool,
) {
    let mut watch = engine.watch_state();
    let wait = async {
        loop {
            if want(&watch.borrow_and_update()) {
                return;
            }
            if watch.changed().await.is_err() {
                panic!("engine stopped while waiting for {what}");
            }
        }
    };
    if tokio::time::timeout(timeout, wait).await.is_err() {
        panic!(
            "timed out after {timeout:?} waiting for {what}; state:\n{:?}",
            engine.state()
        );
    }
}

/// Places a call to `target` with `audio` (scripts' own sound) and waits,
/// up to `timeout`, until it is answered: its number.
pub async fn call_answered(
    engine: &Engine,
    events: &mut broadcast::Receiver<PhoneEvent>,
    target: &str,
    audio: hookswitch_phone::AudioSpec,
    timeout: Duration,
) -> hookswitch_phone::CallId {
    let reply = engine
        .act(hookswitch_phone::Action::Call {
            target: target.to_string(),
            account: None,
            audio: Some(audio),
        })
        .await;
    let Ok(hookswitch_phone::Reply::Call(call)) = reply else {
        panic!("placing the call to {target}: {reply:?}");
    };
    expect_event(events, timeout, "the call is answered", |e| match e {
        PhoneEvent::Established { call: c, .. } if *c == call => Some(()),
        _ => None,
    })
    .await;
    call
}

/// Polls `check` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Mono samples of a WAV file (first channel), and its rate.
pub fn read_wav(path: &Path) -> (Vec<i16>, u32) {
    let reader = hound::WavReader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    let samples: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => reader
            .into_samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect(),
        (hound::SampleFormat::Float, _) => reader
            .into_samples::<f32>()
            .map(|s| (s.expect("sample") * 32767.0) as i16)
            .collect(),
        (_, bits) => reader
            .into_samples::<i32>()
            .map(|s| (s.expect("sample") >> (bits - 16)) as i16)
            .collect(),
    };
    (
        samples.into_iter().step_by(channels).collect(),
        spec.sample_rate,
    )
}

/// Writes a sine tone as a 16-bit mono WAV file.
pub fn write_tone(path: &Path, frequency: f64, rate: u32, seconds: f64) {
    write_tone_channels(path, frequency, rate, seconds, 1);
}

/// As `write_tone`, the same tone on every channel (baresip's file source wants
/// the codec's channel count: two for Opus).
pub fn write_tone_channels(path: &Path, frequency: f64, rate: u32, seconds: f64, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    let mut samples = vec![0i16; (f64::from(rate) * seconds) as usize];
    hookswitch_media::tone::Sine::new(frequency, rate, 12000).fill(&mut samples);
    for s in samples {
        for _ in 0..channels {
            w.write_sample(s).expect("write");
        }
    }
    w.finalize().expect("finalize");
}

/// The dominant frequency of the loud part of a recording (silence trimmed), and
/// how many seconds of signal there were.
pub fn recorded_tone(path: &Path) -> (f64, f64) {
    let (samples, rate) = read_wav(path);
    let frame = (rate / 50) as usize;
    let loud: Vec<i16> = samples
        .chunks(frame)
        .filter(|c| hookswitch_media::tone::rms(c) > 500.0)
        .flatten()
        .copied()
        .collect();
    assert!(
        loud.len() > rate as usize / 2,
        "{}: less than 0.5 s of signal ({} samples)",
        path.display(),
        loud.len()
    );
    let f = hookswitch_media::tone::dominant_frequency(
        &loud[..loud.len().min(rate as usize * 2)],
        rate,
        100.0,
        f64::from(rate) / 2.0 - 100.0,
    );
    (f, loud.len() as f64 / f64::from(rate))
}

/// A recording as runs of sound and of silence, in seconds: `(loud, length)`
/// for each run of 20 ms frames on the same side of an RMS of 500. Runs shorter
/// than 100 ms are folded into their neighbours (a frame of concealment or the
/// edge of a packet burst is not a pause).
pub fn loud_and_quiet_runs(samples: &[i16], rate: u32) -> Vec<(bool, f64)> {
    let frame = (rate / 50) as usize;
    let mut runs: Vec<(bool, f64)> = Vec::new();
    for chunk in samples.chunks(frame) {
        let loud = hookswitch_media::tone::rms(chunk) > 500.0;
        match runs.last_mut() {
            Some((l, len)) if *l == loud => *len += 0.02,
            _ => runs.push((loud, 0.02)),
        }
    }
    let mut merged: Vec<(bool, f64)> = Vec::new();
    for (loud, len) in runs {
        match merged.last_mut() {
            Some((l, total)) if *l == loud || len < 0.1 => *total += len,
            _ => merged.push((loud, len)),
        }
    }
    merged
}

/// Asserts that `who` heard sound, one pause of `pause` seconds (a hold), then
/// sound again, leading and trailing silence aside.
pub fn assert_one_pause(samples: &[i16], rate: u32, pause: std::ops::Range<f64>, who: &str) {
    let runs = loud_and_quiet_runs(samples, rate);
    let first = runs.iter().position(|(loud, _)| *loud);
    let last = runs.iter().rposition(|(loud, _)| *loud);
    let core = match (first, last) {
        (Some(f), Some(l)) => &runs[f..=l],
        _ => &[][..],
    };
    assert_eq!(
        core.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![true, false, true],
        "what {who} heard: {runs:?}"
    );
    assert!(
        pause.contains(&core[1].1),
        "what {who} heard paused {:.2} s, not {pause:?}: {runs:?}",
        core[1].1
    );
    assert!(
        core[0].1 > 1.0 && core[2].1 > 1.0,
        "what {who} heard: {runs:?}"
    );
}

/// Asserts `measured` is within 1% of `expected`.
pub fn assert_within_1pct(measured: f64, expected: f64, what: &str) {
    assert!(
        (measured - expected).abs() <= expected * 0.01,
        "{what}: {measured:.1} Hz is not within 1% of {expected} Hz"
    );
}

/// One end of a call between two engines started by `call_between`.
pub struct End {
    pub engine: Engine,
    pub events: broadcast::Receiver<PhoneEvent>,
    pub call: hookswitch_phone::CallId,
}

/// Starts two engines, has A call B with `a_audio`, B answer with `b_audio`,
/// and returns both ends once A sees the call established (with its codec).
pub async fn call_between(
    a_config: Config,
    b_config: Config,
    a_audio: hookswitch_phone::AudioSpec,
    b_audio: hookswitch_phone::AudioSpec,
) -> (End, End, String) {
    let limit = Duration::from_secs(10);
    let b_port = b_config.sip.listen.port();
    let (b, mut b_events) = start_engine(&b_config, &Passwords::new()).await;
    let (a, mut a_events) = start_engine(&a_config, &Passwords::new()).await;
    let call = a
        .call(&format!("sip:bob@127.0.0.1:{b_port}"), None, a_audio)
        .await
        .expect("A calls");
    let incoming = expect_event(&mut b_events, limit, "incoming call", |e| match e {
        PhoneEvent::IncomingCall { call, .. } => Some(*call),
        _ => None,
    })
    .await;
    b.answer(incoming, b_audio).await.expect("B answers");
    let codec = expect_event(&mut a_events, limit, "established", |e| match e {
        PhoneEvent::Established { codec, .. } => Some(codec.clone()),
        _ => None,
    })
    .await;
    (
        End {
            engine: a,
            events: a_events,
            call,
        },
        End {
            engine: b,
            events: b_events,
            call: incoming,
        },
        codec,
    )
}

/// Waits until the server `p` (slapd, Radicale) accepts TCP connections on
/// 127.0.0.1:`port`, for at most `timeout`.
pub fn wait_tcp_listening(p: &Process, port: u16, timeout: std::time::Duration) {
    let deadline = std::time::Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never listened on 127.0.0.1:{port}:\n{}",
            p.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits until the peer `p` holds UDP `addr`'s port (sipp, baresip or
/// dnsmasq, once it has read its configuration): a request sent before would
/// meet a closed port, and a caller that heeds ICMP gives up at once. It
/// reads the kernel's socket tables instead of trying to bind the port,
/// which could take it at the very moment the peer binds it.
pub fn wait_udp_bound(p: &Process, addr: std::net::SocketAddr) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !udp_port_bound(addr.port()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the peer never bound {addr}:\n{}",
            p.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Some UDP socket of this machine's network namespace is bound to `port`
/// (/proc/net/udp and udp6: the local address column, port in hex).
fn udp_port_bound(port: u16) -> bool {
    let wanted = format!(":{port:04X}");
    ["/proc/net/udp", "/proc/net/udp6"].iter().any(|table| {
        std::fs::read_to_string(table).is_ok_and(|text| {
            text.lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().nth(1))
                .any(|local| local.ends_with(&wanted))
        })
    })
}
