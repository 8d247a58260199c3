//! The support bundle (`hookswitch diagnose`, the window's "Save a support
//! bundle"): one `.tar.gz` a user attaches to a bug report, holding what a
//! developer asks for first: versions, the configuration without its
//! secrets, the devices and sound devices as Hookswitch sees them, the
//! running phone's state, the last logs, and whether udev and the keyring
//! let Hookswitch do its work. Secrets never go in (`redact`); the
//! keyring's passwords are looked up only to say whether they are there.

pub mod redact;
mod system;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One file of the bundle.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its path inside the bundle's folder.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Part {
    pub fn text(name: &str, text: impl Into<String>) -> Part {
        Part {
            name: name.into(),
            bytes: text.into().into_bytes(),
        }
    }
}

/// What the bundle is made from; the caller (the CLI, the window) knows
/// what it alone can give: the devices as it lists them, the running
/// phone's state.
#[derive(Debug, Default)]
pub struct Sources {
    /// The configuration file in use.
    pub config_path: PathBuf,
    /// `hookswitch devices --json`'s document.
    pub devices_json: Option<String>,
    /// The running phone's state (JSON), when one runs.
    pub state_json: Option<String>,
    /// Who made the bundle ("hookswitch diagnose", "the window").
    pub made_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error("cannot write the bundle {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Where logs go: `$XDG_STATE_HOME/hookswitch` (or `~/.local/state/...`).
pub fn log_dir() -> PathBuf {
    crate::config::xdg_dir("XDG_STATE_HOME", ".local/state")
}

/// Lines of each log kept in the bundle (its end).
const LOG_LINES: usize = 3000;

/// Every part of the bundle.
pub fn collect(sources: &Sources) -> Vec<Part> {
    let mut parts = vec![
        Part::text("README.txt", readme(&sources.made_by)),
        Part::text("versions.txt", system::versions()),
    ];
    match std::fs::read_to_string(&sources.config_path) {
        Ok(text) => parts.push(Part::text("config.toml", redact::toml_text(&text))),
        Err(e) => parts.push(Part::text(
            "config.toml",
            format!("# {}: {e}\n", sources.config_path.display()),
        )),
    }
    let desktop = sources.config_path.with_file_name("desktop.toml");
    if let Ok(text) = std::fs::read_to_string(&desktop) {
        parts.push(Part::text("desktop.toml", redact::toml_text(&text)));
    }
    let config = crate::Config::load(&sources.config_path);
    parts.push(Part::text(
        "config-check.txt",
        match &config {
            Ok(c) => match c.validate() {
                Ok(()) => "the configuration reads and is valid\n".to_owned(),
                Err(e) => format!("invalid: {e}\n"),
            },
            Err(e) => format!("does not read: {e}\n"),
        },
    ));
    parts.push(Part::text(
        "devices.json",
        sources
            .devices_json
            .clone()
            .unwrap_or_else(|| "null\n".into()),
    ));
    parts.push(Part::text(
        "audio-devices.json",
        match hookswitch_devices::sound::list() {
            Ok(list) => serde_json::to_string_pretty(&list).unwrap_or_default(),
            Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
        },
    ));
    parts.push(Part::text(
        "state.json",
        sources
            .state_json
            .as_deref()
            .map_or_else(|| "{\"running\": false}\n".to_owned(), redact::lines),
    ));
    parts.push(Part::text("udev.txt", system::udev()));
    parts.push(Part::text(
        "keyring.txt",
        system::keyring(config.as_ref().ok()),
    ));
    parts.extend(logs());
    parts
}

fn readme(made_by: &str) -> String {
    format!(
        "Hookswitch support bundle, made by {made_by}.\n\n\
         versions.txt        Hookswitch, the system, the desktop, the libraries it uses\n\
         config.toml         the configuration, passwords, tokens and keys removed\n\
         desktop.toml        the window's settings\n\
         config-check.txt    whether the configuration reads\n\
         devices.json        telephony devices and busylights, and those that cannot be used\n\
         audio-devices.json  sound devices\n\
         state.json          the running phone's state (registrations, calls), if one runs\n\
         udev.txt            the udev rules and who may open each hidraw node\n\
         keyring.txt         which passwords the keyring holds (never the passwords)\n\
         logs/               the end of the last logs, credentials removed\n\n\
         Read it before you attach it: it names your accounts, your devices and\n\
         the numbers in the logs.\n"
    )
}

/// The ends of the app's and the daemon's log files (this run's and the
/// one before), and the user unit's journal.
fn logs() -> Vec<Part> {
    let dir = log_dir();
    let mut parts = Vec::new();
    for name in ["app.log", "app.log.1", "daemon.log", "daemon.log.1"] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            parts.push(Part::text(
                &format!("logs/{name}"),
                redact::lines(&tail(&text, LOG_LINES)),
            ));
        }
    }
    let journal = Command::new("journalctl")
        .args(["--user", "-u", "hookswitch", "--no-pager", "-n"])
        .arg(LOG_LINES.to_string())
        .output();
    if let Ok(out) = journal
        && out.status.success()
        && !out.stdout.is_empty()
    {
        parts.push(Part::text(
            "logs/journal-hookswitch.service.txt",
            redact::lines(&String::from_utf8_lossy(&out.stdout)),
        ));
    }
    if parts.is_empty() {
        parts.push(Part::text(
            "logs/none.txt",
            format!(
                "no log in {} and no journal of hookswitch.service\n",
                dir.display()
            ),
        ));
    }
    parts
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    let mut out = all[start..].join("\n");
    out.push('\n');
    out
}

/// Writes `parts` as `out` (a .tar.gz whose files sit in one folder named
/// after it), with the system's tar.
pub fn write_archive(parts: &[Part], out: &Path) -> Result<(), DiagnoseError> {
    let err = |reason: String| DiagnoseError::Write {
        path: out.to_path_buf(),
        reason,
    };
    let folder = out
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.trim_end_matches(".tar.gz").to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| err("no file name".into()))?;
    let work = std::env::temp_dir().join(format!("hookswitch-diagnose-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let root = work.join(&folder);
    let written = (|| -> std::io::Result<()> {
        for part in parts {
            let path = root.join(&part.name);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, &part.bytes)?;
        }
        Ok(())
    })();
    let result = written.map_err(|e| err(e.to_string())).and_then(|()| {
        let tar = Command::new("tar")
            .arg("-czf")
            .arg(out)
            .arg("-C")
            .arg(&work)
            .arg(&folder)
            .output()
            .map_err(|e| err(format!("tar: {e}")))?;
        if tar.status.success() {
            Ok(())
        } else {
            Err(err(String::from_utf8_lossy(&tar.stderr).trim().to_owned()))
        }
    });
    let _ = std::fs::remove_dir_all(&work);
    result
}

/// `hookswitch-diagnose-YYYYMMDD-HHMMSS.tar.gz` (UTC) in `dir`.
pub fn default_name(dir: &Path) -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, mo, d) = crate::audio::civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    dir.join(format!(
        "hookswitch-diagnose-{y:04}{mo:02}{d:02}-{:02}{:02}{:02}.tar.gz",
        s / 3600,
        s % 3600 / 60,
        s % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_is_named_by_the_date_and_time() {
        let name = default_name(Path::new("/tmp"));
        let name = name.file_name().and_then(|n| n.to_str()).unwrap();
        assert!(name.starts_with("hookswitch-diagnose-20"), "{name}");
        assert_eq!(
            name.len(),
            "hookswitch-diagnose-20261207-074500.tar.gz".len(),
            "{name}"
        );
    }

    #[test]
    fn the_log_tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail("a\n", 5), "a\n");
    }
}
