//! RFC 3994 is-composing: the other side is typing (`active`, for up to
//! `refresh` seconds, default 120 s as RFC 3994 says for the receiver's
//! timeout) or stopped (`idle`). We read it and send it.

use super::xml::{self, XmlError};

pub const CONTENT_TYPE: &str = "application/im-iscomposing+xml";

/// How long an `active` without a refresh holds (RFC 3994 3.2).
pub const DEFAULT_ACTIVE_SECONDS: u32 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Composing {
    pub active: bool,
    /// Seconds the `active` state holds unless refreshed.
    pub refresh: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposingError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not an isComposing document (root <{0}>)")]
    NotComposing(String),
    #[error("isComposing state {0:?} is neither active nor idle")]
    BadState(String),
}

pub fn parse(body: &[u8]) -> Result<Composing, ComposingError> {
    let root = xml::parse(body)?;
    if root.name != "isComposing" {
        return Err(ComposingError::NotComposing(root.name));
    }
    let active = match root.child_text("state") {
        Some("active") => true,
        Some("idle") => false,
        other => return Err(ComposingError::BadState(other.unwrap_or("").into())),
    };
    // RFC 3994: refresh is a positive integer; a bad one falls back.
    let refresh = root
        .child_text("refresh")
        .and_then(|r| r.parse::<u32>().ok())
        .filter(|r| *r > 0)
        .unwrap_or(DEFAULT_ACTIVE_SECONDS)
        .min(3600);
    Ok(Composing { active, refresh })
}

/// Our own is-composing body: `active` with a refresh, or `idle`.
pub fn body(active: bool, refresh: u32) -> Vec<u8> {
    let state = if active { "active" } else { "idle" };
    let refresh = if active {
        format!("<refresh>{refresh}</refresh>")
    } else {
        String::new()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\
         <state>{state}</state><contenttype>text/plain</contenttype>{refresh}</isComposing>"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3994_examples_and_our_own_round_trip() {
        let active = br#"<?xml version="1.0" encoding="UTF-8"?>
   <isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xsi:schemaLocation="urn:ietf:params:xml:ns:im-composing iscomposing.xsd">
     <state>active</state>
     <contenttype>text/plain</contenttype>
     <refresh>90</refresh>
   </isComposing>"#;
        assert_eq!(
            parse(active),
            Ok(Composing {
                active: true,
                refresh: 90
            })
        );
        let idle = br#"<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>idle</state><lastactive>2003-01-27T10:43:00Z</lastactive></isComposing>"#;
        assert!(!parse(idle).unwrap().active);
        assert_eq!(
            parse(&body(true, 60)),
            Ok(Composing {
                active: true,
                refresh: 60
            })
        );
        assert!(!parse(&body(false, 60)).unwrap().active);
    }

    #[test]
    fn odd_documents_are_errors() {
        assert!(matches!(
            parse(b"<presence/>"),
            Err(ComposingError::NotComposing(_))
        ));
        assert!(matches!(
            parse(b"<isComposing><state>typing</state></isComposing>"),
            Err(ComposingError::BadState(_))
        ));
        assert!(matches!(
            parse(b"<isComposing><state>active"),
            Err(ComposingError::Xml(_))
        ));
        // A refresh of 0 or nonsense is the default.
        let r = parse(b"<isComposing><state>active</state><refresh>0</refresh></isComposing>");
        assert_eq!(r.unwrap().refresh, DEFAULT_ACTIVE_SECONDS);
    }
}
