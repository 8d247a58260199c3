//! Starting at login: an XDG autostart entry
//! (`$XDG_CONFIG_HOME/autostart/org.hookswitch.app.desktop`) that starts
//! this app hidden in the tray. Written when the setting is turned on,
//! removed when it is turned off; every desktop that follows the XDG
//! Autostart specification (GNOME, KDE, XFCE, ...) reads it.

use std::path::{Path, PathBuf};

/// The entry's file, in the user's autostart folder.
pub fn entry_path() -> Option<PathBuf> {
    hookswitch_phone::config::xdg_base("XDG_CONFIG_HOME", ".config")
        .map(|config| config.join("autostart/org.hookswitch.app.desktop"))
}

/// The entry for the app at `exe`, with the configuration file it runs on
/// when that is not the default one.
fn entry(exe: &Path, config: Option<&Path>) -> String {
    let mut exec = quote(&exe.display().to_string());
    if let Some(config) = config {
        exec.push_str(" --config ");
        exec.push_str(&quote(&config.display().to_string()));
    }
    format!(
        "[Desktop Entry]\nType=Application\nName=Hookswitch\nComment=Softphone, in the tray\nExec={exec} --hidden\nIcon=org.hookswitch.app\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
    )
}

/// An Exec argument, quoted as the Desktop Entry specification wants it
/// when it holds a space or a reserved character.
fn quote(arg: &str) -> String {
    let reserved = |c: char| " \t\n\"'\\><~|&;$*?#()`".contains(c);
    if !arg.contains(reserved) {
        return arg.to_owned();
    }
    let mut q = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// Writes or removes the entry; `config`: the app's configuration file
/// when it is not the default one.
pub fn apply(on: bool, config: Option<&Path>) -> Result<(), String> {
    let path = entry_path().ok_or("no HOME: no autostart folder")?;
    if !on {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("cannot remove {}: {e}", path.display()))
            }
            _ => Ok(()),
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("where this app is: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, entry(&exe, config))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_the_app_hidden_with_its_configuration_quoted() {
        let text = entry(
            Path::new("/usr/bin/hookswitch-app"),
            Some(Path::new("/home/a b/x$.toml")),
        );
        assert!(
            text.contains(
                "Exec=/usr/bin/hookswitch-app --config \"/home/a b/x\\$.toml\" --hidden\n"
            ),
            "{text}"
        );
        assert_eq!(
            entry(Path::new("/opt/hs/hookswitch-app"), None)
                .lines()
                .find(|l| l.starts_with("Exec=")),
            Some("Exec=/opt/hs/hookswitch-app --hidden")
        );
    }
}
