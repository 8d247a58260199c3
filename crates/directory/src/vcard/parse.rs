//! Cards out of a file: each `BEGIN:VCARD` .. `END:VCARD` becomes a
//! [`Contact`] or a [`CardError`] that says which card, where, and why.

use std::collections::HashMap;

use super::charset;
use super::line::{self, ContentLine, Logical};
use crate::contact::{Address, AddressKind, Contact};

/// What a file held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub contacts: Vec<Contact>,
    pub errors: Vec<CardError>,
}

/// A card that was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("card {card} (line {line}{}): {reason}", name.as_ref().map(|n| format!(", {n}")).unwrap_or_default())]
pub struct CardError {
    /// 1-based, in file order (text outside any card is card 0).
    pub card: usize,
    /// The physical line the problem is on.
    pub line: usize,
    /// The card's name, when it had one.
    pub name: Option<String>,
    pub reason: String,
}

/// Reads every card of `input`.
pub fn parse(input: &[u8]) -> Parsed {
    let mut parsed = Parsed::default();
    let mut open: Option<(usize, Vec<Logical>)> = None;
    let mut cards = 0;
    for logical in line::unfold(input) {
        let upper = logical.bytes.to_ascii_uppercase();
        let trimmed = upper.trim_ascii();
        if trimmed == b"BEGIN:VCARD" {
            if let Some((card, lines)) = open.take() {
                parsed.errors.push(CardError {
                    card,
                    line: lines.first().map_or(0, |l| l.number),
                    name: None,
                    reason: "no END:VCARD before the next card".into(),
                });
            }
            cards += 1;
            open = Some((cards, vec![logical]));
        } else if trimmed == b"END:VCARD" {
            match open.take() {
                Some((card, lines)) => match card_of(&lines) {
                    Ok(c) => parsed.contacts.push(c),
                    Err((line, reason)) => parsed.errors.push(CardError {
                        card,
                        line,
                        name: name_hint(&lines),
                        reason,
                    }),
                },
                None => parsed.errors.push(CardError {
                    card: 0,
                    line: logical.number,
                    name: None,
                    reason: "END:VCARD with no card open".into(),
                }),
            }
        } else if let Some((_, lines)) = open.as_mut() {
            lines.push(logical);
        } else {
            parsed.errors.push(CardError {
                card: 0,
                line: logical.number,
                name: None,
                reason: "text outside BEGIN:VCARD .. END:VCARD".into(),
            });
        }
    }
    if let Some((card, lines)) = open {
        parsed.errors.push(CardError {
            card,
            line: lines.first().map_or(0, |l| l.number),
            name: name_hint(&lines),
            reason: "the file ends before END:VCARD".into(),
        });
    }
    parsed
}

/// A bad card's FN, for the report.
fn name_hint(lines: &[Logical]) -> Option<String> {
    lines.iter().find_map(|l| {
        let c = line::split(&l.bytes).ok()?;
        (c.name == "FN")
            .then(|| text_value(&c).ok())
            .flatten()
            .filter(|n| !n.trim().is_empty())
    })
}

/// A property's value as text: transfer encoding and charset undone.
fn text_value(c: &ContentLine) -> Result<String, String> {
    let qp = c
        .param("ENCODING")
        .any(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
    let bytes = if qp {
        charset::quoted_printable(&c.value)?
    } else {
        c.value.clone()
    };
    charset::decode(&bytes, c.param("CHARSET").next())
}

const LABELS: [(&str, &str); 8] = [
    ("CELL", "mobile"),
    ("FAX", "fax"),
    ("PAGER", "pager"),
    ("WORK", "work"),
    ("HOME", "home"),
    ("MAIN", "main"),
    ("CAR", "car"),
    ("VIDEO", "video"),
];

/// One card; the error is (line, reason).
fn card_of(lines: &[Logical]) -> Result<Contact, (usize, String)> {
    let mut contact = Contact::default();
    let mut n_name: Option<String> = None;
    let mut fn_name: Option<String> = None;
    // Apple's custom labels: `item1.X-ABLabel:Direct` names `item1.TEL`.
    let mut group_labels: HashMap<String, String> = HashMap::new();
    let mut grouped: Vec<(usize, String)> = Vec::new();
    let mut preferred: Vec<usize> = Vec::new();
    let mut version_seen = false;
    for l in &lines[1..] {
        let c = line::split(&l.bytes).map_err(|e| (l.number, e))?;
        let text = || text_value(&c).map_err(|e| (l.number, format!("{}: {e}", c.name)));
        match c.name.as_str() {
            "VERSION" => {
                let v = text()?;
                if !matches!(v.trim(), "2.1" | "3.0" | "4.0") {
                    return Err((
                        l.number,
                        format!("VERSION {} is not 2.1, 3.0 or 4.0", v.trim()),
                    ));
                }
                version_seen = true;
            }
            "PRODID" | "REV" => {}
            "FN" => fn_name = Some(line::unescape(&text()?).trim().to_string()),
            "N" => {
                let parts = line::components(&text()?);
                // family; given; additional; prefixes; suffixes
                let order = [3, 1, 2, 0, 4];
                let name = order
                    .iter()
                    .filter_map(|&i| parts.get(i))
                    .map(|p| p.replace(',', " "))
                    .filter(|p| !p.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                n_name = Some(name);
                contact.extra.push(raw_text(&c, &text()?));
            }
            "ORG" => {
                let parts = line::components(&text()?);
                contact.organization = parts.first().cloned().filter(|o| !o.trim().is_empty());
                contact.department = parts.get(1).cloned().filter(|d| !d.trim().is_empty());
            }
            "TITLE" => contact.title = Some(line::unescape(&text()?)).filter(|t| !t.is_empty()),
            "NOTE" => contact.note = Some(line::unescape(&text()?)).filter(|t| !t.is_empty()),
            "UID" => contact.uid = line::unescape(&text()?).trim().to_string(),
            "EMAIL" => {
                let e = line::unescape(&text()?).trim().to_string();
                if !e.is_empty() {
                    contact.emails.push(e);
                }
            }
            "TEL" => {
                let raw = line::unescape(&text()?);
                let value = raw.trim();
                let value = value
                    .get(..4)
                    .filter(|p| p.eq_ignore_ascii_case("tel:"))
                    .map_or(value, |_| &value[4..]);
                // `tel:+1-201-555-0123;ext=102`: the number is what is dialled.
                let value = value.split(';').next().unwrap_or("").trim();
                if value.is_empty() {
                    continue;
                }
                let label = label_of(&c);
                push_address(
                    &mut contact,
                    &c,
                    AddressKind::Tel,
                    label,
                    value,
                    &mut grouped,
                    &mut preferred,
                );
            }
            "IMPP" | "X-SIP" => {
                let value = line::unescape(&text()?).trim().to_string();
                let lower = value.to_ascii_lowercase();
                let sip = if lower.starts_with("sip:") || lower.starts_with("sips:") {
                    value
                } else if c.name == "X-SIP" && !value.is_empty() {
                    format!("sip:{value}")
                } else {
                    // xmpp:, skype: and friends: kept as they came, not dialled.
                    contact.extra.push(raw_text(&c, &text()?));
                    continue;
                };
                let label = label_of(&c);
                push_address(
                    &mut contact,
                    &c,
                    AddressKind::Sip,
                    label,
                    &sip,
                    &mut grouped,
                    &mut preferred,
                );
            }
            "X-ABLABEL" => {
                if let Some(g) = &c.group {
                    let label = text()?;
                    let label = label
                        .trim()
                        .trim_start_matches("_$!<")
                        .trim_end_matches(">!$_")
                        .to_lowercase();
                    group_labels.insert(g.to_ascii_lowercase(), label);
                }
            }
            "X-HOOKSWITCH-FAVOURITE" => contact.favourite = text()?.trim() == "1",
            "X-HOOKSWITCH-SPEED-DIAL" => {
                let d = text()?;
                contact.speed_dial = match d.trim().parse::<u8>() {
                    Ok(d @ 1..=9) => Some(d),
                    _ => {
                        return Err((l.number, format!("speed dial {:?} is not 1 to 9", d.trim())));
                    }
                };
            }
            _ => {
                // Kept as it came, when it is text we can write back.
                let qp = c
                    .param("ENCODING")
                    .any(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
                if !qp && let Ok(s) = std::str::from_utf8(&l.bytes) {
                    contact.extra.push(s.to_string());
                }
            }
        }
    }
    let _ = version_seen;
    for (index, group) in grouped {
        if let Some(label) = group_labels.get(&group) {
            contact.addresses[index].label = label.clone();
        }
    }
    // Preferred addresses first, the rest in file order.
    if !preferred.is_empty() {
        let mut ordered: Vec<Address> = preferred
            .iter()
            .map(|&i| contact.addresses[i].clone())
            .collect();
        for (i, a) in contact.addresses.iter().enumerate() {
            if !preferred.contains(&i) {
                ordered.push(a.clone());
            }
        }
        contact.addresses = ordered;
    }
    contact.name = fn_name
        .filter(|n| !n.is_empty())
        .or(n_name.filter(|n| !n.is_empty()))
        .or_else(|| contact.organization.clone())
        .ok_or_else(|| (lines[0].number, "no name (FN, N or ORG)".to_string()))?;
    contact
        .validate()
        .map_err(|e| (lines[0].number, e.to_string()))?;
    Ok(contact)
}

/// The label a `TYPE` gives (`CELL` is "mobile"); none: empty.
fn label_of(c: &ContentLine) -> &'static str {
    LABELS
        .iter()
        .find(|(t, _)| c.has_type(t))
        .map_or("", |(_, l)| l)
}

fn push_address(
    contact: &mut Contact,
    c: &ContentLine,
    kind: AddressKind,
    label: &str,
    value: &str,
    grouped: &mut Vec<(usize, String)>,
    preferred: &mut Vec<usize>,
) {
    let index = contact.addresses.len();
    contact.addresses.push(Address {
        kind,
        label: label.to_string(),
        value: value.to_string(),
    });
    if let Some(g) = &c.group {
        grouped.push((index, g.to_ascii_lowercase()));
    }
    let pref = c.has_type("PREF") || c.param("PREF").any(|p| p.trim() == "1");
    if pref {
        preferred.push(index);
    }
}

/// A line we keep: its head as it came, the value as decoded text.
fn raw_text(c: &ContentLine, value: &str) -> String {
    // Rebuilt so that it reads back as it was read: a group or parameter
    // name that is not a word is left out, a value loses the quotes and
    // control characters it cannot hold and is quoted when it holds a
    // separator (found by the `vcard` fuzz target).
    let word =
        |s: &str| !s.is_empty() && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
    let mut head = String::new();
    if let Some(g) = c.group.as_deref().filter(|g| word(g)) {
        head.push_str(g);
        head.push('.');
    }
    head.push_str(&c.name);
    for (name, values) in &c.params {
        if name == "ENCODING" || name == "CHARSET" || !word(name) {
            continue;
        }
        head.push(';');
        head.push_str(name);
        head.push('=');
        for (i, v) in values.iter().enumerate() {
            let v: String = v
                .chars()
                .filter(|&ch| ch != '"' && !ch.is_control())
                .collect();
            if i > 0 {
                head.push(',');
            }
            if v.contains([':', ';', ',']) {
                head.push('"');
                head.push_str(&v);
                head.push('"');
            } else {
                head.push_str(&v);
            }
        }
    }
    // A quoted-printable `=0A` decodes to a line break, which would end the
    // line when written back: escaped as text is. Nothing else changes (a
    // dropped CR once turned a kept `IMPP:si\rp:...` into a SIP address).
    head.push(':');
    for ch in value.chars() {
        match ch {
            '\n' => head.push_str("\\n"),
            ch => head.push(ch),
        }
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vcard_4_with_uri_numbers_and_sip() {
        let text = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:1\r\nFN:Ayşe Öztürk\r\nN:Öztürk;Ayşe;;;\r\n\
ORG:ACME GmbH;Sales\r\nTITLE:Head of Sales\r\nTEL;VALUE=uri;TYPE=\"work,voice\":tel:+49-30-5550-777\r\n\
TEL;VALUE=uri;TYPE=cell;PREF=1:tel:+49-171-5550123;ext=9\r\nIMPP;TYPE=work:sip:ayse@acme.example\r\n\
EMAIL:ayse@acme.example\r\nX-SOCIALPROFILE:https://example.com/ayse\r\nEND:VCARD\r\n";
        let p = parse(text.as_bytes());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let c = &p.contacts[0];
        assert_eq!(c.name, "Ayşe Öztürk");
        assert_eq!(c.uid, "urn:uuid:1");
        assert_eq!(c.organization.as_deref(), Some("ACME GmbH"));
        assert_eq!(c.department.as_deref(), Some("Sales"));
        assert_eq!(
            c.addresses,
            [
                Address::tel("mobile", "+49-171-5550123"),
                Address::tel("work", "+49-30-5550-777"),
                Address::sip("work", "sip:ayse@acme.example"),
            ]
        );
        assert_eq!(c.emails, ["ayse@acme.example"]);
        assert!(c.extra.iter().any(|e| e.starts_with("X-SOCIALPROFILE:")));
    }

    #[test]
    fn a_vcard_3_and_a_2_1_with_a_charset() {
        let text = b"BEGIN:VCARD\nVERSION:3.0\nN:M\xfcller;J\xf6rg\nFN:J\xf6rg M\xfcller\nTEL;TYPE=WORK,VOICE:030 5550 1\nX-SIP:joerg@pbx\nitem1.TEL:2001\nitem1.X-ABLabel:_$!<Assistant>!$_\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Fran=E7ois;Ren=\n=E9\nTEL;CELL:+33 6 1\nEND:VCARD\n";
        let p = parse(text);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            p.contacts[0].name, "Jörg Müller",
            "no charset, not UTF-8: 1252"
        );
        assert_eq!(
            p.contacts[0].addresses,
            [
                Address::tel("work", "030 5550 1"),
                Address::sip("", "sip:joerg@pbx"),
                Address::tel("assistant", "2001"),
            ]
        );
        assert_eq!(
            p.contacts[1].name, "René François",
            "2.1: N, QP and Latin-1"
        );
        assert_eq!(p.contacts[1].addresses, [Address::tel("mobile", "+33 6 1")]);
    }

    #[test]
    fn bad_cards_are_reported_one_by_one_and_good_ones_kept() {
        let text = "BEGIN:VCARD\nVERSION:4.0\nFN:Good One\nTEL:1\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nEMAIL:x@y\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:5.0\nFN:Future\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN:Broken Line\nthis has no colon\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:3.0\nFN;CHARSET=KOI8-R:x\nEND:VCARD\n\
BEGIN:VCARD\nFN:Unended\nBEGIN:VCARD\nFN:Good Two\nX-HOOKSWITCH-SPEED-DIAL:3\nEND:VCARD\n\
BEGIN:VCARD\nFN:Cut off";
        let p = parse(text.as_bytes());
        let names: Vec<_> = p.contacts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Good One", "Good Two"]);
        assert_eq!(p.contacts[1].speed_dial, Some(3));
        let reasons: Vec<_> = p
            .errors
            .iter()
            .map(|e| (e.card, e.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 6, "{reasons:?}");
        assert!(reasons[0].1.contains("no name"), "{reasons:?}");
        assert!(reasons[1].1.contains("VERSION 5.0"));
        assert_eq!(p.errors[2].line, 17);
        assert_eq!(p.errors[2].name.as_deref(), Some("Broken Line"));
        assert!(reasons[3].1.contains("koi8-r"));
        assert!(reasons[4].1.contains("no END:VCARD"));
        assert!(reasons[5].1.contains("ends before END:VCARD"));
        assert_eq!(
            p.errors[5].to_string(),
            "card 8 (line 29, Cut off): the file ends before END:VCARD"
        );
    }
}
