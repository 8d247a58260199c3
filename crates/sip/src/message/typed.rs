//! Typed views of the headers the user agent reads: name-addr (From, To, Contact,
//! Route, Record-Route), Via, CSeq, and the Date check.

use std::fmt;
use std::str::FromStr;

use super::ParseError;
use super::lex::{
    Params, is_token, is_token_char, is_ws, parse_params, quote, quoted_string, trim_ws,
};
use super::uri::{Uri, split_host_port};

/// `[display-name] <uri> *(;param)` or `uri *(;param)` (RFC 3261 section 20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: Uri) -> Self {
        NameAddr {
            display: None,
            uri,
            params: Params::default(),
        }
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    pub fn with_tag(mut self, tag: &str) -> Self {
        self.params.set("tag", Some(tag));
        self
    }
}

impl FromStr for NameAddr {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let s = trim_ws(s);
        let (display, rest) = if s.starts_with('"') {
            let (d, rest) = quoted_string(s)?;
            let rest = trim_ws(rest);
            if !rest.starts_with('<') {
                return Err(ParseError::syntax("display name without <addr-spec>"));
            }
            (Some(d), rest)
        } else if let Some(lt) = s.find('<') {
            // Unquoted display name: tokens separated by white space (the RFC 4475
            // `lwsdisp` case `caller<sip:...>` has no space before '<').
            let d = trim_ws(&s[..lt]);
            if !d.split(is_ws).filter(|w| !w.is_empty()).all(is_token) {
                return Err(ParseError::syntax("display name is not a token list"));
            }
            let d = d
                .split(is_ws)
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            ((!d.is_empty()).then_some(d), &s[lt..])
        } else {
            // addr-spec: parameters after the URI belong to the header, so a URI
            // with ';', '?' or ',' must be bracketed.
            let end = s.find([';', ' ', '\t']).unwrap_or(s.len());
            let uri_str = &s[..end];
            if uri_str.contains(['?', ',']) {
                return Err(ParseError::syntax("URI with headers must be in <>"));
            }
            let uri = uri_str.parse()?;
            let params = parse_params(&s[end..])?;
            return Ok(NameAddr {
                display: None,
                uri,
                params,
            });
        };
        let inner = rest.strip_prefix('<').unwrap_or(rest);
        let gt = inner
            .find('>')
            .ok_or_else(|| ParseError::syntax("unterminated <"))?;
        let uri: Uri = inner[..gt].parse()?;
        let params = parse_params(&inner[gt + 1..])?;
        Ok(NameAddr {
            display,
            uri,
            params,
        })
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display {
            write!(f, "{} ", quote(d))?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// A Contact header value: `*` or a name-addr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Star,
    Addr(NameAddr),
}

impl FromStr for Contact {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if trim_ws(s) == "*" {
            Ok(Contact::Star)
        } else {
            s.parse().map(Contact::Addr)
        }
    }
}

/// One Via value: `SIP/2.0/<transport> <sent-by> *(;param)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// `host[:port]` of the sent-by.
    pub fn sent_by(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

fn take_token(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

fn expect_slash(s: &str) -> Result<&str, ParseError> {
    trim_ws(s)
        .strip_prefix('/')
        .map(trim_ws)
        .ok_or_else(|| ParseError::syntax("expected '/' in Via"))
}

impl FromStr for Via {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (proto, rest) = take_token(trim_ws(s));
        let (version, rest) = take_token(expect_slash(rest)?);
        let (transport, rest) = take_token(expect_slash(rest)?);
        if !proto.eq_ignore_ascii_case("SIP") || version != "2.0" || transport.is_empty() {
            return Err(ParseError::syntax("bad Via protocol"));
        }
        let rest = trim_ws(rest);
        let end = rest.find([';', ' ', '\t']).unwrap_or(rest.len());
        let (host, port) = split_host_port(&rest[..end])?;
        let params = parse_params(&rest[end..])?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_string(),
            port,
            params,
        })
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SIP/2.0/{} {}{}",
            self.transport,
            self.sent_by(),
            self.params
        )
    }
}

/// `CSeq: <number> <method>`; the number must fit 32 bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: String,
}

impl FromStr for CSeq {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let s = trim_ws(s);
        let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let seq = parse_uint(&s[..digits_end], u32::MAX.into())
            .ok_or_else(|| ParseError::syntax("CSeq number missing or over 2^32-1"))?;
        let rest = &s[digits_end..];
        let method = trim_ws(rest);
        if !rest.starts_with(is_ws) || !is_token(method) {
            return Err(ParseError::syntax("bad CSeq method"));
        }
        Ok(CSeq {
            seq: seq as u32,
            method: method.to_string(),
        })
    }
}

/// Parses an unsigned decimal header value (Max-Forwards, Expires, Content-Length)
/// with leading zeros allowed; `None` when it is not a number or exceeds `max`.
pub fn parse_uint(s: &str, max: u64) -> Option<u64> {
    let s = trim_ws(s);
    if s.is_empty() || s.len() > 20 || !s.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let trimmed = s.trim_start_matches('0');
    let v = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse::<u64>().ok()?
    };
    (v <= max).then_some(v)
}

/// RFC 1123 date as SIP allows it: `Sun, 06 Nov 1994 08:49:37 GMT` (GMT only).
pub fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = trim_ws(s).split(' ').collect();
    const DAYS: [&str; 7] = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |s: &str, n: usize| s.len() == n && s.chars().all(|c| c.is_ascii_digit());
    parts.len() == 6
        && DAYS.contains(&parts[0])
        && digits(parts[1], 2)
        && MONTHS.contains(&parts[2])
        && digits(parts[3], 4)
        && parts[4].split(':').count() == 3
        && parts[4].split(':').all(|p| digits(p, 2))
        && parts[5] == "GMT"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let n: NameAddr = r#""J Rosenberg \\\""       <sip:jdrosen@example.com>  ;  tag = 98asjd8"#
            .parse()
            .unwrap();
        assert_eq!(n.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.tag(), Some("98asjd8"));

        let n: NameAddr = "sip:caller@example.org;tag=33242".parse().unwrap();
        assert_eq!(n.tag(), Some("33242"));
        assert!(n.uri.as_sip().unwrap().params.is_empty());

        let n: NameAddr = "caller<sip:caller@example.com>;tag=323".parse().unwrap();
        assert_eq!(n.display.as_deref(), Some("caller"));

        let n: NameAddr = "token1~` token2'+_ <sip:mundane@example.com>"
            .parse()
            .unwrap();
        assert_eq!(n.display.as_deref(), Some("token1~` token2'+_"));
    }

    #[test]
    fn name_addr_rejects() {
        for bad in [
            r#""Mr. J. User <sip:j.user@example.com>"#,
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            r#""Watson, Thomas" < sip:t.watson@example.org >"#,
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            r#""Joe" <sip:joe@example.org>;;;;"#,
        ] {
            assert!(bad.parse::<NameAddr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn via_with_odd_spacing() {
        let v: Via = "SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw"
            .parse()
            .unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.host, "192.0.2.2");
        assert_eq!(v.branch(), Some("390skdjuw"));
        let v: Via = "SIP/2.0/TCP spindle.example.com:5061 ;  branch  =   z9hG4bK9ikj8"
            .parse()
            .unwrap();
        assert_eq!(v.port, Some(5061));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/TCP spindle.example.com:5061;branch=z9hG4bK9ikj8"
        );
        assert!("SIP/2.0/UDP 192.0.2.15;;".parse::<Via>().is_err());
        assert!("SIP/3.0/UDP host".parse::<Via>().is_err());
    }

    #[test]
    fn cseq_limits() {
        assert_eq!("0009 INVITE".parse::<CSeq>().unwrap().seq, 9);
        assert_eq!("4294967295 ACK".parse::<CSeq>().unwrap().seq, u32::MAX);
        assert!("4294967296 ACK".parse::<CSeq>().is_err());
        assert!("36893488147419103232 INVITE".parse::<CSeq>().is_err());
        assert!("12".parse::<CSeq>().is_err());
        assert!("INVITE".parse::<CSeq>().is_err());
    }

    #[test]
    fn dates() {
        assert!(valid_date("Sat, 13 Nov 2010 23:29:00 GMT"));
        assert!(!valid_date("Fri, 01 Jan 2010 16:00:00 EST"));
    }
}
