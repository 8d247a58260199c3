//! BER as LDAP uses it (RFC 4511 5.1): definite lengths, one-byte tags.
//! Writing builds a value inside out; reading walks a buffer and never
//! trusts a length it has not got the bytes for.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    #[error("BER: truncated")]
    Truncated,
    #[error("BER: a length of {0} bytes is more than we take")]
    TooLong(usize),
    #[error("BER: indefinite or malformed length")]
    BadLength,
    #[error("BER: expected tag {expected:#04x}, found {found:#04x}")]
    Tag { expected: u8, found: u8 },
    #[error("BER: bad {0}")]
    Value(&'static str),
}

/// The largest message we accept (a server's answer beyond this is refused).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const OCTET_STRING: u8 = 0x04;
pub const ENUMERATED: u8 = 0x0a;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// A TLV with `tag` around `value`.
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

pub fn integer(tag: u8, v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    // The shortest two's complement form.
    let mut start = 0;
    while start < 7
        && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
            || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
    {
        start += 1;
    }
    tlv(tag, &bytes[start..])
}

pub fn octets(tag: u8, v: &[u8]) -> Vec<u8> {
    tlv(tag, v)
}

pub fn boolean(v: bool) -> Vec<u8> {
    tlv(BOOLEAN, &[if v { 0xff } else { 0 }])
}

/// A constructed value of the parts, in order.
pub fn constructed(tag: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// The length of the first TLV in `buf` when all of it is there: None when
/// more bytes are needed.
pub fn complete_len(buf: &[u8]) -> Result<Option<usize>, BerError> {
    match header(buf) {
        Ok((_, head, len)) => {
            let total = head.checked_add(len).ok_or(BerError::BadLength)?;
            if total > MAX_MESSAGE {
                return Err(BerError::TooLong(total));
            }
            Ok((buf.len() >= total).then_some(total))
        }
        Err(BerError::Truncated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// (tag, header length, value length).
fn header(buf: &[u8]) -> Result<(u8, usize, usize), BerError> {
    let tag = *buf.first().ok_or(BerError::Truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(BerError::Value("multi-byte tag"));
    }
    let first = *buf.get(1).ok_or(BerError::Truncated)?;
    if first < 0x80 {
        return Ok((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return Err(BerError::BadLength);
    }
    let bytes = buf.get(2..2 + n).ok_or(BerError::Truncated)?;
    let len = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    if len > MAX_MESSAGE {
        return Err(BerError::TooLong(len));
    }
    Ok((tag, 2 + n, len))
}

/// Reads TLVs one after another out of a value.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    /// The next TLV: its tag and value.
    pub fn any(&mut self) -> Result<(u8, &'a [u8]), BerError> {
        let (tag, head, len) = header(self.buf)?;
        let value = self.buf.get(head..head + len).ok_or(BerError::Truncated)?;
        self.buf = &self.buf[head + len..];
        Ok((tag, value))
    }

    /// The next TLV, which must have `tag`.
    pub fn expect(&mut self, tag: u8) -> Result<&'a [u8], BerError> {
        let (found, value) = self.any()?;
        if found != tag {
            return Err(BerError::Tag {
                expected: tag,
                found,
            });
        }
        Ok(value)
    }

    /// A constructed TLV with `tag`, to read inside.
    pub fn nested(&mut self, tag: u8) -> Result<Reader<'a>, BerError> {
        Ok(Reader::new(self.expect(tag)?))
    }

    pub fn integer(&mut self, tag: u8) -> Result<i64, BerError> {
        to_integer(self.expect(tag)?)
    }

    pub fn octets(&mut self, tag: u8) -> Result<&'a [u8], BerError> {
        self.expect(tag)
    }

    pub fn string(&mut self, tag: u8) -> Result<String, BerError> {
        Ok(String::from_utf8_lossy(self.expect(tag)?).into_owned())
    }
}

pub fn to_integer(v: &[u8]) -> Result<i64, BerError> {
    if v.is_empty() || v.len() > 8 {
        return Err(BerError::Value("integer"));
    }
    let negative = v[0] & 0x80 != 0;
    let mut n: i64 = if negative { -1 } else { 0 };
    for b in v {
        n = (n << 8) | i64::from(*b);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_take_their_shortest_form_and_read_back() {
        for (v, bytes) in [
            (0i64, vec![0x02, 1, 0]),
            (127, vec![0x02, 1, 0x7f]),
            (128, vec![0x02, 2, 0, 0x80]),
            (-1, vec![0x02, 1, 0xff]),
            (-129, vec![0x02, 2, 0xff, 0x7f]),
            (65_536, vec![0x02, 3, 1, 0, 0]),
        ] {
            assert_eq!(integer(INTEGER, v), bytes, "{v}");
            assert_eq!(Reader::new(&bytes).integer(INTEGER).unwrap(), v);
        }
    }

    #[test]
    fn long_lengths_and_framing() {
        let long = tlv(OCTET_STRING, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(complete_len(&long[..100]).unwrap(), None);
        assert_eq!(complete_len(&long).unwrap(), Some(304));
        assert_eq!(complete_len(&[0x30]).unwrap(), None);
        assert!(complete_len(&[0x30, 0x80]).is_err(), "indefinite");
        assert!(matches!(
            complete_len(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]),
            Err(BerError::TooLong(_))
        ));
        let mut r = Reader::new(&long);
        assert_eq!(r.octets(OCTET_STRING).unwrap().len(), 300);
        assert!(r.is_empty());
        assert!(Reader::new(&long[..50]).any().is_err());
    }
}
