//! The device profiles in use, first match wins: the user's own (a
//! `device-profiles` folder next to the configuration file, e.g. written by
//! `hookswitch hid-learn`), then an administrator's (`/etc/hookswitch/
//! device-profiles`, for a roll-out), then the package's
//! (`/usr/share/hookswitch/device-profiles`), then those built into the
//! binary (the same files, so a phone run from a clone has them too).

use std::path::{Path, PathBuf};

use hookswitch_hid::Profile;
use hookswitch_hid::profile::builtin;

/// An administrator's profiles, before the package's.
pub const ADMIN_DIR: &str = "/etc/hookswitch/device-profiles";
/// Where the package installs the shipped profiles.
pub const PACKAGE_DIR: &str = "/usr/share/hookswitch/device-profiles";

/// The folders read, in order: `user`'s (when given), the administrator's,
/// the package's.
pub fn folders(user: Option<&Path>) -> Vec<PathBuf> {
    user.map(Path::to_path_buf)
        .into_iter()
        .chain([PathBuf::from(ADMIN_DIR), PathBuf::from(PACKAGE_DIR)])
        .collect()
}

/// The profiles of `user`'s folder, the administrator's and the package's,
/// then the built-in ones; files that do not parse are reported and left
/// out.
pub fn load(user: Option<&Path>) -> (Vec<Profile>, Vec<String>) {
    load_from(&folders(user))
}

/// The profiles of `folders` in order (a missing folder is none), then the
/// built-in ones not already read from a file (the package's copies).
pub fn load_from(folders: &[PathBuf]) -> (Vec<Profile>, Vec<String>) {
    let mut profiles = Vec::new();
    let mut errors = Vec::new();
    for dir in folders {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for file in files {
            match std::fs::read_to_string(&file)
                .map_err(|e| e.to_string())
                .and_then(|t| Profile::from_toml(&t).map_err(|e| e.to_string()))
            {
                Ok(p) => profiles.push(p),
                Err(e) => errors.push(format!("{}: {e}", file.display())),
            }
        }
    }
    let read_from_files = profiles.clone();
    profiles.extend(
        builtin()
            .into_iter()
            .filter(|b| !read_from_files.contains(b)),
    );
    (profiles, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hs-profiles-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_users_profiles_come_first_then_the_systems_and_bad_ones_are_reported() {
        let user = folder("user");
        let system = folder("system");
        std::fs::write(
            user.join("mine.toml"),
            "name = \"Mine\"\n[match]\nvendor_id = \"0x0b0e\"\n",
        )
        .unwrap();
        std::fs::write(user.join("broken.toml"), "name = 3\n").unwrap();
        std::fs::write(user.join("notes.txt"), "not a profile").unwrap();
        std::fs::write(
            system.join("site.toml"),
            "name = \"Site\"\n[match]\nvendor_id = \"0x1395\"\n",
        )
        .unwrap();
        // The package's copy of a shipped profile is not listed twice.
        std::fs::write(
            system.join("jabra.toml"),
            include_str!("../../../device-profiles/jabra.toml"),
        )
        .unwrap();
        let missing = std::env::temp_dir().join("hs-profiles-none-here");
        let (profiles, errors) = load_from(&[user.clone(), missing, system.clone()]);
        let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(&names[..3], ["Mine", "Jabra", "Site"].as_slice());
        assert_eq!(names.iter().filter(|n| **n == "Jabra").count(), 1);
        assert_eq!(profiles.len(), 2 + builtin().len(), "{names:?}");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("broken.toml"));
        std::fs::remove_dir_all(&user).unwrap();
        std::fs::remove_dir_all(&system).unwrap();
    }
}
