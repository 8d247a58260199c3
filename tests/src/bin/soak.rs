//! `cargo xtask soak [--short] [PART...]`: the running phone under a flood,
//! faults and hours of calls, measured from outside (issue 22).
//! Usage: soak --hookswitch PATH [--short] [--keep] [--report FILE] [PART...]
//! (`--keep` keeps the working folder: every process's log;
//! `--flood-rate N`, `--flood-tcp N`, `--flood-seconds N`, `--flood-kinds
//! invite,options,register,garbage,oversized` change the flood).
//! Parts: flood, listen, sound, registrar, network, headset, gadget, calls (all by default;
//! gadget boots the QEMU rig and needs `qemu_hid_guest` beside this program). The report (Markdown, every figure with its limit) is
//! printed and written to FILE (default target/soak/report.md); the exit
//! status is 1 when a figure is out of its limit.

use std::path::PathBuf;

use hookswitch_tests::soak::{self, Report};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut bin = None;
    let mut report_file = PathBuf::from("target/soak/report.md");
    let mut short = false;
    let mut keep = false;
    let mut overrides: Vec<(String, u64)> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let mut parts = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--hookswitch" => bin = it.next().map(PathBuf::from),
            "--report" => report_file = it.next().map(PathBuf::from).expect("--report FILE"),
            "--short" => short = true,
            "--keep" => keep = true,
            "--flood-kinds" => {
                kinds = it
                    .next()
                    .expect("--flood-kinds a,b")
                    .split(',')
                    .map(String::from)
                    .collect();
            }
            "--flood-rate" | "--flood-tcp" | "--flood-seconds" => {
                let n: u64 = it.next().and_then(|v| v.parse().ok()).expect("a number");
                overrides.push((a.clone(), n));
            }
            part => parts.push(part.to_string()),
        }
    }
    let bin = bin.expect("--hookswitch PATH");
    if parts.is_empty() {
        parts = vec![
            "flood".into(),
            "listen".into(),
            "sound".into(),
            "registrar".into(),
            "network".into(),
            "headset".into(),
            "gadget".into(),
            "calls".into(),
        ];
    }
    let temp = hookswitch_tests::tempdir();
    let dir = if keep {
        let path = temp.keep();
        eprintln!("soak: working in {} (kept)", path.display());
        path
    } else {
        temp.path().to_path_buf()
    };
    let mut report = Report::default();
    for part in &parts {
        eprintln!("soak: {part}...");
        match part.as_str() {
            "flood" => {
                let mut plan = if short {
                    soak::flood::FloodPlan::short()
                } else {
                    soak::flood::FloodPlan::full()
                };
                plan.kinds = kinds.clone();
                for (flag, n) in &overrides {
                    match flag.as_str() {
                        "--flood-rate" => plan.rate = *n as u32,
                        "--flood-tcp" => plan.tcp_connections = *n as usize,
                        _ => plan.seconds = *n,
                    }
                }
                soak::flood::run(&bin, &dir, &plan, &mut report);
            }
            "listen" => soak::listen::run(&bin, &dir, if short { 10 } else { 300 }, &mut report),
            "sound" => soak::sound::run(&bin, &dir, if short { 3 } else { 20 }, &mut report),
            "registrar" => soak::registrar::run(&bin, &dir, &mut report),
            "network" => {
                let outage = std::time::Duration::from_secs(if short { 5 } else { 30 });
                soak::network::run(&bin, &dir, outage, &mut report);
            }
            "gadget" => {
                let guest = std::env::current_exe()
                    .expect("this program's path")
                    .with_file_name("qemu_hid_guest");
                soak::gadget::run(&guest, &dir, if short { 5 } else { 50 }, &mut report);
            }
            "headset" => {
                soak::headset::run(&bin, &dir, if short { 50 } else { 1000 }, &mut report);
            }
            "calls" => {
                let plan = if short {
                    soak::calls::SoakPlan::short()
                } else {
                    soak::calls::SoakPlan::full()
                };
                soak::calls::run(&bin, &dir, &plan, &mut report);
            }
            other => {
                eprintln!(
                    "soak: no part {other:?} (flood, listen, sound, registrar, network, headset, gadget, calls)"
                );
                std::process::exit(2);
            }
        }
    }
    let text = format!(
        "# Soak report ({})\n\n{}",
        if short { "short" } else { "full" },
        report.markdown()
    );
    println!("{text}");
    if let Some(parent) = report_file.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(e) = std::fs::write(&report_file, &text) {
        eprintln!("soak: cannot write {}: {e}", report_file.display());
    }
    if !report.passed() {
        eprintln!("soak: out of limits:\n{}", report.failures().join("\n"));
        std::process::exit(1);
    }
}
