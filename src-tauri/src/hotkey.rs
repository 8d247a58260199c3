//! The global answer/hang-up key. X11 and Windows let an application grab a
//! key; Wayland compositors do not, so there a failure is logged and the
//! window explains it in Settings.

use hookswitch_phone::Action;
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

/// Registers `hotkey` (empty: none).
pub fn register(app: &AppHandle, hotkey: &str) -> Result<(), String> {
    if hotkey.trim().is_empty() {
        return Ok(());
    }
    app.global_shortcut()
        .on_shortcut(hotkey, |app, _shortcut, event| {
            if event.state == ShortcutState::Pressed {
                crate::phone::act_later(app, Action::AnswerOrHangUp);
            }
        })
        .map_err(|e| format!("the hot key {hotkey} could not be registered: {e}"))
}

pub fn replace(app: &AppHandle, old: &str, new: &str) -> Result<(), String> {
    if !old.trim().is_empty() {
        let _ = app.global_shortcut().unregister(old);
    }
    register(app, new)
}
