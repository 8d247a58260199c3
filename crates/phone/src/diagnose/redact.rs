//! What a support bundle must not carry: passwords, tokens, keys. A user
//! attaches the bundle to a public bug report, so the configuration and the
//! logs are cleaned before they are written: values of settings whose names
//! say secret, the password of a URL (`https://user:pw@host`), query
//! parameters that look like credentials (`?token=`, `&key=`), and the
//! credentials of SIP and HTTP headers in a log line (`Authorization:`,
//! `Proxy-Authorization:`, `Bearer ...`).

/// What replaces a secret.
pub const HIDDEN: &str = "<removed>";

/// Words in a setting's or parameter's name that say its value is secret
/// (the name is split at `_`, `-` and `.`).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "bearer",
    "signature",
    "sig",
    "auth",
    "authorization",
    "cookie",
];

/// Names that hold a secret though no single word of theirs says so.
const SECRET_NAMES: &[&str] = &["api_key", "access_key", "private_key_pem", "key"];

/// Names that contain a secret word but are no secret.
const NOT_SECRET: &[&str] = &["auth_user", "auth_username", "authorization_user"];

/// Whether a setting or parameter called `name` holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if NOT_SECRET.contains(&lower.as_str()) {
        return false;
    }
    SECRET_NAMES.contains(&lower.as_str())
        || lower
            .split(['_', '-', '.'])
            .any(|word| SECRET_WORDS.contains(&word))
}

/// A TOML file (the configuration) without its secrets: every value of a
/// secret-named key, and the secrets inside every other string (URLs).
/// A file that does not parse is cleaned line by line instead.
pub fn toml_text(text: &str) -> String {
    match text.parse::<toml::Table>() {
        Ok(mut table) => {
            clean_table(&mut table);
            toml::to_string_pretty(&table).unwrap_or_else(|_| lines(text))
        }
        Err(_) => lines(text),
    }
}

fn clean_table(table: &mut toml::Table) {
    for (key, value) in table.iter_mut() {
        if is_secret_name(key) {
            hide_strings(value);
        } else {
            clean_value(value);
        }
    }
}

/// Every string under a secret-named key (a flag or a number says nothing).
fn hide_strings(value: &mut toml::Value) {
    match value {
        toml::Value::String(s) => *s = HIDDEN.into(),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| hide_strings(v)),
        toml::Value::Array(items) => items.iter_mut().for_each(hide_strings),
        _ => {}
    }
}

fn clean_value(value: &mut toml::Value) {
    match value {
        toml::Value::String(s) => *s = in_text(s),
        toml::Value::Table(t) => clean_table(t),
        toml::Value::Array(items) => items.iter_mut().for_each(clean_value),
        _ => {}
    }
}

/// Text (a log, a file that is not TOML) without secrets, line by line.
pub fn lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&in_text(line));
    }
    out
}

/// One line or value without secrets: header credentials, URL passwords,
/// secret query parameters and `name=value` / `name: value` pairs whose name
/// says secret.
pub fn in_text(text: &str) -> String {
    let text = header_credentials(text);
    let text = url_passwords(&text);
    pairs(&text)
}

/// `Authorization: Digest username=..., response=...` keeps the scheme and
/// loses the rest (the username and realm are no secret, but the response
/// and nonce are what an attacker replays); `Bearer X` loses X.
fn header_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let found = ["authorization:", "bearer "]
            .iter()
            .filter_map(|m| lower.find(m).map(|at| (at, *m)))
            .min_by_key(|(at, _)| *at);
        let Some((at, marker)) = found else {
            out.push_str(rest);
            return out;
        };
        let after = at + marker.len();
        out.push_str(&rest[..after]);
        let tail = &rest[after..];
        // An Authorization header's credentials run to the line's end (its
        // parameters are quoted and comma-separated); a bearer token to
        // the first space or quote.
        let stops: &[char] = if marker == "bearer " {
            &['\r', '\n', ' ', '"', '\'', '}', ']', ',']
        } else {
            &['\r', '\n']
        };
        let end = tail.find(stops).unwrap_or(tail.len());
        let value = &tail[..end];
        if marker == "authorization:" {
            let trimmed = value.trim_start();
            let scheme: String = trimmed
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            out.push_str(&value[..value.len() - trimmed.len()]);
            if !scheme.is_empty() {
                out.push_str(&scheme);
                out.push(' ');
            }
        }
        if !value.trim().is_empty() {
            out.push_str(HIDDEN);
        }
        rest = &tail[end..];
    }
}

/// `scheme://user:password@host` → `scheme://user:<removed>@host`.
fn url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let start = at + 3;
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at_sign) => {
                let userinfo = &authority[..at_sign];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(HIDDEN);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at_sign..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `token=X`, `password: X`, `"secret":"X"`, `&key=X` lose X when the name
/// says secret.
fn pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'=' || c == b':' {
            // The name before the separator (quotes around it allowed).
            let mut name_end = i;
            while name_end > 0 && matches!(bytes[name_end - 1], b'"' | b'\'' | b' ') {
                name_end -= 1;
            }
            let mut name_start = name_end;
            while name_start > 0
                && (bytes[name_start - 1].is_ascii_alphanumeric()
                    || matches!(bytes[name_start - 1], b'_' | b'-' | b'.'))
            {
                name_start -= 1;
            }
            let name = &text[name_start..name_end];
            // "http://": not a pair.
            let url_colon = c == b':' && text[i + 1..].starts_with("//");
            // An Authorization header was cleaned whole already.
            let header = name.to_ascii_lowercase().ends_with("authorization");
            if !name.is_empty() && !url_colon && !header && is_secret_name(name) {
                let mut value_start = i + 1;
                while value_start < bytes.len() && matches!(bytes[value_start], b' ' | b'"' | b'\'')
                {
                    value_start += 1;
                }
                let mut value_end = value_start;
                while value_end < bytes.len()
                    && !matches!(
                        bytes[value_end],
                        b'&' | b' '
                            | b'"'
                            | b'\''
                            | b','
                            | b';'
                            | b'}'
                            | b']'
                            | b'\r'
                            | b'\n'
                            | b'#'
                    )
                {
                    value_end += 1;
                }
                if value_end > value_start {
                    out.push_str(&text[copied..value_start]);
                    out.push_str(HIDDEN);
                    copied = value_end;
                    i = value_end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_loses_its_secrets_and_keeps_the_rest() {
        let config = r#"
[sip]
listen = "0.0.0.0:5060"

[[accounts]]
name = "office"
aor = "sip:alice@pbx.example.com"
auth_user = "alice-auth"
password = "in-the-file-1"

[accounts.balance]
url = "https://alice:pw-in-url-2@billing.example.com/balance?user={user}&token=tok-3&format=json"

[[hooks]]
url = "https://crm.example.com/in?api_key=key-4"
secret = "hmac-5"

[directory.ldap]
bind_dn = "cn=reader,dc=example"
bind_password = "ldap-6"
"#;
        let clean = toml_text(config);
        for secret in [
            "in-the-file-1",
            "pw-in-url-2",
            "tok-3",
            "key-4",
            "hmac-5",
            "ldap-6",
        ] {
            assert!(!clean.contains(secret), "{secret} left in:\n{clean}");
        }
        for kept in [
            "sip:alice@pbx.example.com",
            "alice-auth",
            "billing.example.com/balance",
            "user={user}",
            "format=json",
            "cn=reader,dc=example",
            "0.0.0.0:5060",
        ] {
            assert!(clean.contains(kept), "{kept} lost:\n{clean}");
        }
    }

    #[test]
    fn log_lines_lose_credentials() {
        let cases = [
            (
                "Authorization: Digest username=\"alice\", realm=\"pbx\", nonce=\"n1\", response=\"r-secret\"",
                "Authorization: Digest <removed>",
            ),
            (
                "2026-12-07 INFO Proxy-Authorization: Digest response=\"abc\"\r\n",
                "2026-12-07 INFO Proxy-Authorization: Digest <removed>\r\n",
            ),
            (
                "GET /v1/state Bearer 0123abcd",
                "GET /v1/state Bearer <removed>",
            ),
            (
                "fetching https://u:p4ss@h/x?a=1&token=t0k&b=2",
                "fetching https://u:<removed>@h/x?a=1&token=<removed>&b=2",
            ),
            (
                "{\"password\":\"hunter2\",\"user\":\"bob\"}",
                "{\"password\":\"<removed>\",\"user\":\"bob\"}",
            ),
            (
                "sip:alice@example.com:5060 registered",
                "sip:alice@example.com:5060 registered",
            ),
            (
                "time: 12:30:00 auth_user=alice",
                "time: 12:30:00 auth_user=alice",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(in_text(line), want, "{line}");
        }
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "bind_password",
            "api_key",
            "access-token",
            "secret",
            "HOOK_SECRET",
            "key",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "user",
            "auth_user",
            "hotkey",
            "url",
            "name",
            "aor",
            "keyboard",
            "tls_ca_file",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    proptest::proptest! {
        /// Whatever a secret is, where the configuration holds one it is gone.
        #[test]
        fn no_secret_survives(secret in "[A-Za-z0-9._~%+-]{6,24}") {
            let config = format!(
                "[[accounts]]\nname = \"a\"\npassword = \"{secret}\"\n\n[accounts.balance]\nurl = \"https://u:{secret}@b.example/x?token={secret}\"\n"
            );
            let clean = toml_text(&config);
            proptest::prop_assert!(!clean.contains(&secret), "{}", clean);
            let line = format!("Authorization: Bearer {secret}\n");
            proptest::prop_assert!(!lines(&line).contains(&secret));
        }
    }
}
