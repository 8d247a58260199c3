//! Content lines: physical lines unfolded (RFC 6350 3.2: a line that starts
//! with a space or tab continues the one before; 2.1's quoted-printable
//! soft breaks join too), then split into group, name, parameters and the
//! value's bytes.

/// A logical line and the number of its first physical line (1-based).
pub struct Logical {
    pub number: usize,
    pub bytes: Vec<u8>,
}

/// The logical lines of `input`.
pub fn unfold(input: &[u8]) -> Vec<Logical> {
    let mut out: Vec<Logical> = Vec::new();
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    for (i, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(last) = out.last_mut() {
            if let Some(rest) = line.strip_prefix(b" ").or_else(|| line.strip_prefix(b"\t")) {
                last.bytes.extend_from_slice(rest);
                continue;
            }
            if soft_break(&last.bytes) {
                last.bytes.pop();
                last.bytes.extend_from_slice(line);
                continue;
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(Logical {
            number: i + 1,
            bytes: line.to_vec(),
        });
    }
    out
}

/// A quoted-printable value that ends in `=` goes on on the next line.
fn soft_break(line: &[u8]) -> bool {
    if line.last() != Some(&b'=') {
        return false;
    }
    let head_end = line.iter().position(|&b| b == b':').unwrap_or(0);
    line[..head_end]
        .to_ascii_uppercase()
        .windows(16)
        .any(|w| w == b"QUOTED-PRINTABLE")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentLine {
    pub group: Option<String>,
    /// Upper case.
    pub name: String,
    /// Parameter names upper case; 2.1's bare `WORK` is `TYPE=WORK`.
    pub params: Vec<(String, Vec<String>)>,
    pub value: Vec<u8>,
}

impl ContentLine {
    /// The values of parameter `name`, comma lists split.
    pub fn param(&self, name: &str) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(move |(n, _)| n == name)
            .flat_map(|(_, v)| v.iter().map(String::as_str))
    }

    pub fn has_type(&self, t: &str) -> bool {
        self.param("TYPE").any(|v| v.eq_ignore_ascii_case(t))
    }
}

/// Splits a logical line; an error says what is wrong with it.
pub fn split(bytes: &[u8]) -> Result<ContentLine, String> {
    let colon = head_end(bytes).ok_or("no ':' between the name and the value")?;
    let head = std::str::from_utf8(&bytes[..colon])
        .map_err(|_| "the property name is not text".to_string())?;
    let mut parts = split_unquoted(head, ';').into_iter();
    let full_name = parts.next().unwrap_or_default();
    let (group, name) = match full_name.rsplit_once('.') {
        Some((g, n)) => (Some(g.to_string()), n),
        None => (None, full_name.as_str()),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("{name:?} is not a property name"));
    }
    let mut params = Vec::new();
    for p in parts {
        let (pname, pvalue) = match p.split_once('=') {
            Some((n, v)) => (n.trim().to_ascii_uppercase(), v),
            None => ("TYPE".to_string(), p.as_str()),
        };
        let mut values: Vec<String> = split_unquoted(pvalue, ',')
            .into_iter()
            .map(|v| v.trim().trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if pname == "TYPE" {
            // `TYPE="work,voice"` (4.0) is a list too.
            values = values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
        }
        params.push((pname, values));
    }
    Ok(ContentLine {
        group,
        name: name.to_ascii_uppercase(),
        params,
        value: bytes[colon + 1..].to_vec(),
    })
}

/// Where the name and parameters end: the first `:` outside quotes.
fn head_end(bytes: &[u8]) -> Option<usize> {
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b':' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn split_unquoted(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    out.push(current);
    out
}

/// A text value's escapes undone (`\n`, `\,`, `\;`, `\\`).
pub fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A structured value's components (`N`, `ORG`), split on unescaped `;`.
pub fn components(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                current.push('\\');
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            ';' => out.push(unescape(&std::mem::take(&mut current))),
            c => current.push(c),
        }
    }
    out.push(unescape(&current));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_lines_and_soft_breaks_are_joined() {
        let text = b"BEGIN:VCARD\r\nNOTE:one\r\n  two\r\n\tthree\r\nFN;ENCODING=QUOTED-PRINTABLE:J=C3=\r\n=B6rg\r\n\r\nEND:VCARD";
        let lines = unfold(text);
        let texts: Vec<_> = lines
            .iter()
            .map(|l| String::from_utf8_lossy(&l.bytes).into_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "BEGIN:VCARD",
                "NOTE:one twothree",
                "FN;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg",
                "END:VCARD"
            ]
        );
        assert_eq!(lines[3].number, 8);
    }

    #[test]
    fn a_line_splits_into_group_name_params_and_value() {
        let l = split(b"item1.tel;type=\"work,voice\";PREF=1;VALUE=uri:tel:+49-30-1").unwrap();
        assert_eq!(l.group.as_deref(), Some("item1"));
        assert_eq!(l.name, "TEL");
        assert!(l.has_type("WORK") && l.has_type("voice"));
        assert_eq!(l.param("VALUE").collect::<Vec<_>>(), ["uri"]);
        assert_eq!(l.value, b"tel:+49-30-1");
        let old = split(b"TEL;WORK;VOICE:0301").unwrap();
        assert!(old.has_type("work"));
        let quoted = split(b"X-A;LABEL=\"a:b;c\":v").unwrap();
        assert_eq!(quoted.param("LABEL").collect::<Vec<_>>(), ["a:b;c"]);
        assert_eq!(quoted.value, b"v");
        assert!(split(b"no colon here").is_err());
        assert!(split(b"BAD NAME:x").is_err());
    }

    #[test]
    fn escapes_and_components() {
        assert_eq!(unescape(r"a\, b\; c\\d\ne"), "a, b; c\\d\ne");
        assert_eq!(
            components(r"Öztürk;Ayşe;;Dr.;"),
            ["Öztürk", "Ayşe", "", "Dr.", ""]
        );
        assert_eq!(components(r"ACME\; Inc;Sales"), ["ACME; Inc", "Sales"]);
    }
}
