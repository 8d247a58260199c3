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
    "conversations",
    "conversation",
    "mark_read",
    "play_recording",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}
