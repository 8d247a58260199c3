//! Every real descriptor in tests/fixtures through the parser and the capability
//! reader: report IDs, bit positions, behaviours and LEDs as the bytes say.

use hookswitch_hid::{
    Behaviour, Capabilities, ReportDescriptor, ReportKind, Usage, capabilities,
    descriptor_from_hex, parse,
};

fn load(name: &str) -> (ReportDescriptor, Capabilities) {
    let path = format!("{}/tests/fixtures/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let bytes = descriptor_from_hex(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let d = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let c = capabilities(&d);
    (d, c)
}

/// (usage name, report, bit, behaviour) of every telephony-page input.
fn inputs(c: &Capabilities, page: u16) -> Vec<(String, u8, u32, Behaviour)> {
    c.inputs
        .iter()
        .filter(|i| i.usage.page == page)
        .map(|i| (i.name.clone(), i.report_id, i.bit_offset, i.behaviour))
        .collect()
}

/// (name, report, bit) of every output.
fn outputs(c: &Capabilities) -> Vec<(String, u8, u32)> {
    c.outputs
        .iter()
        .map(|o| (o.name.clone(), o.report_id, o.bit_offset))
        .collect()
}

fn s(v: &[(&str, u8, u32, Behaviour)]) -> Vec<(String, u8, u32, Behaviour)> {
    v.iter()
        .map(|(n, r, b, k)| (n.to_string(), *r, *b, *k))
        .collect()
}

fn o(v: &[(&str, u8, u32)]) -> Vec<(String, u8, u32)> {
    v.iter().map(|(n, r, b)| (n.to_string(), *r, *b)).collect()
}

use Behaviour::*;
const TEL: u16 = 0x0B;

#[test]
fn jabra_evolve_link_ms() {
    let (d, c) = load("Jabra-EvolveLinkMS");
    assert!(c.telephony);
    assert_eq!(
        inputs(&c, TEL),
        s(&[
            ("Hook Switch", 2, 0, AbsoluteSwitch),
            ("Line Busy Tone", 2, 1, AbsoluteSwitch),
            ("Phone Mute", 2, 2, ToggleButton),
            ("Flash", 2, 3, ToggleButton),
            ("Redial", 2, 4, ToggleButton),
            ("Speed Dial", 2, 5, ToggleButton),
        ])
    );
    // Usage 0x07 is declared before Usage Page (Button): Linux makes it Button 7.
    assert_eq!(
        c.input(Usage::new(0x09, 7))
            .map(|i| (i.bit_offset, i.behaviour)),
        Some((6, Momentary))
    );
    // The keypad: 4 bits at bit 7, across a byte boundary.
    let k = &c.keypads[0];
    assert_eq!(
        (
            k.report_id,
            k.bit_offset,
            k.bit_size,
            k.logical_min,
            k.logical_max
        ),
        (2, 7, 4, 0, 11)
    );
    assert_eq!(k.keys.first(), Some(&Usage::telephony(0xB0)));
    assert_eq!(k.keys.last(), Some(&Usage::telephony(0xBB)));
    assert_eq!(
        outputs(&c),
        o(&[
            ("Off-Hook", 2, 0),
            ("Mute", 2, 1),
            ("Ring", 2, 2),
            ("Hold", 2, 3),
            ("Microphone", 2, 4),
            ("Ringer", 2, 5)
        ])
    );
    assert!(
        !c.one_report_per_output,
        "Jabra packs every LED in one report"
    );
    assert_eq!(d.report_len(ReportKind::Output, 2), 3);
    assert!(
        c.input(Usage::consumer(0xE9))
            .is_some_and(|i| i.report_id == 1)
    );
}

#[test]
fn jabra_biz2400_and_speak810() {
    let (_, c) = load("Jabra-BIZ2400II");
    assert_eq!(
        c.input(Usage::telephony(0x70))
            .map(|i| (i.bit_offset, i.behaviour)),
        Some((5, ToggleButton)),
        "Voice Mail"
    );
    assert_eq!((c.keypads[0].bit_offset, c.keypads[0].logical_max), (7, 12));
    assert_eq!(c.input(Usage::new(0x09, 7)).map(|i| i.bit_offset), Some(11));
    let (_, c) = load("Jabra-Speak810");
    assert!(c.keypads.is_empty());
    assert_eq!(inputs(&c, TEL).len(), 4);
    assert_eq!(
        c.output(Usage::telephony(0x9E)).map(|o| o.bit_offset),
        Some(5),
        "Ringer"
    );
}

#[test]
fn poly_blackwire_c5220_one_report_per_led() {
    let (d, c) = load("Poly-BlackwireC5220");
    assert!(c.telephony);
    assert_eq!(
        inputs(&c, TEL),
        s(&[
            ("Phone Mute", 8, 0, ToggleButton),
            ("Hook Switch", 8, 1, AbsoluteSwitch),
            ("Flash", 8, 2, Momentary),
            ("Redial", 8, 3, ToggleButton),
            ("Programmable Button", 8, 4, Momentary),
        ])
    );
    assert_eq!(
        outputs(&c),
        o(&[
            ("Mute", 9, 0),
            ("Off-Hook", 23, 0),
            ("Ring", 24, 0),
            ("Speaker", 26, 0),
            ("Hold", 32, 0),
            ("On-Line", 42, 0)
        ])
    );
    assert!(c.one_report_per_output);
    assert_eq!(c.output(Usage::led(0x17)).unwrap().report_len, 2);
    // The Teams vendor page (0xFF99) is parsed but not taken as telephony.
    assert!(d.collections.iter().any(|col| col.usage.page == 0xFF99));
    assert!(c.inputs.iter().all(|i| i.usage.page < 0xFF00));
}

#[test]
fn poly_bt700() {
    let (_, c) = load("Poly-BT700");
    assert_eq!(
        c.input(Usage::telephony(0x20))
            .map(|i| (i.report_id, i.bit_offset, i.behaviour)),
        Some((32, 0, AbsoluteSwitch))
    );
    assert_eq!(
        outputs(&c),
        o(&[
            ("Ring", 33, 0),
            ("Speaker", 34, 0),
            ("Mute", 35, 0),
            ("Off-Hook", 36, 0),
            ("Hold", 37, 0)
        ])
    );
    assert!(c.one_report_per_output);
}

#[test]
fn epos_impact_dw() {
    let (_, c) = load("EPOS-ImpactDW");
    assert_eq!(
        inputs(&c, TEL),
        s(&[
            ("Hook Switch", 2, 2, AbsoluteSwitch),
            ("Flash", 2, 3, ToggleButton),
            ("Redial", 2, 4, ToggleButton),
            ("Phone Mute", 2, 5, ToggleButton),
            ("Drop", 2, 6, ToggleButton),
        ])
    );
    // Volume both inside the telephony report (absolute) and in consumer report 1 (relative).
    let volume: Vec<(u8, Behaviour)> = c
        .inputs
        .iter()
        .filter(|i| i.usage == Usage::consumer(0xE9))
        .map(|i| (i.report_id, i.behaviour))
        .collect();
    assert_eq!(volume, [(2, Momentary), (1, ToggleButton)]);
    assert_eq!(
        outputs(&c),
        o(&[
            ("Ringer", 3, 0),
            ("Off-Hook", 3, 1),
            ("Microphone", 3, 2),
            ("Ring", 3, 3),
            ("Mute", 3, 4),
            ("On-Line", 3, 5),
            ("Hold", 3, 6)
        ])
    );
}

#[test]
fn logitech_gaming_headset_has_no_telephony() {
    let (d, c) = load("Logitech-G535");
    assert!(!c.telephony);
    assert!(c.outputs.is_empty() && c.keypads.is_empty());
    assert!(
        c.inputs.iter().all(|i| i.usage.page == 0x0C),
        "only consumer volume"
    );
    assert_eq!(
        d.collections.len(),
        2,
        "consumer control and the vendor collection"
    );
}

#[test]
fn capabilities_serialise_with_usage_table_names() {
    let (_, c) = load("Jabra-EvolveLinkMS");
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        json.contains("\"name\":\"Hook Switch\"")
            && json.contains("\"behaviour\":\"AbsoluteSwitch\""),
        "{json}"
    );
}
