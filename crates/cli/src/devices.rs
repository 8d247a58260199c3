//! `hookswitch devices`: what a telephony device can do, from its descriptor.

use std::path::Path;

use anyhow::Context;
use hookswitch_hid::profile::{DeviceIdentity, builtin, parse_number};
use hookswitch_hid::usage::PAGE_TELEPHONY;
use hookswitch_hid::{Behaviour, Capabilities, capabilities, descriptor_from_hex, parse, select};

use crate::cli::Cli;
use crate::exit;

/// `VID:PID` from a `# VID:PID: 0b0e:0307` line of a descriptor file.
fn identity(text: &str) -> Option<(u16, u16)> {
    let line = text.lines().find_map(|l| l.strip_prefix("# VID:PID:"))?;
    let (vid, pid) = line.split_whitespace().next()?.split_once(':')?;
    Some((
        parse_number(&format!("0x{vid}")).ok()?,
        parse_number(&format!("0x{pid}")).ok()?,
    ))
}

fn behaviour(b: Behaviour) -> &'static str {
    match b {
        Behaviour::AbsoluteSwitch => "switch: reports its state",
        Behaviour::ToggleButton => "toggle button: each press flips",
        Behaviour::TwoButtons => "on/off buttons",
        Behaviour::Momentary => "push button",
    }
}

fn print_text(path: &Path, profile: &str, ids: Option<(u16, u16)>, caps: &Capabilities) {
    let who = ids
        .map(|(v, p)| format!(" ({v:04x}:{p:04x})"))
        .unwrap_or_default();
    let kind = if caps.telephony {
        "telephony device"
    } else {
        "not a call-control device (no Telephony collection)"
    };
    println!("{}{who}: {kind}; profile: {profile}", path.display());
    for i in &caps.inputs {
        println!(
            "  button  {:<22} {}; report {} bit {}",
            i.name,
            behaviour(i.behaviour),
            i.report_id,
            i.bit_offset
        );
    }
    for k in &caps.keypads {
        let keys: String = k
            .keys
            .iter()
            .filter_map(|u| hookswitch_hid::input::key_of(*u))
            .collect();
        println!(
            "  keypad  {keys}; report {} bits {}-{}",
            k.report_id,
            k.bit_offset,
            k.bit_offset + k.bit_size - 1
        );
    }
    for o in &caps.outputs {
        println!(
            "  output  {:<22} report {} bit {}",
            o.name, o.report_id, o.bit_offset
        );
    }
    if !caps.outputs.is_empty() {
        let layout = if caps.one_report_per_output {
            "one report per LED"
        } else {
            "LEDs share a report"
        };
        println!("  ({layout})");
    }
}

pub fn simulate(cli: &Cli, path: &Path) -> anyhow::Result<u8> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let bytes =
        descriptor_from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let descriptor = parse(&bytes)
        .with_context(|| format!("{}: not a valid HID report descriptor", path.display()))?;
    let caps = capabilities(&descriptor);
    let ids = identity(&text);
    let page = if caps.telephony {
        PAGE_TELEPHONY
    } else {
        descriptor
            .collections
            .first()
            .map(|c| c.usage.page)
            .unwrap_or(0)
    };
    let profiles = builtin();
    let identity = DeviceIdentity {
        vendor_id: ids.map(|i| i.0).unwrap_or(0),
        product_id: ids.map(|i| i.1).unwrap_or(0),
        interface: None,
        usage_page: page,
    };
    // Profiles describe call-control devices; others get none.
    let profile = select(&profiles, &identity)
        .filter(|_| caps.telephony)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "none".into());
    if cli.json {
        let out = serde_json::json!({
            "file": path.display().to_string(),
            "vendor_id": ids.map(|i| format!("{:04x}", i.0)),
            "product_id": ids.map(|i| format!("{:04x}", i.1)),
            "profile": profile,
            "capabilities": caps,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(path, &profile, ids, &caps);
    }
    Ok(exit::OK)
}
