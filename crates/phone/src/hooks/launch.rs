//! The two hooks that start something on this desktop: a URL opened in the
//! default browser (`xdg-open`), and a program run with the event's fields
//! as its environment. Neither goes through a shell: a caller's name cannot
//! become a command.

use std::process::Stdio;

use super::event::HookEvent;
use super::settings::HookSettings;
use super::template::{self, FIELDS};

/// The program that opens URLs in the desktop's default browser.
const OPENER: &str = "xdg-open";

pub fn open(hook: &HookSettings, url: &str, event: &HookEvent) {
    let url = template::expand(url, event, true);
    spawn(hook, OPENER, &[url], event);
}

pub fn run(hook: &HookSettings, argv: &[String], event: &HookEvent) {
    let Some((program, args)) = argv.split_first() else {
        return;
    };
    let program = template::expand(program, event, false);
    let args: Vec<String> = args
        .iter()
        .map(|a| template::expand(a, event, false))
        .collect();
    spawn(hook, &program, &args, event);
}

/// Starts `program` (not waited for: a slow CRM tool holds nothing up) and
/// logs how it ended.
fn spawn(hook: &HookSettings, program: &str, args: &[String], event: &HookEvent) {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(false);
    // The phone's passwords may be in its environment: not the hook's.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("HOOKSWITCH_PASSWORD_") {
            command.env_remove(name);
        }
    }
    for field in FIELDS {
        command.env(
            format!("HOOKSWITCH_{}", field.to_ascii_uppercase()),
            event.field(field),
        );
    }
    let name = hook.name.clone();
    let program = program.to_string();
    match command.spawn() {
        Ok(child) => {
            tokio::spawn(async move {
                match child.wait_with_output().await {
                    Ok(out) if out.status.success() => {}
                    Ok(out) => tracing::warn!(
                        "hook {name}: {program} ended with {}: {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    Err(e) => tracing::warn!("hook {name}: {program}: {e}"),
                }
            });
        }
        Err(e) => tracing::warn!("hook {name}: cannot start {program}: {e}"),
    }
}
