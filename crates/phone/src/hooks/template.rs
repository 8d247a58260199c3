//! `{field}` templates: `https://crm.example/search?phone={number}`. A
//! value going into a URL is percent-encoded whole (a name with `&` in it
//! cannot add a parameter); `{{` and `}}` stand for braces.

use super::event::HookEvent;

/// The fields a template may name.
pub const FIELDS: &[&str] = &[
    "event",
    "id",
    "time",
    "call",
    "direction",
    "number",
    "remote",
    "name",
    "account",
    "duration",
    "reason",
    "text",
];

/// A template's pieces: text, or a field's name.
enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = after;
        } else if let Some(after) = rest.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("an unclosed {{ in {template:?}"))?;
            let name = &after[..end];
            if !FIELDS.contains(&name) {
                return Err(format!(
                    "{{{name}}} is not a field (fields: {})",
                    FIELDS.join(", ")
                ));
            }
            out.push(Piece::Field(name));
            rest = &after[end + 1..];
        } else if rest.starts_with('}') {
            return Err(format!("a lone }} in {template:?} (write }}}} for one)"));
        } else {
            let end = rest.find(['{', '}']).unwrap_or(rest.len());
            out.push(Piece::Text(&rest[..end]));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

/// Whether `template` names only known fields.
pub fn check(template: &str) -> Result<(), String> {
    pieces(template).map(|_| ())
}

/// `template` with the event's fields; `url`: each value percent-encoded.
pub fn expand(template: &str, event: &HookEvent, url: bool) -> String {
    let Ok(pieces) = pieces(template) else {
        return template.to_string();
    };
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(name) => {
                let value = event.field(name);
                if url {
                    out.push_str(&encode(&value));
                } else {
                    out.push_str(&value);
                }
            }
        }
    }
    out
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::event::{HookEvent, HookEventKind};

    fn event() -> HookEvent {
        HookEvent {
            number: "+49 30 5550777".into(),
            name: Some("Ayşe Öztürk & Co".into()),
            ..HookEvent::new(HookEventKind::Ringing, 7, 1_700_000_000)
        }
    }

    #[test]
    fn values_are_encoded_whole_in_urls() {
        let url = expand(
            "https://crm.example/search?phone={number}&name={name}&x={{y}}",
            &event(),
            true,
        );
        assert_eq!(
            url,
            "https://crm.example/search?phone=%2B49%2030%205550777&name=Ay%C5%9Fe%20%C3%96zt%C3%BCrk%20%26%20Co&x={y}"
        );
        assert_eq!(
            expand("{name}: {call}", &event(), false),
            "Ayşe Öztürk & Co: 7"
        );
        assert_eq!(expand("{account}", &event(), false), "", "absent: empty");
    }

    #[test]
    fn unknown_fields_and_stray_braces_are_refused() {
        assert!(check("{number}").is_ok());
        assert!(check("{phone}").unwrap_err().contains("not a field"));
        assert!(check("{number").unwrap_err().contains("unclosed"));
        assert!(check("a}b").unwrap_err().contains("lone"));
    }
}
