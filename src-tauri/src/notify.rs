//! Desktop notifications for incoming and missed calls and messages (freedesktop
//! notifications over D-Bus on Linux). With no notification service a
//! warning is logged once per kind and the phone goes on.

use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::state::{AppState, lock};

/// `contact`: the address book's name for the caller, when known.
pub fn incoming_call(app: &AppHandle, from: &str, contact: Option<&str>) {
    let title = texts(app).get("notify-incoming", &[]);
    show(app, &title, &caller_named(from, contact));
}

fn texts(app: &AppHandle) -> std::sync::Arc<crate::locale::Texts> {
    app.state::<AppState>().texts()
}

/// An account's balance went under its `low`.
pub fn low_balance(app: &AppHandle, balance: &hookswitch_phone::state::BalanceView) {
    let texts = texts(app);
    let title = texts.get("notify-low-balance", &[]);
    show(app, &title, &crate::tray::balance_line(balance, &texts));
}

pub fn missed_call(app: &AppHandle, from: &str, contact: Option<&str>) {
    let title = texts(app).get("notify-missed", &[]);
    show(app, &title, &caller_named(from, contact));
}

/// The caller as [`caller`] says, with the address book's name in front.
pub fn caller_named(from: &str, contact: Option<&str>) -> String {
    match contact {
        Some(name) => {
            let shown = caller(from);
            let address = shown
                .rsplit_once(" (")
                .map_or(shown.as_str(), |(_, a)| a.trim_end_matches(')'));
            format!("{name} ({address})")
        }
        None => caller(from),
    }
}

/// A message came: who from, and its start.
pub fn message(app: &AppHandle, m: &hookswitch_phone::message_store::StoredMessage) {
    let who = match &m.name {
        Some(name) => format!("{name} ({})", m.peer),
        None => m.peer.clone(),
    };
    let mut text: String = m.text.chars().take(200).collect();
    if text.len() < m.text.len() {
        text.push('…');
    }
    let title = texts(app).get("notify-message", &[("who", who.into())]);
    show(app, &title, &text);
}

fn show(app: &AppHandle, title: &str, body: &str) {
    if !lock(&app.state::<AppState>().desktop).notifications {
        return;
    }
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!("desktop notification not shown: {e}");
    }
}

/// `"Alice" <sip:alice@example.com>` as `Alice (alice@example.com)`.
pub fn caller(from: &str) -> String {
    let (name, uri) = match from.split_once('<') {
        Some((name, rest)) => (
            name.trim().trim_matches('"').trim(),
            rest.split('>').next().unwrap_or(rest),
        ),
        None => ("", from.trim()),
    };
    let uri = uri.split(';').next().unwrap_or(uri);
    let address = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("tel:"))
        .unwrap_or(uri);
    if name.is_empty() {
        address.to_string()
    } else {
        format!("{name} ({address})")
    }
}

#[cfg(test)]
mod tests {
    use super::{caller, caller_named};

    #[test]
    fn callers_read_as_name_and_address() {
        assert_eq!(
            caller("\"Alice Smith\" <sip:alice@example.com>;tag=1"),
            "Alice Smith (alice@example.com)"
        );
        assert_eq!(
            caller("<sip:+4930123@example.com;user=phone>"),
            "+4930123@example.com"
        );
        assert_eq!(caller("sip:bob@192.0.2.1:5062"), "bob@192.0.2.1:5062");
        assert_eq!(caller("Bob <tel:+15550100>"), "Bob (+15550100)");
    }

    #[test]
    fn the_address_book_name_comes_first() {
        assert_eq!(
            caller_named(
                "\"Trunk 7\" <sip:+49305550777@pbx;user=phone>",
                Some("Ayşe Öztürk")
            ),
            "Ayşe Öztürk (+49305550777@pbx)"
        );
        assert_eq!(
            caller_named("sip:+49305550777@pbx", Some("Ayşe Öztürk")),
            "Ayşe Öztürk (+49305550777@pbx)"
        );
        assert_eq!(caller_named("sip:bob@h", None), "bob@h");
    }
}
