//! Declares the app's own commands, so that capabilities/main.json grants the
//! window exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "phone",
    "snapshot",
    "history",
    "devices",
    "check_account",
    "save_account",
    "remove_account",
    "save_settings",
    "busylight_settings",
    "save_busylight",
    "save_pause_media",
    "save_diagnostics",
    "conversations",
    "conversation",
    "mark_read",
    "play_recording",
    "contacts_search",
    "contacts_search_remote",
    "contacts_list",
    "contact_save",
    "contact_delete",
    "contact_favourite",
    "contact_speed_dial",
    "speed_dial_target",
    "contacts_import",
    "contacts_export",
    "address_books",
    "address_books_sync",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
    // Relative relocations packed as DT_RELR, as for `hookswitch`
    // (crates/cli/build.rs, D104).
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
