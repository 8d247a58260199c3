//! Whether the desktop is idle, for presence (away while idle): the screen
//! saver or lock is on (`org.freedesktop.ScreenSaver.GetActive` on the
//! session bus: KDE, XFCE, GNOME), or logind says the session is idle
//! (`IdleHint` of the caller's session on the system bus). Looked at every
//! `EVERY`; only a change is told to the phone. A desktop offering neither
//! is never idle: presence then follows calls, DND and the user alone.

use std::time::Duration;

use hookswitch_phone::Action;
use tauri::{AppHandle, Manager};

use crate::state::AppState;

const EVERY: Duration = Duration::from_secs(5);

/// Runs for the life of the app.
pub async fn watch(app: AppHandle) {
    let mut told: Option<bool> = None;
    loop {
        let idle = desktop_idle().await;
        // Told again while idle: a phone restarted meanwhile starts active.
        if idle || told != Some(idle) {
            let state = app.state::<AppState>();
            if let Ok(engine) = state.engine().await {
                if told != Some(idle) {
                    tracing::info!(idle, "the desktop's idle state changed");
                }
                if engine.act(Action::Idle { idle }).await.is_ok() {
                    told = Some(idle);
                }
            }
        }
        tokio::time::sleep(EVERY).await;
    }
}

#[cfg(target_os = "linux")]
async fn desktop_idle() -> bool {
    screen_saver_active().await.unwrap_or(false) || logind_idle().await.unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
async fn desktop_idle() -> bool {
    false
}

#[cfg(target_os = "linux")]
async fn screen_saver_active() -> zbus::Result<bool> {
    let bus = zbus::Connection::session().await?;
    let reply = bus
        .call_method(
            Some("org.freedesktop.ScreenSaver"),
            "/org/freedesktop/ScreenSaver",
            Some("org.freedesktop.ScreenSaver"),
            "GetActive",
            &(),
        )
        .await?;
    reply.body().deserialize::<bool>()
}

/// Only for a process in a login session (`XDG_SESSION_ID`, which logind's
/// PAM module sets): another process (a service, a test's private desktop)
/// would be told about a session that is not its own.
#[cfg(target_os = "linux")]
async fn logind_idle() -> zbus::Result<bool> {
    if std::env::var_os("XDG_SESSION_ID").is_none() {
        return Ok(false);
    }
    let bus = zbus::Connection::system().await?;
    let proxy = zbus::Proxy::new(
        &bus,
        "org.freedesktop.login1",
        "/org/freedesktop/login1/session/auto",
        "org.freedesktop.login1.Session",
    )
    .await?;
    proxy.get_property::<bool>("IdleHint").await
}
