//! Input reports to gestures and phone state to output reports, per device family,
//! with the report bytes each device's descriptor defines.

use std::time::{Duration, Instant};

use hookswitch_hid::{
    Decoder, DecoderSettings, DeviceState, Encoder, PhoneInput, ReportDescriptor, capabilities,
    descriptor_from_hex, parse,
};

fn load(name: &str) -> ReportDescriptor {
    let path = format!("{}/tests/fixtures/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    parse(&descriptor_from_hex(&std::fs::read_to_string(path).unwrap()).unwrap()).unwrap()
}

fn decoder(name: &str, settings: DecoderSettings) -> Decoder {
    let d = load(name);
    let caps = capabilities(&d);
    Decoder::new(&d, caps, settings)
}

fn encoder(name: &str) -> Encoder {
    let d = load(name);
    Encoder::new(&d, &capabilities(&d))
}

/// Feeds reports 100 ms apart and collects what they meant.
fn feed(dec: &mut Decoder, reports: &[&[u8]]) -> Vec<PhoneInput> {
    let t0 = Instant::now();
    reports
        .iter()
        .enumerate()
        .flat_map(|(i, r)| dec.decode(r, t0 + Duration::from_millis(100 * i as u64)))
        .collect()
}

use PhoneInput::*;

#[test]
fn jabra_hook_mute_keys_volume() {
    let mut dec = decoder("Jabra-EvolveLinkMS", DecoderSettings::default());
    let got = feed(
        &mut dec,
        &[
            &[0x02, 0x01, 0x00], // hook switch on: off-hook (keypad at rest: 0)
            &[0x02, 0x05, 0x00], // + phone mute pressed
            &[0x02, 0x01, 0x00], // mute released: nothing
            &[0x02, 0x81, 0x02], // keypad value 5 at bits 7-10
            &[0x02, 0x01, 0x00], // back to rest: a release, not a "0"
            &[0x02, 0x81, 0x07], // value 15: out of range, no key
            &[0x02, 0x01, 0x05], // value 10: "*"
            &[0x02, 0x09, 0x00], // rest again, and flash
            &[0x02, 0x00, 0x00], // on-hook
            &[0x01, 0x02],       // consumer report: volume up
        ],
    );
    assert_eq!(
        got,
        [
            HookOff,
            MuteToggle,
            Key('5'),
            Key('*'),
            Flash,
            HookOn,
            VolumeUp
        ]
    );
}

#[test]
fn jabra_hook_echo_is_not_a_gesture() {
    let settings = DecoderSettings {
        hook_echo_window: Duration::from_millis(1500),
        ..Default::default()
    };
    let mut dec = decoder("Jabra-EvolveLinkMS", settings);
    let t0 = Instant::now();
    // We set Off-Hook (answering from the app); the headset echoes Hook Switch = 1.
    dec.expect_hook_echo(true, t0);
    assert_eq!(
        dec.decode(&[0x02, 0x01, 0x00], t0 + Duration::from_millis(300)),
        []
    );
    assert_eq!(dec.stats().echoes, 1);
    // Later, a real press of the call button to hang up is reported.
    assert_eq!(
        dec.decode(&[0x02, 0x00, 0x00], t0 + Duration::from_secs(5)),
        [HookOn]
    );
    // An echo that comes too late is a gesture.
    dec.expect_hook_echo(true, t0 + Duration::from_secs(6));
    assert_eq!(
        dec.decode(&[0x02, 0x01, 0x00], t0 + Duration::from_secs(9)),
        [HookOff]
    );
}

#[test]
fn chatter_is_debounced() {
    let mut dec = decoder(
        "Jabra-EvolveLinkMS",
        DecoderSettings {
            debounce: Duration::from_millis(30),
            ..Default::default()
        },
    );
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    assert_eq!(dec.decode(&[0x02, 0x04, 0x00], ms(0)), [MuteToggle]);
    assert_eq!(dec.decode(&[0x02, 0x00, 0x00], ms(5)), []);
    assert_eq!(
        dec.decode(&[0x02, 0x04, 0x00], ms(10)),
        [],
        "a bounce, not a second press"
    );
    assert_eq!(dec.decode(&[0x02, 0x00, 0x00], ms(200)), []);
    assert_eq!(dec.decode(&[0x02, 0x04, 0x00], ms(400)), [MuteToggle]);
    assert!(dec.stats().debounced >= 2);
}

#[test]
fn poly_c5220_report_8() {
    let mut dec = decoder("Poly-BlackwireC5220", DecoderSettings::default());
    let got = feed(
        &mut dec,
        &[
            &[0x08, 0x02], // hook switch
            &[0x08, 0x03], // + mute
            &[0x08, 0x0A], // mute released, redial
            &[0x08, 0x12], // programmable button
            &[0x08, 0x00], // on-hook
            &[0x02, 0x01], // consumer: volume up
            &[0x02, 0x02], // volume down (volume up released)
        ],
    );
    assert_eq!(
        got,
        [
            HookOff,
            MuteToggle,
            Redial,
            Button(0),
            HookOn,
            VolumeUp,
            VolumeDown
        ]
    );
}

#[test]
fn epos_report_2() {
    let mut dec = decoder("EPOS-ImpactDW", DecoderSettings::default());
    let got = feed(
        &mut dec,
        &[
            &[0x02, 0x04],
            &[0x02, 0x24],
            &[0x02, 0x04],
            &[0x02, 0x44],
            &[0x02, 0x00],
        ],
    );
    assert_eq!(got, [HookOff, MuteToggle, Drop, HookOn]);
}

#[test]
fn broken_reports_are_counted_not_fatal() {
    let mut dec = decoder("Poly-BlackwireC5220", DecoderSettings::default());
    let now = Instant::now();
    assert_eq!(dec.decode(&[], now), []);
    assert_eq!(dec.decode(&[0x08], now), [], "too short for its fields");
    assert_eq!(
        dec.decode(&[0x77, 0xFF], now),
        [],
        "a report the device does not declare"
    );
    assert_eq!(dec.stats().short_reports, 6);
    assert_eq!(dec.stats().unknown_reports, 1);
}

#[test]
fn jabra_packs_all_leds_in_one_report() {
    let mut enc = encoder("Jabra-EvolveLinkMS");
    let ringing = DeviceState {
        ring: true,
        ringer: true,
        ..Default::default()
    };
    assert_eq!(
        enc.encode(&ringing),
        [vec![0x02, 0x24, 0x00]],
        "Ring bit 2, Ringer bit 5"
    );
    assert!(
        enc.encode(&ringing).is_empty(),
        "nothing changed, nothing written"
    );
    let talking = DeviceState {
        off_hook: true,
        mute: true,
        ..Default::default()
    };
    assert_eq!(
        enc.encode(&talking),
        [vec![0x02, 0x03, 0x00]],
        "Off-Hook bit 0, Mute bit 1"
    );
    let held = DeviceState {
        off_hook: true,
        hold: true,
        ..Default::default()
    };
    assert_eq!(enc.encode(&held), [vec![0x02, 0x09, 0x00]]);
    enc.forget();
    assert_eq!(
        enc.encode(&held).len(),
        1,
        "after a replug everything is written again"
    );
}

#[test]
fn poly_has_one_report_per_led_and_only_changed_ones_are_written() {
    let mut enc = encoder("Poly-BlackwireC5220");
    let idle = enc.encode(&DeviceState::default());
    assert_eq!(idle.len(), 6, "first time: every LED report");
    let talking = DeviceState {
        off_hook: true,
        ..Default::default()
    };
    // Off-Hook (report 0x17) and On-Line (report 0x2A) follow the call.
    assert_eq!(enc.encode(&talking), [vec![0x17, 0x01], vec![0x2A, 0x01]]);
    let muted = DeviceState {
        mute: true,
        ..talking
    };
    assert_eq!(enc.encode(&muted), [vec![0x09, 0x01]]);
}

#[test]
fn epos_ringer_and_leds_share_report_3() {
    let mut enc = encoder("EPOS-ImpactDW");
    let state = DeviceState {
        off_hook: true,
        ringer: true,
        mute: true,
        ..Default::default()
    };
    // Ringer bit 0, Off-Hook bit 1, Mute bit 4, On-Line bit 5.
    assert_eq!(enc.encode(&state), [vec![0x03, 0b0011_0011]]);
}

#[test]
fn keypad_resting_out_of_range_reports_key_zero() {
    // Jabra BIZ 2400 II: a null-state keypad, 4 bits at bit 7 of report 2.
    let mut dec = decoder("Jabra-BIZ2400II", DecoderSettings::default());
    let got = feed(
        &mut dec,
        &[
            &[0x02, 0x80, 0x07, 0x00], // at rest: value 15 (no key)
            &[0x02, 0x00, 0x00, 0x00], // value 0: "0"
            &[0x02, 0x80, 0x07, 0x00], // release
            &[0x02, 0x80, 0x05, 0x00], // value 11: "#"
            &[0x02, 0x80, 0x0F, 0x00], // release, and Button 7 (bit 11)
        ],
    );
    assert_eq!(got, [Key('0'), Key('#'), Button(7)]);
}

/// A desk phone's LEDs as a descriptor would declare them (none of the real
/// fixtures has Message Waiting): Off-Hook, Message Waiting and DND, one bit
/// each in report 5, padded to a byte.
#[test]
fn message_waiting_and_dnd_leds_are_driven_where_a_device_has_them() {
    let bytes = [
        0x05, 0x0B, // Usage Page (Telephony)
        0x09, 0x01, // Usage (Phone)
        0xA1, 0x01, // Collection (Application)
        0x85, 0x05, //   Report ID 5
        0x05, 0x08, //   Usage Page (LED)
        0x09, 0x17, //   Usage (Off-Hook)
        0x09, 0x19, //   Usage (Message Waiting)
        0x09, 0x08, //   Usage (Do Not Disturb)
        0x15, 0x00, 0x25, 0x01, // Logical 0..1
        0x75, 0x01, 0x95, 0x03, // 3 x 1 bit
        0x91, 0x02, //   Output (Data, Var, Abs)
        0x75, 0x05, 0x95, 0x01, 0x91, 0x03, // 5 bits padding
        0xC0, // End Collection
    ];
    let d = parse(&bytes).unwrap();
    let mut enc = Encoder::new(&d, &capabilities(&d));
    let state = DeviceState {
        message_waiting: true,
        ..Default::default()
    };
    assert_eq!(enc.encode(&state), [vec![0x05, 0b010]]);
    let state = DeviceState {
        off_hook: true,
        dnd: true,
        ..Default::default()
    };
    assert_eq!(enc.encode(&state), [vec![0x05, 0b101]]);
}
