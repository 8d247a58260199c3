//! The local control socket: a running `hookswitch run` takes JSON-line commands
//! on a Unix socket only its user can open (`hookswitch hangup`, `calls`, ...).
//! The HTTP/WebSocket API of a later issue sits on the same engine calls.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::api::CallId;
use crate::engine::Engine;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Calls,
    Call {
        target: String,
        #[serde(default)]
        account: Option<String>,
    },
    Answer {
        call: CallId,
    },
    Reject {
        call: CallId,
        #[serde(default = "busy")]
        status: u16,
    },
    Hangup {
        #[serde(default)]
        call: Option<CallId>,
    },
    Dtmf {
        call: CallId,
        keys: String,
    },
    Mute {
        call: CallId,
        muted: bool,
    },
    /// Do not disturb on or off, for an account or for calls to no account.
    Dnd {
        on: bool,
        #[serde(default)]
        account: Option<String>,
    },
    /// Forward calls ("always", "busy", "no-answer") to `target`, or stop (no target).
    Forward {
        when: String,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        account: Option<String>,
    },
    /// Blind transfer of a call to `target`, or attended transfer to the
    /// peer of our call `to_call`.
    Transfer {
        call: CallId,
        #[serde(default)]
        target: Option<String>,
        #[serde(default)]
        to_call: Option<CallId>,
    },
    /// Put a call on hold, or take it off.
    Hold {
        call: CallId,
        held: bool,
    },
    /// A call's media figures so far.
    Stats {
        call: CallId,
    },
    /// The one key of a global hot key or a foot pedal: answers the ringing
    /// call, else hangs up the current one.
    AnswerOrHangUp,
    /// Percent of the call's own level (100 = unchanged); either may be left out.
    Volume {
        call: CallId,
        #[serde(default)]
        speaker: Option<u16>,
        #[serde(default)]
        microphone: Option<u16>,
    },
}

fn busy() -> u16 {
    486
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Reply {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<serde_json::Value>,
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
    loop {
        let (stream, _) = listener.accept().await?;
        let engine = engine.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let reply = match serde_json::from_str::<Request>(&line) {
                    Ok(req) => handle(&engine, req).await,
                    Err(e) => Reply {
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

/// Carries out one request: the control socket's and the desktop app's.
pub async fn handle(engine: &Engine, req: Request) -> Reply {
    let result = match req {
        Request::AnswerOrHangUp => answer_or_hang_up(engine).await,
        Request::Calls => engine.calls().await.map(|c| serde_json::to_value(c).ok()),
        Request::Call { target, account } => {
            call_holding_others(engine, &target, account.as_deref()).await
        }
        Request::Answer { call } => answer_holding_others(engine, call).await.map(|()| None),
        Request::Reject { call, status } => engine.reject(call, status).await.map(|()| None),
        Request::Hangup { call } => engine.hangup(call).await.map(|()| None),
        Request::Dtmf { call, keys } => engine.send_dtmf(call, &keys).await.map(|()| None),
        Request::Mute { call, muted } => engine.set_mute(call, muted).await.map(|()| None),
        Request::Hold { call, held } => engine.set_hold(call, held).await.map(|()| None),
        Request::Transfer {
            call,
            target,
            to_call,
        } => match (target, to_call) {
            (Some(target), None) => engine.transfer(call, &target).await.map(|()| None),
            (None, Some(consult)) => engine.transfer_attended(call, consult).await.map(|()| None),
            _ => Err(crate::EngineError::Config(
                "transfer to a target or to a call, one of the two".into(),
            )),
        },
        Request::Dnd { on, account } => engine.set_dnd(account.as_deref(), on).await.map(|()| None),
        Request::Forward {
            when,
            target,
            account,
        } => match when.parse() {
            Ok(reason) => engine
                .set_forward(account.as_deref(), reason, target)
                .await
                .map(|()| None),
            Err(e) => Err(crate::EngineError::Config(e)),
        },
        Request::Stats { call } => engine
            .call_stats(call)
            .await
            .map(|s| serde_json::to_value(s).ok()),
        Request::Volume {
            call,
            speaker,
            microphone,
        } => engine
            .set_volume(call, speaker, microphone)
            .await
            .map(|()| None),
    };
    match result {
        Ok(result) => Reply {
            ok: true,
            error: None,
            result,
        },
        Err(e) => Reply {
            ok: false,
            error: Some(e.to_string()),
            result: None,
        },
    }
}

/// Holds the calls we are talking on (but `except`): a phone taking or
/// placing another call does, or two live calls would share one microphone.
async fn hold_talking(engine: &Engine, except: Option<CallId>) -> Result<(), crate::EngineError> {
    for other in engine.calls().await? {
        if Some(other.call) != except && other.established && !other.held {
            engine.set_hold(other.call, true).await?;
        }
    }
    Ok(())
}

/// Answers `call` (a waiting call: the one we talk on is held first).
async fn answer_holding_others(engine: &Engine, call: CallId) -> Result<(), crate::EngineError> {
    hold_talking(engine, Some(call)).await?;
    engine.answer(call, engine.phone_audio()).await
}

/// Places a call (a second one: the one we talk on is held first, so it can
/// be a consultation before an attended transfer).
async fn call_holding_others(
    engine: &Engine,
    target: &str,
    account: Option<&str>,
) -> Result<Option<serde_json::Value>, crate::EngineError> {
    hold_talking(engine, None).await?;
    let id = engine.call(target, account, engine.phone_audio()).await?;
    Ok(Some(id.into()))
}

async fn answer_or_hang_up(
    engine: &Engine,
) -> Result<Option<serde_json::Value>, crate::EngineError> {
    let calls = engine.calls().await?;
    if let Some(ringing) = calls.iter().find(|c| !c.outgoing && !c.established) {
        answer_holding_others(engine, ringing.call).await?;
        return Ok(Some(serde_json::json!({ "answered": ringing.call })));
    }
    if calls.is_empty() {
        return Err(crate::EngineError::WrongState);
    }
    engine.hangup(None).await?;
    Ok(Some(serde_json::json!({ "hung_up": true })))
}

/// Sends one request to a running instance.
pub async fn request(path: &Path, req: &Request) -> std::io::Result<Reply> {
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
    let mut text = serde_json::to_string(req).map_err(std::io::Error::other)?;
    text.push('\n');
    write.write_all(text.as_bytes()).await?;
    let mut lines = BufReader::new(read).lines();
    let line = lines
        .next_line()
        .await?
        .ok_or_else(|| std::io::Error::other("no reply"))?;
    serde_json::from_str(&line).map_err(std::io::Error::other)
}
