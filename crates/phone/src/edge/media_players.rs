//! Pausing the music for a call: when a call rings or is answered, the media
//! players of the session that are playing (MPRIS, `org.mpris.MediaPlayer2.*`
//! on the session bus: browsers, Spotify, VLC, Rhythmbox, ...) are paused;
//! when the last call ends, the ones we paused, and only those, play again
//! (if they are still paused: a user who stopped one meanwhile keeps it
//! stopped). D-Bus calls block, so they run on a thread of their own that the
//! driver tells "busy" or "idle".

use std::sync::mpsc;
use std::time::Duration;

use dbus::blocking::Connection;
use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;

const PREFIX: &str = "org.mpris.MediaPlayer2.";
const PATH: &str = "/org/mpris/MediaPlayer2";
const PLAYER: &str = "org.mpris.MediaPlayer2.Player";
/// A player that does not answer in this time is left alone.
const TIMEOUT: Duration = Duration::from_millis(500);

/// The thread that pauses and resumes. Dropped with the driver, it plays
/// again what it paused and is joined before the phone answers its shutdown:
/// `listen --count 1` exits right after its call, and a detached thread
/// would die with the process before the music came back.
pub struct MediaPause {
    busy: Option<mpsc::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MediaPause {
    pub fn start() -> MediaPause {
        let (busy, told) = mpsc::channel::<bool>();
        let spawned = std::thread::Builder::new()
            .name("media-pause".into())
            .spawn(move || {
                let mut paused: Vec<String> = Vec::new();
                for busy in told {
                    // Each turn on a fresh connection: the session bus may
                    // have come up after the phone.
                    let conn = match Connection::new_session() {
                        Ok(c) => c,
                        Err(e) => {
                            tracing::debug!("no session bus for media players: {e}");
                            continue;
                        }
                    };
                    if busy && paused.is_empty() {
                        paused = pause_playing(&conn);
                    } else if !busy && !paused.is_empty() {
                        resume(&conn, &std::mem::take(&mut paused));
                    }
                }
            });
        let thread = spawned
            .inspect_err(|e| tracing::warn!("media players will not be paused for calls: {e}"))
            .ok();
        MediaPause {
            busy: Some(busy),
            thread,
        }
    }

    /// A call rings or talks (`true`), or none is left (`false`).
    pub fn follow(&self, busy: bool) {
        if let Some(b) = &self.busy {
            let _ = b.send(busy);
        }
    }
}

impl Drop for MediaPause {
    fn drop(&mut self) {
        // The phone quits: what we paused plays again, then the thread ends
        // (its channel closes). Bounded by the per-player TIMEOUT.
        if let Some(b) = self.busy.take() {
            let _ = b.send(false);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn players(conn: &Connection) -> Vec<String> {
    let bus = conn.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", TIMEOUT);
    match bus.method_call::<(Vec<String>,), _, _, _>("org.freedesktop.DBus", "ListNames", ()) {
        Ok((names,)) => names
            .into_iter()
            .filter(|n| n.starts_with(PREFIX))
            .collect(),
        Err(e) => {
            tracing::debug!("cannot list the session's players: {e}");
            Vec::new()
        }
    }
}

fn status(conn: &Connection, player: &str) -> Option<String> {
    conn.with_proxy(player, PATH, TIMEOUT)
        .get::<String>(PLAYER, "PlaybackStatus")
        .ok()
}

/// Pauses the players that play; returns them.
fn pause_playing(conn: &Connection) -> Vec<String> {
    let mut paused = Vec::new();
    for player in players(conn) {
        if status(conn, &player).as_deref() != Some("Playing") {
            continue;
        }
        let proxy = conn.with_proxy(player.as_str(), PATH, TIMEOUT);
        match proxy.method_call::<(), _, _, _>(PLAYER, "Pause", ()) {
            Ok(()) => {
                tracing::info!(%player, "paused for the call");
                paused.push(player);
            }
            Err(e) => tracing::info!(%player, "would not pause: {e}"),
        }
    }
    paused
}

/// Plays again those of `paused` that are still paused.
fn resume(conn: &Connection, paused: &[String]) {
    for player in paused {
        if status(conn, player).as_deref() != Some("Paused") {
            continue;
        }
        let proxy = conn.with_proxy(player.as_str(), PATH, TIMEOUT);
        match proxy.method_call::<(), _, _, _>(PLAYER, "Play", ()) {
            Ok(()) => tracing::info!(%player, "playing again after the call"),
            Err(e) => tracing::info!(%player, "would not play again: {e}"),
        }
    }
}
