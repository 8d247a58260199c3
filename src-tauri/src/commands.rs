//! The commands the window may call (each granted in capabilities/main.json).
//! Everything the phone does goes through `phone`: the one vocabulary of
//! `Action`s the control socket and `hookswitch` use (calls, DND, forwarding,
//! sound devices, messages); the others read or save accounts, the app's
//! settings, history and conversations.

use hookswitch_phone::config::{self, AccountSettings};
use hookswitch_phone::control::ControlReply;
use hookswitch_phone::history::Entry;
use hookswitch_phone::message_store::{Conversation, StoredMessage};
use hookswitch_phone::{Action, PhoneState, probe};
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::settings::DesktopSettings;
use crate::state::{AppState, AppView, lock};

/// The phone: `{"cmd": "call", "target": "1234"}`, `{"cmd": "mute", "call":
/// 3, "muted": true}`, `{"cmd": "dnd", "on": true}`, ... (see `Action`).
#[tauri::command]
pub async fn phone(app: AppHandle, request: Action) -> Result<ControlReply, String> {
    Ok(match crate::phone::act(&app, request).await {
        Ok(result) => ControlReply {
            ok: true,
            error: None,
            result: Some(result),
        },
        Err(error) => ControlReply {
            ok: false,
            error: Some(error),
            result: None,
        },
    })
}

#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Snapshot {
    /// The phone's state (a default one while it does not run).
    state: PhoneState,
    app: AppView,
    accounts: Vec<AccountSettings>,
    desktop: DesktopSettings,
    /// Media players pause for calls (`audio.pause_media`).
    pause_media: bool,
    config_path: String,
}

/// Everything the window draws when it (re)loads.
#[tauri::command]
pub async fn snapshot(state: State<'_, AppState>) -> Result<Snapshot, String> {
    static FIRST: std::sync::Once = std::sync::Once::new();
    // The page has loaded and asks for its first drawing: start-up is over
    // (`cargo xtask bench desktop` times up to this line).
    FIRST.call_once(|| tracing::info!("window ready"));
    let phone = match state.engine().await {
        Ok(engine) => engine.state(),
        Err(_) => PhoneState::default(),
    };
    // One lock of the settings: a guard in a struct literal lives to the end
    // of the statement, and a second lock of the same mutex there deadlocks.
    let (accounts, pause_media) = {
        let config = lock(&state.config);
        (config.accounts.clone(), config.audio.pause_media)
    };
    Ok(Snapshot {
        state: phone,
        app: lock(&state.view).clone(),
        accounts,
        desktop: lock(&state.desktop).clone(),
        pause_media,
        config_path: state.config_path.display().to_string(),
    })
}

/// Conversations, the latest first, with their unread counts.
#[tauri::command]
pub fn conversations(state: State<'_, AppState>) -> Vec<Conversation> {
    state.records.messages().conversations()
}

/// One conversation's messages, oldest first.
#[tauri::command]
pub fn conversation(state: State<'_, AppState>, peer: String) -> Vec<StoredMessage> {
    state.records.messages().conversation(&peer)
}

/// The window shows `peer`'s conversation: its messages are read.
#[tauri::command]
pub fn mark_read(state: State<'_, AppState>, peer: String) -> usize {
    state.records.messages().mark_read(&peer)
}

/// Newest first.
#[tauri::command]
pub fn history(state: State<'_, AppState>) -> Vec<Entry> {
    state
        .records
        .history()
        .entries()
        .take(200)
        .cloned()
        .collect()
}

/// Opens a recording the history lists with the desktop's player
/// (`xdg-open`); any other path is refused, so the window cannot open
/// arbitrary files.
#[tauri::command]
pub fn play_recording(state: State<'_, AppState>, path: String) -> Result<(), String> {
    let listed = state
        .records
        .history()
        .entries()
        .any(|e| e.recordings.contains(&path));
    if !listed {
        return Err("not a recording in the history".into());
    }
    std::process::Command::new("xdg-open")
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|mut child| {
            // Reaped when the opener exits (it hands the file on and ends).
            std::thread::spawn(move || child.wait());
        })
        .map_err(|e| format!("cannot open {path}: {e}"))
}

#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Devices {
    hid: Vec<hookswitch_devices::DeviceInfo>,
    sound: Vec<hookswitch_devices::sound::SoundDevice>,
    sound_error: Option<String>,
    /// The udev rule that gives the logged-in user the devices, and the
    /// commands that install it, for the "not accessible" explanation.
    udev_rule: &'static str,
    udev_install: &'static str,
    /// The package installed the rule (/usr/lib/udev/rules.d): a device
    /// it names needs only a replug.
    udev_installed: bool,
    microphone: String,
    speaker: String,
    ring_device: Option<String>,
}

const UDEV_RULE: &str = include_str!("../../udev/70-hookswitch.rules");
const UDEV_INSTALL: &str = "sudo install -m 0644 70-hookswitch.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules && sudo udevadm trigger --subsystem-match=hidraw --subsystem-match=usb";

/// Sound devices and call-control devices (those found but unusable are in
/// the phone's state). The sound devices chosen are the phone's.
#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> Result<Devices, String> {
    let (hid, sound_choice) = match state.engine().await {
        Ok(engine) => (engine.devices().devices(), Some(engine.state().sound)),
        Err(_) => (Vec::new(), None),
    };
    let (sound, sound_error) = match hookswitch_devices::sound::list() {
        Ok(s) => (s, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let config = lock(&state.config).clone();
    let chosen = sound_choice.unwrap_or(hookswitch_phone::state::SoundView {
        microphone: config.devices.microphone,
        speaker: config.devices.speaker,
        ring_device: config.audio.ring_device,
    });
    Ok(Devices {
        hid,
        sound,
        sound_error,
        udev_rule: UDEV_RULE,
        udev_install: UDEV_INSTALL,
        udev_installed: crate::installed::udev_rule_installed(),
        microphone: chosen.microphone,
        speaker: chosen.speaker,
        ring_device: chosen.ring_device,
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
    // The wizard edits the address, registrar, credentials and transport:
    // what only the file sets (presence, busy lamps, codecs, call
    // handling...) is kept when an account is saved again.
    let existing = lock(&state.config)
        .accounts
        .iter()
        .find(|a| a.name == account.name)
        .cloned();
    let account = match existing {
        Some(old) => AccountSettings {
            outbound_proxy: account.outbound_proxy.clone().or(old.outbound_proxy),
            tls_ca_file: account.tls_ca_file.clone().or(old.tls_ca_file),
            calls: old.calls,
            subscribe_voicemail: old.subscribe_voicemail,
            presence: old.presence,
            blf: old.blf,
            pickup_prefix: old.pickup_prefix,
            default: old.default,
            expires: old.expires,
            codecs: old.codecs,
            balance: old.balance,
            ..account
        },
        None => account,
    };
    let mut candidate = lock(&state.config).clone();
    match candidate
        .accounts
        .iter_mut()
        .find(|a| a.name == account.name)
    {
        Some(existing) => *existing = account.clone(),
        None => candidate.accounts.push(account.clone()),
    }
    candidate.validate().map_err(|e| e.to_string())?;
    state.edit_config(
        |c| match c.accounts.iter_mut().find(|a| a.name == account.name) {
            Some(existing) => *existing = account,
            None => c.accounts.push(account),
        },
    )?;
    restart_when_idle(&app, &state).await;
    Ok(())
}

#[tauri::command]
pub async fn remove_account(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> Result<(), String> {
    state.edit_config(|c| c.accounts.retain(|a| a.name != name))?;
    if let Err(e) = config::forget_password(&name) {
        tracing::warn!("the keyring kept {name}'s password: {e}");
    }
    restart_when_idle(&app, &state).await;
    Ok(())
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: DesktopSettings,
) -> Result<String, String> {
    let was_on = lock(&state.desktop).autostart;
    if settings.autostart || was_on {
        // The configuration file goes in the entry unless it is the default.
        let config = (state.config_path != hookswitch_phone::config::default_path())
            .then_some(state.config_path.as_path());
        crate::autostart::apply(settings.autostart, config)?;
    }
    settings
        .save(&state.desktop_path)
        .map_err(|e| e.to_string())?;
    let old_hotkey = std::mem::replace(&mut *lock(&state.desktop), settings.clone()).hotkey;
    if old_hotkey != settings.hotkey {
        crate::hotkey::replace(&app, &old_hotkey, &settings.hotkey)?;
    }
    let before = lock(&state.view).locale.clone();
    let locale = state.set_language(&settings.language);
    if locale != before {
        crate::tray::retitle(&app);
        if let Ok(engine) = state.engine().await {
            crate::tray::show(&app, &engine.state());
        }
    }
    Ok(locale)
}

/// Writes a support bundle (`hookswitch diagnose`'s) to the user's download
/// folder and returns its path: the phone's devices and state as the window
/// has them, the configuration without secrets, the logs.
#[tauri::command]
pub async fn save_diagnostics(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<String, String> {
    use hookswitch_phone::diagnose;
    let (devices_json, state_json) = match state.engine().await {
        Ok(engine) => (
            serde_json::to_string_pretty(
                &serde_json::json!({ "devices": engine.devices().devices() }),
            )
            .ok(),
            serde_json::to_string_pretty(&engine.state()).ok(),
        ),
        Err(_) => (None, None),
    };
    let sources = diagnose::Sources {
        config_path: state.config_path.clone(),
        devices_json,
        state_json,
        made_by: format!("the window, Hookswitch {}", env!("CARGO_PKG_VERSION")),
    };
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| e.to_string())?;
    let out = diagnose::default_name(&dir);
    let written = out.clone();
    // The keyring's D-Bus calls and the archive block.
    tauri::async_runtime::spawn_blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        diagnose::write_archive(&diagnose::collect(&sources), &written).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    Ok(out.display().to_string())
}

/// What busylights show (`[devices.busylight]` of the configuration file).
#[tauri::command]
pub fn busylight_settings(
    state: State<'_, AppState>,
) -> Result<hookswitch_phone::config::LightSettings, String> {
    hookswitch_phone::Config::load(&state.config_path)
        .map(|c| c.devices.busylight)
        .map_err(|e| e.to_string())
}

/// Saves what busylights show and restarts the phone with it (after the
/// calls in progress, if any). Each look was read as it is typed
/// ("red flash"): one that does not read never gets here.
#[tauri::command]
pub async fn save_busylight(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: hookswitch_phone::config::LightSettings,
) -> Result<(), String> {
    state.edit_config(|c| c.devices.busylight = settings)?;
    restart_when_idle(&app, &state).await;
    Ok(())
}

/// Whether media players pause for calls (`audio.pause_media` in
/// config.toml, shared with `hookswitch run`); taken at the next idle moment.
#[tauri::command]
pub async fn save_pause_media(
    app: AppHandle,
    state: State<'_, AppState>,
    on: bool,
) -> Result<(), String> {
    state.edit_config(|c| c.audio.pause_media = on)?;
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
