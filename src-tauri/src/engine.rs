//! Starting and restarting the engine, and passing what it says on: its
//! state to the window (`state` event) and the tray, its events to the window
//! (`phone`), desktop notifications, the call history and the messages
//! (`message`: each one kept or changed), device activity to
//! the Devices page.

use hookswitch_phone::{Engine, PhoneEvent, PhoneState, StartOptions, control};
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::state::{AppState, Running, lock};
use crate::{notify, tray};

/// Starts the engine from the saved settings (stopping a running one first).
/// A failure is kept for the window to explain.
pub async fn restart(app: &AppHandle) {
    let state = app.state::<AppState>();
    let mut slot = state.engine.lock().await;
    if let Some(running) = slot.take() {
        running.stop().await;
    }
    state.reload_config();
    let (config, passwords, missing) = state.startable_config();
    lock(&state.view).missing_passwords = missing;
    if let Err(e) = state.directory.apply(&config.directory) {
        tracing::warn!("{e}");
    }
    // Run-time settings (DND, forwarding, sound devices) go back to the file.
    let options = StartOptions {
        persist_to: Some(state.config_path.clone()),
        directory: Some(state.directory.clone()),
        records: Some(state.records.clone()),
        ..StartOptions::default()
    };
    let kept = state.records.subscribe();
    match Engine::start_with(&config, &passwords, options).await {
        Ok((engine, events)) => {
            lock(&state.view).engine_error = None;
            let tasks = vec![
                tauri::async_runtime::spawn(forward_events(app.clone(), events)),
                tauri::async_runtime::spawn(forward_kept(app.clone(), kept)),
                tauri::async_runtime::spawn(forward_state(app.clone(), engine.clone())),
                tauri::async_runtime::spawn(forward_activity(app.clone(), engine.clone())),
                tauri::async_runtime::spawn(serve_control(engine.clone())),
                tauri::async_runtime::spawn(hookswitch_phone::directory::keep_in_sync(
                    state.directory.clone(),
                )),
                tauri::async_runtime::spawn(
                    hookswitch_phone::hooks::Hooks::new(
                        &config.hooks,
                        state.directory.store().clone(),
                    )
                    .run(engine.subscribe()),
                ),
            ];
            let api = start_api(&state, &config, &engine).await;
            *slot = Some(Running { engine, tasks, api });
        }
        Err(e) => {
            tracing::error!("the phone did not start: {e}");
            lock(&state.view).engine_error = Some(match e {
                hookswitch_phone::EngineError::Bind { addr, reason } => format!(
                    "cannot listen on {addr}: {reason} (is `hookswitch run` or another softphone using it?)"
                ),
                other => other.to_string(),
            });
            tray::show(app, &PhoneState::default());
        }
    }
    drop(slot);
    let _ = app.emit("phone-restarted", ());
}

/// The local HTTP API over this engine, when the settings ask for it. It
/// does not keep the phone from starting: a failure is logged.
async fn start_api(
    state: &AppState,
    config: &hookswitch_phone::Config,
    engine: &Engine,
) -> Option<hookswitch_api::ApiServer> {
    config.api.listen?;
    let ctx = hookswitch_api::ApiContext {
        engine: engine.clone(),
        records: state.records.clone(),
        directory: Some(state.directory.clone()),
        accounts: std::sync::Arc::new(config.accounts.clone()),
    };
    let token = std::sync::Arc::new(hookswitch_api::token::TokenFile::new(
        hookswitch_api::token::default_path(),
    ));
    match hookswitch_api::ApiServer::start(&config.api, token, ctx).await {
        Ok(api) => Some(api),
        Err(e) => {
            tracing::error!("{e}");
            None
        }
    }
}

/// `restart` as a boxed future, for the task it aborts: the two would
/// otherwise each need the other's type to be known `Send`.
fn restart_boxed(
    app: AppHandle,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move { restart(&app).await })
}

/// Stops the engine (hangs up, unregisters) before the app exits.
pub async fn stop(app: &AppHandle) {
    let state = app.state::<AppState>();
    if let Some(running) = state.engine.lock().await.take() {
        running.stop().await;
    }
}

/// How long the notification of a call waits for the address book's name
/// (the ring does not wait: it has started already).
const NAME_WAIT: std::time::Duration = std::time::Duration::from_millis(400);

/// Notifies a ringing call with the contact's name when the address book
/// finds it soon enough, else with what SIP says.
async fn notify_incoming(app: AppHandle, call: u64, from: String) {
    let engine = app.state::<AppState>().engine().await;
    let mut name = None;
    if let Ok(engine) = engine {
        let mut watch = engine.watch_state();
        let named = tokio::time::timeout(
            NAME_WAIT,
            watch.wait_for(|s| s.call(call).is_none_or(|c| c.contact.is_some())),
        )
        .await;
        if let Ok(Ok(state)) = named {
            name = state.call(call).and_then(|c| c.contact.clone());
        }
    }
    notify::incoming_call(&app, &from, name.as_deref());
}

/// The phone's state, each time it changes: to the window and the tray.
async fn forward_state(app: AppHandle, engine: Engine) {
    let mut watch = engine.watch_state();
    loop {
        let state = watch.borrow_and_update().clone();
        tray::show(&app, &state);
        if let Err(e) = app.emit("state", &state) {
            tracing::warn!("cannot pass the state to the window: {e}");
        }
        if watch.changed().await.is_err() {
            return;
        }
    }
}

/// What the engine kept of its events (a call's history entry, a message)
/// goes to the window, with a notification for a missed call or a message
/// that came in.
async fn forward_kept(
    app: AppHandle,
    mut kept: tokio::sync::broadcast::Receiver<hookswitch_phone::records::Kept>,
) {
    loop {
        let kept = match kept.recv().await {
            Ok(k) => k,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("the window missed {n} history or message changes");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if let Some(entry) = kept.call {
            if entry.missed {
                notify::missed_call(&app, &entry.remote, entry.name.as_deref());
            }
            let _ = app.emit("history", &entry);
        }
        if let Some(message) = kept.message {
            // Only a message that came in is new to its reader (a change of
            // ours is a delivery report; the store keeps one that came in
            // only once, when it comes).
            if message.incoming {
                notify::message(&app, &message);
            }
            let _ = app.emit("message", &message);
        }
    }
}

async fn forward_events(app: AppHandle, mut events: tokio::sync::broadcast::Receiver<PhoneEvent>) {
    // Accounts already told to be low: told again only after they were not.
    let mut low = std::collections::HashSet::new();
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("the window missed {n} phone events");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let state = app.state::<AppState>();
        if let Some(balance) = hookswitch_phone::state::BalanceView::of_event(&event) {
            if !balance.low {
                low.remove(&balance.account);
            } else if low.insert(balance.account.clone()) {
                notify::low_balance(&app, &balance);
            }
        }
        if let PhoneEvent::IncomingCall { call, from, .. } = &event {
            tauri::async_runtime::spawn(notify_incoming(app.clone(), *call, from.clone()));
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
            }
        }
        if matches!(event, PhoneEvent::WindowWanted) {
            crate::show_window(&app);
        }
        if let Err(e) = app.emit("phone", &event) {
            tracing::warn!("cannot pass an event to the window: {e}");
        }
        // (The flag's lock is let go before awaiting.)
        let restart_pending =
            matches!(event, PhoneEvent::Ended { .. }) && *lock(&state.restart_when_idle);
        if restart_pending && state.idle().await {
            *lock(&state.restart_when_idle) = false;
            // Restarting aborts this task: hand it to another.
            tauri::async_runtime::spawn(restart_boxed(app.clone()));
            return;
        }
    }
}

async fn forward_activity(app: AppHandle, engine: Engine) {
    let mut activity = engine.device_activity();
    loop {
        match activity.recv().await {
            Ok(a) => {
                let _ = app.emit("device-activity", &a);
            }
            Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
    }
}

/// The local control socket, so `hookswitch hangup`, `hookswitch calls` and
/// scripts work against the app as against `hookswitch run`.
async fn serve_control(engine: Engine) {
    let served = match control::default_socket_path() {
        Ok(path) => control::serve(engine, &path).await,
        Err(e) => Err(e),
    };
    if let Err(e) = served {
        tracing::warn!("{e}; `hookswitch` commands cannot reach the window");
    }
}
