//! The local control socket: a running `hookswitch run` (or the desktop app)
//! takes JSON-line actions (`{"cmd": "hangup"}`, the one vocabulary of
//! [`Action`]) on a Unix socket only its user can open, and answers each with
//! a [`ControlReply`] line.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::action::{Action, Reply};
use crate::engine::Engine;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ControlReply {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Reply>,
}

impl From<Result<Reply, crate::EngineError>> for ControlReply {
    fn from(r: Result<Reply, crate::EngineError>) -> Self {
        match r {
            Ok(result) => ControlReply {
                ok: true,
                error: None,
                result: Some(result),
            },
            Err(e) => ControlReply {
                ok: false,
                error: Some(e.to_string()),
                result: None,
            },
        }
    }
}

/// Why there is no control socket.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The socket would sit where another user could take it first or open it.
    #[error(
        "no private directory for the control socket: {0} (a desktop session gives you \
         $XDG_RUNTIME_DIR, /run/user/UID, mode 0700; or name a socket in such a directory \
         with --control)"
    )]
    NotPrivate(String),
    #[error("control socket {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$XDG_RUNTIME_DIR/hookswitch.sock`; refused when that directory is not
/// set or not private (never a guessable path under /tmp that another user
/// could take first).
pub fn default_socket_path() -> Result<PathBuf, ControlError> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ControlError::NotPrivate("XDG_RUNTIME_DIR is not set".into()))?;
    let path = PathBuf::from(dir).join("hookswitch.sock");
    private_parent(&path)?;
    Ok(path)
}

/// The directory `socket` is in is ours and nobody else may enter it: then
/// no one else can take the name first or reach the socket, whatever its
/// mode between `bind` and `chmod`.
pub fn private_parent(socket: &Path) -> Result<(), ControlError> {
    use std::os::unix::fs::MetadataExt;
    let not_private = |why: String| ControlError::NotPrivate(why);
    let dir = match socket.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let meta =
        std::fs::metadata(dir).map_err(|e| not_private(format!("{}: {e}", dir.display())))?;
    if !meta.is_dir() {
        return Err(not_private(format!("{} is not a directory", dir.display())));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(not_private(format!(
            "{} belongs to uid {}, not to you (uid {me})",
            dir.display(),
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(not_private(format!(
            "{} has mode {:04o}: others may enter it",
            dir.display(),
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

/// Serves the control socket until the task is dropped.
pub async fn serve(engine: Engine, path: &Path) -> Result<(), ControlError> {
    let listener = bind(path).await?;
    serve_on(engine, listener).await;
    Ok(())
}

/// Takes the socket at `path` (0600, in a private directory), replacing one
/// a crashed instance left; refused when a running instance answers there.
pub async fn bind(path: &Path) -> Result<UnixListener, ControlError> {
    private_parent(path)?;
    let io = |source: std::io::Error| ControlError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.exists() {
        // A socket left by a crashed instance; a live one would answer.
        if UnixStream::connect(path).await.is_ok() {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "in use by a running hookswitch",
            )));
        }
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = UnixListener::bind(path).map_err(io)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(listener)
}

/// The longest request line taken; a longer one is answered with an error
/// and its connection closed (it is not buffered whole).
pub const MAX_REQUEST: usize = 64 * 1024;
/// Connections served at once; past it a connection is told so and closed.
pub const MAX_CONNECTIONS: usize = 64;
/// The pause after a failed accept (out of descriptors, say) before the next.
const ACCEPT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// What the control socket has refused, for the logs and the tests.
#[derive(Debug, Default)]
pub struct ControlCounters {
    pub accept_errors: std::sync::atomic::AtomicU64,
    pub refused_connections: std::sync::atomic::AtomicU64,
    pub bad_requests: std::sync::atomic::AtomicU64,
}

/// The counters of this process's control sockets.
pub static COUNTERS: ControlCounters = ControlCounters {
    accept_errors: std::sync::atomic::AtomicU64::new(0),
    refused_connections: std::sync::atomic::AtomicU64::new(0),
    bad_requests: std::sync::atomic::AtomicU64::new(0),
};

/// Answers requests on a socket from [`bind`] until the task is dropped. A
/// failed accept is counted and retried after a pause: it never ends the
/// server (nor the phone behind it).
pub async fn serve_on(engine: Engine, listener: UnixListener) {
    use std::sync::atomic::Ordering::Relaxed;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                let n = COUNTERS.accept_errors.fetch_add(1, Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!("control socket: accept failed ({n} so far): {e}");
                }
                tokio::time::sleep(ACCEPT_PAUSE).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            COUNTERS.refused_connections.fetch_add(1, Relaxed);
            tokio::spawn(refuse(stream));
            continue;
        };
        let engine = engine.clone();
        tokio::spawn(async move {
            let _permit = permit;
            answer(engine, stream).await;
        });
    }
}

/// Tells a connection past [`MAX_CONNECTIONS`] why it is closed.
async fn refuse(mut stream: UnixStream) {
    let reply = error_reply(format!(
        "busy: {MAX_CONNECTIONS} control connections are open"
    ));
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        stream.write_all(reply.as_bytes()),
    )
    .await;
}

/// A reply as the line the socket sends.
fn reply_line(reply: &ControlReply) -> String {
    let mut text = serde_json::to_string(reply).unwrap_or_else(|_| "{\"ok\":false}".into());
    text.push('\n');
    text
}

fn error_reply(error: String) -> String {
    reply_line(&ControlReply {
        ok: false,
        error: Some(error),
        result: None,
    })
}

/// One connection: a reply line for every request line, an error for a
/// request that is not JSON, not an action or not UTF-8; closed after a
/// line longer than [`MAX_REQUEST`].
async fn answer(engine: Engine, stream: UnixStream) {
    use std::sync::atomic::Ordering::Relaxed;
    use tokio::io::AsyncReadExt;
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let mut line = Vec::new();
    loop {
        line.clear();
        let limit = (MAX_REQUEST + 1) as u64;
        match (&mut reader).take(limit).read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let complete = line.last() == Some(&b'\n');
        if !complete && line.len() > MAX_REQUEST {
            COUNTERS.bad_requests.fetch_add(1, Relaxed);
            let reply = error_reply(format!("bad request: longer than {MAX_REQUEST} bytes"));
            let _ = write.write_all(reply.as_bytes()).await;
            return;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim_end_matches(['\n', '\r']),
            Err(e) => {
                COUNTERS.bad_requests.fetch_add(1, Relaxed);
                let reply = error_reply(format!("bad request: not UTF-8 ({e})"));
                if write.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let reply = match serde_json::from_str::<Action>(text) {
            Ok(action) => reply_line(&ControlReply::from(engine.act(action).await)),
            Err(e) => {
                COUNTERS.bad_requests.fetch_add(1, Relaxed);
                error_reply(format!("bad request: {e}"))
            }
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Sends one action to a running instance.
pub async fn request(path: &Path, action: &Action) -> std::io::Result<ControlReply> {
    let stream = UnixStream::connect(path).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!(
                "no running hookswitch at {} ({e}); start one with `hookswitch run`",
                path.display()
            ),
        )
    })?;
    let (read, mut write) = stream.into_split();
    let mut text = serde_json::to_string(action).map_err(std::io::Error::other)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    let mut lines = BufReader::new(read).lines();
    let line = lines
        .next_line()
        .await?
        .ok_or_else(|| std::io::Error::other("no reply"))?;
    serde_json::from_str(&line).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn only_a_directory_of_ours_that_nobody_else_enters_holds_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(private_parent(&private.join("hookswitch.sock")).is_ok());
        for mode in [0o755, 0o710, 0o701, 0o770] {
            std::fs::set_permissions(&private, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = private_parent(&private.join("hookswitch.sock")).unwrap_err();
            assert!(
                e.to_string().contains("others may enter it"),
                "{mode:o}: {e}"
            );
        }
        let e = private_parent(&dir.path().join("missing/hookswitch.sock")).unwrap_err();
        assert!(e.to_string().contains("No such file"), "{e}");
        // /tmp is shared (1777) and usually root's.
        assert!(private_parent(Path::new("/tmp/hookswitch-x.sock")).is_err());
    }
}
