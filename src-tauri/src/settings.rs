//! The desktop's own settings (`desktop.toml` next to the phone's
//! `config.toml`): what only the window has, such as its hot key. The phone's
//! settings stay in `config.toml`, shared with the CLI.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct DesktopSettings {
    /// Answers a ringing call, else hangs up (X11 and Windows; Wayland
    /// compositors do not let applications grab keys). Empty: none.
    pub hotkey: String,
    /// Desktop notifications for incoming and missed calls.
    pub notifications: bool,
    /// Closing the window keeps the phone running in the tray.
    pub close_to_tray: bool,
    /// `sip:`/`tel:` links dial at once; otherwise they fill the dial pad.
    pub links_dial_at_once: bool,
    /// Start at login, hidden in the tray (an XDG autostart entry).
    pub autostart: bool,
    /// The window's language ("de", "fr", "en"); empty: the system's.
    pub language: String,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        DesktopSettings {
            hotkey: "CommandOrControl+Alt+A".into(),
            notifications: true,
            close_to_tray: true,
            links_dial_at_once: false,
            autostart: false,
            language: String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

impl DesktopSettings {
    pub fn path_next_to(config: &Path) -> PathBuf {
        config.with_file_name("desktop.toml")
    }

    /// Missing file: the defaults.
    pub fn load(path: &Path) -> Result<DesktopSettings, SettingsError> {
        let err = |message: String| SettingsError::File {
            path: path.to_path_buf(),
            message,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(DesktopSettings::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let err = |message: String| SettingsError::File {
            path: path.to_path_buf(),
            message,
        };
        let text = toml::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        }
        std::fs::write(path, text).map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_a_missing_file_is_the_defaults() {
        let dir = std::env::temp_dir().join(format!("hookswitch-desktop-{}", std::process::id()));
        let path = dir.join("desktop.toml");
        assert_eq!(
            DesktopSettings::load(&path).unwrap(),
            DesktopSettings::default()
        );
        let changed = DesktopSettings {
            hotkey: String::new(),
            links_dial_at_once: true,
            ..DesktopSettings::default()
        };
        changed.save(&path).unwrap();
        assert_eq!(DesktopSettings::load(&path).unwrap(), changed);
        std::fs::write(&path, "hotkey = 3").unwrap();
        assert!(DesktopSettings::load(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
