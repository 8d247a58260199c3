//! The tray icon: its colour and tooltip say whether the phone is offline,
//! ready, ringing or in a call; its menu shows the window, answers, hangs up,
//! toggles do-not-disturb, sets the presence status others see, and quits. It draws the phone's state
//! (`Engine::state`); it keeps none of its own. Where the desktop has no tray
//! (no StatusNotifier host) the app runs without one.

use std::sync::Mutex;

use hookswitch_phone::state::CallPhase;
use hookswitch_phone::{Action, Availability, PhoneState, RegistrationPhase};
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

use crate::locale::Texts;
use crate::state::{AppState, lock};

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

pub fn tooltip(s: &PhoneState, texts: &Texts) -> String {
    let registered: Vec<&str> = s
        .registrations
        .iter()
        .filter(|(_, r)| r.state == RegistrationPhase::Registered)
        .map(|(name, _)| name.as_str())
        .collect();
    let mut text = match look(s) {
        Look::Ringing => texts.get("tray-ringing", &[]),
        Look::InCall => texts.get("tray-in-call", &[("count", s.calls.len().into())]),
        Look::Offline => texts.get("tray-offline", &[]),
        Look::Idle if registered.is_empty() => texts.get("tray-ready", &[]),
        Look::Idle => texts.get(
            "tray-registered",
            &[("accounts", registered.join(", ").into())],
        ),
    };
    let status = if s.dnd {
        Some("availability-dnd")
    } else if status_label(s.presence.availability).is_some()
        && s.presence.availability != Availability::Available
    {
        Some(availability_word(s.presence.availability))
    } else {
        None
    };
    if let Some(status) = status {
        let status = texts.get(status, &[]);
        text = texts.get(
            "tray-with-status",
            &[("text", text.into()), ("status", status.into())],
        );
    }
    for b in &s.balances {
        text.push('\n');
        text.push_str(&balance_line(b, texts));
    }
    text
}

/// "carrier: balance 4,20 EUR (low) (could not check: ...)".
pub fn balance_line(b: &hookswitch_phone::state::BalanceView, texts: &Texts) -> String {
    let account = b.account.as_str();
    let mut line = match b.amount {
        Some(amount) => {
            let amount = format!("{} {}", texts.decimal(amount), b.currency);
            texts.get(
                "tray-balance",
                &[
                    ("account", account.into()),
                    ("amount", amount.trim().into()),
                ],
            )
        }
        None => texts.get("tray-balance-unknown", &[("account", account.into())]),
    };
    if b.low {
        line = texts.get("tray-balance-low", &[("text", line.into())]);
    }
    if let Some(error) = &b.error {
        line = texts.get(
            "tray-balance-error",
            &[("text", line.into()), ("error", error.as_str().into())],
        );
    }
    line
}

/// The statuses the tray's Status menu offers (with their catalogue ids).
/// Do not disturb is the menu's own item above: it refuses calls, and
/// others see it.
const STATUSES: [(Availability, &str); 4] = [
    (Availability::Available, "presence-available"),
    (Availability::Away, "presence-away"),
    (Availability::Busy, "presence-busy"),
    (Availability::Offline, "presence-appear-offline"),
];

/// How the tooltip says a status others see ("away").
fn availability_word(a: Availability) -> &'static str {
    match a {
        Availability::Away => "availability-away",
        Availability::Busy => "availability-busy",
        Availability::Offline => "availability-offline",
        Availability::Dnd => "availability-dnd",
        Availability::OnThePhone => "availability-on-the-phone",
        Availability::Available => "availability-available",
        Availability::Unknown => "availability-unknown",
    }
}

fn status_label(a: Availability) -> Option<&'static str> {
    STATUSES.iter().find(|(s, _)| *s == a).map(|(_, l)| *l)
}

/// The menu item id of a status ("status-away").
fn status_id(a: Availability) -> String {
    format!("status-{}", a.as_str())
}

/// The tray and what it last drew.
pub struct Tray {
    icon: TrayIcon,
    /// The items with words, by catalogue id, retitled when the language changes.
    titled: Vec<(&'static str, MenuItem<Wry>)>,
    status: Submenu<Wry>,
    dnd: CheckMenuItem<Wry>,
    /// The Status menu's items, one per choosable status.
    statuses: Vec<(Availability, CheckMenuItem<Wry>)>,
    /// The note of our presence, kept when a status is chosen here.
    note: Mutex<Option<String>>,
    drawn: Mutex<Option<Drawn>>,
}

/// What the tray shows: its look, tooltip, DND and the chosen status.
type Drawn = (Look, String, bool, Availability);

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let texts = app.state::<AppState>().texts();
    let word = |id: &str| texts.get(id, &[]);
    let show = MenuItem::with_id(app, "show", word("tray-show"), true, None::<&str>)?;
    let answer = MenuItem::with_id(app, "answer", word("tray-answer"), true, None::<&str>)?;
    let dnd = CheckMenuItem::with_id(app, "dnd", word("tray-dnd"), true, false, None::<&str>)?;
    let statuses = STATUSES
        .iter()
        .map(|(a, label)| {
            let on = *a == Availability::Available;
            CheckMenuItem::with_id(app, status_id(*a), word(label), true, on, None::<&str>)
                .map(|item| (*a, item))
        })
        .collect::<tauri::Result<Vec<_>>>()?;
    let status_items: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = statuses
        .iter()
        .map(|(_, item)| item as &dyn tauri::menu::IsMenuItem<Wry>)
        .collect();
    let status = Submenu::with_items(app, word("tray-status"), true, &status_items)?;
    let quit = MenuItem::with_id(app, "quit", word("tray-quit"), true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &show,
            &answer,
            &dnd,
            &status,
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
            id => {
                if let Some((availability, _)) = STATUSES.iter().find(|(a, _)| status_id(*a) == id)
                {
                    let tray = app.try_state::<Tray>();
                    let note = tray.as_ref().and_then(|t| lock(&t.note).clone());
                    // The clicked item toggled itself, perhaps off: the next
                    // state is drawn whatever it is.
                    if let Some(t) = &tray {
                        *lock(&t.drawn) = None;
                    }
                    crate::phone::act_later(
                        app,
                        Action::Presence {
                            availability: *availability,
                            note,
                        },
                    );
                }
            }
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
        titled: vec![
            ("tray-show", show),
            ("tray-answer", answer),
            ("tray-quit", quit),
        ],
        status,
        dnd,
        statuses,
        note: Mutex::new(None),
        drawn: Mutex::new(None),
    });
    Ok(())
}

/// Draws the phone's state, when what the tray shows of it changed.
pub fn show(app: &AppHandle, s: &PhoneState) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    lock(&tray.note).clone_from(&s.presence.note);
    let texts = app.state::<AppState>().texts();
    let wanted = (look(s), tooltip(s, &texts), s.dnd, s.presence.chosen);
    {
        let mut drawn = lock(&tray.drawn);
        if drawn.as_ref() == Some(&wanted) {
            return;
        }
        *drawn = Some(wanted.clone());
    }
    let (look, tooltip, dnd, chosen) = wanted;
    // A check item toggles itself when clicked: each is set to the state.
    for (a, item) in &tray.statuses {
        let _ = item.set_checked(*a == chosen);
    }
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

/// The menu in the language now chosen; the tooltip follows at the next
/// drawing, which this forces.
pub fn retitle(app: &AppHandle) {
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let texts = app.state::<AppState>().texts();
    for (id, item) in &tray.titled {
        let _ = item.set_text(texts.get(id, &[]));
    }
    let _ = tray.dnd.set_text(texts.get("tray-dnd", &[]));
    let _ = tray.status.set_text(texts.get("tray-status", &[]));
    for (a, item) in &tray.statuses {
        if let Some(label) = status_label(*a) {
            let _ = item.set_text(texts.get(label, &[]));
        }
    }
    *lock(&tray.drawn) = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookswitch_phone::{EndReason, PhoneEvent};

    fn english() -> Texts {
        Texts::new("en")
    }

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
        assert_eq!(tooltip(&s, &english()), "Hookswitch: one call");
        assert_eq!(tooltip(&s, &Texts::new("de")), "Hookswitch: ein Gespräch");
        s.apply(&PhoneEvent::Dnd {
            account: None,
            on: true,
        });
        assert!(tooltip(&s, &english()).ends_with("do not disturb"));
        assert!(tooltip(&s, &Texts::new("fr-FR")).ends_with("ne pas déranger"));
    }

    #[test]
    fn the_tooltip_says_what_others_see_unless_available() {
        let mut s = PhoneState::default();
        assert_eq!(tooltip(&s, &english()), "Hookswitch: ready");
        s.apply(&PhoneEvent::OwnPresence {
            availability: Availability::Away,
            chosen: Availability::Available,
            note: None,
        });
        assert_eq!(tooltip(&s, &english()), "Hookswitch: ready - away");
        assert_eq!(
            tooltip(&s, &Texts::new("de")),
            "Hookswitch: bereit - abwesend"
        );
        assert_eq!(status_id(Availability::Away), "status-away");
        assert_eq!(status_label(Availability::OnThePhone), None);
    }

    #[test]
    fn the_tooltip_tells_each_balance_and_why_it_is_not_current() {
        let mut s = PhoneState::default();
        s.apply(&PhoneEvent::Balance {
            account: "carrier".into(),
            amount: Some(4.2),
            currency: "EUR".into(),
            low: true,
            error: Some("the provider answered 503".into()),
        });
        assert_eq!(
            tooltip(&s, &english()),
            "Hookswitch: ready\ncarrier: balance 4.20 EUR (low) (could not check: the provider answered 503)"
        );
        assert_eq!(
            tooltip(&s, &Texts::new("de")),
            "Hookswitch: bereit\ncarrier: Guthaben 4,20 EUR (niedrig) (nicht geprüft: the provider answered 503)"
        );
    }
}
