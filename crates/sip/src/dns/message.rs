//! DNS messages (RFC 1035) for what RFC 3263 needs: queries for NAPTR
//! (RFC 3403), SRV (RFC 2782), A and AAAA (RFC 3596), and the records in a
//! response. Names may be compressed; every length and pointer is checked,
//! so any bytes from the network give a value or an error, never a panic.

use std::net::{Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    A,
    Aaaa,
    Srv,
    Naptr,
    Cname,
}

impl RecordType {
    pub fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
            RecordType::Naptr => 35,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
    Naptr {
        order: u16,
        preference: u16,
        flags: String,
        service: String,
        regexp: String,
        replacement: String,
    },
    Cname(String),
    /// A type we do not read.
    Other(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Lower case, without the final dot.
    pub name: String,
    pub ttl: u32,
    pub data: RecordData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    /// 0 no error, 3 the name does not exist (NXDOMAIN), 2 server failure...
    pub rcode: u8,
    /// The answer did not fit (TC): ask again over TCP.
    pub truncated: bool,
    /// The answer and additional sections, in order.
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("DNS message too short")]
    Short,
    #[error("DNS name malformed")]
    BadName,
    #[error("not a DNS response")]
    NotResponse,
    #[error("a name label is longer than 63 bytes or the name than 253")]
    NameTooLong,
}

/// The UDP payload size we offer in EDNS(0) (RFC 6891; 1232 avoids
/// fragmentation on today's paths).
const EDNS_PAYLOAD: u16 = 1232;

/// A recursive query for `name`/`rtype` with id `id`, with an EDNS(0) OPT
/// record so answers of SRV and NAPTR sets up to 1232 bytes come over UDP.
pub fn query(id: u16, name: &str, rtype: RecordType) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    out.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&0u16.to_be_bytes()); // ANCOUNT
    out.extend_from_slice(&0u16.to_be_bytes()); // NSCOUNT
    out.extend_from_slice(&1u16.to_be_bytes()); // ARCOUNT: OPT
    encode_name(name, &mut out)?;
    out.extend_from_slice(&rtype.code().to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // IN
    // OPT: root name, type 41, class = payload size, TTL 0, no options.
    out.push(0);
    out.extend_from_slice(&41u16.to_be_bytes());
    out.extend_from_slice(&EDNS_PAYLOAD.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let name = name.trim_end_matches('.');
    if name.len() > 253 {
        return Err(DnsError::NameTooLong);
    }
    for label in name.split('.').filter(|l| !l.is_empty()) {
        if label.len() > 63 {
            return Err(DnsError::NameTooLong);
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DnsError> {
        let b = *self.bytes.get(self.at).ok_or(DnsError::Short)?;
        self.at += 1;
        Ok(b)
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        Ok(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Result<u32, DnsError> {
        Ok(u32::from_be_bytes([
            self.u8()?,
            self.u8()?,
            self.u8()?,
            self.u8()?,
        ]))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self.at.checked_add(n).ok_or(DnsError::Short)?;
        let s = self.bytes.get(self.at..end).ok_or(DnsError::Short)?;
        self.at = end;
        Ok(s)
    }

    /// A possibly compressed name (RFC 1035 4.1.4), read from here.
    fn name(&mut self) -> Result<String, DnsError> {
        let (name, next) = read_name(self.bytes, self.at)?;
        self.at = next;
        Ok(name)
    }

    /// A length-prefixed string (NAPTR's flags, services, regexp).
    fn string(&mut self) -> Result<String, DnsError> {
        let len = usize::from(self.u8()?);
        Ok(String::from_utf8_lossy(self.take(len)?).into_owned())
    }
}

/// Reads the name at `at`; returns it and where the bytes after it start.
fn read_name(bytes: &[u8], mut at: usize) -> Result<(String, usize), DnsError> {
    let mut labels: Vec<String> = Vec::new();
    let mut after = None;
    let mut jumps = 0;
    let mut total = 0usize;
    loop {
        let len = *bytes.get(at).ok_or(DnsError::Short)?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                at += 1;
                break;
            }
            0x00 => {
                let label = bytes
                    .get(at + 1..at + 1 + usize::from(len))
                    .ok_or(DnsError::Short)?;
                total += label.len() + 1;
                if total > 255 {
                    return Err(DnsError::NameTooLong);
                }
                labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
                at += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *bytes.get(at + 1).ok_or(DnsError::Short)?;
                let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
                jumps += 1;
                // A pointer must go back; a loop would never end.
                if jumps > 32 || target >= at {
                    return Err(DnsError::BadName);
                }
                after.get_or_insert(at + 2);
                at = target;
            }
            _ => return Err(DnsError::BadName),
        }
    }
    Ok((labels.join("."), after.unwrap_or(at)))
}

/// Reads a response: its id, rcode, TC flag, and the answer and additional
/// records (authority records are skipped).
pub fn parse(bytes: &[u8]) -> Result<Response, DnsError> {
    let mut r = Reader { bytes, at: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        return Err(DnsError::NotResponse);
    }
    let questions = r.u16()?;
    let answers = r.u16()?;
    let authority = r.u16()?;
    let additional = r.u16()?;
    for _ in 0..questions {
        r.name()?;
        r.take(4)?;
    }
    let mut records = Vec::new();
    for section in 0..3 {
        let count = [answers, authority, additional][section];
        for _ in 0..count {
            let record = read_record(&mut r)?;
            if section != 1 {
                records.extend(record);
            }
        }
    }
    Ok(Response {
        id,
        rcode: (flags & 0x000f) as u8,
        truncated: flags & 0x0200 != 0,
        records,
    })
}

fn read_record(r: &mut Reader<'_>) -> Result<Option<Record>, DnsError> {
    let name = r.name()?;
    let rtype = r.u16()?;
    let _class = r.u16()?;
    let ttl = r.u32()?;
    let len = usize::from(r.u16()?);
    let start = r.at;
    let rdata = r.take(len)?;
    let mut inner = Reader {
        bytes: r.bytes,
        at: start,
    };
    let data = match rtype {
        1 if len == 4 => RecordData::A(Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3])),
        28 if len == 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(rdata);
            RecordData::Aaaa(Ipv6Addr::from(a))
        }
        33 => RecordData::Srv {
            priority: inner.u16()?,
            weight: inner.u16()?,
            port: inner.u16()?,
            target: inner.name()?,
        },
        35 => RecordData::Naptr {
            order: inner.u16()?,
            preference: inner.u16()?,
            flags: inner.string()?.to_ascii_lowercase(),
            service: inner.string()?.to_ascii_uppercase(),
            regexp: inner.string()?,
            replacement: inner.name()?,
        },
        5 => RecordData::Cname(inner.name()?),
        41 => return Ok(None), // OPT
        1 | 28 => return Err(DnsError::Short),
        other => RecordData::Other(other),
    };
    if inner.at > start + len && matches!(rtype, 33 | 35 | 5) {
        return Err(DnsError::Short);
    }
    Ok(Some(Record { name, ttl, data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `q` with the given answer records (raw).
    fn response(q: &[u8], answers: &[(&str, u16, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = q[..12].to_vec();
        out[2] = 0x81; // QR, RD
        out[3] = 0x80; // RA
        out[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
        out[10..12].copy_from_slice(&0u16.to_be_bytes());
        // the question, without the OPT record
        let qend = 12 + read_name(q, 12).unwrap().1 - 12 + 4;
        out.extend_from_slice(&q[12..qend]);
        for (name, rtype, ttl, rdata) in answers {
            encode_name(name, &mut out).unwrap();
            out.extend_from_slice(&rtype.to_be_bytes());
            out.extend_from_slice(&1u16.to_be_bytes());
            out.extend_from_slice(&ttl.to_be_bytes());
            out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
            out.extend_from_slice(rdata);
        }
        out
    }

    #[test]
    fn queries_carry_the_name_type_and_an_opt_record() {
        let q = query(0x1234, "_sip._udp.Example.COM.", RecordType::Srv).unwrap();
        assert_eq!(&q[..2], &[0x12, 0x34]);
        assert_eq!(read_name(&q, 12).unwrap().0, "_sip._udp.example.com");
        assert!(q.ends_with(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]));
        assert!(query(1, &"a".repeat(64), RecordType::A).is_err());
    }

    #[test]
    fn srv_naptr_and_addresses_are_read() {
        let q = query(7, "example.com", RecordType::Naptr).unwrap();
        let mut srv = vec![0, 10, 0, 60, 0x13, 0xc4];
        encode_name("sip1.example.com", &mut srv).unwrap();
        let mut naptr = vec![0, 50, 0, 50, 1, b's', 7];
        naptr.extend_from_slice(b"SIP+D2T");
        naptr.push(0);
        encode_name("_sip._tcp.example.com", &mut naptr).unwrap();
        let bytes = response(
            &q,
            &[
                ("example.com", 35, 300, naptr),
                ("_sip._tcp.example.com", 33, 60, srv),
                ("sip1.example.com", 1, 30, vec![192, 0, 2, 7]),
                (
                    "sip1.example.com",
                    28,
                    30,
                    "2001:db8::7".parse::<Ipv6Addr>().unwrap().octets().to_vec(),
                ),
            ],
        );
        let r = parse(&bytes).unwrap();
        assert_eq!((r.id, r.rcode, r.truncated), (7, 0, false));
        assert_eq!(
            r.records[0].data,
            RecordData::Naptr {
                order: 50,
                preference: 50,
                flags: "s".into(),
                service: "SIP+D2T".into(),
                regexp: String::new(),
                replacement: "_sip._tcp.example.com".into()
            }
        );
        assert_eq!(
            r.records[1].data,
            RecordData::Srv {
                priority: 10,
                weight: 60,
                port: 5060,
                target: "sip1.example.com".into()
            }
        );
        assert_eq!(
            r.records[2].data,
            RecordData::A(Ipv4Addr::new(192, 0, 2, 7))
        );
        assert_eq!(r.records[3].ttl, 30);
    }

    #[test]
    fn compression_pointers_are_followed_and_loops_refused() {
        // Header, then "a.example" at 12, then a pointer to it at 23.
        let mut m = vec![0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];
        encode_name("a.example", &mut m).unwrap();
        let at = m.len();
        m.extend_from_slice(&[1, b'b', 0xc0, 12]);
        assert_eq!(read_name(&m, at).unwrap(), ("b.a.example".into(), at + 4));
        // A pointer to itself.
        let mut looped = vec![0u8; 12];
        looped.extend_from_slice(&[0xc0, 12]);
        assert_eq!(read_name(&looped, 12), Err(DnsError::BadName));
        assert!(parse(&[0, 1, 0x81]).is_err());
        assert_eq!(parse(&[0; 12]), Err(DnsError::NotResponse));
    }
}
