//! Lexical helpers shared by the header parsers (RFC 3261 section 25.1).

use super::ParseError;

/// `token` characters: alphanumerics and `-.!%*_+`'~`.
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token_char)
}

/// Linear white space after folding has been removed: SP and HTAB.
pub fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

pub fn trim_ws(s: &str) -> &str {
    s.trim_matches(is_ws)
}

/// Splits a list header value at commas that are outside quoted strings and `<...>`.
/// Empty elements are kept so that callers can reject them (`Via: a,,b`).
pub fn split_list(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        if in_quotes {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '<' => in_angle = true,
            '>' => in_angle = false,
            ',' if !in_angle => {
                parts.push(trim_ws(&value[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(trim_ws(&value[start..]));
    parts.into_iter()
}

/// Reads a quoted string at the start of `s` (which must begin with `"`), returning
/// the unescaped content and the rest after the closing quote.
pub fn quoted_string(s: &str) -> Result<(String, &str), ParseError> {
    let mut chars = s.char_indices();
    if chars.next().map(|(_, c)| c) != Some('"') {
        return Err(ParseError::syntax("expected a quoted string"));
    }
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            return Ok((out, &s[i + 1..]));
        } else {
            out.push(c);
        }
    }
    Err(ParseError::syntax("unterminated quoted string"))
}

/// Writes `s` as a quoted string, escaping `"` and `\`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Generic `;name[=value]` parameters, in order. Names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, Option<String>)>);

impl Params {
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The value of a parameter that has one.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_string);
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, value) in &self.0 {
            match value {
                Some(v) => write!(f, ";{name}={v}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// Parses header parameters: `*( SEMI name [ EQUAL value ] )` with optional white
/// space around `;` and `=`. A value is a token, a host (IPv6 brackets allowed) or
/// a quoted string (kept with its quotes so it serialises back unchanged).
/// An empty name (`;;`) is an error.
pub fn parse_params(mut s: &str) -> Result<Params, ParseError> {
    let mut params = Params::default();
    loop {
        s = trim_ws(s);
        if s.is_empty() {
            return Ok(params);
        }
        let Some(rest) = s.strip_prefix(';') else {
            return Err(ParseError::syntax("expected ';' before a parameter"));
        };
        s = trim_ws(rest);
        let name_end = s.find(|c: char| !is_token_char(c)).unwrap_or(s.len());
        let name = &s[..name_end];
        if name.is_empty() {
            return Err(ParseError::syntax("empty parameter name"));
        }
        s = trim_ws(&s[name_end..]);
        let value = if let Some(rest) = s.strip_prefix('=') {
            s = trim_ws(rest);
            if s.starts_with('"') {
                let (_, rest) = quoted_string(s)?;
                let raw = &s[..s.len() - rest.len()];
                s = rest;
                Some(raw.to_string())
            } else {
                let end = s
                    .find(|c: char| !(is_token_char(c) || "[]:".contains(c)))
                    .unwrap_or(s.len());
                if end == 0 {
                    return Err(ParseError::syntax("empty parameter value"));
                }
                let v = &s[..end];
                s = &s[end..];
                Some(v.to_string())
            }
        } else {
            None
        };
        params.0.push((name.to_string(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_list_respects_quotes_and_angles() {
        let v: Vec<_> = split_list(r#""a, \"b" <sip:x@y;p=1,2>, <sip:z>"#).collect();
        assert_eq!(v, [r#""a, \"b" <sip:x@y;p=1,2>"#, "<sip:z>"]);
        let v: Vec<_> = split_list("a,,b").collect();
        assert_eq!(v, ["a", "", "b"]);
    }

    #[test]
    fn params_with_spaces_and_quotes() {
        let p = parse_params(r#" ;   tag    = 1918181833n ; x ; q="a;b""#).unwrap();
        assert_eq!(p.value("TAG"), Some("1918181833n"));
        assert_eq!(p.get("x"), Some(None));
        assert_eq!(p.value("q"), Some(r#""a;b""#));
        assert!(parse_params(";;").is_err());
        assert!(parse_params(";a=").is_err());
    }

    #[test]
    fn quoted_string_with_pairs() {
        let (s, rest) = quoted_string(r#""J Rosenberg \\\""  <x>"#).unwrap();
        assert_eq!(s, r#"J Rosenberg \""#);
        assert_eq!(rest, "  <x>");
        assert!(quoted_string(r#""open"#).is_err());
        assert_eq!(quote(r#"a"b\"#), r#""a\"b\\""#);
    }
}
