//! Simulated call-control devices with real report descriptors (the
//! fixtures of `crates/hid/tests/fixtures`, each with its source).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::SimulatedSpec;

/// The Jabra Evolve Link MS descriptor file (with its `# VID:PID:` line).
pub const JABRA_EVOLVE_LINK_HEX: &str =
    include_str!("../../crates/hid/tests/fixtures/Jabra-EvolveLinkMS.hex");

/// Jabra Evolve Link MS: hook switch, mute, flash, keypad; one LED report.
pub fn jabra() -> SimulatedSpec {
    SimulatedSpec::telephony(
        JABRA_EVOLVE_LINK_HEX,
        0x0b0e,
        0x0307,
        "Jabra EVOLVE LINK MS",
    )
    .expect("Jabra fixture")
}

/// Poly Blackwire C5220: one report per LED.
pub fn poly() -> SimulatedSpec {
    SimulatedSpec::telephony(
        include_str!("../../crates/hid/tests/fixtures/Poly-BlackwireC5220.hex"),
        0x047f,
        0xc053,
        "Plantronics Blackwire 5220 Series",
    )
    .expect("Poly fixture")
}

/// EPOS IMPACT DW: LEDs and ringer share report 3.
pub fn epos() -> SimulatedSpec {
    SimulatedSpec::telephony(
        include_str!("../../crates/hid/tests/fixtures/EPOS-ImpactDW.hex"),
        0x1395,
        0x00a2,
        "EPOS IMPACT DW",
    )
    .expect("EPOS fixture")
}

/// The test's hold on a simulated device served on a socket
/// (`devices.simulated`): reports in, what the phone writes out.
pub struct Headset {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
    /// Output reports read while waiting for an `ok` (the phone may show
    /// what a report made happen before the socket answers it).
    pending: std::collections::VecDeque<String>,
}

impl Headset {
    /// Connects to the socket of a device in `devices.simulated`.
    pub fn connect(socket: &Path) -> Headset {
        let stream = UnixStream::connect(socket).expect("the simulated device's socket");
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut headset = Headset {
            writer: stream.try_clone().expect("clone"),
            reader: BufReader::new(stream),
            pending: Default::default(),
        };
        // Until the greeting, what the phone writes may not reach us (a
        // loaded machine accepted the connection after the phone had shown
        // DND: the test waited for it in vain).
        let deadline = Instant::now() + Duration::from_secs(10);
        while headset.next_line().as_deref() != Some("ready") {
            assert!(
                Instant::now() < deadline,
                "the simulated device never greeted"
            );
        }
        headset
    }

    /// The headset sends an input report; returns once the app decoded it.
    pub fn report(&mut self, hex: &str) {
        self.writer
            .write_all(format!("report {hex}\n").as_bytes())
            .expect("write to the headset");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.next_line() {
                Some(l) if l == "ok" => return,
                Some(l) if l.starts_with("error") => panic!("headset: {l}"),
                Some(l) if l.starts_with("shown ") => self.pending.push_back(l),
                _ => assert!(Instant::now() < deadline, "the headset never answered"),
            }
        }
    }

    /// Sends a socket command (`plug`, `unplug`) and waits for its answer:
    /// the output reports shown meanwhile, or the error it was answered.
    pub fn command(&mut self, command: &str) -> Result<Vec<Vec<u8>>, String> {
        self.writer
            .write_all(format!("{command}\n").as_bytes())
            .map_err(|e| format!("write to the headset: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut shown: Vec<Vec<u8>> = self
            .pending
            .drain(..)
            .filter_map(|l| hookswitch_hid::hex_bytes(l.strip_prefix("shown ")?).ok())
            .collect();
        loop {
            match self.next_line() {
                Some(l) if l == "ok" => return Ok(shown),
                Some(l) if l.starts_with("error") => return Err(l),
                Some(l) => {
                    if let Some(hex) = l.strip_prefix("shown ") {
                        shown.push(hookswitch_hid::hex_bytes(hex).unwrap_or_default());
                    }
                }
                None if Instant::now() > deadline => {
                    return Err(format!("no answer to {command} within 10 s"));
                }
                None => {}
            }
        }
    }

    fn next_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(line.trim().to_string()),
            Err(_) => None,
        }
    }

    /// Waits for an output report (hex bytes) the app writes that `want`
    /// accepts, and returns it.
    pub fn wait_shown(
        &mut self,
        what: &str,
        timeout: Duration,
        want: impl Fn(&[u8]) -> bool,
    ) -> Vec<u8> {
        let mut seen = Vec::new();
        self.shown_within(timeout, &want, &mut seen)
            .unwrap_or_else(|| panic!("the headset never showed {what}; reports seen: {seen:?}"))
    }

    /// As `wait_shown`, `None` after `timeout` (the reports seen meanwhile
    /// in `seen`).
    pub fn shown_within(
        &mut self,
        timeout: Duration,
        want: impl Fn(&[u8]) -> bool,
        seen: &mut Vec<String>,
    ) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let line = match self.pending.pop_front() {
                Some(line) => Some(line),
                None => self.next_line(),
            };
            if let Some(line) = line
                && let Some(hex) = line.strip_prefix("shown ")
            {
                let bytes = hookswitch_hid::hex_bytes(hex).unwrap_or_default();
                if want(&bytes) {
                    return Some(bytes);
                }
                seen.push(hex.to_string());
            }
        }
        None
    }
}

/// A kuando Busylight UC Omega's descriptor file (`# VID:PID: 27bb:3bcd`).
pub const KUANDO_HEX: &str =
    include_str!("../../crates/hid/tests/fixtures/lights/kuando-BusylightOmega.hex");
/// A Luxafor Flag's descriptor file (`# VID:PID: 04d8:f372`).
pub const LUXAFOR_HEX: &str =
    include_str!("../../crates/hid/tests/fixtures/lights/Luxafor-Flag.hex");

/// Step 0 of a kuando program (its 64-byte report after the ID byte):
/// `[0x10, 0, red%, green%, blue%, on, off, audio]`.
pub fn kuando_step(report: &[u8]) -> Option<[u8; 8]> {
    (report.len() == 65)
        .then(|| report[1..9].try_into().ok())
        .flatten()
}

/// The colour a Luxafor report sets (`[0, 1, 0xff, r, g, b, ...]`).
pub fn luxafor_colour(report: &[u8]) -> Option<[u8; 3]> {
    (report.len() == 9 && report[1] == 1)
        .then(|| report[3..6].try_into().ok())
        .flatten()
}

/// A Teams-certified headset's shape (constructed from HUT and the Teams
/// button collection): hook, mute, Programmable Buttons 1-4 (report 2), the
/// Teams button (report 0x9B).
pub fn teams_headset() -> SimulatedSpec {
    SimulatedSpec::telephony(
        include_str!("../../crates/hid/tests/fixtures/constructed/Teams-Headset.hex"),
        0x1209,
        0x7e55,
        "Teams headset",
    )
    .expect("Teams headset fixture")
}
