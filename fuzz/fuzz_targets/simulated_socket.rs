//! The simulated device's socket commands (`report HEX`, `unplug`), from
//! whatever process connects: never a panic; a report is never empty.
#![no_main]

use hookswitch_devices::hid::simulated_socket::{Command, parse_command};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Command::Report(bytes)) = parse_command(line) {
        assert!(!bytes.is_empty(), "{line:?}");
    }
});
