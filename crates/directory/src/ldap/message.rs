//! The LDAP messages a directory client needs (RFC 4511): bind, search
//! with the paged-results control (RFC 2696), StartTLS (RFC 4511 4.14),
//! unbind; and the answers, read from a byte stream one message at a time.

use super::ber::{self, BerError, Reader};

/// RFC 2696's control.
pub const PAGED_RESULTS: &str = "1.2.840.113556.1.4.319";
/// RFC 4511 4.14.
pub const START_TLS: &str = "1.3.6.1.4.1.1466.20037";

fn message(id: i32, op: Vec<u8>, controls: Option<Vec<u8>>) -> Vec<u8> {
    let mut parts = vec![ber::integer(ber::INTEGER, i64::from(id)), op];
    if let Some(c) = controls {
        parts.push(ber::tlv(0xa0, &c));
    }
    ber::constructed(ber::SEQUENCE, &parts)
}

/// A simple bind (`dn` empty and no password: anonymous).
pub fn bind(id: i32, dn: &str, password: &str) -> Vec<u8> {
    let op = ber::constructed(
        0x60,
        &[
            ber::integer(ber::INTEGER, 3),
            ber::octets(ber::OCTET_STRING, dn.as_bytes()),
            ber::octets(0x80, password.as_bytes()),
        ],
    );
    message(id, op, None)
}

pub fn start_tls(id: i32) -> Vec<u8> {
    let op = ber::constructed(0x77, &[ber::octets(0x80, START_TLS.as_bytes())]);
    message(id, op, None)
}

pub fn unbind(id: i32) -> Vec<u8> {
    message(id, ber::tlv(0x42, &[]), None)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Base = 0,
    One = 1,
    Subtree = 2,
}

/// What to search.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    pub base: &'a str,
    pub scope: Scope,
    /// The filter as BER (see `filter::encode`).
    pub filter: &'a [u8],
    pub attributes: &'a [&'a str],
    pub size_limit: i64,
    pub time_limit_s: i64,
    /// Page size and the cookie of the page before (empty: the first).
    pub page: Option<(i64, &'a [u8])>,
}

pub fn search(id: i32, s: &Search<'_>) -> Vec<u8> {
    let attributes: Vec<Vec<u8>> = s
        .attributes
        .iter()
        .map(|a| ber::octets(ber::OCTET_STRING, a.as_bytes()))
        .collect();
    let op = ber::constructed(
        0x63,
        &[
            ber::octets(ber::OCTET_STRING, s.base.as_bytes()),
            ber::integer(ber::ENUMERATED, s.scope as i64),
            ber::integer(ber::ENUMERATED, 0),
            ber::integer(ber::INTEGER, s.size_limit),
            ber::integer(ber::INTEGER, s.time_limit_s),
            ber::boolean(false),
            s.filter.to_vec(),
            ber::constructed(ber::SEQUENCE, &attributes),
        ],
    );
    let controls = s.page.map(|(size, cookie)| {
        let value = ber::constructed(
            ber::SEQUENCE,
            &[
                ber::integer(ber::INTEGER, size),
                ber::octets(ber::OCTET_STRING, cookie),
            ],
        );
        ber::constructed(
            ber::SEQUENCE,
            &[
                ber::octets(ber::OCTET_STRING, PAGED_RESULTS.as_bytes()),
                ber::octets(ber::OCTET_STRING, &value),
            ],
        )
    });
    message(id, op, controls)
}

/// The outcome of an operation (RFC 4511 4.1.9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdapResult {
    pub code: i64,
    pub matched_dn: String,
    pub diagnostic: String,
}

impl LdapResult {
    pub fn is_success(&self) -> bool {
        self.code == 0
    }

    /// The result code's name, for messages people read.
    pub fn describe(&self) -> String {
        let name = match self.code {
            0 => "success",
            1 => "operations error",
            2 => "protocol error",
            3 => "time limit exceeded",
            4 => "size limit exceeded",
            7 => "auth method not supported",
            8 => "stronger auth required",
            11 => "admin limit exceeded",
            12 => "unavailable critical extension",
            32 => "no such object",
            34 => "invalid DN syntax",
            48 => "inappropriate authentication",
            49 => "invalid credentials",
            50 => "insufficient access rights",
            51 => "busy",
            52 => "unavailable",
            53 => "unwilling to perform",
            _ => "error",
        };
        if self.diagnostic.is_empty() {
            format!("{name} ({})", self.code)
        } else {
            format!("{name} ({}): {}", self.code, self.diagnostic)
        }
    }
}

/// An entry found: its DN and attribute values (as text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    pub dn: String,
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Entry {
    /// The values of `name` (attribute names compare without case).
    pub fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.iter().map(String::as_str))
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }
}

/// A server's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Bind(LdapResult),
    Entry(Entry),
    /// A referral to another server: not followed.
    Reference,
    /// A search is over; the paged-results cookie when more pages are left.
    Done {
        result: LdapResult,
        cookie: Option<Vec<u8>>,
    },
    Extended {
        result: LdapResult,
        name: Option<String>,
    },
    /// Something we did not ask for (an unsolicited notice of disconnection
    /// has id 0).
    Other {
        tag: u8,
    },
}

/// Reads one message out of `buf`: (message id, response, bytes used), or
/// None when `buf` does not hold a whole message yet.
pub fn read(buf: &[u8]) -> Result<Option<(i32, Response, usize)>, BerError> {
    let Some(total) = ber::complete_len(buf)? else {
        return Ok(None);
    };
    let mut outer = Reader::new(&buf[..total]);
    let mut msg = outer.nested(ber::SEQUENCE)?;
    let id = msg.integer(ber::INTEGER)?;
    let id = i32::try_from(id).map_err(|_| BerError::Value("message id"))?;
    let (tag, op) = msg.any()?;
    let mut op = Reader::new(op);
    let response = match tag {
        0x61 => Response::Bind(result(&mut op)?),
        0x64 => Response::Entry(entry(&mut op)?),
        0x73 => Response::Reference,
        0x65 => {
            let result = result(&mut op)?;
            let cookie = if msg.peek_tag() == Some(0xa0) {
                paged_cookie(msg.nested(0xa0)?)?
            } else {
                None
            };
            Response::Done { result, cookie }
        }
        0x78 => {
            let result = result(&mut op)?;
            let mut name = None;
            while !op.is_empty() {
                let (t, v) = op.any()?;
                if t == 0x8a {
                    name = Some(String::from_utf8_lossy(v).into_owned());
                }
            }
            Response::Extended { result, name }
        }
        other => Response::Other { tag: other },
    };
    Ok(Some((id, response, total)))
}

fn result(op: &mut Reader<'_>) -> Result<LdapResult, BerError> {
    Ok(LdapResult {
        code: op.integer(ber::ENUMERATED)?,
        matched_dn: op.string(ber::OCTET_STRING)?,
        diagnostic: op.string(ber::OCTET_STRING)?,
    })
}

fn entry(op: &mut Reader<'_>) -> Result<Entry, BerError> {
    let dn = op.string(ber::OCTET_STRING)?;
    let mut list = op.nested(ber::SEQUENCE)?;
    let mut attributes = Vec::new();
    while !list.is_empty() {
        let mut attr = list.nested(ber::SEQUENCE)?;
        let name = attr.string(ber::OCTET_STRING)?;
        let mut vals = attr.nested(ber::SET)?;
        let mut values = Vec::new();
        while !vals.is_empty() {
            values.push(vals.string(ber::OCTET_STRING)?);
        }
        attributes.push((name, values));
    }
    Ok(Entry { dn, attributes })
}

/// The paged-results cookie among the controls; None when it is empty
/// (the last page).
fn paged_cookie(mut controls: Reader<'_>) -> Result<Option<Vec<u8>>, BerError> {
    while !controls.is_empty() {
        let mut control = controls.nested(ber::SEQUENCE)?;
        let oid = control.string(ber::OCTET_STRING)?;
        if oid != PAGED_RESULTS {
            continue;
        }
        if control.peek_tag() == Some(ber::BOOLEAN) {
            control.any()?;
        }
        let value = control.octets(ber::OCTET_STRING)?;
        let mut seq = Reader::new(value).nested(ber::SEQUENCE)?;
        let _size = seq.integer(ber::INTEGER)?;
        let cookie = seq.octets(ber::OCTET_STRING)?;
        return Ok((!cookie.is_empty()).then(|| cookie.to_vec()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SearchResultEntry as a server sends it.
    fn server_entry(id: i32, dn: &str, attrs: &[(&str, &[&str])]) -> Vec<u8> {
        let list: Vec<Vec<u8>> = attrs
            .iter()
            .map(|(n, vals)| {
                let vals: Vec<Vec<u8>> = vals
                    .iter()
                    .map(|v| ber::octets(ber::OCTET_STRING, v.as_bytes()))
                    .collect();
                ber::constructed(
                    ber::SEQUENCE,
                    &[
                        ber::octets(ber::OCTET_STRING, n.as_bytes()),
                        ber::constructed(ber::SET, &vals),
                    ],
                )
            })
            .collect();
        let op = ber::constructed(
            0x64,
            &[
                ber::octets(ber::OCTET_STRING, dn.as_bytes()),
                ber::constructed(ber::SEQUENCE, &list),
            ],
        );
        message(id, op, None)
    }

    fn server_done(id: i32, code: i64, cookie: Option<&[u8]>) -> Vec<u8> {
        let op = ber::constructed(
            0x65,
            &[
                ber::integer(ber::ENUMERATED, code),
                ber::octets(4, b""),
                ber::octets(4, b""),
            ],
        );
        let controls = cookie.map(|c| {
            let value = ber::constructed(ber::SEQUENCE, &[ber::integer(2, 0), ber::octets(4, c)]);
            ber::constructed(
                ber::SEQUENCE,
                &[
                    ber::octets(4, PAGED_RESULTS.as_bytes()),
                    ber::octets(4, &value),
                ],
            )
        });
        message(id, op, controls)
    }

    #[test]
    fn a_simple_bind_is_as_rfc_4511_lays_it_out() {
        let b = bind(1, "cn=reader,dc=example", "secret");
        assert_eq!(&b[..7], &[0x30, 0x26, 0x02, 0x01, 0x01, 0x60, 0x21]);
        assert!(b.ends_with(&[&[0x80, 0x06][..], b"secret"].concat()));
    }

    #[test]
    fn a_stream_of_answers_is_read_one_message_at_a_time() {
        let mut stream = server_entry(
            2,
            "uid=ayse,ou=people",
            &[
                ("cn", &["Ayşe Öztürk"]),
                ("telephoneNumber", &["+49 30 5550 777", "2001"]),
            ],
        );
        stream.extend(server_done(2, 0, Some(b"next")));
        stream.extend(server_done(3, 49, None));
        let (id, first, used) = read(&stream).unwrap().unwrap();
        assert_eq!(id, 2);
        let Response::Entry(e) = first else {
            panic!("{first:?}")
        };
        assert_eq!(e.first("CN"), Some("Ayşe Öztürk"));
        assert_eq!(e.values("telephonenumber").count(), 2);
        let rest = &stream[used..];
        assert_eq!(read(&rest[..3]).unwrap(), None, "half a message waits");
        let (_, done, used) = read(rest).unwrap().unwrap();
        assert_eq!(
            done,
            Response::Done {
                result: LdapResult {
                    code: 0,
                    matched_dn: String::new(),
                    diagnostic: String::new()
                },
                cookie: Some(b"next".to_vec())
            }
        );
        let (_, refused, _) = read(&rest[used..]).unwrap().unwrap();
        let Response::Done {
            result,
            cookie: None,
        } = refused
        else {
            panic!()
        };
        assert_eq!(result.describe(), "invalid credentials (49)");
    }

    #[test]
    fn a_paged_search_carries_its_control() {
        let filter = super::super::filter::encode("(cn=*a*)").unwrap();
        let s = search(
            5,
            &Search {
                base: "dc=example",
                scope: Scope::Subtree,
                filter: &filter,
                attributes: &["cn"],
                size_limit: 50,
                time_limit_s: 2,
                page: Some((25, b"")),
            },
        );
        let oid = PAGED_RESULTS.as_bytes();
        assert!(s.windows(oid.len()).any(|w| w == oid));
        let mut r = Reader::new(&s);
        let mut m = r.nested(ber::SEQUENCE).unwrap();
        assert_eq!(m.integer(ber::INTEGER).unwrap(), 5);
        assert_eq!(m.any().unwrap().0, 0x63);
        assert_eq!(m.any().unwrap().0, 0xa0, "controls follow the operation");
    }
}
