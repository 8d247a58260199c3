//! SIP and SIPS URIs (RFC 3261 section 19.1), with other schemes kept opaque.

use std::fmt;
use std::str::FromStr;

use super::ParseError;
use super::lex::{Params, is_token_char};

/// A URI as it appears in a Request-URI or inside a name-addr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Sip(SipUri),
    /// Any other absolute URI (`tel:`, `mailto:`, unknown schemes): kept verbatim.
    Other {
        scheme: String,
        opaque: String,
    },
}

/// `sip:` / `sips:` URI. User and password are kept in their escaped wire form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    pub secure: bool,
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    /// `?name=value&...` headers, escaped form.
    pub headers: Vec<(String, String)>,
}

impl SipUri {
    /// `sip:user@address:port`, an IPv6 address in brackets (RFC 3261 25.1).
    pub fn for_addr(user: Option<&str>, addr: std::net::SocketAddr) -> Self {
        let host = match addr.ip() {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        };
        SipUri::new(user, &host, Some(addr.port()))
    }

    pub fn new(user: Option<&str>, host: &str, port: Option<u16>) -> Self {
        SipUri {
            secure: false,
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            params: Params::default(),
            headers: Vec::new(),
        }
    }

    /// The user part with `%HH` escapes decoded once (never recursively).
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(unescape)
    }

    /// Removes the URI header `name` (`?Replaces=...`, any case) and returns
    /// its value unescaped.
    pub fn take_header(&mut self, name: &str) -> Option<String> {
        let i = self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))?;
        Some(unescape(&self.headers.remove(i).1))
    }

    /// `transport` parameter, lower-cased.
    pub fn transport(&self) -> Option<String> {
        self.params
            .value("transport")
            .map(|t| t.to_ascii_lowercase())
    }

    /// `host:port` as it would be written in a Via sent-by or a socket address.
    pub fn host_port(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

impl Uri {
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }

    pub fn as_sip_mut(&mut self) -> Option<&mut SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            Uri::Other { .. } => None,
        }
    }

    pub fn scheme(&self) -> &str {
        match self {
            Uri::Sip(u) if u.secure => "sips",
            Uri::Sip(_) => "sip",
            Uri::Other { scheme, .. } => scheme,
        }
    }
}

/// Decodes `%HH` escapes once. Invalid escapes are kept literally.
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Characters allowed unescaped in the user part (unreserved + user-unreserved + `%`).
fn is_user_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,;?/%".contains(c)
}

fn is_password_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()&=+$,%".contains(c)
}

fn is_param_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()[]/:&+$%".contains(c)
}

fn is_header_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.!~*'()[]/?:+$%".contains(c)
}

fn valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

impl FromStr for Uri {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let colon = s
            .find(':')
            .ok_or_else(|| ParseError::syntax("URI without a scheme"))?;
        let (scheme, rest) = (&s[..colon], &s[colon + 1..]);
        let valid_scheme = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if !valid_scheme {
            return Err(ParseError::syntax("bad URI scheme"));
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            return parse_sip(scheme.eq_ignore_ascii_case("sips"), rest).map(Uri::Sip);
        }
        if rest.is_empty()
            || rest
                .chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>')
        {
            return Err(ParseError::syntax("bad opaque URI"));
        }
        Ok(Uri::Other {
            scheme: scheme.to_string(),
            opaque: rest.to_string(),
        })
    }
}

fn parse_sip(secure: bool, s: &str) -> Result<SipUri, ParseError> {
    // The user part may contain ';', '?' and ','; it never contains an unescaped '@',
    // and neither do host, parameters or headers, so the first '@' ends the userinfo.
    let (userinfo, hostpart) = match s.find('@') {
        Some(at) => (Some(&s[..at]), &s[at + 1..]),
        None => (None, s),
    };
    let (user, password) = match userinfo {
        None => (None, None),
        Some(ui) => {
            let (u, p) = match ui.find(':') {
                Some(c) => (&ui[..c], Some(&ui[c + 1..])),
                None => (ui, None),
            };
            if u.is_empty() || !u.chars().all(is_user_char) {
                return Err(ParseError::syntax("bad URI user part"));
            }
            if let Some(p) = p
                && !p.chars().all(is_password_char)
            {
                return Err(ParseError::syntax("bad URI password"));
            }
            (Some(u.to_string()), p.map(str::to_string))
        }
    };
    let (before_headers, headers_part) = match hostpart.find('?') {
        Some(q) => (&hostpart[..q], Some(&hostpart[q + 1..])),
        None => (hostpart, None),
    };
    let (hostport, params_part) = match before_headers.find(';') {
        Some(i) => (&before_headers[..i], &before_headers[i..]),
        None => (before_headers, ""),
    };
    let (host, port) = split_host_port(hostport)?;
    let mut params = Params::default();
    for p in params_part.split(';').skip(1) {
        let (name, value) = match p.find('=') {
            Some(e) => (&p[..e], Some(&p[e + 1..])),
            None => (p, None),
        };
        if name.is_empty()
            || !name.chars().all(is_param_char)
            || value.is_some_and(|v| v.is_empty() || !v.chars().all(is_param_char))
        {
            return Err(ParseError::syntax("bad URI parameter"));
        }
        params.0.push((name.to_string(), value.map(str::to_string)));
    }
    let mut headers = Vec::new();
    if let Some(hp) = headers_part {
        for h in hp.split('&') {
            let (name, value) = h
                .split_once('=')
                .ok_or_else(|| ParseError::syntax("bad URI header"))?;
            if name.is_empty()
                || !name.chars().all(is_header_char)
                || !value.chars().all(is_header_char)
            {
                return Err(ParseError::syntax("bad URI header"));
            }
            headers.push((name.to_string(), value.to_string()));
        }
    }
    Ok(SipUri {
        secure,
        user,
        password,
        host: host.to_string(),
        port,
        params,
        headers,
    })
}

/// Splits `host[:port]`, where host may be an IPv6 reference in brackets.
pub fn split_host_port(s: &str) -> Result<(&str, Option<u16>), ParseError> {
    let (host, port) = if s.starts_with('[') {
        let close = s
            .find(']')
            .ok_or_else(|| ParseError::syntax("unterminated IPv6 reference"))?;
        let rest = &s[close + 1..];
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p),
            None if rest.is_empty() => None,
            None => return Err(ParseError::syntax("junk after IPv6 reference")),
        };
        (&s[..=close], port)
    } else {
        match s.rfind(':') {
            Some(c) => (&s[..c], Some(&s[c + 1..])),
            None => (s, None),
        }
    };
    if !valid_host(host) {
        return Err(ParseError::syntax("bad host"));
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()) => Some(
            p.parse::<u16>()
                .map_err(|_| ParseError::syntax("port out of range"))?,
        ),
        Some(_) => return Err(ParseError::syntax("bad port")),
    };
    Ok((host, port))
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        for (i, (name, value)) in self.headers.iter().enumerate() {
            write!(f, "{}{name}={value}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Other { scheme, opaque } => write!(f, "{scheme}:{opaque}"),
        }
    }
}

/// True if `c` may appear in a token; re-exported for callers validating methods.
pub fn token_char(c: char) -> bool {
    is_token_char(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match s.parse::<Uri>().unwrap() {
            Uri::Sip(u) => u,
            other => panic!("not sip: {other:?}"),
        }
    }

    #[test]
    fn semicolons_in_user_part() {
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(
            u.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
        assert_eq!(u.host, "example.com");
    }

    #[test]
    fn unusual_user_and_password() {
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            u.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
    }

    #[test]
    fn params_headers_ports_ipv6() {
        let u = sip("sips:alice@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent");
        assert!(u.secure);
        assert_eq!(u.host, "[2001:db8::1]");
        assert_eq!(u.port, Some(5061));
        assert_eq!(u.transport().as_deref(), Some("tls"));
        assert!(u.params.contains("lr"));
        assert_eq!(u.headers.len(), 2);
        assert_eq!(
            u.to_string(),
            "sips:alice@[2001:db8::1]:5061;transport=tls;lr?Subject=hi&Priority=urgent"
        );
    }

    #[test]
    fn escapes_are_decoded_once() {
        assert_eq!(unescape("value%2541"), "value%41");
        assert_eq!(unescape("a%00b"), "a\0b");
        assert_eq!(unescape("%Z%45"), "%ZE");
    }

    #[test]
    fn rejects_bad_uris() {
        for bad in [
            "sip:",
            "sip:user@",
            "sip:host:99999",
            "sip:host;",
            "sip:ho st",
            "<sip:x@y>",
            "sip:x@y;lr?Route",
            "sip:[::1",
        ] {
            assert!(bad.parse::<Uri>().is_err(), "{bad}");
        }
    }

    #[test]
    fn other_schemes_are_opaque() {
        let u: Uri = "nobodyKnowsThisScheme:totallyopaquecontent"
            .parse()
            .unwrap();
        assert_eq!(u.scheme(), "nobodyKnowsThisScheme");
        assert_eq!(u.to_string(), "nobodyKnowsThisScheme:totallyopaquecontent");
    }
}
