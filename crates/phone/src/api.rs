//! The phone API: what the app, the CLI and the local API see. Commands go in
//! through [`crate::Engine`]; everything that happens comes out as [`PhoneEvent`].

use serde::Serialize;

/// A call, as numbered by the engine (stable for the engine's lifetime).
pub type CallId = u64;

/// What a call-control device does and shows, as it happens: the live view of
/// the app's Devices page (`Engine::device_activity`), the same data as
/// `hookswitch hid-monitor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PhoneEvent {
    /// The engine is listening for SIP on this address.
    Ready {
        sip: String,
    },
    /// The address peers reach us at changed: `cause` is "stun" (the NAT's
    /// public address, learnt or changed) or "network" (our local address
    /// moved). Registrations are renewed with it.
    AddressChanged {
        sip: String,
        /// The address our SDP names for media.
        media: String,
        cause: String,
    },
    Registration {
        account: String,
        /// "registering", "registered", "unregistered" or "failed".
        state: String,
        detail: Option<String>,
        /// The registrar's final answer when it failed with one (401, 403,
        /// 404, ...); `None` when none came (unreachable, TLS refused).
        #[serde(skip_serializing_if = "Option::is_none")]
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
    /// (`reason` "dnd", `status` 486 or 480) or forwarded (302) to
    /// `forwarded_to` ("always", "busy", "no-answer"). `Ended` follows.
    Deflected {
        call: CallId,
        from: String,
        account: Option<String>,
        reason: String,
        forwarded_to: Option<String>,
        status: u16,
    },
    /// How the transfer we asked for goes (`Engine::transfer`): the status of
    /// the peer's call to the target; when `done` with a 2xx, our call ends.
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
    /// Do-not-disturb of an account (`None`: calls to no account) is on or off.
    Dnd {
        account: Option<String>,
        on: bool,
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
    /// Digits typed on a device's keypad after lifting it: `done` when dialing
    /// ended (dialed, or given up with no digits).
    Dialing {
        digits: String,
        done: bool,
    },
    /// A call-control device was plugged in (`change` "added", with its
    /// profile in `detail`), unplugged ("removed"), or found but not usable
    /// ("unusable": `name` is its path, `detail` says what to do, `problem`
    /// why). An unusable one unplugged is "removed" with no `device` and its
    /// path as `name`.
    Device {
        device: Option<u64>,
        name: String,
        change: String,
        detail: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<hookswitch_devices::DeviceProblem>,
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
        direction: String,
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
        /// "local", "remote", "cancelled", "rejected", "timeout" or "failed".
        reason: String,
        status: Option<u16>,
        detail: Option<String>,
        /// Media figures at the end of the call.
        stats: Option<CallStats>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microphone_level_db: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speaker_level_db: Option<f64>,
}

/// A call as listed by `calls()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallSummary {
    pub call: CallId,
    pub outgoing: bool,
    pub remote: String,
    pub established: bool,
    /// On hold by us (or about to be: the hold waits for an offer to end).
    #[serde(default)]
    pub held: bool,
}

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
    #[error("the call cannot do that now")]
    WrongState,
    #[error("audio: {0}")]
    Audio(String),
    #[error("the engine has stopped")]
    Stopped,
    #[error("{0}")]
    Config(String),
}
