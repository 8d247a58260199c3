//! `hookswitch hid-learn`: walks the user through pressing each button of a
//! telephony device, finds which control each one moves (vendor pages too),
//! and writes a device profile for it.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hookswitch_devices::hid::hidraw;
use hookswitch_hid::learn::{Change, Draft, Gesture, Learner, understood};
use hookswitch_hid::{Profile, parse};

use crate::cli::{Cli, LearnArgs};
use crate::devices::{names_device, profiles, simulated_spec};
use crate::exit;

/// Where the reports come from.
enum Source {
    /// A real device: its reports arrive on their own; Enter ends a gesture.
    Device(mpsc::Receiver<Vec<u8>>),
    /// A descriptor file: the reports are typed (hex), a blank line ends a gesture.
    Typed,
}

/// One gesture's reports; `None` when the user skipped it.
fn gesture_reports(
    source: &Source,
    stdin: &mut impl Iterator<Item = std::io::Result<String>>,
) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    match source {
        Source::Device(rx) => {
            while rx.try_recv().is_ok() {}
            let line = stdin.next().transpose()?.unwrap_or_default();
            let reports: Vec<Vec<u8>> = rx.try_iter().collect();
            Ok((line.trim() != "s").then_some(reports))
        }
        Source::Typed => {
            let mut reports = Vec::new();
            for line in stdin.by_ref() {
                let line = line?;
                let line = line.trim();
                if line.is_empty() {
                    break;
                }
                if line == "s" {
                    return Ok(None);
                }
                reports.push(
                    hookswitch_hid::hex_bytes(line)
                        .map_err(|e| anyhow::anyhow!("not a hex report: {line:?}: {e}"))?,
                );
            }
            Ok(Some(reports))
        }
    }
}

fn describe(gesture: Gesture, c: &Change) -> String {
    let name = c
        .usage
        .name()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:#06x}:{:#06x}", c.usage.page, c.usage.id));
    let kind = if c.released { "button" } else { "switch" };
    let verdict = if understood(gesture, c) {
        "understood without a profile"
    } else if c.vendor {
        "vendor page: goes into the profile"
    } else {
        "noted in the profile"
    };
    format!("{name} ({kind}): {verdict}")
}

fn default_output(cli: &Cli, vendor_id: u16, product_id: u16) -> PathBuf {
    cli.config_path()
        .parent()
        .map(|p| p.join("device-profiles"))
        .unwrap_or_default()
        .join(format!("{vendor_id:04x}-{product_id:04x}.toml"))
}

pub fn run(cli: &Cli, args: &LearnArgs) -> anyhow::Result<u8> {
    let (descriptor, vendor_id, product_id, name, source) = match &args.simulate {
        Some(path) => {
            let spec = simulated_spec(path)?;
            (
                spec.descriptor,
                spec.identity.vendor_id,
                spec.identity.product_id,
                spec.product,
                Source::Typed,
            )
        }
        None => {
            let found = hidraw::list(&profiles(cli))?;
            let wanted: Vec<_> = found
                .iter()
                .filter(|c| {
                    args.device.as_deref().is_none_or(|d| {
                        names_device(d, &c.path, c.identity.vendor_id, c.identity.product_id)
                    })
                })
                .collect();
            let candidate = match wanted.as_slice() {
                [one] => (*one).clone(),
                [] => bail!("no telephony device found (see `hookswitch devices`)"),
                many => {
                    let list: Vec<String> = many
                        .iter()
                        .map(|c| format!("{} ({})", c.path, c.product))
                        .collect();
                    bail!("several devices; name one: {}", list.join(", "))
                }
            };
            let raw = hidraw::open_raw(&candidate)?;
            let (tx, rx) = mpsc::channel();
            let descriptor = raw.descriptor.clone();
            std::thread::spawn(move || {
                while let Ok(report) = raw.read(100) {
                    if let Some(r) = report
                        && tx.send(r).is_err()
                    {
                        return;
                    }
                }
            });
            (
                descriptor,
                candidate.identity.vendor_id,
                candidate.identity.product_id,
                candidate.product.clone(),
                Source::Device(rx),
            )
        }
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(cli, vendor_id, product_id));
    if output.exists() && !args.force {
        bail!(
            "{} exists; use --force to replace it, or --output FILE",
            output.display()
        );
    }
    let desc = parse(&descriptor).context("the device's report descriptor")?;
    let mut learner = Learner::new(&desc);
    let mut draft = Draft::new(&name, vendor_id, product_id);
    let mut stdin = std::io::stdin().lock().lines();

    say!("Learning {name} ({vendor_id:04x}:{product_id:04x}).");
    match &source {
        Source::Device(rx) => {
            say!("Hands off the device for a second...");
            let until = Instant::now() + Duration::from_secs(1);
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                if let Ok(r) = rx.recv_timeout(left) {
                    learner.observe_idle(&r);
                }
            }
        }
        Source::Typed => {
            say!("Reports at rest (hex, one per line; a blank line ends):");
            if let Some(reports) = gesture_reports(&source, &mut stdin)? {
                for r in reports {
                    learner.observe_idle(&r);
                }
            }
        }
    }
    let total = Gesture::ALL.len();
    for (n, gesture) in Gesture::ALL.into_iter().enumerate() {
        match source {
            Source::Device(_) => say!(
                "[{}/{total}] {}, then press Enter (s and Enter: the device has no such button).",
                n + 1,
                gesture.prompt()
            ),
            Source::Typed => say!("[{}/{total}] {}:", n + 1, gesture.prompt()),
        }
        let Some(reports) = gesture_reports(&source, &mut stdin)? else {
            say!("  skipped");
            draft.learn(gesture, &[]);
            continue;
        };
        let changes = learner.changes(&reports);
        if changes.is_empty() {
            say!("  nothing moved");
        }
        for c in &changes {
            say!("  {}", describe(gesture, c));
        }
        draft.learn(gesture, &changes);
        for r in &reports {
            learner.observe_idle(r);
        }
    }
    let toml = draft.to_toml();
    Profile::from_toml(&toml).context("the drafted profile does not validate (a bug)")?;
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&output, &toml).with_context(|| format!("writing {}", output.display()))?;
    say!(
        "Wrote {}; Hookswitch uses it from now on (check with `hookswitch devices`).",
        output.display()
    );
    Ok(exit::OK)
}
