//! SDP (RFC 8866): a model, parser and serialiser. Offer/answer is in `negotiate`.

mod negotiate;
mod sdes;
mod terms;

use std::fmt;
use std::str::FromStr;

pub use negotiate::{
    Direction, LocalMedia, Negotiated, NegotiationError, apply_answer, create_answer, create_offer,
};

/// Where each line type goes (RFC 8866 section 5), session and media level.
const SESSION_ORDER: &str = "iuepbtrzk";
const MEDIA_ORDER: &str = "ibk";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP is not UTF-8")]
    Encoding,
    #[error("SDP line {0} is malformed")]
    Line(usize),
    #[error("SDP lacks {0}")]
    Missing(&'static str),
    #[error("SDP field {0} is invalid")]
    Field(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: u64,
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub net_type: String,
    pub addr_type: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl Attribute {
    pub fn new(name: &str, value: Option<&str>) -> Self {
        Attribute {
            name: name.to_string(),
            value: value.map(str::to_string),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    pub media: String,
    pub port: u16,
    pub port_count: Option<u16>,
    pub proto: String,
    pub formats: Vec<String>,
    pub connection: Option<Connection>,
    /// Lines other than c= and a= (i=, b=, k=), kept in order for round trips.
    pub other_lines: Vec<(char, String)>,
    pub attributes: Vec<Attribute>,
}

impl MediaDescription {
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// `a=rtpmap:<pt> <name>/<clock>[/<channels>]` for a payload type.
    pub fn rtpmap(&self, pt: &str) -> Option<(String, u32)> {
        self.attributes
            .iter()
            .filter(|a| a.name.eq_ignore_ascii_case("rtpmap"))
            .filter_map(|a| a.value.as_deref())
            .find_map(|v| {
                let (p, rest) = v.split_once(' ')?;
                if p != pt {
                    return None;
                }
                let mut parts = rest.trim().split('/');
                let name = parts.next()?.to_string();
                let clock = parts.next()?.parse().ok()?;
                Some((name, clock))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    pub session_name: String,
    pub connection: Option<Connection>,
    /// Session-level lines other than the ones modelled (i=, u=, e=, p=, b=, t=, r=, z=, k=).
    pub other_lines: Vec<(char, String)>,
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

fn parse_connection(v: &str) -> Result<Connection, SdpError> {
    let f: Vec<&str> = v.split(' ').collect();
    let [net_type, addr_type, address] = f.as_slice() else {
        return Err(SdpError::Field("c="));
    };
    Ok(Connection {
        net_type: net_type.to_string(),
        addr_type: addr_type.to_string(),
        address: address.to_string(),
    })
}

fn parse_attribute(v: &str) -> Attribute {
    match v.split_once(':') {
        Some((n, val)) => Attribute::new(n, Some(val)),
        None => Attribute::new(v, None),
    }
}

impl SessionDescription {
    pub fn parse(bytes: &[u8]) -> Result<SessionDescription, SdpError> {
        std::str::from_utf8(bytes)
            .map_err(|_| SdpError::Encoding)?
            .parse()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The first audio stream, if any.
    pub fn audio(&self) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.media == "audio")
    }
}

impl FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(text: &str) -> Result<Self, SdpError> {
        let mut origin = None;
        let mut session_name = None;
        let mut connection = None;
        let mut other_lines = Vec::new();
        let mut attributes = Vec::new();
        let mut media: Vec<MediaDescription> = Vec::new();
        let mut saw_version = false;
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let bytes = line.as_bytes();
            if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_lowercase() {
                return Err(SdpError::Line(i + 1));
            }
            let (kind, value) = (bytes[0] as char, &line[2..]);
            // RFC 8866 section 5: a type letter we do not know voids the description.
            if !"vosiuepcbtrzkam".contains(kind) || (saw_version && kind == 'v') {
                return Err(SdpError::Line(i + 1));
            }
            if !saw_version {
                if kind != 'v' || value != "0" {
                    return Err(SdpError::Missing("v=0 as the first line"));
                }
                saw_version = true;
                continue;
            }
            match (kind, media.last_mut()) {
                ('m', _) => {
                    let f: Vec<&str> = value.split(' ').collect();
                    if f.len() < 3 {
                        return Err(SdpError::Field("m="));
                    }
                    let (port, port_count) = match f[1].split_once('/') {
                        Some((p, n)) => (
                            p,
                            Some(n.parse().map_err(|_| SdpError::Field("m= port count"))?),
                        ),
                        None => (f[1], None),
                    };
                    media.push(MediaDescription {
                        media: f[0].to_string(),
                        port: port.parse().map_err(|_| SdpError::Field("m= port"))?,
                        port_count,
                        proto: f[2].to_string(),
                        formats: f[3..]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .map(|s| s.to_string())
                            .collect(),
                        connection: None,
                        other_lines: Vec::new(),
                        attributes: Vec::new(),
                    });
                }
                ('o', None) => {
                    let f: Vec<&str> = value.split(' ').collect();
                    let [user, id, version, nt, at, addr] = f.as_slice() else {
                        return Err(SdpError::Field("o="));
                    };
                    origin = Some(Origin {
                        username: user.to_string(),
                        session_id: id.to_string(),
                        session_version: version
                            .parse()
                            .map_err(|_| SdpError::Field("o= version"))?,
                        net_type: nt.to_string(),
                        addr_type: at.to_string(),
                        address: addr.to_string(),
                    });
                }
                ('s', None) => session_name = Some(value.to_string()),
                ('c', None) => connection = Some(parse_connection(value)?),
                ('a', None) => attributes.push(parse_attribute(value)),
                (k, None) => other_lines.push((k, value.to_string())),
                ('c', Some(m)) => m.connection = Some(parse_connection(value)?),
                ('a', Some(m)) => m.attributes.push(parse_attribute(value)),
                (k, Some(m)) => m.other_lines.push((k, value.to_string())),
            }
        }
        if !saw_version {
            return Err(SdpError::Missing("v="));
        }
        // t= is mandatory; a peer that leaves it out means "unbounded" (t=0 0).
        if !other_lines.iter().any(|(k, _)| *k == 't') {
            other_lines.push(('t', "0 0".to_string()));
        }
        // Keep the lines in RFC 8866 order, so what we write is what we read.
        other_lines.sort_by_key(|(k, _)| SESSION_ORDER.find(*k));
        for m in &mut media {
            m.other_lines.sort_by_key(|(k, _)| MEDIA_ORDER.find(*k));
        }
        Ok(SessionDescription {
            origin: origin.ok_or(SdpError::Missing("o="))?,
            session_name: session_name.unwrap_or_else(|| "-".to_string()),
            connection,
            other_lines,
            attributes,
            media,
        })
    }
}

fn write_attributes(f: &mut fmt::Formatter<'_>, attrs: &[Attribute]) -> fmt::Result {
    for a in attrs {
        match &a.value {
            Some(v) => write!(f, "a={}:{v}\r\n", a.name)?,
            None => write!(f, "a={}\r\n", a.name)?,
        }
    }
    Ok(())
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "c={} {} {}\r\n",
            self.net_type, self.addr_type, self.address
        )
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(
            f,
            "v=0\r\no={} {} {} {} {} {}\r\ns={}\r\n",
            o.username,
            o.session_id,
            o.session_version,
            o.net_type,
            o.addr_type,
            o.address,
            self.session_name
        )?;
        // RFC 8866 order (the parser sorted other_lines so): i u e p, c, b t r z k.
        let mut lines = self.other_lines.iter().peekable();
        while let Some((k, v)) = lines.next_if(|(k, _)| "iuep".contains(*k)) {
            write!(f, "{k}={v}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        if !self.other_lines.iter().any(|(k, _)| *k == 't') {
            f.write_str("t=0 0\r\n")?;
        }
        for (k, v) in lines {
            write!(f, "{k}={v}\r\n")?;
        }
        write_attributes(f, &self.attributes)?;
        for m in &self.media {
            write!(f, "m={} {}", m.media, m.port)?;
            if let Some(n) = m.port_count {
                write!(f, "/{n}")?;
            }
            write!(f, " {}", m.proto)?;
            for fmt_ in &m.formats {
                write!(f, " {fmt_}")?;
            }
            f.write_str("\r\n")?;
            let mut lines = m.other_lines.iter().peekable();
            while let Some((k, v)) = lines.next_if(|(k, _)| *k == 'i') {
                write!(f, "{k}={v}\r\n")?;
            }
            if let Some(c) = &m.connection {
                write!(f, "{c}")?;
            }
            for (k, v) in lines {
                write!(f, "{k}={v}\r\n")?;
            }
            write_attributes(f, &m.attributes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARESIP: &str = "v=0\r\no=- 1977347093 2498530843 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 10914 RTP/AVP 0 8 101\r\nb=AS:88\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\na=ssrc:1146012566 cname:fa9fa8d0-2a86-4d0e-8658-29b43a5f6bfd\r\na=rtcp-rsize\r\n";

    #[test]
    fn parses_baresip_offer() {
        let s: SessionDescription = BARESIP.parse().unwrap();
        let a = s.audio().unwrap();
        assert_eq!(a.port, 10914);
        assert_eq!(a.formats, ["0", "8", "101"]);
        assert_eq!(a.rtpmap("101"), Some(("telephone-event".into(), 8000)));
        assert_eq!(s.connection.as_ref().unwrap().address, "127.0.0.1");
        assert_eq!(s.to_string().parse::<SessionDescription>().unwrap(), s);
    }

    /// Found by the fuzzer: no t= line, and lines out of RFC order.
    #[test]
    fn missing_time_and_odd_order_round_trip() {
        let s: SessionDescription =
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nz=0\r\ns=x\r\nb=AS:1\r\nc=IN IP4 192.0.2.1\r\n"
                .parse()
                .unwrap();
        let text = s.to_string();
        assert!(text.contains("b=AS:1\r\nt=0 0\r\nz=0\r\n"), "{text}");
        assert_eq!(text.parse::<SessionDescription>().unwrap(), s);
    }

    #[test]
    fn rejects_broken() {
        assert!(
            SessionDescription::parse(b"v=0\r\no=- 1 1 IN IP4 x\r\nn=00\r\n").is_err(),
            "unknown type letter"
        );
        assert!(
            SessionDescription::parse(b"v=0\r\nv=0\r\no=- 1 1 IN IP4 x\r\n").is_err(),
            "second v="
        );
        assert!(SessionDescription::parse(b"o=- 1 1 IN IP4 x\r\n").is_err());
        assert!(SessionDescription::parse(b"v=0\r\nm=audio x RTP/AVP 0\r\n").is_err());
        assert!(SessionDescription::parse(b"v=0\r\nbogus\r\n").is_err());
        assert!(
            SessionDescription::parse(b"v=0\r\ns=-\r\n").is_err(),
            "no o="
        );
        assert!(SessionDescription::parse(&[0xff, 0xfe]).is_err());
    }
}
