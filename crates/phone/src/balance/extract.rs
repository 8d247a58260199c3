//! The amount in a provider's answer: a JSON pointer into JSON, or a small
//! absolute XPath (`/a/b`, `/a/b/@attr`; names match without their
//! namespace prefix) into XML. Numbers may come as JSON numbers or text
//! ("12.50", "12,50", "1,234.50", "EUR 12.50").

use hookswitch_sip::bodies::xml;

/// The amount at `pointer` in JSON `body`.
pub fn from_json(body: &[u8], pointer: &str) -> Result<f64, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let found = value
        .pointer(pointer)
        .ok_or_else(|| format!("nothing at {pointer} in the answer"))?;
    match found {
        serde_json::Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .ok_or_else(|| format!("{n} is not an amount")),
        serde_json::Value::String(s) => amount(s),
        other => Err(format!("{other} at {pointer} is not an amount")),
    }
}

/// A path into XML: elements from the root, then perhaps an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlPath {
    elements: Vec<String>,
    attribute: Option<String>,
}

impl XmlPath {
    pub fn parse(path: &str) -> Result<XmlPath, String> {
        let rest = path
            .strip_prefix('/')
            .ok_or("an absolute path such as /response/balance")?;
        let mut elements = Vec::new();
        let mut attribute = None;
        for (i, step) in rest.split('/').enumerate() {
            if let Some(a) = step.strip_prefix('@') {
                if i + 1 != rest.split('/').count() || a.is_empty() {
                    return Err("an attribute only as the last step".into());
                }
                attribute = Some(a.to_string());
            } else if step == "text()" {
                continue;
            } else if step.is_empty()
                || !step
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_.:".contains(c))
            {
                return Err(format!("{step:?} is not an element name"));
            } else {
                elements.push(local(step).to_string());
            }
        }
        if elements.is_empty() {
            return Err("name at least one element".into());
        }
        Ok(XmlPath {
            elements,
            attribute,
        })
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The amount at `path` in XML `body` (its first match). The XML is read
/// as SIP bodies are: no DTD, bounded size and depth.
pub fn from_xml(body: &[u8], path: &XmlPath) -> Result<f64, String> {
    let limits = xml::Limits {
        bytes: 1024 * 1024,
        depth: 64,
        elements: 100_000,
    };
    let root = xml::parse_with(body, limits).map_err(|e| format!("not XML: {e}"))?;
    let (first, rest) = path.elements.split_first().ok_or("an empty path")?;
    if root.name != *first {
        return Err("nothing at that path in the answer".into());
    }
    let found = find(&root, rest).ok_or("nothing at that path in the answer")?;
    match &path.attribute {
        Some(a) => amount(
            found
                .attribute(a)
                .ok_or_else(|| format!("no attribute {a} there"))?,
        ),
        None => amount(&found.text),
    }
}

/// The first element down `path` from `at`.
fn find<'a>(at: &'a xml::Element, path: &'a [String]) -> Option<&'a xml::Element> {
    match path.split_first() {
        None => Some(at),
        Some((next, rest)) => at.children_named(next).find_map(|c| find(c, rest)),
    }
}

/// An amount written as text: digits with `.` or `,` as the decimal mark
/// (the last one when both appear), a sign, and a currency around it.
pub fn amount(text: &str) -> Result<f64, String> {
    let kept: String = text
        .trim()
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '-'))
        .collect();
    let decimal = kept.rfind(['.', ',']).filter(|&i| {
        // "1,234" is a thousand; "12,50" is twelve and a half.
        kept.len() - i - 1 != 3 || kept[..i].contains(['.', ','])
    });
    let normal: String = kept
        .char_indices()
        .filter_map(|(i, c)| match c {
            '.' | ',' if Some(i) == decimal => Some('.'),
            '.' | ',' => None,
            c => Some(c),
        })
        .collect();
    normal
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite() && normal.chars().any(|c| c.is_ascii_digit()))
        .ok_or_else(|| format!("{text:?} is not an amount"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_and_texts() {
        let body = br#"{"account": {"balance": 12.5, "text": "EUR 7,25", "bad": true}}"#;
        assert_eq!(from_json(body, "/account/balance"), Ok(12.5));
        assert_eq!(from_json(body, "/account/text"), Ok(7.25));
        assert!(
            from_json(body, "/account/bad")
                .unwrap_err()
                .contains("not an amount")
        );
        assert!(
            from_json(body, "/account/nope")
                .unwrap_err()
                .contains("nothing at")
        );
        assert!(from_json(b"<html>", "/x").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn xml_elements_and_attributes() {
        let body = br#"<?xml version="1.0"?><r:response xmlns:r="urn:x"><r:credit currency="EUR" amount="3.10">4.20</r:credit><other/></r:response>"#;
        let text = XmlPath::parse("/response/credit").unwrap();
        assert_eq!(from_xml(body, &text), Ok(4.2));
        let attr = XmlPath::parse("/r:response/credit/@amount").unwrap();
        assert_eq!(from_xml(body, &attr), Ok(3.1));
        let none = XmlPath::parse("/response/debit").unwrap();
        assert!(from_xml(body, &none).is_err());
        assert!(XmlPath::parse("response").is_err());
        assert!(XmlPath::parse("/a/@b/c").is_err());
    }

    #[test]
    fn amounts_as_people_write_them() {
        for (text, want) in [
            ("12.50", 12.5),
            ("12,50", 12.5),
            ("1,234.50", 1234.5),
            ("1.234,50", 1234.5),
            ("1,234", 1234.0),
            ("-3.5", -3.5),
            ("€ 0.99", 0.99),
            ("42", 42.0),
        ] {
            assert_eq!(amount(text), Ok(want), "{text}");
        }
        for bad in ["", "n/a", "--", ".", "1-2"] {
            assert!(amount(bad).is_err(), "{bad}");
        }
    }
}
