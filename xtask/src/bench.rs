//! `cargo xtask bench sip`: placeholder-free entry that runs the SIP benchmarks.
