//! The device profiles in use: the user's own (a `device-profiles` folder next
//! to the configuration file, e.g. written by `hookswitch hid-learn`) before the
//! shipped ones, so the user's win a tie.

use std::path::Path;

use hookswitch_hid::Profile;
use hookswitch_hid::profile::builtin;

/// The user's profiles from `dir`, then the built-in ones; files that do not
/// parse are reported and left out.
pub fn load(dir: &Path) -> (Vec<Profile>, Vec<String>) {
    let mut profiles = Vec::new();
    let mut errors = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
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
    profiles.extend(builtin());
    (profiles, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_profiles_come_first_and_bad_ones_are_reported() {
        let dir = std::env::temp_dir().join(format!("hs-profiles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.toml"),
            "name = \"Mine\"\n[match]\nvendor_id = \"0x0b0e\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("broken.toml"), "name = 3\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a profile").unwrap();
        let (profiles, errors) = load(&dir);
        assert_eq!(profiles[0].name, "Mine");
        assert_eq!(profiles.len(), 1 + builtin().len());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("broken.toml"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
