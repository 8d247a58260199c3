//! Trying an account before it is saved: a short-lived engine on a port of its
//! own registers it once, the answer is sorted into what a person can act on
//! (wrong password, unknown user, registrar unreachable, certificate refused),
//! and the binding is removed again.

use std::time::Duration;

use serde::Serialize;

use crate::config::{AccountSettings, Config};
use crate::engine::{Engine, Passwords};
use crate::event::{PhoneEvent, RegistrationPhase};

/// What went wrong, in the terms the account wizard explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", ts(rename = "ProbeProblem"))]
#[cfg_attr(feature = "schema", schemars(rename = "ProbeProblem"))]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// 401/407 after our credentials, or 403: user name or password.
    WrongPassword,
    /// 404: the registrar does not know this address of record.
    UnknownUser,
    /// The registrar's TLS certificate was refused.
    TlsCertificate,
    /// No answer, or the connection refused: address, port or transport.
    Unreachable,
    /// Any other refusal, with its status in the detail.
    Refused,
    /// The settings themselves are wrong (a bad URI, ...).
    Settings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "ts", ts(rename = "ProbeOutcome"))]
#[cfg_attr(feature = "schema", schemars(rename = "ProbeOutcome"))]
pub struct Outcome {
    pub registered: bool,
    pub problem: Option<Problem>,
    /// The registrar's words or the transport's error.
    pub detail: String,
}

/// Registers `account` once with `password`, from a port of its own (so a
/// running phone is not disturbed), then unregisters. `base` gives the
/// network settings (listen address, STUN, timers).
pub async fn registration(
    base: &Config,
    account: &AccountSettings,
    password: &str,
    timeout: Duration,
) -> Outcome {
    let mut config = base.clone();
    config.sip.listen.set_port(0);
    config.devices.enabled = false;
    config.devices.simulated.clear();
    config.audio.ring_device = None;
    let mut account = account.clone();
    account.register = true;
    config.accounts = vec![account.clone()];
    let mut passwords = Passwords::new();
    passwords.insert(account.name.clone(), password.to_string());
    let (engine, mut events) = match Engine::start(&config, &passwords).await {
        Ok(started) => started,
        Err(e) => {
            return Outcome {
                registered: false,
                problem: Some(Problem::Settings),
                detail: e.to_string(),
            };
        }
    };
    let wait = async {
        loop {
            match events.recv().await {
                Ok(PhoneEvent::Registration {
                    state,
                    detail,
                    status,
                    ..
                }) if matches!(
                    state,
                    RegistrationPhase::Registered | RegistrationPhase::Failed
                ) =>
                {
                    break classify(
                        state == RegistrationPhase::Registered,
                        status,
                        detail.unwrap_or_default(),
                    );
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    break Outcome {
                        registered: false,
                        problem: Some(Problem::Unreachable),
                        detail: "the engine stopped".into(),
                    };
                }
            }
        }
    };
    let outcome = match tokio::time::timeout(timeout, wait).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome {
            registered: false,
            problem: Some(Problem::Unreachable),
            detail: format!("no answer from the registrar in {} s", timeout.as_secs()),
        },
    };
    engine.shutdown().await;
    outcome
}

/// Sorts a registration's result.
pub fn classify(registered: bool, status: Option<u16>, detail: String) -> Outcome {
    if registered {
        return Outcome {
            registered,
            problem: None,
            detail,
        };
    }
    let lower = detail.to_ascii_lowercase();
    let problem = match status {
        // A challenge we could not answer is the server's matter, not the
        // password's (the detail names what it asked for).
        Some(401 | 407) if !lower.contains("password") => Problem::Refused,
        Some(401 | 403 | 407) => Problem::WrongPassword,
        Some(404) => Problem::UnknownUser,
        Some(_) => Problem::Refused,
        None if lower.contains("certificate") || lower.contains("tls") => Problem::TlsCertificate,
        None => Problem::Unreachable,
    };
    Outcome {
        registered,
        problem: Some(problem),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_sorted_into_what_a_person_can_fix() {
        let problem = |status, detail: &str| classify(false, status, detail.into()).problem;
        assert_eq!(
            problem(Some(401), "401 Unauthorized (check user name and password)"),
            Some(Problem::WrongPassword)
        );
        assert_eq!(
            problem(Some(403), "403 Forbidden"),
            Some(Problem::WrongPassword)
        );
        assert_eq!(
            problem(
                Some(401),
                "401 Unauthorized (the server requires qop=auth-int, which Hookswitch does not support (only qop=auth))"
            ),
            Some(Problem::Refused)
        );
        assert_eq!(
            problem(Some(404), "404 Not Found"),
            Some(Problem::UnknownUser)
        );
        assert_eq!(problem(Some(503), "503 Busy"), Some(Problem::Refused));
        assert_eq!(
            problem(None, "invalid peer certificate: UnknownIssuer"),
            Some(Problem::TlsCertificate)
        );
        assert_eq!(
            problem(None, "no answer from the registrar"),
            Some(Problem::Unreachable)
        );
        assert_eq!(
            classify(true, None, "expires in 600 s".into()).problem,
            None
        );
    }
}
