//! The commands the window may call (each granted in capabilities/main.json).
//! Call control goes through `phone`, the same requests and code as the local
//! control socket; the others read or save settings and history.

use hookswitch_phone::call_handling::CallHandling;
use hookswitch_phone::call_handling::ForwardReason;
use hookswitch_phone::config::{self, AccountSettings};
use hookswitch_phone::control::{self, Reply, Request};
use hookswitch_phone::history::Entry;
use hookswitch_phone::{CallSummary, probe};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::settings::DesktopSettings;
use crate::state::{AppState, View, lock};

/// Call control: `{"cmd": "call", "target": "sip:bob@example.com"}`,
/// `{"cmd": "mute", "call": 3, "muted": true}`, ... (see `control::Request`).
#[tauri::command]
pub async fn phone(state: State<'_, AppState>, request: Request) -> Result<Reply, String> {
    let engine = state.engine().await?;
    Ok(control::handle(&engine, request).await)
}

/// Runs a request for the tray or a hot key, logging a refusal.
pub async fn run_request(app: &AppHandle, request: Request) {
    let state = app.state::<AppState>();
    let reply = match state.engine().await {
        Ok(engine) => control::handle(&engine, request).await,
        Err(e) => {
            tracing::warn!("{e}");
            return;
        }
    };
    if !reply.ok {
        tracing::info!("{}", reply.error.unwrap_or_default());
    }
}

#[derive(Serialize)]
pub struct Snapshot {
    view: View,
    calls: Vec<CallSummary>,
    accounts: Vec<AccountSettings>,
    handling: CallHandling,
    desktop: DesktopSettings,
    config_path: String,
}

/// Everything the window draws when it (re)loads.
#[tauri::command]
pub async fn snapshot(state: State<'_, AppState>) -> Result<Snapshot, String> {
    static FIRST: std::sync::Once = std::sync::Once::new();
    // The page has loaded and asks for its first drawing: start-up is over
    // (`cargo xtask bench desktop` times up to this line).
    FIRST.call_once(|| tracing::info!("window ready"));
    let calls = match state.engine().await {
        Ok(engine) => engine.calls().await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let config = lock(&state.config).clone();
    Ok(Snapshot {
        view: lock(&state.view).clone(),
        calls,
        accounts: config.accounts,
        handling: config.calls,
        desktop: lock(&state.desktop).clone(),
        config_path: state.config_path.display().to_string(),
    })
}

/// Newest first.
#[tauri::command]
pub fn history(state: State<'_, AppState>) -> Vec<Entry> {
    lock(&state.history).entries().take(200).cloned().collect()
}

#[derive(Serialize)]
pub struct Devices {
    hid: Vec<hookswitch_devices::DeviceInfo>,
    sound: Vec<hookswitch_devices::sound::SoundDevice>,
    sound_error: Option<String>,
    /// The udev rule that gives the logged-in user the devices, and the
    /// commands that install it, for the "not accessible" explanation.
    udev_rule: &'static str,
    udev_install: &'static str,
    microphone: String,
    speaker: String,
    ring_device: Option<String>,
}

const UDEV_RULE: &str = include_str!("../../udev/70-hookswitch.rules");
const UDEV_INSTALL: &str = "sudo install -m 0644 70-hookswitch.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger --subsystem-match=hidraw --subsystem-match=usb";

/// Sound devices and call-control devices (those found but unusable are in
/// the snapshot's view, kept current by events).
#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> Result<Devices, String> {
    let hid = match state.engine().await {
        Ok(engine) => engine.devices().devices(),
        Err(_) => Vec::new(),
    };
    let (sound, sound_error) = match hookswitch_devices::sound::list() {
        Ok(s) => (s, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let config = lock(&state.config).clone();
    Ok(Devices {
        hid,
        sound,
        sound_error,
        udev_rule: UDEV_RULE,
        udev_install: UDEV_INSTALL,
        microphone: config.devices.microphone,
        speaker: config.devices.speaker,
        ring_device: config.audio.ring_device,
    })
}

/// Tries an account before it is saved (the wizard's "Test" step).
#[tauri::command]
pub async fn check_account(
    state: State<'_, AppState>,
    account: AccountSettings,
    password: String,
) -> Result<probe::Outcome, String> {
    let base = lock(&state.config).clone();
    Ok(probe::registration(
        &base,
        &account,
        &password,
        std::time::Duration::from_secs(10),
    )
    .await)
}

/// Saves an account (its password only in the keyring) and restarts the
/// phone with it (after the calls in progress, if any). `password: None`
/// keeps the stored one.
#[tauri::command]
pub async fn save_account(
    app: AppHandle,
    state: State<'_, AppState>,
    account: AccountSettings,
    password: Option<String>,
) -> Result<(), String> {
    if account.name.trim().is_empty() {
        return Err("the account needs a name".into());
    }
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        config::store_password(&account.name, &password)
            .map_err(|e| format!("the password could not be stored in the keyring: {e}"))?;
    }
    {
        let mut config = lock(&state.config);
        let mut candidate = config.clone();
        match candidate
            .accounts
            .iter_mut()
            .find(|a| a.name == account.name)
        {
            Some(existing) => *existing = account,
            None => candidate.accounts.push(account),
        }
        candidate.validate().map_err(|e| e.to_string())?;
        *config = candidate;
    }
    state.save_config()?;
    restart_when_idle(&app, &state).await;
    Ok(())
}

#[tauri::command]
pub async fn remove_account(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), String> {
    lock(&state.config).accounts.retain(|a| a.name != name);
    state.save_config()?;
    if let Err(e) = config::forget_password(&name) {
        tracing::warn!("the keyring kept {name}'s password: {e}");
    }
    restart_when_idle(&app, &state).await;
    Ok(())
}

#[tauri::command]
pub fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: DesktopSettings,
) -> Result<(), String> {
    settings
        .save(&state.desktop_path)
        .map_err(|e| e.to_string())?;
    let old_hotkey = std::mem::replace(&mut *lock(&state.desktop), settings.clone()).hotkey;
    if old_hotkey != settings.hotkey {
        crate::hotkey::replace(&app, &old_hotkey, &settings.hotkey)?;
    }
    Ok(())
}

/// Do not disturb, kept in the configuration so it survives a restart.
#[tauri::command]
pub async fn set_dnd(app: AppHandle, on: bool, account: Option<String>) -> Result<(), String> {
    apply_dnd(&app, on, account).await
}

pub async fn apply_dnd(app: &AppHandle, on: bool, account: Option<String>) -> Result<(), String> {
    let state = app.state::<AppState>();
    let engine = state.engine().await?;
    engine
        .set_dnd(account.as_deref(), on)
        .await
        .map_err(|e| e.to_string())?;
    handling_of(&state, account.as_deref(), |h| h.dnd = on);
    state.save_config()
}

/// Forwarding ("always", "busy", "no-answer") to `target`, or off; saved.
#[tauri::command]
pub async fn set_forward(
    state: State<'_, AppState>,
    when: String,
    target: Option<String>,
    account: Option<String>,
) -> Result<(), String> {
    let reason: ForwardReason = when.parse()?;
    let target = target.filter(|t| !t.trim().is_empty());
    let engine = state.engine().await?;
    engine
        .set_forward(account.as_deref(), reason, target.clone())
        .await
        .map_err(|e| e.to_string())?;
    handling_of(&state, account.as_deref(), |h| match reason {
        ForwardReason::Always => h.forward_always = target,
        ForwardReason::Busy => h.forward_busy = target,
        ForwardReason::NoAnswer => h.forward_no_answer = target,
    });
    state.save_config()
}

/// The microphone, speaker and ring device ("auto", "default", a sound
/// device's name, or "none"; no ring device: none), saved. The engine picks
/// them up when it restarts: at once when no call is up, else when the last
/// call ends.
#[tauri::command]
pub async fn set_audio(
    app: AppHandle,
    state: State<'_, AppState>,
    microphone: String,
    speaker: String,
    ring_device: Option<String>,
) -> Result<(), String> {
    {
        let mut config = lock(&state.config);
        config.devices.microphone = microphone;
        config.devices.speaker = speaker;
        config.audio.ring_device = ring_device.filter(|d| !d.is_empty());
    }
    state.save_config()?;
    restart_when_idle(&app, &state).await;
    Ok(())
}

/// Applies saved settings by restarting the engine: at once when no call is
/// up, else once the last call has ended (a call is never cut for a setting).
async fn restart_when_idle(app: &AppHandle, state: &AppState) {
    if state.idle().await {
        crate::engine::restart(app).await;
    } else {
        *lock(&state.restart_when_idle) = true;
    }
}

/// Changes the saved call handling of an account (its own table, made from
/// the shared one if it had none) or of calls to no account.
fn handling_of(state: &AppState, account: Option<&str>, change: impl FnOnce(&mut CallHandling)) {
    let mut config = lock(&state.config);
    let shared = config.calls.clone();
    match account.and_then(|name| config.accounts.iter_mut().find(|a| a.name == name)) {
        Some(a) => change(a.calls.get_or_insert(shared)),
        None => change(&mut config.calls),
    }
}
