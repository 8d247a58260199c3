//! What happens, as it happens: the events every face (CLI, window, tray,
//! local API) receives. Folded in order they give [`crate::PhoneState`].
//! Kinds of things are enums, serialised as the words the JSON has always
//! carried ("registered", "sendonly", "no-answer").

use serde::{Deserialize, Serialize};

use crate::call_handling::ForwardReason;

/// A call, as numbered by the engine (stable for the engine's lifetime).
pub type CallId = u64;

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RegistrationPhase {
    Registering,
    Registered,
    Unregistered,
    Failed,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum EndReason {
    /// We hung up (or refused it).
    Local,
    /// The other side hung up.
    Remote,
    /// The caller gave up before it was answered.
    Cancelled,
    /// The other side (or the network) refused it with a status.
    Rejected,
    /// Nothing answered.
    Timeout,
    /// It could not go on here (no sound device, no media port): `detail` says why.
    Failed,
}

/// Why an incoming call was not rung: refused under DND, or forwarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DeflectReason {
    Dnd,
    Always,
    Busy,
    NoAnswer,
}

impl From<ForwardReason> for DeflectReason {
    fn from(r: ForwardReason) -> Self {
        match r {
            ForwardReason::Always => DeflectReason::Always,
            ForwardReason::Busy => DeflectReason::Busy,
            ForwardReason::NoAnswer => DeflectReason::NoAnswer,
        }
    }
}

/// Why the address peers reach us at changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AddressCause {
    /// The NAT's public address, learnt or changed.
    Stun,
    /// Our local address moved (another network).
    Network,
}

/// Which way media flows in a call, as the last offer/answer said
/// (RFC 3264's attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum MediaDirection {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl From<hookswitch_media::sdp::Direction> for MediaDirection {
    fn from(d: hookswitch_media::sdp::Direction) -> Self {
        use hookswitch_media::sdp::Direction;
        match d {
            Direction::SendRecv => MediaDirection::SendRecv,
            Direction::SendOnly => MediaDirection::SendOnly,
            Direction::RecvOnly => MediaDirection::RecvOnly,
            Direction::Inactive => MediaDirection::Inactive,
        }
    }
}

/// What happened to a call-control device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeviceChange {
    Added,
    Removed,
    Unusable,
}

/// `as_str` and `Display` for an enum of words: the names its JSON carries.
macro_rules! words {
    ($t:ty { $($v:ident => $w:literal),+ $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(<$t>::$v => $w,)+
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

words!(RegistrationPhase {
    Registering => "registering",
    Registered => "registered",
    Unregistered => "unregistered",
    Failed => "failed",
});
words!(EndReason {
    Local => "local",
    Remote => "remote",
    Cancelled => "cancelled",
    Rejected => "rejected",
    Timeout => "timeout",
    Failed => "failed",
});
words!(DeflectReason {
    Dnd => "dnd",
    Always => "always",
    Busy => "busy",
    NoAnswer => "no-answer",
});
words!(AddressCause {
    Stun => "stun",
    Network => "network",
});
words!(MediaDirection {
    SendRecv => "sendrecv",
    SendOnly => "sendonly",
    RecvOnly => "recvonly",
    Inactive => "inactive",
});
words!(DeviceChange {
    Added => "added",
    Removed => "removed",
    Unusable => "unusable",
});

/// The `detail` of the `Presence` event that starts a contact's watch
/// (before anything is known of them).
pub const WATCH_STARTED: &str = "asking";

/// Where a person stands (presence, RFC 3863/4480), ours or a contact's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Availability {
    #[default]
    Available,
    Away,
    Busy,
    Dnd,
    OnThePhone,
    Offline,
    /// Not known: no presence server, not yet told, or not allowed to see.
    Unknown,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Away => "away",
            Availability::Busy => "busy",
            Availability::Dnd => "dnd",
            Availability::OnThePhone => "on-the-phone",
            Availability::Offline => "offline",
            Availability::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for Availability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "available" | "online" => Availability::Available,
            "away" => Availability::Away,
            "busy" => Availability::Busy,
            "dnd" | "do-not-disturb" => Availability::Dnd,
            "on-the-phone" => Availability::OnThePhone,
            "offline" | "invisible" => Availability::Offline,
            other => {
                return Err(format!(
                    "{other:?}: one of available, away, busy, dnd, on-the-phone, offline"
                ));
            }
        })
    }
}

/// What a busy lamp shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum LampPhase {
    Idle,
    Ringing,
    Busy,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PhoneEvent {
    /// The engine is listening for SIP on this address.
    Ready {
        sip: String,
    },
    /// The address peers reach us at changed. Registrations are renewed with it.
    AddressChanged {
        sip: String,
        /// The address our SDP names for media.
        media: String,
        cause: AddressCause,
    },
    Registration {
        account: String,
        state: RegistrationPhase,
        detail: Option<String>,
        /// The registrar's final answer when it failed with one (401, 403,
        /// 404, ...); `None` when none came (unreachable, TLS refused).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        status: Option<u16>,
    },
    IncomingCall {
        call: CallId,
        from: String,
        to: String,
        account: Option<String>,
        /// Seconds after which the caller asked us to auto-answer (Call-Info).
        answer_after: Option<u32>,
        /// An attended transfer's call that takes the place of this call of
        /// ours: it is answered at once and the replaced call ends.
        replaces: Option<CallId>,
    },
    /// We are placing a call (from the app, the CLI, a device or a transfer).
    Calling {
        call: CallId,
        to: String,
        account: Option<String>,
    },
    /// Our outgoing call progresses (180 Ringing, 183 Session Progress).
    Progress {
        call: CallId,
        status: u16,
        reason: String,
    },
    /// The call is up; media flows.
    Established {
        call: CallId,
        codec: String,
        remote_media: Option<String>,
        /// The SRTP suite when the media is encrypted, e.g. "AES_CM_128_HMAC_SHA1_80".
        encryption: Option<String>,
    },
    /// An incoming call was not rung, or stopped ringing: refused under DND
    /// (`status` 486 or 480) or forwarded (302) to `forwarded_to`. `Ended` follows.
    Deflected {
        call: CallId,
        from: String,
        account: Option<String>,
        reason: DeflectReason,
        forwarded_to: Option<String>,
        status: u16,
    },
    /// How the transfer we asked for goes: the status of the peer's call to
    /// the target; when `done` with a 2xx, our call ends.
    TransferProgress {
        call: CallId,
        status: u16,
        done: bool,
    },
    /// The peer of `call` transferred us: we are calling `target` as
    /// `new_call` (its own events follow).
    Transferring {
        call: CallId,
        new_call: CallId,
        target: String,
    },
    /// We put the call on hold, or resumed it (our microphone stops or starts
    /// at once; `HoldFailed` follows if the peer refuses).
    Held {
        call: CallId,
        held: bool,
    },
    /// The microphone of the call was muted or unmuted.
    Muted {
        call: CallId,
        muted: bool,
    },
    /// The call's earpiece or microphone level changed (percent).
    Volume {
        call: CallId,
        speaker_percent: Option<u16>,
        microphone_percent: Option<u16>,
    },
    /// Do-not-disturb of a call-handling table: an account's own
    /// (`account`), or the shared one (`None`: calls to no account and
    /// accounts without a table of their own).
    Dnd {
        account: Option<String>,
        on: bool,
    },
    /// One kind of forwarding of a call-handling table (as for `Dnd`) was
    /// set (`target`) or cleared.
    Forwarding {
        account: Option<String>,
        when: ForwardReason,
        target: Option<String>,
    },
    /// The microphone, speaker and ring device of calls answered or placed
    /// from a device or a face without their own sound ("auto", "default", a
    /// device's name, "none"; no ring device: none).
    SoundDevices {
        microphone: String,
        speaker: String,
        ring_device: Option<String>,
    },
    /// Voicemail: the box of `account` (`None`: a NOTIFY for no account of
    /// ours) has new messages (`waiting`), with the counts when the PBX
    /// gives them. The devices' Message Waiting LED follows.
    MessageWaiting {
        account: Option<String>,
        waiting: bool,
        new: Option<u32>,
        old: Option<u32>,
    },
    /// An account's credit at its provider, as last read; `error`: why the
    /// latest check failed (the amount is then the one before); `low`:
    /// under the account's `low`.
    Balance {
        account: String,
        amount: Option<f64>,
        currency: String,
        low: bool,
        error: Option<String>,
    },
    /// An instant message for us (RFC 3428), text only: `from` is the
    /// sender's address, `name` the display name they gave.
    Message {
        from: String,
        name: Option<String>,
        account: Option<String>,
        text: String,
    },
    /// The other side is typing (`active`) or stopped (RFC 3994); an
    /// `active` lapses after `refresh` seconds without another.
    Composing {
        from: String,
        account: Option<String>,
        active: bool,
        refresh: u32,
    },
    /// We sent message `message` to `to` (the address it went to);
    /// `MessageDelivered` or `MessageFailed` follows.
    MessageSent {
        message: u64,
        to: String,
        account: Option<String>,
        text: String,
    },
    /// The other side (or its server) took message `message` (a 2xx).
    MessageDelivered {
        message: u64,
    },
    /// Message `message` was refused (`status`), got no answer (408), or
    /// could not be sent (503), for `reason`.
    MessageFailed {
        message: u64,
        status: u16,
        reason: String,
    },
    /// Our own presence as published: what we chose (`chosen`, with the
    /// note), and what shows after the automatic rules (in a call, DND,
    /// idle).
    OwnPresence {
        availability: Availability,
        chosen: Availability,
        note: Option<String>,
    },
    /// A watched contact's presence (`target` as watched), or why it is not
    /// known (`detail`: pending, refused, no presence server...).
    Presence {
        target: String,
        availability: Availability,
        note: Option<String>,
        detail: Option<String>,
    },
    /// A busy lamp: `extension` of `account` is idle, ringing (from
    /// `caller` when the PBX says), busy, or unknown (`detail` says why).
    Lamp {
        account: String,
        extension: String,
        lamp: LampPhase,
        caller: Option<String>,
        detail: Option<String>,
    },
    /// The call is being recorded to `path`; or it stopped (`path` none),
    /// or could not start (`error`).
    Recording {
        call: CallId,
        path: Option<String>,
        error: Option<String>,
    },
    /// The address book knows the other party of `call`: `name`, from
    /// `source` (the book's name, or "LDAP"). Comes after the call rang or
    /// was placed, never holding it up.
    CallerIdentified {
        call: CallId,
        name: String,
        source: String,
    },
    /// The calls mixed in our conference now (empty: it is over).
    Conference {
        calls: Vec<CallId>,
    },
    /// A contact is no longer watched.
    Unwatched {
        target: String,
    },
    /// Digits typed on a device's keypad after lifting it: `done` when dialing
    /// ended (dialed, or given up with no digits).
    Dialing {
        digits: String,
        done: bool,
    },
    /// A call-control device was plugged in (with its profile in `detail`),
    /// unplugged, or found but not usable (`name` is its path, `detail` says
    /// what to do, `problem` why). An unusable one unplugged is `removed`
    /// with no `device` and its path as `name`.
    Device {
        device: Option<u64>,
        name: String,
        change: DeviceChange,
        detail: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        problem: Option<hookswitch_devices::DeviceProblem>,
        /// What an added device is (a headset or a busylight).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        kind: Option<hookswitch_devices::DeviceKind>,
    },
    /// A device's button asks for the window to come forward (the app
    /// raises it; other faces may do what they like).
    WindowWanted,
    /// What every call-control device shows now (its LEDs and ringer).
    Leds {
        leds: hookswitch_hid::DeviceState,
    },
    /// The call device buttons act on (PHONE-BEHAVIOUR.md's focused call).
    Focus {
        call: Option<CallId>,
    },
    /// The peer refused our hold (`held`) or resume: the call stays as it was.
    HoldFailed {
        call: CallId,
        held: bool,
        status: u16,
    },
    /// The session changed after a re-INVITE or UPDATE (hold, resume).
    MediaUpdated {
        call: CallId,
        direction: MediaDirection,
    },
    DtmfReceived {
        call: CallId,
        key: char,
    },
    /// The file being played into the call has ended.
    PlaybackFinished {
        call: CallId,
    },
    Ended {
        call: CallId,
        reason: EndReason,
        status: Option<u16>,
        detail: Option<String>,
        /// Media figures at the end of the call.
        stats: Option<CallStats>,
    },
}

impl PhoneEvent {
    /// The call an event is about, if it is about one.
    pub fn call(&self) -> Option<CallId> {
        match self {
            PhoneEvent::IncomingCall { call, .. }
            | PhoneEvent::Calling { call, .. }
            | PhoneEvent::Progress { call, .. }
            | PhoneEvent::Established { call, .. }
            | PhoneEvent::Deflected { call, .. }
            | PhoneEvent::TransferProgress { call, .. }
            | PhoneEvent::Transferring { call, .. }
            | PhoneEvent::Held { call, .. }
            | PhoneEvent::Muted { call, .. }
            | PhoneEvent::Volume { call, .. }
            | PhoneEvent::HoldFailed { call, .. }
            | PhoneEvent::MediaUpdated { call, .. }
            | PhoneEvent::DtmfReceived { call, .. }
            | PhoneEvent::PlaybackFinished { call }
            | PhoneEvent::Recording { call, .. }
            | PhoneEvent::CallerIdentified { call, .. }
            | PhoneEvent::Ended { call, .. } => Some(*call),
            PhoneEvent::Ready { .. }
            | PhoneEvent::AddressChanged { .. }
            | PhoneEvent::Registration { .. }
            | PhoneEvent::Dnd { .. }
            | PhoneEvent::Forwarding { .. }
            | PhoneEvent::SoundDevices { .. }
            | PhoneEvent::MessageWaiting { .. }
            | PhoneEvent::Message { .. }
            | PhoneEvent::Composing { .. }
            | PhoneEvent::MessageSent { .. }
            | PhoneEvent::MessageDelivered { .. }
            | PhoneEvent::MessageFailed { .. }
            | PhoneEvent::OwnPresence { .. }
            | PhoneEvent::Presence { .. }
            | PhoneEvent::Unwatched { .. }
            | PhoneEvent::Lamp { .. }
            | PhoneEvent::Conference { .. }
            | PhoneEvent::Balance { .. }
            | PhoneEvent::Dialing { .. }
            | PhoneEvent::Device { .. }
            | PhoneEvent::Leds { .. }
            | PhoneEvent::WindowWanted
            | PhoneEvent::Focus { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CallStats {
    pub packets_sent: u64,
    pub packets_received: u64,
    pub concealed_frames: u64,
    pub late_packets: u64,
    pub dtmf_sent: u64,
    pub dtmf_received: u64,
    /// RTP packets of the peer's that never arrived (RFC 3550 A.3).
    pub packets_lost: u64,
    pub loss_percent: f64,
    /// Interarrival jitter (RFC 3550 A.8), ms.
    pub jitter_ms: f64,
    /// Round trip from the peer's RTCP reports, when it sent any about us.
    pub rtt_ms: Option<f64>,
    /// The E-model's estimate (ITU-T G.107), 1 to 4.5.
    pub mos: f64,
    /// Lost frames the codec rebuilt (Opus FEC or concealment).
    pub codec_concealed_frames: u64,
    /// How the peer hears us, from its RTCP-XR VoIP metrics: its loss (%),
    /// its own delay (ms) and its MOS, when it sends them.
    pub remote_loss_percent: Option<f64>,
    pub remote_end_system_delay_ms: Option<f64>,
    pub remote_mos: Option<f64>,
    /// The SRTP suite when the media is encrypted.
    pub encryption: Option<String>,
    /// Encrypted packets dropped: failed authentication, replays, wrong key.
    pub srtp_refused: u64,
    /// The level meters (dBFS, -60 to 0, peak with a slow fall) of what the
    /// other side hears from us and what we hear, while the call runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub microphone_level_db: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub speaker_level_db: Option<f64>,
}

impl CallStats {
    /// What a call's media session has seen and estimated so far.
    pub fn of(session: &hookswitch_media::MediaSession) -> CallStats {
        let q = session.quality();
        let s = session.stats();
        CallStats {
            packets_sent: s.packets_sent,
            packets_received: s.packets_received,
            concealed_frames: s.jitter.concealed,
            late_packets: s.jitter.late,
            dtmf_sent: s.dtmf_sent,
            dtmf_received: s.dtmf_received,
            packets_lost: q.packets_lost,
            loss_percent: q.loss_percent,
            jitter_ms: q.jitter_ms,
            rtt_ms: q.rtt_ms,
            mos: q.mos,
            codec_concealed_frames: s.codec_concealed,
            remote_loss_percent: q.remote.as_ref().map(|r| r.loss_percent),
            remote_end_system_delay_ms: q.remote.as_ref().map(|r| r.end_system_delay_ms),
            remote_mos: q.remote.as_ref().and_then(|r| r.mos),
            encryption: session.srtp_suite().map(str::to_string),
            srtp_refused: s.srtp_refused,
            microphone_level_db: None,
            speaker_level_db: None,
        }
    }
}

/// What a call-control device does and shows, as it happens: the live view of
/// the app's Devices page (`Engine::device_activity`), the same data as
/// `hookswitch hid-monitor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceActivity {
    /// A button or switch, decoded.
    Input {
        device: u64,
        input: hookswitch_hid::PhoneInput,
    },
    /// An output report written to it, and the state it shows.
    Shown {
        device: u64,
        report: String,
        leds: hookswitch_hid::DeviceState,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words `Display` gives are the words the JSON carries.
    #[test]
    fn words_are_the_json_names() {
        let json = |v: serde_json::Value| v.as_str().map(str::to_string);
        for d in [
            MediaDirection::SendRecv,
            MediaDirection::SendOnly,
            MediaDirection::RecvOnly,
            MediaDirection::Inactive,
        ] {
            assert_eq!(json(serde_json::json!(d)).as_deref(), Some(d.as_str()));
        }
        for r in [
            DeflectReason::Dnd,
            DeflectReason::Always,
            DeflectReason::Busy,
            DeflectReason::NoAnswer,
        ] {
            assert_eq!(json(serde_json::json!(r)).as_deref(), Some(r.as_str()));
        }
        for r in [
            EndReason::Local,
            EndReason::Remote,
            EndReason::Cancelled,
            EndReason::Rejected,
            EndReason::Timeout,
            EndReason::Failed,
        ] {
            assert_eq!(json(serde_json::json!(r)).as_deref(), Some(r.as_str()));
        }
        for p in [
            RegistrationPhase::Registering,
            RegistrationPhase::Registered,
            RegistrationPhase::Unregistered,
            RegistrationPhase::Failed,
        ] {
            assert_eq!(json(serde_json::json!(p)).as_deref(), Some(p.as_str()));
        }
        for c in [
            DeviceChange::Added,
            DeviceChange::Removed,
            DeviceChange::Unusable,
        ] {
            assert_eq!(json(serde_json::json!(c)).as_deref(), Some(c.as_str()));
        }
        for c in [AddressCause::Stun, AddressCause::Network] {
            assert_eq!(json(serde_json::json!(c)).as_deref(), Some(c.as_str()));
        }
    }
}
