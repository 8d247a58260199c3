//! Why the phone refused an action, or could not start.

use crate::event::CallId;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("cannot bind {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("not a SIP address: {0}")]
    BadTarget(String),
    #[error("no such account: {0}")]
    NoSuchAccount(String),
    #[error("no such call: {0}")]
    NoSuchCall(CallId),
    /// A value no phone could act on (a status that is not a refusal, a
    /// key that is not a DTMF key).
    #[error("{0}")]
    Invalid(String),
    #[error("the call cannot do that now")]
    WrongState,
    #[error("audio: {0}")]
    Audio(String),
    #[error("the engine has stopped")]
    Stopped,
    #[error("{0}")]
    Config(String),
    /// A message was refused, got no answer or could not be sent.
    #[error("message not delivered: {status} {reason}")]
    MessageFailed { status: u16, reason: String },
    #[error("{0}")]
    TooLarge(String),
    /// A merge the conference cannot take (too few or too many calls).
    #[error("{0}")]
    Conference(String),
}
