//! Presence documents: PIDF (RFC 3863) with RPID activities (RFC 4480), as
//! servers and phones send them, read into one of the states a person can
//! choose (available, away, busy, do not disturb, on the phone, offline)
//! plus a note; and our own document for PUBLISH.
//!
//! Reading is lenient where real documents differ: activities may sit in a
//! data-model `person` (RFC 4479) or directly in a tuple; the note in either;
//! several tuples (one per device) are open if any is. An empty body
//! (a pending subscription, RFC 3856 6.6.2) is `Unknown`.

use super::xml::{self, Element, XmlError};

pub const CONTENT_TYPE: &str = "application/pidf+xml";

/// Where a person stands, as the window shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Availability {
    Available,
    Away,
    Busy,
    DoNotDisturb,
    OnThePhone,
    Offline,
    /// No presence known (no document, or the server has none).
    Unknown,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Away => "away",
            Availability::Busy => "busy",
            Availability::DoNotDisturb => "dnd",
            Availability::OnThePhone => "on-the-phone",
            Availability::Offline => "offline",
            Availability::Unknown => "unknown",
        }
    }
}

/// What a presence document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub availability: Availability,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PidfError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("not a PIDF document (root <{0}>)")]
    NotPidf(String),
}

/// The longest note kept (a status line, not a letter).
const MAX_NOTE: usize = 256;

pub fn parse(body: &[u8]) -> Result<Presence, PidfError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Presence {
            availability: Availability::Unknown,
            note: None,
        });
    }
    let root = xml::parse(body)?;
    if root.name != "presence" {
        return Err(PidfError::NotPidf(root.name));
    }
    let tuples: Vec<&Element> = root.children_named("tuple").collect();
    fn basic_of(t: &Element) -> Option<&str> {
        t.child("status").and_then(|s| s.child_text("basic"))
    }
    let open = tuples.iter().any(|t| basic_of(t) == Some("open"));
    let any_basic = tuples.iter().any(|t| basic_of(t).is_some());
    // Activities: every `activities` element in the document, whichever
    // element holds it.
    let mut activities: Vec<(&str, &str)> = Vec::new();
    let mut notes: Vec<&str> = Vec::new();
    visit(&root, &mut |e| match e.name.as_str() {
        "activities" => {
            for a in &e.children {
                activities.push((a.name.as_str(), a.text.trim()));
            }
        }
        "note" if !e.text.trim().is_empty() => notes.push(e.text.trim()),
        _ => {}
    });
    let has = |name: &str| activities.iter().any(|(n, _)| *n == name);
    let other = |words: &[&str]| {
        activities
            .iter()
            .any(|(n, text)| *n == "other" && words.iter().any(|w| text.eq_ignore_ascii_case(w)))
    };
    let availability = if any_basic && !open {
        Availability::Offline
    } else if other(&["dnd", "do-not-disturb", "do not disturb"]) {
        Availability::DoNotDisturb
    } else if has("on-the-phone") {
        Availability::OnThePhone
    } else if has("busy") || has("meeting") || has("performance") || has("presentation") {
        Availability::Busy
    } else if has("away")
        || has("vacation")
        || has("sleeping")
        || has("appointment")
        || has("meal")
        || has("steering")
        || has("travel")
    {
        Availability::Away
    } else if open {
        Availability::Available
    } else {
        Availability::Unknown
    };
    let note = notes.iter().find_map(|n| clean_note(n));
    Ok(Presence { availability, note })
}

/// A note as shown: no control characters, at most `MAX_NOTE` characters,
/// trimmed; nothing when nothing is left.
pub fn clean_note(note: &str) -> Option<String> {
    let kept: String = note
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NOTE)
        .collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_string())
}

fn visit<'a>(e: &'a Element, f: &mut impl FnMut(&'a Element)) {
    f(e);
    for c in &e.children {
        visit(c, f);
    }
}

/// Our presence document for `entity` (our address of record): a tuple
/// (open unless offline) and a person with the RPID activity, and the note.
/// `id` makes the element ids unique per publisher.
pub fn document(entity: &str, presence: &Presence, id: &str) -> Vec<u8> {
    let basic = match presence.availability {
        Availability::Offline => "closed",
        _ => "open",
    };
    let activity = match presence.availability {
        Availability::Away => "<rpid:away/>",
        Availability::Busy => "<rpid:busy/>",
        Availability::DoNotDisturb => "<rpid:busy/><rpid:other>do-not-disturb</rpid:other>",
        Availability::OnThePhone => "<rpid:on-the-phone/>",
        Availability::Available | Availability::Offline | Availability::Unknown => "",
    };
    let activities = if activity.is_empty() {
        String::new()
    } else {
        format!("<rpid:activities>{activity}</rpid:activities>")
    };
    let note = presence
        .note
        .as_deref()
        .and_then(clean_note)
        .map(|n| escape(&n));
    let tuple_note = note
        .as_deref()
        .map_or(String::new(), |n| format!("<note>{n}</note>"));
    let person_note = note
        .as_deref()
        .map_or(String::new(), |n| format!("<dm:note>{n}</dm:note>"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" \
         xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
         xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"{entity}\">\
         <tuple id=\"t{id}\"><status><basic>{basic}</basic></status>{tuple_note}</tuple>\
         <dm:person id=\"p{id}\">{activities}{person_note}</dm:person>\
         </presence>",
        entity = escape(entity),
    )
    .into_bytes()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(body: &str) -> Presence {
        parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn rfc_examples_and_real_phones_read_as_a_state() {
        // RFC 3863 3.4's example: open, with a note.
        let rfc3863 = r#"<?xml version="1.0" encoding="UTF-8"?>
     <presence xmlns="urn:ietf:params:xml:ns:pidf"
         xmlns:im="urn:ietf:params:xml:ns:pidf:im"
         xmlns:myex="http://id.example.com/presence/"
         entity="pres:someone@example.com">
       <tuple id="bs35r9">
         <status>
           <basic>open</basic>
           <im:im>busy</im:im>
           <myex:location>home</myex:location>
         </status>
         <contact priority="0.8">im:someone@mobilecarrier.net</contact>
         <note xml:lang="en">Don't Disturb Me!</note>
         <note xml:lang="fr">Ne derangez pas, s'il vous plait</note>
         <timestamp>2001-10-27T16:49:29Z</timestamp>
       </tuple>
     </presence>"#;
        let p = said(rfc3863);
        assert_eq!(p.availability, Availability::Available);
        assert_eq!(p.note.as_deref(), Some("Don't Disturb Me!"));
        // RPID in a data-model person (Linphone, GOnnect, kamailio's pua).
        let person = r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@h">
          <tuple id="a"><status><basic>open</basic></status></tuple>
          <dm:person id="p"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person></presence>"#;
        assert_eq!(said(person).availability, Availability::OnThePhone);
        // RPID directly in the tuple, as some phones put it.
        let in_tuple = r#"<presence entity="sip:bob@h"><tuple id="a"><status><basic>open</basic></status><activities><away/></activities><note>lunch</note></tuple></presence>"#;
        let p = said(in_tuple);
        assert_eq!(
            (p.availability, p.note.as_deref()),
            (Availability::Away, Some("lunch"))
        );
        // Two devices: open if either is.
        let two = r#"<presence entity="sip:bob@h"><tuple id="a"><status><basic>closed</basic></status></tuple><tuple id="b"><status><basic>open</basic></status></tuple></presence>"#;
        assert_eq!(said(two).availability, Availability::Available);
        let closed = r#"<presence entity="sip:bob@h"><tuple id="a"><status><basic>closed</basic></status></tuple></presence>"#;
        assert_eq!(said(closed).availability, Availability::Offline);
        assert_eq!(said("").availability, Availability::Unknown);
        assert_eq!(
            said("<presence entity='sip:x@h'/>").availability,
            Availability::Unknown
        );
    }

    #[test]
    fn our_documents_read_back_as_published() {
        for availability in [
            Availability::Available,
            Availability::Away,
            Availability::Busy,
            Availability::DoNotDisturb,
            Availability::OnThePhone,
            Availability::Offline,
        ] {
            let p = Presence {
                availability,
                note: Some("back at 3 <pm> & \"later\"".into()),
            };
            let doc = document("sip:alice@example.com", &p, "x1");
            assert_eq!(
                parse(&doc),
                Ok(p.clone()),
                "{}",
                String::from_utf8_lossy(&doc)
            );
        }
    }

    #[test]
    fn bad_documents_are_errors_and_notes_are_capped() {
        assert!(matches!(
            parse(b"<dialog-info/>"),
            Err(PidfError::NotPidf(_))
        ));
        assert!(matches!(
            parse(b"<presence><tuple>"),
            Err(PidfError::Xml(_))
        ));
        let long = format!(
            "<presence entity='sip:x@h'><tuple id='a'><status><basic>open</basic></status><note>{}</note></tuple></presence>",
            "n".repeat(5000)
        );
        assert_eq!(said(&long).note.map(|n| n.len()), Some(MAX_NOTE));
    }
}
