//! The bytes of a vCard value as text: UTF-8 unless a `CHARSET` parameter
//! (2.1, 3.0) says otherwise; quoted-printable undone first when
//! `ENCODING=QUOTED-PRINTABLE`. Text that is not UTF-8 and names no
//! charset is read as Windows-1252, what the exporters that write such
//! files use.

/// `bytes` as text in `charset` (None: UTF-8, else Windows-1252).
pub fn decode(bytes: &[u8], charset: Option<&str>) -> Result<String, String> {
    match charset.map(|c| c.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => windows_1252(bytes),
        }),
        Some("utf-8" | "utf8") => std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| "the text is not the UTF-8 its CHARSET says".to_string()),
        Some("us-ascii" | "ascii") if bytes.is_ascii() => Ok(windows_1252(bytes)),
        Some("us-ascii" | "ascii") => Err("the text is not the ASCII its CHARSET says".into()),
        Some("iso-8859-1" | "latin1" | "latin-1" | "iso8859-1") => {
            Ok(bytes.iter().map(|&b| b as char).collect())
        }
        Some("windows-1252" | "cp1252") => Ok(windows_1252(bytes)),
        Some(other) => Err(format!("charset {other} is not supported")),
    }
}

/// Windows-1252: Latin-1 with printable characters in 0x80-0x9f.
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => b as char,
        })
        .collect()
}

/// Quoted-printable undone (`=C3=A9` -> the two bytes; soft breaks were
/// joined when the lines were unfolded).
pub fn quoted_printable(value: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'=' if i + 1 == value.len() => i += 1,
            b'=' => {
                let hex = value
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad quoted-printable at byte {}", i + 1))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_and_quoted_printable_are_read() {
        assert_eq!(decode(b"J\xf6rg", Some("ISO-8859-1")).unwrap(), "Jörg");
        assert_eq!(decode(b"\x80 5", Some("windows-1252")).unwrap(), "€ 5");
        assert_eq!(decode(b"J\xf6rg", None).unwrap(), "Jörg", "not UTF-8: 1252");
        assert_eq!(decode("Jörg".as_bytes(), None).unwrap(), "Jörg");
        assert!(decode(b"J\xf6rg", Some("UTF-8")).is_err());
        assert!(
            decode(b"x", Some("KOI8-R"))
                .unwrap_err()
                .contains("KOI8-R".to_lowercase().as_str())
        );
        assert_eq!(quoted_printable(b"J=C3=B6rg=").unwrap(), "Jörg".as_bytes());
        assert!(quoted_printable(b"a=ZZ").is_err());
    }
}
