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

/// `$XDG_RUNTIME_DIR/hookswitch.sock`, else a per-user path under /tmp.
pub fn default_socket_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) => PathBuf::from(dir).join("hookswitch.sock"),
        None => std::env::temp_dir().join(format!(
            "hookswitch-{}.sock",
            std::env::var("USER").unwrap_or_else(|_| "user".into())
        )),
    }
}

/// Serves the control socket until the task is dropped.
pub async fn serve(engine: Engine, path: &Path) -> std::io::Result<()> {
    let listener = bind(path).await?;
    serve_on(engine, listener).await
}

/// Takes the socket at `path` (0600), replacing one a crashed instance left;
/// refused when a running instance answers there.
pub async fn bind(path: &Path) -> std::io::Result<UnixListener> {
    if path.exists() {
        // A socket left by a crashed instance; a live one would answer.
        if UnixStream::connect(path).await.is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!("{} is in use by a running hookswitch", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(listener)
}

/// Answers requests on a socket from [`bind`] until an accept fails.
pub async fn serve_on(engine: Engine, listener: UnixListener) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let engine = engine.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match serde_json::from_str::<Action>(&line) {
                    Ok(action) => ControlReply::from(engine.act(action).await),
                    Err(e) => ControlReply {
                        ok: false,
                        error: Some(format!("bad request: {e}")),
                        result: None,
                    },
                };
                let mut text =
                    serde_json::to_string(&reply).unwrap_or_else(|_| "{\"ok\":false}".into());
                text.push('\n');
                if write.write_all(text.as_bytes()).await.is_err() {
                    break;
                }
            }
        });
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
