//! `hookswitch hid-monitor`: live events of telephony devices, and LEDs set by
//! hand, so a user can see what their device does (and write a profile for it).
//!
//! Commands on standard input, one per line:
//!   off-hook|ring|mute|hold|mwi|dnd|ringer on|off   set an LED or the ringer
//!   presence available|away|busy|dnd|offline        what busylights show when idle
//!   test [DEVICE]                                   a busylight's colour test
//!   caller NUMBER | caller                          the display of devices with one
//!   report HEX...                                   (--simulate) the device sends a report
//!   state | help | quit

use std::io::BufRead;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hookswitch_devices::hid::simulated::channel_sink;
use hookswitch_devices::hotplug::{Hotplug, HotplugOptions};
use hookswitch_devices::{DeviceEvent, DeviceInfo, DeviceKind, DeviceManager};
use hookswitch_hid::{DeviceState, Presence};

use crate::cli::{Cli, MonitorArgs};
use crate::devices::{names_device, print_capabilities, profiles, simulated_spec};
use crate::exit;

const HELP: &str = "commands: off-hook|ring|mute|hold|mwi|dnd|ringer on|off, \
                    presence available|away|busy|dnd|offline, test [DEVICE], caller [NUMBER], \
                    report HEX... (simulated device), state, quit";

/// Whether `info` is the device the user named (path, "dev2", or "vvvv:pppp").
fn matches(filter: Option<&str>, info: &DeviceInfo) -> bool {
    let Some(f) = filter else {
        return true;
    };
    f == info.id.to_string() || names_device(f, &info.path, info.vendor_id, info.product_id)
}

/// Applies `off-hook on` and the like; `Err` with a message for anything else.
fn set(state: &mut DeviceState, what: &str, on: &str) -> Result<(), String> {
    let on = match on {
        "on" | "1" => true,
        "off" | "0" => false,
        other => return Err(format!("{other:?}: say on or off")),
    };
    let field = match what {
        "off-hook" | "offhook" => &mut state.off_hook,
        "ring" => &mut state.ring,
        "mute" => &mut state.mute,
        "hold" => &mut state.hold,
        "mwi" | "message-waiting" => &mut state.message_waiting,
        "dnd" => &mut state.dnd,
        "ringer" => &mut state.ringer,
        other => return Err(format!("unknown LED {other:?}; {HELP}")),
    };
    *field = on;
    Ok(())
}

fn describe(state: &DeviceState) -> String {
    let flags = [
        ("off-hook", state.off_hook),
        ("ring", state.ring),
        ("mute", state.mute),
        ("hold", state.hold),
        ("mwi", state.message_waiting),
        ("dnd", state.dnd),
        ("ringer", state.ringer),
    ];
    let on: Vec<&str> = flags.iter().filter(|f| f.1).map(|f| f.0).collect();
    let presence = format!("presence {}", presence_name(state.presence));
    if on.is_empty() {
        format!("all off, {presence}")
    } else {
        format!("{}, {presence}", on.join(" "))
    }
}

const PRESENCES: [(&str, Presence); 5] = [
    ("available", Presence::Available),
    ("away", Presence::Away),
    ("busy", Presence::Busy),
    ("dnd", Presence::Dnd),
    ("offline", Presence::Offline),
];

fn presence_name(p: Presence) -> &'static str {
    PRESENCES
        .iter()
        .find(|(_, q)| *q == p)
        .map_or("available", |(n, _)| n)
}

enum Line {
    Command(String),
    End,
}

pub fn run(cli: &Cli, args: &MonitorArgs) -> anyhow::Result<u8> {
    let (sink, events) = channel_sink();
    let manager = DeviceManager::new(profiles(cli), sink);
    let started = Instant::now();
    let (simulated, _hotplug) = match &args.simulate {
        Some(path) => (Some(manager.simulate(&simulated_spec(path)?)?), None),
        None => (
            None,
            Some(Hotplug::start(
                manager.clone(),
                HotplugOptions {
                    usb_phones: args.devices.usb,
                    detach_kernel_driver: args.devices.detach_kernel_driver,
                },
            )),
        ),
    };
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(Line::Command(line)).is_err() {
                return;
            }
        }
        let _ = lines_tx.send(Line::End);
    });
    if !cli.json {
        say!("watching telephony devices and busylights; {HELP}");
    }
    let filter = args.device.as_deref();
    let mut state = DeviceState::default();
    let mut shown_ids = std::collections::BTreeSet::new();
    loop {
        // Events first, so the output follows what happened.
        while let Ok(e) = events.try_recv() {
            print_event(cli, filter, &mut shown_ids, started, &e)?;
        }
        let line = match lines.recv_timeout(Duration::from_millis(50)) {
            Ok(Line::Command(l)) => l,
            Ok(Line::End) => {
                if simulated.is_some() {
                    break;
                }
                // Standard input closed: keep watching until interrupted.
                loop {
                    let e = events.recv()?;
                    print_event(cli, filter, &mut shown_ids, started, &e)?;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [] => {}
            ["quit" | "exit"] => break,
            ["help"] => say!("{HELP}"),
            ["state"] => say!("state: {}", describe(&state)),
            ["caller", number @ ..] => {
                let number = number.join(" ");
                manager.show_caller((!number.is_empty()).then_some(number.as_str()));
            }
            ["presence", which] => match PRESENCES.iter().find(|(n, _)| n == which) {
                Some((_, p)) => {
                    state.presence = *p;
                    manager.show(state);
                    if !cli.json {
                        say!("state: {}", describe(&state));
                    }
                }
                None => eprintln!("presence: available, away, busy, dnd or offline"),
            },
            ["test", device @ ..] => {
                let wanted = device.first().copied().or(filter);
                let lights: Vec<DeviceInfo> = manager
                    .devices()
                    .into_iter()
                    .filter(|d| d.kind == DeviceKind::Busylight && matches(wanted, d))
                    .collect();
                if lights.is_empty() {
                    eprintln!(
                        "test: no busylight{}",
                        wanted.map(|w| format!(" {w}")).unwrap_or_default()
                    );
                }
                for light in lights {
                    if let Err(e) = manager.test(light.id) {
                        eprintln!("test: {e}");
                    }
                }
            }
            ["report", bytes @ ..] => {
                match (&simulated, hookswitch_hid::hex_bytes(&bytes.join(" "))) {
                    (Some(sim), Ok(report)) => {
                        sim.input(&report);
                        sim.sync();
                    }
                    (None, _) => eprintln!("report: only for a --simulate device"),
                    (_, Err(e)) => eprintln!("report: {e}"),
                }
            }
            [what, on] => match set(&mut state, what, on) {
                Ok(()) => {
                    manager.show(state);
                    if !cli.json {
                        say!("state: {}", describe(&state));
                    }
                }
                Err(e) => eprintln!("{e}"),
            },
            _ => eprintln!("{HELP}"),
        }
    }
    while let Ok(e) = events.try_recv() {
        print_event(cli, filter, &mut shown_ids, started, &e)?;
    }
    manager.close_all();
    Ok(exit::OK)
}

fn print_event(
    cli: &Cli,
    filter: Option<&str>,
    ours: &mut std::collections::BTreeSet<hookswitch_devices::DeviceId>,
    started: Instant,
    e: &DeviceEvent,
) -> anyhow::Result<()> {
    let id = match e {
        DeviceEvent::Added(info) => {
            if !matches(filter, info) {
                return Ok(());
            }
            ours.insert(info.id);
            info.id
        }
        DeviceEvent::Removed(id)
        | DeviceEvent::Input { id, .. }
        | DeviceEvent::Shown { id, .. } => {
            if !ours.contains(id) {
                return Ok(());
            }
            *id
        }
        DeviceEvent::Unusable { .. } | DeviceEvent::UnusableGone { .. } => {
            hookswitch_devices::DeviceId(0)
        }
    };
    if cli.json {
        say!("{}", serde_json::to_string(e)?);
        return Ok(());
    }
    let t = started.elapsed().as_secs_f64();
    match e {
        DeviceEvent::Added(info) => {
            say!(
                "{t:8.3} {id} plugged in: {} at {}; profile: {}",
                info.display_name(),
                info.path,
                info.profile.as_deref().unwrap_or("none")
            );
            if info.kind == DeviceKind::Busylight {
                say!("  {}", info.summary);
            } else {
                print_capabilities(&info.capabilities);
            }
        }
        DeviceEvent::Removed(_) => say!("{t:8.3} {id} unplugged"),
        DeviceEvent::Input { input, .. } => say!("{t:8.3} {id} {input:?}"),
        DeviceEvent::Shown { report, .. } => {
            say!("{t:8.3} {id} wrote {}", hookswitch_hid::hex_line(report))
        }
        DeviceEvent::Unusable { path, reason, .. } => {
            say!("{t:8.3} {path}: cannot be used: {reason}")
        }
        DeviceEvent::UnusableGone { path } => say!("{t:8.3} {path}: unplugged"),
    }
    Ok(())
}
