//! Framing (datagram and stream) and strict validation of SIP messages.

use super::lex::{is_token, is_ws, trim_ws};
use super::typed::{CSeq, Contact, NameAddr, Via, parse_uint, valid_date};
use super::{HeaderName, Headers, Message, Method, ParseError, Request, Response, Uri};

/// Largest message accepted, head and body together.
pub const MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// The unvalidated pieces of a message: what framing yields.
struct Raw<'a> {
    start_line: &'a str,
    headers: Headers,
    /// Content-Length values as written (several lines are a framing error).
    content_lengths: Vec<String>,
    body_start: usize,
}

/// Skips leading CRLFs (keep-alives and RFC 3261 section 7.5 tolerance).
fn skip_leading_crlf(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Splits the head into the start line and unfolded headers.
fn split_head(head: &str) -> Result<(&str, Headers, Vec<String>), ParseError> {
    let mut lines = head.split("\r\n");
    let start_line = lines.next().unwrap_or_default();
    // Unfold: a line that starts with white space continues the previous one.
    let mut unfolded: Vec<String> = Vec::new();
    for line in lines {
        if line.starts_with(is_ws) {
            let last = unfolded
                .last_mut()
                .ok_or(ParseError::syntax("continuation line before any header"))?;
            last.push(' ');
            last.push_str(trim_ws(line));
        } else {
            unfolded.push(line.to_string());
        }
    }
    let mut headers = Headers::new();
    let mut content_lengths = Vec::new();
    for line in unfolded {
        let colon = line
            .find(':')
            .ok_or(ParseError::syntax("header line without ':'"))?;
        let name = trim_ws(&line[..colon]);
        if !is_token(name) {
            return Err(ParseError::syntax("bad header name"));
        }
        let value = trim_ws(&line[colon + 1..]);
        match HeaderName::from_wire(name) {
            HeaderName::ContentLength => content_lengths.push(value.to_string()),
            other => headers.push(other, value),
        }
    }
    Ok((start_line, headers, content_lengths))
}

fn frame_head(buf: &[u8]) -> Result<Option<Raw<'_>>, ParseError> {
    let Some(end) = find_head_end(buf) else {
        return if buf.len() > MAX_MESSAGE_SIZE {
            Err(ParseError::TooLarge)
        } else {
            Ok(None)
        };
    };
    let head =
        std::str::from_utf8(&buf[..end]).map_err(|_| ParseError::syntax("head is not UTF-8"))?;
    let (start_line, headers, content_lengths) = split_head(head)?;
    Ok(Some(Raw {
        start_line,
        headers,
        content_lengths,
        body_start: end + 4,
    }))
}

/// The declared body length; several differing or non-numeric values are an error.
fn content_length(raw: &Raw<'_>) -> Result<Option<usize>, ParseError> {
    match raw.content_lengths.as_slice() {
        [] => Ok(None),
        [one] => parse_uint(one, MAX_MESSAGE_SIZE as u64 * 1024)
            .map(|v| Some(v as usize))
            .ok_or(ParseError::ContentLength),
        _ => Err(ParseError::ContentLength),
    }
}

/// Parses one UDP datagram. Without Content-Length the body is the rest of the
/// datagram (RFC 2543 style); with it, trailing octets are ignored and a body
/// shorter than declared is an error.
pub fn parse_datagram(buf: &[u8]) -> Result<Message, ParseError> {
    if buf.len() > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge);
    }
    let buf = &buf[skip_leading_crlf(buf)..];
    let raw = frame_head(buf)?.ok_or(ParseError::Incomplete)?;
    let available = buf.len() - raw.body_start;
    let body_len = match content_length(&raw)? {
        None => available,
        Some(n) if n <= available => n,
        Some(_) => return Err(ParseError::ContentLength),
    };
    let body = buf[raw.body_start..raw.body_start + body_len].to_vec();
    validate(raw, body)
}

/// Parses the next message from a stream buffer (TCP/TLS). Returns the message and
/// the bytes it used, `Ok(None)` when more bytes are needed, or an error after which
/// the connection cannot be resynchronised and should be closed.
pub fn parse_stream(buf: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let skip = skip_leading_crlf(buf);
    let rest = &buf[skip..];
    let Some(raw) = frame_head(rest)? else {
        return Ok(None);
    };
    let body_len = content_length(&raw)?.ok_or(ParseError::ContentLength)?;
    let total = raw.body_start + body_len;
    if total > MAX_MESSAGE_SIZE {
        return Err(ParseError::TooLarge);
    }
    if rest.len() < total {
        return Ok(None);
    }
    let body = rest[raw.body_start..total].to_vec();
    validate(raw, body).map(|m| Some((m, skip + total)))
}

fn once(headers: &Headers, name: HeaderName, label: &'static str) -> Result<(), ParseError> {
    match headers.count(&name) {
        0 => Err(ParseError::MissingHeader(label)),
        1 => Ok(()),
        _ => Err(ParseError::Duplicate(label)),
    }
}

fn at_most_once(
    headers: &Headers,
    name: HeaderName,
    label: &'static str,
) -> Result<(), ParseError> {
    if headers.count(&name) > 1 {
        Err(ParseError::Duplicate(label))
    } else {
        Ok(())
    }
}

/// Checks every header the UA depends on, so later code can trust the message.
fn validate_headers(headers: &Headers) -> Result<CSeq, ParseError> {
    once(headers, HeaderName::From, "From")?;
    once(headers, HeaderName::To, "To")?;
    once(headers, HeaderName::CallId, "Call-ID")?;
    once(headers, HeaderName::CSeq, "CSeq")?;
    at_most_once(headers, HeaderName::MaxForwards, "Max-Forwards")?;
    if headers.count(&HeaderName::Via) == 0 {
        return Err(ParseError::MissingHeader("Via"));
    }
    for via in headers.values(&HeaderName::Via) {
        via.parse::<Via>()?;
    }
    for name in [HeaderName::From, HeaderName::To] {
        headers.get(&name).unwrap_or_default().parse::<NameAddr>()?;
    }
    for name in [HeaderName::Route, HeaderName::RecordRoute] {
        for v in headers.values(&name) {
            v.parse::<NameAddr>()?;
        }
    }
    for c in headers.values(&HeaderName::Contact) {
        c.parse::<Contact>()?;
    }
    let call_id = headers.call_id().unwrap_or_default();
    if call_id.is_empty() || call_id.contains(char::is_whitespace) {
        return Err(ParseError::syntax("bad Call-ID"));
    }
    if let Some(mf) = headers.get(&HeaderName::MaxForwards)
        && parse_uint(mf, 255).is_none()
    {
        return Err(ParseError::syntax("bad Max-Forwards"));
    }
    if let Some(date) = headers.get(&HeaderName::Date)
        && !valid_date(date)
    {
        return Err(ParseError::syntax("bad Date"));
    }
    headers.get(&HeaderName::CSeq).unwrap_or_default().parse()
}

fn validate(raw: Raw<'_>, body: Vec<u8>) -> Result<Message, ParseError> {
    let Raw {
        start_line,
        headers,
        ..
    } = raw;
    if let Some(rest) = start_line.strip_prefix("SIP/") {
        // Status-Line: SIP/2.0 SP 3DIGIT SP Reason-Phrase
        let rest = rest.strip_prefix("2.0 ").ok_or(ParseError::Version)?;
        let code = rest
            .get(..3)
            .ok_or(ParseError::syntax("short status line"))?;
        if !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(ParseError::syntax("bad status code"));
        }
        let status: u16 = code
            .parse()
            .map_err(|_| ParseError::syntax("bad status code"))?;
        if !(100..=699).contains(&status) {
            return Err(ParseError::syntax("status code out of range"));
        }
        let reason = match &rest[3..] {
            "" => "",
            r => r
                .strip_prefix(' ')
                .ok_or(ParseError::syntax("bad status line"))?,
        };
        validate_headers(&headers)?;
        return Ok(Message::Response(Response {
            status,
            reason: reason.to_string(),
            headers,
            body,
        }));
    }
    // Request-Line: Method SP Request-URI SP SIP-Version, single spaces only.
    let parts: Vec<&str> = start_line.split(' ').collect();
    let [method, uri, version] = parts.as_slice() else {
        return Err(ParseError::syntax("bad request line"));
    };
    if !is_token(method) {
        return Err(ParseError::syntax("bad method"));
    }
    if *version != "SIP/2.0" {
        return Err(if version.starts_with("SIP/") {
            ParseError::Version
        } else {
            ParseError::syntax("bad request line")
        });
    }
    let uri: Uri = uri.parse()?;
    if uri.as_sip().is_some_and(|u| !u.headers.is_empty()) {
        return Err(ParseError::syntax(
            "headers are not allowed in a Request-URI",
        ));
    }
    let method = Method::from_wire(method);
    let cseq = validate_headers(&headers)?;
    if cseq.method != method.as_str() {
        return Err(ParseError::CSeqMismatch {
            unknown_method: matches!(method, Method::Other(_)),
        });
    }
    Ok(Message::Request(Request {
        method,
        uri,
        headers,
        body,
    }))
}

/// Builds the stateless answer to a request that failed to parse: 400, 505 or 501
/// with Via, From, To, Call-ID and CSeq copied as received. `None` when the bytes
/// are a response, or too broken to answer (no Via to route the answer by).
pub fn error_response(buf: &[u8], error: &ParseError) -> Option<Vec<u8>> {
    let buf = &buf[skip_leading_crlf(buf)..];
    let raw = frame_head(buf).ok().flatten()?;
    if raw.start_line.starts_with("SIP/") || raw.headers.count(&HeaderName::Via) == 0 {
        return None;
    }
    let mut headers = Headers::new();
    for name in [
        HeaderName::Via,
        HeaderName::From,
        HeaderName::To,
        HeaderName::CallId,
        HeaderName::CSeq,
    ] {
        for value in raw.headers.get_all(&name) {
            headers.push(name.clone(), value);
        }
    }
    let status = error.status();
    let reason = match status {
        505 => "Version Not Supported",
        501 => "Not Implemented",
        513 => "Message Too Large",
        _ => "Bad Request",
    };
    let mut response = Response {
        status,
        reason: reason.to_string(),
        headers,
        body: Vec::new(),
    };
    // Say what was wrong, for whoever reads the trace (RFC 3261 section 21.4.1).
    response.headers.push(
        HeaderName::Warning,
        format!("399 hookswitch \"{}\"", error.to_string().replace('"', "'")),
    );
    Some(response.to_bytes())
}
