//! Whether this app runs from the Debian package (`cargo xtask package`),
//! whose files are then in their installed places: the desktop entry that
//! names the sip:/tel: handler, the udev rule. Run from a clone, the app
//! does those parts itself or explains them.

use std::path::Path;

/// Where the package puts the app.
const INSTALLED_APP: &str = "/usr/bin/hookswitch-app";
const DESKTOP_ENTRY: &str = "/usr/share/applications/org.hookswitch.app.desktop";
const UDEV_RULE: &str = "/usr/lib/udev/rules.d/70-hookswitch.rules";

/// This process is the package's app and its desktop entry is in place.
pub fn is_installed() -> bool {
    std::env::current_exe().is_ok_and(|exe| exe == Path::new(INSTALLED_APP))
        && Path::new(DESKTOP_ENTRY).is_file()
}

/// The package's udev rule is in place (whichever binary runs).
pub fn udev_rule_installed() -> bool {
    Path::new(UDEV_RULE).is_file()
}
