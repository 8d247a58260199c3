//! Every shipped profile parses, and profiles change how real devices decode.

use std::time::Instant;

use hookswitch_hid::profile::HookSemantics;
use hookswitch_hid::{
    Decoder, DeviceIdentity, PhoneInput, Profile, capabilities_with, descriptor_from_hex, parse,
    select,
};

fn shipped() -> Vec<Profile> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../device-profiles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            Profile::from_toml(&std::fs::read_to_string(f).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        })
        .collect()
}

fn id(vendor_id: u16, product_id: u16, usage_page: u16) -> DeviceIdentity {
    DeviceIdentity {
        vendor_id,
        product_id,
        interface: None,
        usage_page,
    }
}

#[test]
fn every_shipped_profile_is_valid_and_the_families_are_covered() {
    let all = shipped();
    assert!(all.len() >= 6);
    let pick = |i: DeviceIdentity| select(&all, &i).map(|p| p.name.clone());
    assert_eq!(pick(id(0x0b0e, 0x0307, 0x0b)).as_deref(), Some("Jabra"));
    assert_eq!(
        pick(id(0x047f, 0xc053, 0x0b)).as_deref(),
        Some("Poly / Plantronics")
    );
    assert_eq!(
        pick(id(0x1395, 0x00a2, 0x0b)).as_deref(),
        Some("EPOS / Sennheiser")
    );
    assert_eq!(pick(id(0x6993, 0xb0a1, 0x0b)).as_deref(), Some("Yealink"));
    assert_eq!(pick(id(0x046d, 0x0ac4, 0x0b)).as_deref(), Some("Logitech"));
    assert_eq!(
        pick(id(0x1234, 0x0001, 0x0b)).as_deref(),
        Some("Generic HID telephony device")
    );
    let jabra = select(&all, &id(0x0b0e, 1, 0x0b)).unwrap();
    assert_eq!(jabra.quirks.hook, HookSemantics::Absolute);
    assert!(jabra.decoder_settings().hook_echo_window.as_millis() > 0);
}

fn fixture(name: &str) -> hookswitch_hid::ReportDescriptor {
    let path = format!("{}/tests/fixtures/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    parse(&descriptor_from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()).unwrap()
}

#[test]
fn a_profile_maps_a_vendor_button_and_overrides_the_hook() {
    let profile = Profile::from_toml(
        "name = \"C5220 with Teams button\"\n[match]\nvendor_id = \"0x047f\"\n[quirks]\nhook = \"toggle\"\n[[vendor_inputs]]\nusage = \"0xFF99:0x0004\"\ngesture = \"Flash\"\n",
    )
    .unwrap();
    let d = fixture("Poly-BlackwireC5220");
    let usages: Vec<_> = profile
        .vendor_gestures()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    let caps = capabilities_with(&d, &usages);
    let mut dec = Decoder::new(&d, caps, profile.decoder_settings());
    let now = Instant::now();
    // The Teams page button (report 0x9B, bit 0) now means Flash.
    assert_eq!(dec.decode(&[0x9B, 0x01], now), [PhoneInput::Flash]);
    // The hook switch, overridden to a toggle: the press asks, the release is silent.
    assert_eq!(dec.decode(&[0x08, 0x02], now), [PhoneInput::HookToggle]);
    assert_eq!(
        dec.decode(&[0x08, 0x00], now + std::time::Duration::from_millis(100)),
        []
    );
}

#[test]
fn the_built_in_profiles_are_the_shipped_files() {
    let mut built: Vec<String> = hookswitch_hid::profile::builtin()
        .into_iter()
        .map(|p| p.name)
        .collect();
    let mut files: Vec<String> = shipped().into_iter().map(|p| p.name).collect();
    built.sort();
    files.sort();
    assert_eq!(
        built, files,
        "a new profile file must be added to profile::builtin()"
    );
}
