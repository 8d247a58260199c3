//! Simulated call-control devices with real report descriptors (the
//! fixtures of `crates/hid/tests/fixtures`, each with its source).

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
