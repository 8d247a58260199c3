//! What the UA tells its user (the phone): registrations and calls changing state.

use crate::message::NameAddr;

/// Index of an account in the UA's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub usize);

/// A call handle; not the SIP Call-ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "call-{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// REGISTER sent, no final answer yet.
    Registering,
    /// The registrar accepted; the binding lasts `expires` seconds.
    Registered { expires: u32 },
    /// Expires 0 was accepted (or there was nothing to remove).
    Unregistered,
    /// The registrar refused or did not answer; a retry is scheduled in `retry_in`
    /// seconds unless the failure is final (wrong password).
    Failed {
        status: Option<u16>,
        reason: String,
        retry_in: Option<u32>,
    },
}

/// Why a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// We hung up (BYE or CANCEL sent).
    Local,
    /// The peer sent BYE.
    Remote,
    /// The peer cancelled before we answered.
    Cancelled,
    /// We or the peer rejected the call with this status.
    Rejected { status: u16, reason: String },
    /// No answer from the network (timer B, H, or the 2xx never ACKed).
    Timeout,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Registration {
        account: AccountId,
        state: RegistrationState,
    },
    /// A new incoming call. It has been answered with 100 Trying; the user answers
    /// with `ring`, `answer` or `reject`.
    IncomingCall {
        call: CallId,
        account: Option<AccountId>,
        from: Box<NameAddr>,
        to: Box<NameAddr>,
        /// The SDP offer, if the INVITE carried one.
        offer: Option<Vec<u8>>,
        /// `Call-Info: ...;answer-after=N` or similar, for auto-answer.
        answer_after: Option<u32>,
        /// It came from an address a registrar (or the outbound proxy in front
        /// of it) accepted one of our registrations from: not a scanner's.
        via_registrar: bool,
        /// It replaces this call of ours (attended transfer, RFC 3891): answer
        /// it and end that one.
        replaces: Option<CallId>,
    },
    /// Our outgoing call progresses (180 Ringing, 183 Session Progress).
    Progress {
        call: CallId,
        status: u16,
        reason: String,
        /// Early media SDP answer, if any.
        sdp: Option<Vec<u8>>,
    },
    /// The call is up: for outgoing calls when the 2xx arrived (ACK sent), for
    /// incoming ones when the ACK arrived. `sdp` is the peer's answer (outgoing) or
    /// SDP carried in the ACK (incoming, offerless INVITE).
    Established {
        call: CallId,
        sdp: Option<Vec<u8>>,
    },
    /// The peer sent a new offer (re-INVITE or UPDATE); the user answers it with
    /// `answer_offer`. `None`: an offerless re-INVITE, the user sends an offer.
    RemoteOffer {
        call: CallId,
        sdp: Option<Vec<u8>>,
    },
    /// Our offer was answered: by the 2xx to our re-INVITE, or by the ACK
    /// to our 2xx that offered (the peer's re-INVITE had no offer).
    OfferAnswered {
        call: CallId,
        sdp: Option<Vec<u8>>,
    },
    /// Our re-INVITE was refused; the session stays as it was.
    OfferRejected {
        call: CallId,
        status: u16,
    },
    /// An INFO in the dialog (e.g. application/dtmf-relay).
    Info {
        call: CallId,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// The peer asks us to call `target` instead (REFER, accepted with 202).
    /// `replaces`: the dialog the new call replaces (attended transfer). Report
    /// the new call with `notify_transfer`.
    TransferRequested {
        call: CallId,
        target: crate::message::Uri,
        replaces: Option<String>,
        referred_by: Option<String>,
    },
    /// How the transfer we asked for goes: the new call's status (NOTIFY
    /// sipfrag), or the REFER's refusal; `done` when there is no more to come.
    TransferProgress {
        call: CallId,
        status: u16,
        done: bool,
    },
    Ended {
        call: CallId,
        reason: EndReason,
    },
    /// An instant message for us (RFC 3428), answered 200; `content_type` is
    /// text/plain or application/im-iscomposing+xml (RFC 3994).
    MessageReceived {
        account: Option<AccountId>,
        from: Box<NameAddr>,
        content_type: String,
        body: Vec<u8>,
    },
    /// Our message got a 2xx.
    MessageDelivered {
        id: super::MessageId,
    },
    /// Our message was refused (`status`), got no answer (408), or could
    /// not be sent (503, with why).
    MessageFailed {
        id: super::MessageId,
        status: u16,
        reason: String,
    },
    /// A NOTIFY in subscription `id` (RFC 6665): the subscription's state,
    /// and the body (presence, dialog-info...) for its reader.
    Notified {
        id: super::SubscriptionId,
        state: super::SubscriptionState,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// Subscription `id` ended: `retrying` when it is being made anew (after
    /// a back-off, or at once), else given up for good (`reason` says why).
    SubscriptionEnded {
        id: super::SubscriptionId,
        reason: String,
        retrying: bool,
    },
    /// How publication `id` stands: taken by the server (`published`), or
    /// not (`detail` says why, and whether it is tried again).
    PublicationState {
        id: super::PublicationId,
        published: bool,
        detail: String,
    },
    /// A voicemail box's state (RFC 3842), for `account` when the NOTIFY
    /// names one of ours.
    MessageWaiting {
        account: Option<AccountId>,
        summary: super::mwi::MessageSummary,
    },
}
