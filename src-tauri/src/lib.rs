//! Hookswitch desktop: a thin Tauri shell over the engine. The window's
//! requests are the phone's `Action`s; the phone's state and events come out
//! to the window and the tray; every call decision is the engine's (see
//! docs/architecture.md and docs/desktop.md).

mod autostart;
mod commands;
mod contacts;
mod engine;
mod hotkey;
mod idle;
mod installed;
mod locale;
mod notify;
mod phone;
mod settings;
mod state;
mod tray;
#[cfg(feature = "ts")]
mod typescript;
#[cfg(feature = "ts")]
pub use typescript::typescript;

use std::path::PathBuf;

use hookswitch_phone::Action;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, WindowEvent};

use crate::state::{AppState, lock};

/// `--config PATH`, else `$HOOKSWITCH_CONFIG`, else the CLI's default file.
fn config_path(args: &[String]) -> PathBuf {
    args.iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOOKSWITCH_CONFIG").map(PathBuf::from))
        .unwrap_or_else(hookswitch_phone::config::default_path)
}

pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Hangs up, unregisters, then exits.
pub fn quit(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        engine::stop(&app).await;
        app.exit(0);
    });
}

#[derive(Clone, Serialize)]
struct LinkOpened {
    target: String,
    dialled: bool,
}

/// A `sip:`/`tel:` link: dialled at once if the user chose so, else put in
/// the dial pad for them to confirm.
fn open_link(app: &AppHandle, target: String) {
    show_window(app);
    let dial = lock(&app.state::<AppState>().desktop).links_dial_at_once;
    if dial {
        // No account named: the default-account rule picks one.
        let call = Action::Call {
            target: target.clone(),
            account: None,
            audio: None,
        };
        phone::act_later(app, call);
    }
    let _ = app.emit(
        "link",
        LinkOpened {
            target,
            dialled: dial,
        },
    );
}

/// Runs the app until it quits.
pub fn run() {
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // The window has nothing to composite on a GPU; without WebKit's
        // compositing mode its web process takes 103 MiB PSS instead of 166
        // (measured idle, D49). SAFETY: no other thread runs yet.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| "info,tao=warn,wry=warn".into())
    };
    // HOOKSWITCH_LOG: a file for the log (a webview driver swallows stderr);
    // else stderr and the log `hookswitch diagnose` reads (app.log).
    {
        use tracing_subscriber::Layer as _;
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        let asked = std::env::var_os("HOOKSWITCH_LOG");
        let file: Option<Box<dyn std::io::Write + Send>> =
            match asked.as_ref().map(std::fs::File::create) {
                Some(Ok(file)) => Some(Box::new(file)),
                _ => hookswitch_phone::log_file::LogFile::start("app")
                    .ok()
                    .map(|f| Box::new(f) as Box<dyn std::io::Write + Send>),
            };
        let to_file = file.map(|f| {
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .with_filter(filter())
        });
        let to_stderr = asked
            .is_none()
            .then(|| tracing_subscriber::fmt::layer().with_filter(filter()));
        tracing_subscriber::registry()
            .with(to_file)
            .with(to_stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().collect();
    let state = AppState::new(config_path(&args));
    let first_link = hookswitch_phone::links::target_in_args(&args);
    let started_hidden = args.iter().any(|a| a == "--hidden");

    let app = tauri::Builder::default()
        // Single-instance first: a link opened while we run arrives here, in
        // a second process that hands its arguments over and exits.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            match hookswitch_phone::links::target_in_args(&argv) {
                Some(target) => open_link(app, target),
                None => show_window(app),
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::phone,
            commands::snapshot,
            commands::history,
            commands::devices,
            commands::check_account,
            commands::save_account,
            commands::remove_account,
            commands::save_settings,
            commands::busylight_settings,
            commands::save_busylight,
            commands::save_pause_media,
            commands::save_diagnostics,
            commands::conversations,
            commands::conversation,
            commands::mark_read,
            commands::play_recording,
            contacts::contacts_search,
            contacts::contacts_search_remote,
            contacts::contacts_list,
            contacts::contact_save,
            contacts::contact_delete,
            contacts::contact_favourite,
            contacts::contact_speed_dial,
            contacts::speed_dial_target,
            contacts::contacts_import,
            contacts::contacts_export,
            contacts::address_books,
            contacts::address_books_sync,
        ])
        .setup(move |app| {
            let handle = app.handle().clone();
            let tray = tray::create(&handle);
            if let Err(e) = &tray {
                tracing::warn!("no tray icon here: {e}");
            }
            // `--hidden` (the login's autostart entry): in the tray only,
            // unless there is no tray to come back from.
            if started_hidden
                && tray.is_ok()
                && let Some(window) = handle.get_webview_window("main")
            {
                let _ = window.hide();
            }
            #[cfg(target_os = "linux")]
            {
                use tauri_plugin_deep_link::DeepLinkExt;
                // Makes sip:/tel: links open us without an installed package
                // (the package's desktop entry names them; a second, user's
                // entry would show the app twice in menus).
                if !installed::is_installed()
                    && let Err(e) = app.deep_link().register_all()
                {
                    tracing::info!("sip:/tel: links not registered with the desktop: {e}");
                }
            }
            let hotkey = lock(&app.state::<AppState>().desktop).hotkey.clone();
            if let Err(e) = hotkey::register(&handle, &hotkey) {
                tracing::warn!("{e}");
            }
            tauri::async_runtime::spawn(idle::watch(handle.clone()));
            tauri::async_runtime::spawn(async move {
                engine::restart(&handle).await;
                if let Some(target) = first_link {
                    open_link(&handle, target);
                }
            });
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                let app = window.app_handle();
                let to_tray = lock(&app.state::<AppState>().desktop).close_to_tray
                    && app.try_state::<tray::Tray>().is_some();
                api.prevent_close();
                if to_tray {
                    let _ = window.hide();
                } else {
                    quit(app);
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("the window could not be created");
    app.run(|_, _| {});
}
