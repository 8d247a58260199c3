//! The app's hand on the phone: every face of the app (the window's
//! commands, the tray, the hot key, links) asks the running engine with one
//! [`Action`], as `hookswitch` and the control socket do.

use hookswitch_phone::{Action, EngineError, Reply};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// Asks the running engine; no engine (starting, or failed to start) is a
/// refusal that says why.
pub async fn act(app: &AppHandle, action: Action) -> Result<Reply, String> {
    let engine = app.state::<AppState>().engine().await?;
    engine
        .act(action)
        .await
        .map_err(|e: EngineError| e.to_string())
}

/// As `act`, for the tray, a hot key or a link: a refusal is logged.
pub fn act_later(app: &AppHandle, action: Action) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = act(&app, action).await {
            tracing::info!("{e}");
        }
    });
}
