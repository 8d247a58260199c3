//! XML from the network as a small tree, read safely: no DTD (a DOCTYPE is
//! refused, so no entity can be declared, expanded or fetched: the
//! billion-laughs body is an error, not a memory bill), only the five
//! predefined entities and character references, and caps on size, depth
//! and element count. Names keep only their local part: the bodies we read
//! (PIDF, RPID, dialog-info, is-composing) do not reuse a local name across
//! their namespaces for different things.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The largest body read (a PIDF of a busy server is a few KiB).
pub const MAX_BYTES: usize = 64 * 1024;
/// Deeper nesting than any body we read needs.
pub const MAX_DEPTH: usize = 32;
/// Elements in one body.
pub const MAX_ELEMENTS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("XML body of {0} bytes is over the cap")]
    TooLarge(usize),
    #[error("XML nested too deep")]
    TooDeep,
    #[error("XML with too many elements")]
    TooManyElements,
    #[error("XML with a DTD (refused: no entity is ever declared or expanded)")]
    Dtd,
    #[error("XML entity &{0}; is not one of the five predefined")]
    UnknownEntity(String),
    #[error("XML body is not UTF-8")]
    NotUtf8,
    #[error("XML has no root element")]
    NoRoot,
    #[error("malformed XML: {0}")]
    Malformed(String),
}

/// One element: its local name, attributes (local names), the text directly
/// in it (concatenated, not trimmed) and its child elements in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How much XML a reader takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub bytes: usize,
    pub depth: usize,
    pub elements: usize,
}

impl Limits {
    /// SIP bodies: [`MAX_BYTES`], [`MAX_DEPTH`], [`MAX_ELEMENTS`].
    pub const SIP_BODY: Limits = Limits {
        bytes: MAX_BYTES,
        depth: MAX_DEPTH,
        elements: MAX_ELEMENTS,
    };
}

/// Reads a SIP body into a tree, or says why not.
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    parse_with(body, Limits::SIP_BODY)
}

/// Reads `body` into a tree within `limits` (a WebDAV multistatus of a
/// large address book is bigger than any SIP body).
pub fn parse_with(body: &[u8], limits: Limits) -> Result<Element, XmlError> {
    if body.len() > limits.bytes {
        return Err(XmlError::TooLarge(body.len()));
    }
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let malformed = |e: quick_xml::Error| XmlError::Malformed(e.to_string());
    // The open elements, innermost last.
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let event = reader.read_event().map_err(malformed)?;
        match event {
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Start(start) | Event::Empty(start) if root.is_some() && open.is_empty() => {
                let _ = start;
                return Err(XmlError::Malformed("a second root element".into()));
            }
            Event::Start(start) => {
                elements += 1;
                if elements > limits.elements {
                    return Err(XmlError::TooManyElements);
                }
                if open.len() >= limits.depth {
                    return Err(XmlError::TooDeep);
                }
                open.push(element_of(&start)?);
            }
            Event::Empty(start) => {
                elements += 1;
                if elements > limits.elements {
                    return Err(XmlError::TooManyElements);
                }
                if open.len() >= limits.depth {
                    return Err(XmlError::TooDeep);
                }
                let element = element_of(&start)?;
                close(element, &mut open, &mut root);
            }
            Event::End(_) => {
                let element = open
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("an end with no start".into()))?;
                close(element, &mut open, &mut root);
            }
            Event::Text(t) => {
                if let Some(e) = open.last_mut() {
                    e.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(XmlError::Malformed("text outside the root".into()));
                }
            }
            Event::CData(t) => {
                if let Some(e) = open.last_mut() {
                    e.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r)?;
                if let Some(e) = open.last_mut() {
                    e.text.push(c);
                }
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !open.is_empty() {
        return Err(XmlError::Malformed(
            "the body ends inside an element".into(),
        ));
    }
    root.ok_or(XmlError::NoRoot)
}

/// A finished element goes into its parent, or becomes the root.
fn close(element: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn element_of(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let name = start.local_name().as_ref().to_string();
    let mut attributes = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| XmlError::Malformed(e.to_string()))?;
        // Namespace declarations are not data.
        if a.key.as_ref() == "xmlns" || a.key.as_ref().starts_with("xmlns:") {
            continue;
        }
        let key = a.key.local_name().as_ref().to_string();
        let value =
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| match e {
                    quick_xml::Error::Escape(
                        quick_xml::escape::EscapeError::UnrecognizedEntity(_, name),
                    ) => XmlError::UnknownEntity(name),
                    other => XmlError::Malformed(other.to_string()),
                })?;
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char, XmlError> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            _ => Err(XmlError::Malformed("a bad character reference".into())),
        };
    }
    let name = r.xml10_content();
    match name.as_ref() {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(XmlError::UnknownEntity(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_with_namespaces_entities_and_cdata() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@example.com">
  <tuple id="t1"><status><basic>open</basic></status>
  <note xml:lang="en">Tea &amp; biscuits &#x263A; <![CDATA[<soon>]]></note></tuple>
  <rpid:activities><rpid:away/></rpid:activities>
</presence>"#;
        let root = parse(body).unwrap();
        assert_eq!(root.name, "presence");
        assert_eq!(root.attribute("entity"), Some("sip:bob@example.com"));
        assert_eq!(root.attributes.len(), 1, "xmlns declarations are not data");
        let tuple = root.child("tuple").unwrap();
        assert_eq!(tuple.attribute("id"), Some("t1"));
        assert_eq!(
            tuple.child("status").and_then(|s| s.child_text("basic")),
            Some("open")
        );
        assert_eq!(tuple.child_text("note"), Some("Tea & biscuits ☺ <soon>"));
        assert_eq!(tuple.child("note").unwrap().attribute("lang"), Some("en"));
        let activities = root.child("activities").unwrap();
        assert_eq!(activities.children[0].name, "away");
    }

    #[test]
    fn the_billion_laughs_and_external_entities_are_refused() {
        let laughs = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<isComposing>&lol3;</isComposing>"#;
        assert_eq!(parse(laughs), Err(XmlError::Dtd));
        let external = br#"<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>"#;
        assert_eq!(parse(external), Err(XmlError::Dtd));
        // An entity never declared is refused too, in text and in attributes.
        assert_eq!(
            parse(b"<x>&lol;</x>"),
            Err(XmlError::UnknownEntity("lol".into()))
        );
        assert!(matches!(
            parse(br#"<x a="&lol;"/>"#),
            Err(XmlError::UnknownEntity(_))
        ));
    }

    #[test]
    fn caps_and_malformed_bodies_are_errors() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(deep.as_bytes()), Err(XmlError::TooDeep));
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS));
        assert_eq!(parse(wide.as_bytes()), Err(XmlError::TooManyElements));
        let big = vec![b' '; MAX_BYTES + 1];
        assert_eq!(parse(&big), Err(XmlError::TooLarge(MAX_BYTES + 1)));
        for bad in [
            &b""[..],
            b"   ",
            b"<a>",
            b"<a></b>",
            b"</a>",
            b"<a/><b/>",
            b"text<a/>",
            b"<a x='1' x='2'/>",
            b"\xff<a/>",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
