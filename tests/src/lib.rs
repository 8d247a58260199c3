//! The test harness: starts real peers (sipp, baresip, kamailio) on loopback,
//! always stops them (a guard kills each process it started), and analyses the
//! audio they recorded. Nothing here sleeps to wait for state: every wait is for
//! a condition, with a deadline.

pub mod baresip;
pub mod kamailio;
pub mod process;
pub mod relay;
pub mod sipp;

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::time::Duration;

use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent};
use tokio::sync::broadcast;

pub use process::Process;

/// A port free for both UDP and TCP on 127.0.0.1.
pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A port whose successor is free too (baresip takes port + 1 for TLS).
pub fn free_port_pair() -> u16 {
    loop {
        let p = free_port();
        if p < u16::MAX
            && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
            && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
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
    c
}

/// Starts an in-process engine.
pub async fn start_engine(
    config: &Config,
    passwords: &Passwords,
) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let engine = Engine::start(config, passwords)
        .await
        .expect("engine starts");
    let events = engine.subscribe();
    (engine, events)
}

/// Waits for the first event that `pick` accepts, failing the test after `timeout`.
pub async fn expect_event<T>(
    events: &mut broadcast::Receiver<PhoneEvent>,
    timeout: Duration,
    what: &str,
    mut pick: impl FnMut(&PhoneEvent) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) => {
                    if let Some(t) = pick(&e) {
                        return t;
                    }
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
        Err(_) => panic!("timed out after {timeout:?} waiting for {what}"),
    }
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
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    let mut samples = vec![0i16; (f64::from(rate) * seconds) as usize];
    hookswitch_media::tone::Sine::new(frequency, rate, 12000).fill(&mut samples);
    for s in samples {
        w.write_sample(s).expect("write");
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

/// Asserts `measured` is within 1% of `expected`.
pub fn assert_within_1pct(measured: f64, expected: f64, what: &str) {
    assert!(
        (measured - expected).abs() <= expected * 0.01,
        "{what}: {measured:.1} Hz is not within 1% of {expected} Hz"
    );
}
