//! The one vocabulary of verbs: every face (the window, the tray, the hot
//! key, `hookswitch`, the control socket, a device's buttons) asks the phone
//! for something with an [`Action`] and gets a [`Reply`] or an
//! [`crate::EngineError`]. The JSON form (`{"cmd": "call", "target": "1234"}`)
//! is what the control socket and the window send.

use serde::{Deserialize, Serialize};

use crate::audio::AudioSpec;
use crate::call_handling::ForwardReason;
use crate::event::{CallId, CallStats};
use crate::state::PhoneState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Place a call. `target`: a number or name, `user@host`, a `sip:`,
    /// `sips:` or `tel:` URI, or `echo` (the built-in echo test). Without
    /// `account` the default-account rule picks one (docs: "Which account a
    /// call goes from"). Calls we talk on are held first. `audio`: files or
    /// devices of this call's own (scripts); none: the phone's sound devices.
    Call {
        target: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(skip))]
        #[cfg_attr(feature = "schema", schemars(skip))]
        audio: Option<AudioSpec>,
    },
    /// Answer a ringing call (calls we talk on are held first). It either
    /// connects with its sound or stays ringing and says why not.
    Answer {
        call: CallId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(skip))]
        #[cfg_attr(feature = "schema", schemars(skip))]
        audio: Option<AudioSpec>,
    },
    /// The one key of a hot key or a foot pedal: answer the ringing call,
    /// else hang up.
    AnswerOrHangUp,
    /// Refuse a ringing call (486 by default; forwarded instead when busy
    /// forwarding is set and the status is busy).
    Reject {
        call: CallId,
        #[serde(default = "busy")]
        #[cfg_attr(feature = "ts", ts(optional, as = "Option<u16>"))]
        #[cfg_attr(feature = "schema", schemars(range(min = 400, max = 699)))]
        status: u16,
    },
    /// Hang up one call, or every call.
    Hangup {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        call: Option<CallId>,
    },
    /// Put a call on hold (`held`) or take it off.
    Hold {
        call: CallId,
        held: bool,
    },
    Mute {
        call: CallId,
        muted: bool,
    },
    /// Percent of the call's own level (100: unchanged, 0: silent, at most
    /// `audio::MAX_PERCENT`); a side left out stays as it is.
    Volume {
        call: CallId,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        #[cfg_attr(feature = "schema", schemars(range(max = 400)))]
        speaker: Option<u16>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        #[cfg_attr(feature = "schema", schemars(range(max = 400)))]
        microphone: Option<u16>,
    },
    Dtmf {
        call: CallId,
        #[cfg_attr(
            feature = "schema",
            schemars(regex(pattern = r"^[0-9*#A-Da-d]{1,64}$"))
        )]
        keys: String,
    },
    /// Blind transfer: the other side of `call` is asked to call `target`.
    Transfer {
        call: CallId,
        target: String,
    },
    /// Attended transfer: the other side of `call` takes our place in our
    /// other call `to_call` (REFER with Replaces).
    TransferAttended {
        call: CallId,
        to_call: CallId,
    },
    /// Record the call, both ways, to a stereo WAV file in the recording
    /// folder (`on`), or stop. `Recording` events say where, or why not.
    Record {
        call: CallId,
        on: bool,
    },
    /// Mix calls into one conference: `calls` (none: every connected
    /// call) join the members it has; a held one is resumed first.
    Merge {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        calls: Option<Vec<CallId>>,
    },
    /// We leave the conference: every leg ends, or (`[conference] leave =
    /// "connect"`, two others) they are connected to each other.
    LeaveConference,
    /// Do not disturb. No `account`: the whole phone (every table); with
    /// one: that account's own table.
    Dnd {
        on: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// Forward calls (`when`) to `target`, or stop (no target). No
    /// `account`: the shared table; with one: that account's own.
    Forward {
        when: ForwardReason,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        target: Option<String>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// The sound devices of calls from devices and faces: "auto", "default",
    /// a device's name or "none"; the ring device (none: no ring sound).
    /// Calls in progress keep theirs.
    SoundDevices {
        microphone: String,
        speaker: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        ring_device: Option<String>,
    },
    /// Send an instant message (RFC 3428, text/plain UTF-8) to `target`,
    /// chosen as for `Call` (a number goes through the default account).
    /// The reply comes once it is delivered (a 2xx); a refusal, no answer
    /// or a body UDP cannot carry is an error.
    Message {
        target: String,
        text: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// Tell `target` we are typing (`active`) or stopped (RFC 3994). Not
    /// kept or retried: the reply comes at once.
    Composing {
        target: String,
        active: bool,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// Our presence: what we choose (the automatic rules may show
    /// on-the-phone or DND over it), with a note (none: no note).
    Presence {
        availability: crate::event::Availability,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        note: Option<String>,
    },
    /// Watch a contact's presence (a number, name or SIP address, as a call
    /// takes it), through `account` or the first account with presence.
    Watch {
        target: String,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    Unwatch {
        target: String,
    },
    /// Pick up the call ringing at a busy lamp's extension: directed pickup
    /// (INVITE with Replaces, RFC 3891) when the PBX named the dialog, else
    /// the account's pickup prefix and the extension.
    /// No `extension`: the lamp that rings (a device's "pick up" button).
    Pickup {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        extension: Option<String>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// The desktop is idle (screen locked, no input for a while): away
    /// shows, until it is not.
    Idle {
        idle: bool,
    },
    /// Run a device's test: a busylight shows each presence colour and a
    /// flash, then the phone's state again. A device without a test is an
    /// error.
    TestDevice {
        device: u64,
    },
    /// Read the balance of `account` (none: of every account with a
    /// balance URL) now; `Balance` events say what it is.
    CheckBalance {
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        account: Option<String>,
    },
    /// A call's media figures so far.
    Stats {
        call: CallId,
    },
    /// The phone's state now.
    State,
}

fn busy() -> u16 {
    486
}

/// What an action gave back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Done,
    /// A call was placed.
    Call(CallId),
    /// The message (its number in `MessageSent`) was delivered.
    Message(u64),
    /// `answer_or_hang_up` answered this call.
    Answered(CallId),
    /// `answer_or_hang_up` hung up.
    HungUp,
    Stats(Box<CallStats>),
    State(Box<PhoneState>),
}
