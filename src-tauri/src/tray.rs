//! The tray icon: its colour and tooltip say whether the phone is offline,
//! ready, ringing or in a call; its menu shows the window, answers, hangs up,
//! toggles do-not-disturb and quits. Where the desktop has no tray (no
//! StatusNotifier host) the app runs without one.

use std::collections::BTreeSet;
use std::sync::Mutex;

use hookswitch_phone::PhoneEvent;
use hookswitch_phone::control::Request;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::state::{AppState, lock};

const ICON_OFFLINE: &[u8] = include_bytes!("../icons/tray-offline.png");
const ICON_IDLE: &[u8] = include_bytes!("../icons/tray-idle.png");
const ICON_RINGING: &[u8] = include_bytes!("../icons/tray-ringing.png");
const ICON_CALL: &[u8] = include_bytes!("../icons/tray-call.png");

/// What the tray shows, followed from the engine's events.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Status {
    ringing: BTreeSet<u64>,
    calls: BTreeSet<u64>,
    registered: BTreeSet<String>,
    failed: BTreeSet<String>,
    dnd: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Offline,
    Idle,
    Ringing,
    InCall,
}

impl Status {
    pub fn follow(&mut self, e: &PhoneEvent) {
        match e {
            PhoneEvent::IncomingCall { call, .. } => {
                self.ringing.insert(*call);
                self.calls.insert(*call);
            }
            PhoneEvent::Calling { call, .. } => {
                self.calls.insert(*call);
            }
            PhoneEvent::Established { call, .. } => {
                self.ringing.remove(call);
            }
            PhoneEvent::Ended { call, .. } => {
                self.ringing.remove(call);
                self.calls.remove(call);
            }
            PhoneEvent::Registration { account, state, .. } => {
                self.registered.remove(account);
                self.failed.remove(account);
                match state.as_str() {
                    "registered" => {
                        self.registered.insert(account.clone());
                    }
                    "failed" => {
                        self.failed.insert(account.clone());
                    }
                    _ => {}
                }
            }
            PhoneEvent::Dnd { account: None, on } => self.dnd = *on,
            _ => {}
        }
    }

    pub fn look(&self) -> Look {
        if !self.ringing.is_empty() {
            Look::Ringing
        } else if !self.calls.is_empty() {
            Look::InCall
        } else if !self.failed.is_empty() && self.registered.is_empty() {
            Look::Offline
        } else {
            Look::Idle
        }
    }

    pub fn tooltip(&self) -> String {
        let mut text = match self.look() {
            Look::Ringing => "Hookswitch: incoming call".to_string(),
            Look::InCall => format!("Hookswitch: {} call(s)", self.calls.len()),
            Look::Offline => "Hookswitch: not registered".to_string(),
            Look::Idle if self.registered.is_empty() => "Hookswitch: ready".to_string(),
            Look::Idle => format!(
                "Hookswitch: registered ({})",
                self.registered
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if self.dnd {
            text.push_str(" - do not disturb");
        }
        text
    }
}

/// The tray and what it shows, kept in the app's state.
pub struct Tray {
    icon: TrayIcon,
    dnd: CheckMenuItem<Wry>,
    status: Mutex<Status>,
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Hookswitch", true, None::<&str>)?;
    let answer = MenuItem::with_id(app, "answer", "Answer / hang up", true, None::<&str>)?;
    let dnd = CheckMenuItem::with_id(app, "dnd", "Do not disturb", true, false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &show,
            &answer,
            &dnd,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let icon = TrayIconBuilder::with_id("main")
        .icon(Image::from_bytes(ICON_IDLE)?)
        .tooltip("Hookswitch")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => crate::show_window(app),
            "answer" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    crate::commands::run_request(&app, Request::AnswerOrHangUp).await;
                });
            }
            "dnd" => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let on = app
                        .try_state::<Tray>()
                        .is_some_and(|t| t.dnd.is_checked().unwrap_or(false));
                    if let Err(e) = crate::commands::apply_dnd(&app, on, None).await {
                        tracing::warn!("do not disturb: {e}");
                    }
                });
            }
            "quit" => crate::quit(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_window(tray.app_handle());
            }
        })
        .build(app)?;
    app.manage(Tray {
        icon,
        dnd,
        status: Mutex::new(Status::default()),
    });
    Ok(())
}

/// Follows an event, redrawing the tray when what it shows changed.
pub fn follow(app: &AppHandle, e: &PhoneEvent) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let status = {
        let mut status = lock(&tray.status);
        let before = status.clone();
        status.follow(e);
        if *status == before {
            return;
        }
        status.clone()
    };
    draw(&tray, &status);
}

/// Redraws after a restart (nothing known yet but DND).
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let dnd = lock(&app.state::<AppState>().config).calls.dnd;
    let status = {
        let mut status = lock(&tray.status);
        *status = Status {
            dnd,
            ..Status::default()
        };
        status.clone()
    };
    draw(&tray, &status);
}

fn draw(tray: &Tray, status: &Status) {
    let bytes = match status.look() {
        Look::Offline => ICON_OFFLINE,
        Look::Idle => ICON_IDLE,
        Look::Ringing => ICON_RINGING,
        Look::InCall => ICON_CALL,
    };
    if let Ok(image) = Image::from_bytes(bytes) {
        let _ = tray.icon.set_icon(Some(image));
    }
    let _ = tray.icon.set_tooltip(Some(status.tooltip()));
    let _ = tray.dnd.set_checked(status.dnd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tray_shows_ringing_over_a_call_over_offline() {
        let mut s = Status::default();
        assert_eq!(s.look(), Look::Idle);
        s.follow(&PhoneEvent::Registration {
            account: "work".into(),
            state: "failed".into(),
            detail: None,
            status: Some(403),
        });
        assert_eq!(s.look(), Look::Offline);
        s.follow(&PhoneEvent::Calling {
            call: 1,
            to: "sip:echo".into(),
            account: None,
        });
        assert_eq!(s.look(), Look::InCall);
        s.follow(&PhoneEvent::IncomingCall {
            call: 2,
            from: "sip:bob@example.com".into(),
            to: "sip:me@example.com".into(),
            account: None,
            answer_after: None,
            replaces: None,
        });
        assert_eq!(s.look(), Look::Ringing);
        s.follow(&PhoneEvent::Ended {
            call: 2,
            reason: "cancelled".into(),
            status: None,
            detail: None,
            stats: None,
        });
        assert_eq!(s.look(), Look::InCall);
        assert_eq!(s.tooltip(), "Hookswitch: 1 call(s)");
        s.follow(&PhoneEvent::Dnd {
            account: None,
            on: true,
        });
        assert!(s.tooltip().ends_with("do not disturb"));
    }
}
