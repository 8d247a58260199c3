//! Search filters (RFC 4515): what a user typed escaped into a filter
//! template, and the filter string encoded as the BER `Filter` of RFC 4511
//! 4.5.1.7. Typing `*)(uid=*` searches for those characters; it can never
//! widen the filter.

use super::ber;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("LDAP filter {filter:?}: {reason} at {at}")]
pub struct FilterError {
    pub filter: String,
    pub at: usize,
    pub reason: &'static str,
}

/// `text` as an assertion value: `*`, `(`, `)`, `\` and NUL as `\XX`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// The template with each `{name}` replaced by its escaped value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &escape(value));
    }
    out
}

/// The filter string as BER.
pub fn encode(filter: &str) -> Result<Vec<u8>, FilterError> {
    let mut p = Parser {
        text: filter,
        pos: 0,
        depth: 0,
    };
    let f = p.filter()?;
    if p.pos != filter.len() {
        return Err(p.error("text after the filter"));
    }
    Ok(f)
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 32;

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> FilterError {
        FilterError {
            filter: self.text.to_string(),
            at: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Result<(), FilterError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(match b {
                b'(' => "expected '('",
                b')' => "expected ')'",
                _ => "unexpected character",
            }))
        }
    }

    fn filter(&mut self) -> Result<Vec<u8>, FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.eat(b'(')?;
        let encoded = match self.peek() {
            Some(b'&') => self.set(0xa0)?,
            Some(b'|') => self.set(0xa1)?,
            Some(b'!') => {
                self.pos += 1;
                let inner = self.filter()?;
                ber::tlv(0xa2, &inner)
            }
            _ => self.item()?,
        };
        self.eat(b')')?;
        self.depth -= 1;
        Ok(encoded)
    }

    fn set(&mut self, tag: u8) -> Result<Vec<u8>, FilterError> {
        self.pos += 1;
        let mut parts = Vec::new();
        while self.peek() == Some(b'(') {
            parts.push(self.filter()?);
        }
        if parts.is_empty() {
            return Err(self.error("an empty & or |"));
        }
        Ok(ber::constructed(tag, &parts))
    }

    /// `attr=value`, `attr=*`, `attr=a*b*c`, `attr>=v`, `attr<=v`, `attr~=v`.
    fn item(&mut self) -> Result<Vec<u8>, FilterError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b';' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let attr = &self.text[start..self.pos];
        if attr.is_empty() {
            return Err(self.error("no attribute"));
        }
        let op = match self.peek() {
            Some(b'=') => b'=',
            Some(b @ (b'>' | b'<' | b'~')) => {
                self.pos += 1;
                b
            }
            Some(b':') => return Err(self.error("extensible matches are not supported")),
            _ => return Err(self.error("expected an operator")),
        };
        self.eat(b'=')?;
        let value_start = self.pos;
        while let Some(b) = self.peek() {
            if b == b')' || b == b'(' {
                break;
            }
            self.pos += 1;
        }
        let raw = &self.text[value_start..self.pos];
        let ava = |tag: u8, value: &[u8]| {
            ber::constructed(
                tag,
                &[
                    ber::octets(ber::OCTET_STRING, attr.as_bytes()),
                    ber::octets(ber::OCTET_STRING, value),
                ],
            )
        };
        match op {
            b'>' => Ok(ava(0xa5, &self.unescape(raw)?)),
            b'<' => Ok(ava(0xa6, &self.unescape(raw)?)),
            b'~' => Ok(ava(0xa8, &self.unescape(raw)?)),
            _ if raw == "*" => Ok(ber::octets(0x87, attr.as_bytes())),
            _ if raw.contains('*') => {
                let pieces: Vec<&str> = raw.split('*').collect();
                let last = pieces.len() - 1;
                let mut subs = Vec::new();
                for (i, piece) in pieces.iter().enumerate() {
                    if piece.is_empty() {
                        continue;
                    }
                    let tag = match i {
                        0 => 0x80,
                        i if i == last => 0x82,
                        _ => 0x81,
                    };
                    subs.push(ber::octets(tag, &self.unescape(piece)?));
                }
                Ok(ber::constructed(
                    0xa4,
                    &[
                        ber::octets(ber::OCTET_STRING, attr.as_bytes()),
                        ber::constructed(ber::SEQUENCE, &subs),
                    ],
                ))
            }
            _ => Ok(ava(0xa3, &self.unescape(raw)?)),
        }
    }

    /// `\XX` escapes to their bytes.
    fn unescape(&self, value: &str) -> Result<Vec<u8>, FilterError> {
        let bytes = value.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| self.error("a '\\' not followed by two hex digits"))?;
                out.push(hex);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_typed_cannot_widen_the_filter() {
        assert_eq!(escape("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(escape("a\\b\0"), "a\\5cb\\00");
        assert_eq!(escape("Öztürk"), "Öztürk");
        let filter = fill("(|(cn=*{text}*)(mail={text}*))", &[("text", "*)(uid=*")]);
        assert_eq!(
            filter,
            "(|(cn=*\\2a\\29\\28uid=\\2a*)(mail=\\2a\\29\\28uid=\\2a*))"
        );
        let ber = encode(&filter).unwrap();
        // An OR of two substring filters; the typed text is one 'any' value.
        assert_eq!(ber[0], 0xa1);
        let text = b"*)(uid=*";
        assert!(ber.windows(text.len()).any(|w| w == text));
    }

    #[test]
    fn filters_encode_as_rfc_4511_says() {
        // (cn=Babs Jensen) from RFC 4515's examples.
        assert_eq!(
            encode("(cn=Babs Jensen)").unwrap(),
            [
                &[0xa3, 0x11, 0x04, 0x02][..],
                b"cn",
                &[0x04, 0x0b],
                b"Babs Jensen"
            ]
            .concat()
        );
        assert_eq!(
            encode("(objectClass=*)").unwrap(),
            [&[0x87, 0x0b][..], b"objectClass"].concat()
        );
        let subs = encode("(cn=*lu*ck*)").unwrap();
        assert_eq!(subs[0], 0xa4);
        assert_eq!(
            &subs[subs.len() - 8..],
            &[0x81, 0x02, b'l', b'u', 0x81, 0x02, b'c', b'k']
        );
        assert_eq!(encode("(!(cn=a))").unwrap()[0], 0xa2);
        assert_eq!(encode("(&(a=1)(b>=2))").unwrap()[0], 0xa0);
        assert_eq!(
            encode("(cn=\\4a\\c3\\b6rg)").unwrap()[8..],
            "Jörg".as_bytes()[..]
        );
        for bad in [
            "cn=x",
            "(cn=x",
            "(=x)",
            "(&)",
            "(cn:dn:=x)",
            "(cn=\\zz)",
            "(a=b))",
            &"(!".repeat(40),
        ] {
            assert!(encode(bad).is_err(), "{bad}");
        }
    }
}
