//! Building requests and responses (RFC 3261 sections 8.1.1 and 8.2.6).

use rand::{Rng, RngExt};

use crate::message::{HeaderName, Request, Response};

/// Methods this UA understands, for Allow headers.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, PRACK";
/// The same with MESSAGE, for a UA that takes instant messages.
pub const ALLOW_WITH_MESSAGE: &str =
    "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY, PRACK, MESSAGE";

impl super::UserAgent {
    /// Our Allow header: MESSAGE only when we take messages (RFC 3261 20.5).
    pub(super) fn allow(&self) -> &'static str {
        if self.cfg.accept_messages != super::AcceptMessages::No {
            ALLOW_WITH_MESSAGE
        } else {
            ALLOW
        }
    }
}

pub fn user_agent() -> String {
    format!("Hookswitch/{}", env!("CARGO_PKG_VERSION"))
}

/// A random From/To tag.
pub fn new_tag(rng: &mut impl Rng) -> String {
    format!("{:012x}", rng.random::<u64>() & 0xffff_ffff_ffff)
}

/// A random Call-ID, `<random>@<host>`.
pub fn new_call_id(rng: &mut impl Rng, host: &str) -> String {
    format!("{:032x}@{host}", rng.random::<u128>())
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "Version Not Supported",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "Unknown",
    }
}

/// A response to `req`: Via, From, Call-ID and CSeq copied, To copied with our tag
/// added if it has none, and Record-Route copied for dialog-creating answers.
pub fn response_to(req: &Request, status: u16, to_tag: Option<&str>) -> Response {
    let mut resp = Response {
        status,
        reason: reason_phrase(status).to_string(),
        headers: Default::default(),
        body: Vec::new(),
    };
    for v in req.headers.get_all(&HeaderName::Via) {
        resp.headers.push(HeaderName::Via, v);
    }
    for name in [
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        if let Some(v) = req.headers.get(&name) {
            let mut v = v.to_string();
            if name == HeaderName::To
                && status != 100
                && let Some(tag) = to_tag
                && let Some(mut to) = req.headers.to_addr()
                && to.tag().is_none()
            {
                to = to.with_tag(tag);
                v = to.to_string();
            }
            resp.headers.push(name, v);
        }
    }
    if (101..300).contains(&status) {
        for v in req.headers.get_all(&HeaderName::RecordRoute) {
            resp.headers.push(HeaderName::RecordRoute, v);
        }
    }
    resp.headers.push(HeaderName::Server, user_agent());
    resp
}
