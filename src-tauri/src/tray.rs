//! The tray icon: its colour and tooltip say whether the phone is offline,
//! ready, ringing or in a call; its menu shows the window, answers, hangs up,
//! toggles do-not-disturb and quits. It draws the phone's state
//! (`Engine::state`); it keeps none of its own. Where the desktop has no tray
//! (no StatusNotifier host) the app runs without one.

use std::sync::Mutex;

use hookswitch_phone::state::CallPhase;
use hookswitch_phone::{Action, PhoneState, RegistrationPhase};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::state::lock;

const ICON_OFFLINE: &[u8] = include_bytes!("../icons/tray-offline.png");
const ICON_IDLE: &[u8] = include_bytes!("../icons/tray-idle.png");
const ICON_RINGING: &[u8] = include_bytes!("../icons/tray-ringing.png");
const ICON_CALL: &[u8] = include_bytes!("../icons/tray-call.png");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    Offline,
    Idle,
    Ringing,
    InCall,
}

/// What the tray shows for a state: ringing over a call over offline.
pub fn look(s: &PhoneState) -> Look {
    let registered = |p: RegistrationPhase| s.registrations.values().any(|r| r.state == p);
    if s.calls.iter().any(|c| c.phase == CallPhase::Incoming) {
        Look::Ringing
    } else if !s.calls.is_empty() {
        Look::InCall
    } else if registered(RegistrationPhase::Failed) && !registered(RegistrationPhase::Registered) {
        Look::Offline
    } else {
        Look::Idle
    }
}

pub fn tooltip(s: &PhoneState) -> String {
    let registered: Vec<&str> = s
        .registrations
        .iter()
        .filter(|(_, r)| r.state == RegistrationPhase::Registered)
        .map(|(name, _)| name.as_str())
        .collect();
    let mut text = match look(s) {
        Look::Ringing => "Hookswitch: incoming call".to_string(),
        Look::InCall => format!("Hookswitch: {} call(s)", s.calls.len()),
        Look::Offline => "Hookswitch: not registered".to_string(),
        Look::Idle if registered.is_empty() => "Hookswitch: ready".to_string(),
        Look::Idle => format!("Hookswitch: registered ({})", registered.join(", ")),
    };
    if s.dnd {
        text.push_str(" - do not disturb");
    }
    text
}

/// The tray and what it last drew.
pub struct Tray {
    icon: TrayIcon,
    dnd: CheckMenuItem<Wry>,
    drawn: Mutex<Option<(Look, String, bool)>>,
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
            "answer" => crate::phone::act_later(app, Action::AnswerOrHangUp),
            "dnd" => {
                // The item has toggled itself: that is what the user asked for.
                let on = app
                    .try_state::<Tray>()
                    .is_some_and(|t| t.dnd.is_checked().unwrap_or(false));
                crate::phone::act_later(app, Action::Dnd { on, account: None });
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
        drawn: Mutex::new(None),
    });
    Ok(())
}

/// Draws the phone's state, when what the tray shows of it changed.
pub fn show(app: &AppHandle, s: &PhoneState) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let wanted = (look(s), tooltip(s), s.dnd);
    {
        let mut drawn = lock(&tray.drawn);
        if drawn.as_ref() == Some(&wanted) {
            return;
        }
        *drawn = Some(wanted.clone());
    }
    let (look, tooltip, dnd) = wanted;
    let bytes = match look {
        Look::Offline => ICON_OFFLINE,
        Look::Idle => ICON_IDLE,
        Look::Ringing => ICON_RINGING,
        Look::InCall => ICON_CALL,
    };
    if let Ok(image) = Image::from_bytes(bytes) {
        let _ = tray.icon.set_icon(Some(image));
    }
    let _ = tray.icon.set_tooltip(Some(tooltip));
    let _ = tray.dnd.set_checked(dnd);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_phone::{EndReason, PhoneEvent};

    #[test]
    fn the_tray_shows_ringing_over_a_call_over_offline() {
        let mut s = PhoneState::default();
        assert_eq!(look(&s), Look::Idle);
        s.apply(&PhoneEvent::Registration {
            account: "work".into(),
            state: RegistrationPhase::Failed,
            detail: None,
            status: Some(403),
        });
        assert_eq!(look(&s), Look::Offline);
        s.apply(&PhoneEvent::Calling {
            call: 1,
            to: "sip:echo".into(),
            account: None,
        });
        assert_eq!(look(&s), Look::InCall);
        s.apply(&PhoneEvent::IncomingCall {
            call: 2,
            from: "sip:bob@example.com".into(),
            to: "sip:me@example.com".into(),
            account: None,
            answer_after: None,
            replaces: None,
        });
        assert_eq!(look(&s), Look::Ringing);
        s.apply(&PhoneEvent::Ended {
            call: 2,
            reason: EndReason::Cancelled,
            status: None,
            detail: None,
            stats: None,
        });
        assert_eq!(look(&s), Look::InCall);
        assert_eq!(tooltip(&s), "Hookswitch: 1 call(s)");
        s.apply(&PhoneEvent::Dnd {
            account: None,
            on: true,
        });
        assert!(tooltip(&s).ends_with("do not disturb"));
    }
}
