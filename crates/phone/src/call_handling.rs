//! What happens to an incoming call before anyone picks up: do not disturb,
//! forwarding (always, when busy, when not answered) and auto-answer. Pure
//! decisions over the user's settings; the driver carries them out.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Call handling of one account (or of calls that come to no account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct CallHandling {
    /// Do not disturb: incoming calls are refused (or forwarded when busy).
    pub dnd: bool,
    /// The answer to a call refused by DND: 486 Busy Here or 480 Temporarily
    /// Unavailable (what the caller's phone or PBX shows, and which of its own
    /// forwarding rules it follows).
    pub dnd_status: u16,
    /// Forward every call here (302), without ringing.
    pub forward_always: Option<String>,
    /// Forward here instead of answering busy: under DND, or when the user
    /// refuses a call as busy.
    pub forward_busy: Option<String>,
    /// Forward here when a call rings unanswered for `forward_no_answer_after`.
    pub forward_no_answer: Option<String>,
    /// Seconds of ringing before `forward_no_answer` applies.
    pub forward_no_answer_after: u32,
    /// Answer every call by itself after this many seconds (0: at once).
    pub auto_answer: Option<u32>,
    /// Answer by itself when the caller asks with `Call-Info: ...;answer-after=N`
    /// (intercom and paging); off by default, since any caller could ask.
    pub auto_answer_when_asked: bool,
}

impl Default for CallHandling {
    fn default() -> Self {
        CallHandling {
            dnd: false,
            dnd_status: 486,
            forward_always: None,
            forward_busy: None,
            forward_no_answer: None,
            forward_no_answer_after: 20,
            auto_answer: None,
            auto_answer_when_asked: false,
        }
    }
}

/// Why a call was forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ForwardReason {
    Always,
    Busy,
    NoAnswer,
}

impl std::str::FromStr for ForwardReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(ForwardReason::Always),
            "busy" => Ok(ForwardReason::Busy),
            "no-answer" => Ok(ForwardReason::NoAnswer),
            other => Err(format!(
                "unknown forwarding {other:?} (always, busy or no-answer)"
            )),
        }
    }
}

impl std::fmt::Display for ForwardReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ForwardReason {
    pub fn name(self) -> &'static str {
        match self {
            ForwardReason::Always => "always",
            ForwardReason::Busy => "busy",
            ForwardReason::NoAnswer => "no-answer",
        }
    }
}

/// What to do with a new incoming call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Ring; then forward if still unanswered after the first delay, and/or
    /// answer by itself after the second.
    Ring {
        forward_unanswered: Option<(Duration, String)>,
        auto_answer: Option<Duration>,
    },
    Reject(u16),
    Forward {
        target: String,
        reason: ForwardReason,
    },
}

impl CallHandling {
    /// Checks the settings a user can get wrong.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.dnd_status, 480 | 486 | 603) {
            return Err(format!(
                "dnd_status {} is not 486, 480 or 603",
                self.dnd_status
            ));
        }
        for (name, target) in [
            ("forward_always", &self.forward_always),
            ("forward_busy", &self.forward_busy),
            ("forward_no_answer", &self.forward_no_answer),
        ] {
            if target.as_deref().is_some_and(|t| t.trim().is_empty()) {
                return Err(format!("{name} is empty"));
            }
        }
        Ok(())
    }

    /// A new call; `asked_answer_after`: the caller's `answer-after`, if any.
    pub fn on_incoming(&self, asked_answer_after: Option<u32>) -> Disposition {
        if let Some(target) = &self.forward_always {
            return Disposition::Forward {
                target: target.clone(),
                reason: ForwardReason::Always,
            };
        }
        if self.dnd {
            return match &self.forward_busy {
                Some(target) => Disposition::Forward {
                    target: target.clone(),
                    reason: ForwardReason::Busy,
                },
                None => Disposition::Reject(self.dnd_status),
            };
        }
        let asked = asked_answer_after.filter(|_| self.auto_answer_when_asked);
        let auto_answer = match (self.auto_answer, asked) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Disposition::Ring {
            forward_unanswered: self.forward_no_answer.as_ref().map(|t| {
                (
                    Duration::from_secs(u64::from(self.forward_no_answer_after)),
                    t.clone(),
                )
            }),
            auto_answer: auto_answer.map(|s| Duration::from_secs(u64::from(s))),
        }
    }

    /// The user refused a ringing call with `status`: where it goes instead
    /// (busy forwarding applies to 486 and 600 only).
    pub fn on_refused(&self, status: u16) -> Option<&str> {
        matches!(status, 486 | 600)
            .then_some(self.forward_busy.as_deref())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Disposition {
        Disposition::Ring {
            forward_unanswered: None,
            auto_answer: None,
        }
    }

    #[test]
    fn by_default_calls_ring_and_nothing_else() {
        let h = CallHandling::default();
        assert_eq!(h.on_incoming(None), ring());
        assert_eq!(h.on_incoming(Some(0)), ring(), "answer-after ignored");
        assert_eq!(h.on_refused(486), None);
        assert!(h.validate().is_ok());
    }

    #[test]
    fn forwarding_always_wins_then_dnd_then_ringing() {
        let mut h = CallHandling {
            dnd: true,
            forward_always: Some("sip:desk@example.com".into()),
            forward_busy: Some("sip:voicemail@example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            h.on_incoming(None),
            Disposition::Forward {
                target: "sip:desk@example.com".into(),
                reason: ForwardReason::Always
            }
        );
        h.forward_always = None;
        assert_eq!(
            h.on_incoming(None),
            Disposition::Forward {
                target: "sip:voicemail@example.com".into(),
                reason: ForwardReason::Busy
            }
        );
        h.forward_busy = None;
        h.dnd_status = 480;
        assert_eq!(h.on_incoming(None), Disposition::Reject(480));
        h.dnd = false;
        assert_eq!(h.on_incoming(None), ring());
    }

    #[test]
    fn unanswered_and_auto_answered_calls() {
        let h = CallHandling {
            forward_no_answer: Some("1234".into()),
            forward_no_answer_after: 15,
            auto_answer_when_asked: true,
            ..Default::default()
        };
        assert_eq!(
            h.on_incoming(Some(2)),
            Disposition::Ring {
                forward_unanswered: Some((Duration::from_secs(15), "1234".into())),
                auto_answer: Some(Duration::from_secs(2)),
            }
        );
        let h = CallHandling {
            auto_answer: Some(5),
            auto_answer_when_asked: true,
            ..Default::default()
        };
        assert_eq!(
            h.on_incoming(Some(1)),
            Disposition::Ring {
                forward_unanswered: None,
                auto_answer: Some(Duration::from_secs(1)),
            },
            "the sooner of the two"
        );
        assert_eq!(
            h.on_incoming(None),
            Disposition::Ring {
                forward_unanswered: None,
                auto_answer: Some(Duration::from_secs(5)),
            }
        );
    }

    #[test]
    fn refusing_as_busy_forwards_when_set_and_bad_settings_are_named() {
        let h = CallHandling {
            forward_busy: Some("sip:vm@example.com".into()),
            ..Default::default()
        };
        assert_eq!(h.on_refused(486), Some("sip:vm@example.com"));
        assert_eq!(h.on_refused(603), None, "a decline is not busy");
        let bad = CallHandling {
            dnd_status: 200,
            ..Default::default()
        };
        assert!(bad.validate().unwrap_err().contains("dnd_status"));
        let empty = CallHandling {
            forward_busy: Some(" ".into()),
            ..Default::default()
        };
        assert!(empty.validate().unwrap_err().contains("forward_busy"));
    }
}
