//! `hookswitch devices`: the telephony devices plugged in (or one described by
//! a descriptor file), what each can do, and why one cannot be used.

use std::path::Path;

use hookswitch_devices::hid::simulated::{SimulatedSpec, channel_sink};
use hookswitch_devices::hotplug::HotplugOptions;
use hookswitch_devices::{DeviceEvent, DeviceInfo, DeviceManager, arbitration};
use hookswitch_hid::profile::parse_number;
use hookswitch_hid::{Behaviour, Capabilities, Profile, capabilities, parse};

use crate::cli::{Cli, DeviceOptions};
use crate::exit;

/// A descriptor file as a simulated device.
pub fn simulated_spec(path: &Path) -> anyhow::Result<SimulatedSpec> {
    SimulatedSpec::from_file(path).map_err(anyhow::Error::msg)
}

/// Whether the user's DEVICE argument names this device: its path or VID:PID.
pub fn names_device(arg: &str, path: &str, vendor_id: u16, product_id: u16) -> bool {
    arg == path || arg.eq_ignore_ascii_case(&format!("{vendor_id:04x}:{product_id:04x}"))
}

/// The profiles in use: the user's (next to the configuration file) first,
/// then the administrator's, the package's and the built-in ones.
pub fn profiles(cli: &Cli) -> Vec<Profile> {
    let dir = cli
        .config_path()
        .parent()
        .map(|p| p.join("device-profiles"));
    let (profiles, errors) = hookswitch_devices::profiles::load(dir.as_deref());
    for e in errors {
        eprintln!("hookswitch: ignoring device profile {e}");
    }
    profiles
}

fn behaviour(b: Behaviour) -> &'static str {
    match b {
        Behaviour::AbsoluteSwitch => "switch: reports its state",
        Behaviour::ToggleButton => "toggle button: each press flips",
        Behaviour::TwoButtons => "on/off buttons",
        Behaviour::Momentary => "push button",
    }
}

pub fn print_capabilities(caps: &Capabilities) {
    for i in &caps.inputs {
        say!(
            "  button  {:<22} {}; report {} bit {}",
            i.name,
            behaviour(i.behaviour),
            i.report_id,
            i.bit_offset
        );
    }
    for k in &caps.keypads {
        let place = format!(
            "report {} bits {}-{}",
            k.report_id,
            k.bit_offset,
            k.bit_offset + k.bit_size - 1
        );
        if k.dials() {
            let keys: String = k
                .keys
                .iter()
                .filter_map(|u| hookswitch_hid::input::key_of(*u))
                .collect();
            say!("  keypad  {keys}; {place}");
        } else {
            let buttons: Vec<String> = k
                .keys
                .iter()
                .filter(|u| u.page == hookswitch_hid::usage::PAGE_BUTTON)
                .map(|u| u.id.to_string())
                .collect();
            say!(
                "  buttons programmable {}; {place} (map them with [[devices.buttons]])",
                buttons.join(", ")
            );
        }
    }
    for o in &caps.outputs {
        say!(
            "  output  {:<22} report {} bit {}",
            o.name,
            o.report_id,
            o.bit_offset
        );
    }
    if !caps.outputs.is_empty() {
        let layout = if caps.one_report_per_output {
            "one report per LED"
        } else {
            "LEDs share a report"
        };
        say!("  ({layout})");
    }
}

fn print_device(info: &DeviceInfo) {
    let iface = info
        .interface
        .map(|i| format!(" interface {i}"))
        .unwrap_or_default();
    say!(
        "{} {}{iface}: {}; profile: {}",
        info.path,
        info.display_name(),
        format!("{:?}", info.backend).to_lowercase(),
        info.profile
            .as_deref()
            .unwrap_or("none (the descriptor says it all)")
    );
    if info.capabilities.inputs.is_empty() && info.capabilities.outputs.is_empty() {
        say!("  {}", info.summary);
    } else {
        print_capabilities(&info.capabilities);
    }
    let others = arbitration::holders(&info.path);
    if !others.is_empty() {
        say!(
            "  also open in{}; both see its buttons",
            arbitration::describe(&others)
        );
    }
}

/// `hookswitch devices --simulate FILE`.
pub fn simulate(cli: &Cli, path: &Path) -> anyhow::Result<u8> {
    let spec = simulated_spec(path)?;
    let descriptor = parse(&spec.descriptor)?;
    let caps = capabilities(&descriptor);
    let profiles = profiles(cli);
    // Profiles describe call-control devices; others get none.
    let profile = hookswitch_hid::select(&profiles, &spec.identity)
        .filter(|_| caps.telephony)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| "none".into());
    let ids = (spec.identity.vendor_id != 0)
        .then_some((spec.identity.vendor_id, spec.identity.product_id));
    if cli.json {
        let light = hookswitch_hid::busylight::model(
            spec.identity.vendor_id,
            spec.identity.product_id,
        )
        .map(|(family, model)| serde_json::json!({"family": family.name, "model": model.name}));
        let out = serde_json::json!({
            "file": path.display().to_string(),
            "busylight": light,
            "vendor_id": ids.map(|i| format!("{:04x}", i.0)),
            "product_id": ids.map(|i| format!("{:04x}", i.1)),
            "profile": profile,
            "capabilities": caps,
        });
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(exit::OK);
    }
    let who = ids
        .map(|(v, p)| format!(" ({v:04x}:{p:04x})"))
        .unwrap_or_default();
    if let Some((family, model)) =
        hookswitch_hid::busylight::model(spec.identity.vendor_id, spec.identity.product_id)
    {
        say!(
            "{}{who}: busylight: {} ({}); shows presence, ringing, calls, hold and voicemail",
            path.display(),
            model.name,
            family.name
        );
        return Ok(exit::OK);
    }
    let kind = if caps.telephony {
        "telephony device"
    } else {
        "not a call-control device (no Telephony collection)"
    };
    say!("{}{who}: {kind}; profile: {profile}", path.display());
    print_capabilities(&caps);
    Ok(exit::OK)
}

/// `hookswitch devices`: scans once and reports.
/// What a scan finds: the devices, those that cannot be used (and why),
/// and USB interfaces another application took from the kernel.
pub struct Survey {
    devices: Vec<DeviceInfo>,
    unusable: Vec<(String, String)>,
    claimed: Vec<arbitration::Claimed>,
}

impl Survey {
    pub fn take(cli: &Cli, options: &DeviceOptions) -> Survey {
        let (sink, rx) = channel_sink();
        let manager = DeviceManager::new(profiles(cli), sink);
        let wanted = HotplugOptions {
            usb_phones: options.usb,
            detach_kernel_driver: options.detach_kernel_driver,
        };
        for mut scanner in hookswitch_devices::scanner::scanners(&wanted) {
            scanner.scan(&manager);
        }
        let mut devices = Vec::new();
        let mut unusable = Vec::new();
        for e in rx.try_iter() {
            match e {
                DeviceEvent::Added(info) => devices.push(*info),
                DeviceEvent::Unusable { path, reason, .. } => unusable.push((path, reason)),
                _ => {}
            }
        }
        let vendors: Vec<u16> = manager
            .profiles()
            .iter()
            .filter_map(|p| p.matching.vendor_id.as_deref())
            .filter_map(|v| parse_number(v).ok())
            .collect();
        let claimed = arbitration::claimed_hid_interfaces(&vendors);
        manager.close_all();
        Survey {
            devices,
            unusable,
            claimed,
        }
    }

    /// `hookswitch devices --json`'s document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "devices": self.devices,
            "unusable": self
                .unusable
                .iter()
                .map(|(path, reason)| serde_json::json!({"path": path, "reason": reason}))
                .collect::<Vec<_>>(),
            "claimed_by_other_applications": self.claimed,
        })
    }
}

pub fn list(cli: &Cli, options: &DeviceOptions) -> anyhow::Result<u8> {
    let survey = Survey::take(cli, options);
    if cli.json {
        say!("{}", serde_json::to_string_pretty(&survey.json())?);
        return Ok(exit::OK);
    }
    let Survey {
        devices,
        unusable,
        claimed,
    } = survey;
    for d in &devices {
        print_device(d);
    }
    for (path, reason) in &unusable {
        say!("{path}: cannot be used: {reason}");
    }
    for c in &claimed {
        say!(
            "usb {} {} ({:04x}:{:04x}): taken from the kernel by another application{}; \
             Hookswitch leaves it alone",
            c.interface,
            c.product,
            c.vendor_id,
            c.product_id,
            arbitration::describe(&c.holders)
        );
    }
    if devices.is_empty() && unusable.is_empty() && claimed.is_empty() {
        say!(
            "No telephony device or busylight found. If one is plugged in: `ls -l /dev/hidraw*` \
             shows whether you may open it, and `cargo xtask setup --udev` installs the rule \
             that lets you (then unplug and replug it). USB phones without a HID Telephony \
             page (CM109, Yealink USB-P1K) are looked for with --usb."
        );
    }
    Ok(exit::OK)
}

/// `hookswitch audio-devices`.
pub fn audio(cli: &Cli) -> anyhow::Result<u8> {
    let devices = hookswitch_devices::sound::list()?;
    if cli.json {
        say!("{}", serde_json::to_string_pretty(&devices)?);
        return Ok(exit::OK);
    }
    if devices.is_empty() {
        say!("No sound devices.");
    }
    for d in &devices {
        let mut what = Vec::new();
        if d.input {
            what.push(if d.default_input {
                "input (default)"
            } else {
                "input"
            });
        }
        if d.output {
            what.push(if d.default_output {
                "output (default)"
            } else {
                "output"
            });
        }
        say!("{:<12} {} ({})", d.name, what.join(", "), d.description);
    }
    Ok(exit::OK)
}
