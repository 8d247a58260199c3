//! SIP messages: the in-house model, parser and serialiser.
//!
//! Why in-house and not `rsip`: see docs/decisions.md (rsip accepted 20 of the 27
//! valid RFC 4475 messages and rejected 8 of the 22 invalid ones).

mod headers;
pub mod lex;
mod parse;
mod typed;
pub mod uri;

use std::fmt;

pub use headers::{Header, HeaderName, Headers};
pub use lex::Params;
pub use parse::{MAX_MESSAGE_SIZE, error_response, parse_datagram, parse_stream};
pub use typed::{CSeq, Contact, NameAddr, Via, parse_uint};
pub use uri::{SipUri, Uri};

/// Why a message could not be parsed. Every variant maps to how a user agent reacts
/// (see [`ParseError::status`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message is incomplete")]
    Incomplete,
    #[error("message is larger than {MAX_MESSAGE_SIZE} bytes")]
    TooLarge,
    #[error("syntax error: {0}")]
    Syntax(&'static str),
    #[error("SIP version not supported")]
    Version,
    #[error("invalid or conflicting Content-Length")]
    ContentLength,
    #[error("missing header: {0}")]
    MissingHeader(&'static str),
    #[error("header must appear once: {0}")]
    Duplicate(&'static str),
    #[error("CSeq method does not match the request method")]
    CSeqMismatch { unknown_method: bool },
}

impl ParseError {
    pub(crate) fn syntax(what: &'static str) -> Self {
        ParseError::Syntax(what)
    }

    /// The status a UA answers a malformed request with.
    pub fn status(&self) -> u16 {
        match self {
            ParseError::Version => 505,
            ParseError::CSeqMismatch {
                unknown_method: true,
            } => 501,
            ParseError::TooLarge => 513,
            _ => 400,
        }
    }
}

/// A request method. Methods are case-sensitive; anything not listed is `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Register,
    Options,
    Info,
    Update,
    Refer,
    Notify,
    Subscribe,
    Message,
    Prack,
    Publish,
    Other(String),
}

impl Method {
    pub fn from_wire(s: &str) -> Method {
        match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "MESSAGE" => Method::Message,
            "PRACK" => Method::Prack,
            "PUBLISH" => Method::Publish,
            other => Method::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Message => "MESSAGE",
            Method::Prack => "PRACK",
            Method::Publish => "PUBLISH",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    /// Headers in wire order. Content-Length is not stored: the body is the truth,
    /// and the serialiser writes it.
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

fn write_message(start_line: &str, headers: &Headers, body: &[u8]) -> Vec<u8> {
    use std::fmt::Write;
    let mut head = String::with_capacity(256 + headers.len() * 48);
    head.push_str(start_line);
    head.push_str("\r\n");
    for h in headers.iter() {
        let _ = write!(head, "{}: {}\r\n", h.name, h.value);
    }
    let _ = write!(head, "Content-Length: {}\r\n\r\n", body.len());
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

impl Request {
    pub fn new(method: Method, uri: Uri) -> Self {
        Request {
            method,
            uri,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        write_message(
            &format!("{} {} SIP/2.0", self.method, self.uri),
            &self.headers,
            &self.body,
        )
    }
}

impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        write_message(
            &format!("SIP/2.0 {} {}", self.status, self.reason),
            &self.headers,
            &self.body,
        )
    }

    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Typed accessors for the headers a UA relies on. A message from the parser has
/// all of them valid; one built by hand may not, hence `Option`.
impl Headers {
    pub fn vias(&self) -> Vec<Via> {
        self.values(&HeaderName::Via)
            .filter_map(|v| v.parse().ok())
            .collect()
    }

    pub fn top_via(&self) -> Option<Via> {
        self.values(&HeaderName::Via).next()?.parse().ok()
    }

    pub fn from_addr(&self) -> Option<NameAddr> {
        self.get(&HeaderName::From)?.parse().ok()
    }

    pub fn to_addr(&self) -> Option<NameAddr> {
        self.get(&HeaderName::To)?.parse().ok()
    }

    pub fn call_id(&self) -> Option<&str> {
        self.get(&HeaderName::CallId)
    }

    pub fn cseq(&self) -> Option<CSeq> {
        self.get(&HeaderName::CSeq)?.parse().ok()
    }

    pub fn contacts(&self) -> Vec<Contact> {
        self.values(&HeaderName::Contact)
            .filter_map(|v| v.parse().ok())
            .collect()
    }

    /// The URI of the first Contact that is an address (not `*`).
    pub fn contact_uri(&self) -> Option<Uri> {
        self.contacts().into_iter().find_map(|c| match c {
            Contact::Addr(a) => Some(a.uri),
            Contact::Star => None,
        })
    }

    /// Route or Record-Route entries, in order.
    pub fn route_set(&self, name: &HeaderName) -> Vec<NameAddr> {
        self.values(name).filter_map(|v| v.parse().ok()).collect()
    }

    pub fn expires(&self) -> Option<u32> {
        parse_uint(self.get(&HeaderName::Expires)?, u32::MAX.into()).map(|v| v as u32)
    }

    /// A 423's Min-Expires (RFC 3261 20.23).
    pub fn min_expires(&self) -> Option<u32> {
        parse_uint(self.get(&HeaderName::MinExpires)?, u32::MAX.into()).map(|v| v as u32)
    }

    pub fn content_type(&self) -> Option<&str> {
        self.get(&HeaderName::ContentType)
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}
