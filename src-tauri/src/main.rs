//! The desktop app's binary: everything is in the library (`hookswitch_app::run`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    hookswitch_app::run();
}
