//! CardDAV (RFC 6352) over WebDAV, sans-IO: the request bodies a client
//! sends (PROPFIND for discovery, REPORT sync-collection of RFC 6578,
//! addressbook-multiget) and the multistatus answers read into what a sync
//! needs. Names are matched by their local part, as servers use different
//! prefixes for the same namespaces. HTTP is the phone crate's edge.

use hookswitch_sip::bodies::xml::{self, Element, Limits};

/// A multistatus of a large book (every card's data in one answer).
const LIMITS: Limits = Limits {
    bytes: 64 * 1024 * 1024,
    depth: 32,
    elements: 2_000_000,
};

const HEAD: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;
const NS: &str = r#"xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/""#;

/// Who the logged-in user is (RFC 5397), Depth 0.
pub fn propfind_principal() -> String {
    format!("{HEAD}<d:propfind {NS}><d:prop><d:current-user-principal/></d:prop></d:propfind>")
}

/// Where the user's address books are (RFC 6352 7.1.1), Depth 0.
pub fn propfind_home() -> String {
    format!("{HEAD}<d:propfind {NS}><d:prop><card:addressbook-home-set/></d:prop></d:propfind>")
}

/// The collections under a home (or one book itself) and their state,
/// Depth 1 (or 0).
pub fn propfind_books() -> String {
    format!(
        "{HEAD}<d:propfind {NS}><d:prop><d:resourcetype/><d:displayname/><cs:getctag/>\
<d:sync-token/><d:current-user-privilege-set/></d:prop></d:propfind>"
    )
}

/// Every card's etag in a book, Depth 1 (the ctag/etag way to sync).
pub fn propfind_etags() -> String {
    format!("{HEAD}<d:propfind {NS}><d:prop><d:getetag/><d:resourcetype/></d:prop></d:propfind>")
}

/// What changed since `token` (none: everything), RFC 6578 3.2.
pub fn sync_collection(token: Option<&str>) -> String {
    format!(
        "{HEAD}<d:sync-collection {NS}><d:sync-token>{}</d:sync-token><d:sync-level>1</d:sync-level>\
<d:prop><d:getetag/></d:prop></d:sync-collection>",
        escape(token.unwrap_or(""))
    )
}

/// The cards at `hrefs` with their data (RFC 6352 8.7).
pub fn multiget(hrefs: &[String]) -> String {
    let mut body = format!(
        "{HEAD}<card:addressbook-multiget {NS}><d:prop><d:getetag/><card:address-data/></d:prop>"
    );
    for h in hrefs {
        body.push_str("<d:href>");
        body.push_str(&escape(h));
        body.push_str("</d:href>");
    }
    body.push_str("</card:addressbook-multiget>");
    body
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DavError {
    #[error("the server's answer is not readable XML: {0}")]
    Xml(#[from] xml::XmlError),
    #[error("the server's answer is not a multistatus")]
    NotMultistatus,
}

/// The properties a response's 200 propstat carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Props {
    pub etag: Option<String>,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub display_name: Option<String>,
    pub addressbook: bool,
    pub collection: bool,
    pub address_data: Option<String>,
    pub principal: Option<String>,
    pub home: Option<String>,
    /// From current-user-privilege-set: may we write (none: not said).
    pub writable: Option<bool>,
}

/// One `<d:response>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DavResponse {
    pub href: String,
    /// The response's own status (sync-collection's 404: deleted).
    pub status: Option<u16>,
    pub props: Props,
}

/// A multistatus: its responses and (sync-collection) the new token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multistatus {
    pub responses: Vec<DavResponse>,
    pub sync_token: Option<String>,
}

pub fn multistatus(body: &[u8]) -> Result<Multistatus, DavError> {
    let root = xml::parse_with(body, LIMITS)?;
    if root.name != "multistatus" {
        return Err(DavError::NotMultistatus);
    }
    let mut out = Multistatus {
        sync_token: root.child_text("sync-token").map(str::to_string),
        ..Multistatus::default()
    };
    for r in root.children_named("response") {
        let Some(href) = r.child_text("href") else {
            continue;
        };
        let mut response = DavResponse {
            href: percent_decode(href),
            status: r.child_text("status").and_then(status_code),
            props: Props::default(),
        };
        for ps in r.children_named("propstat") {
            let ok = ps
                .child_text("status")
                .and_then(status_code)
                .is_some_and(|s| (200..300).contains(&s));
            if let (true, Some(prop)) = (ok, ps.child("prop")) {
                read_props(prop, &mut response.props);
            }
        }
        out.responses.push(response);
    }
    Ok(out)
}

fn read_props(prop: &Element, p: &mut Props) {
    let text = |name: &str| {
        prop.child(name)
            .map(|e| e.text.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    p.etag = text("getetag").or(p.etag.take());
    p.ctag = text("getctag").or(p.ctag.take());
    p.sync_token = text("sync-token").or(p.sync_token.take());
    p.display_name = text("displayname").or(p.display_name.take());
    if let Some(data) = prop.child("address-data") {
        p.address_data = Some(data.text.clone());
    }
    if let Some(rt) = prop.child("resourcetype") {
        p.addressbook = rt.child("addressbook").is_some();
        p.collection = rt.child("collection").is_some();
    }
    if let Some(h) = prop
        .child("current-user-principal")
        .and_then(|e| e.child_text("href"))
    {
        p.principal = Some(percent_decode(h));
    }
    if let Some(h) = prop
        .child("addressbook-home-set")
        .and_then(|e| e.child_text("href"))
    {
        p.home = Some(percent_decode(h));
    }
    if let Some(set) = prop.child("current-user-privilege-set") {
        let mut names = Vec::new();
        collect_privileges(set, &mut names);
        p.writable = Some(
            names
                .iter()
                .any(|n| matches!(n.as_str(), "write" | "write-content" | "all" | "bind")),
        );
    }
}

fn collect_privileges(e: &Element, out: &mut Vec<String>) {
    for c in &e.children {
        if c.name == "privilege" {
            out.extend(c.children.iter().map(|p| p.name.clone()));
        } else {
            collect_privileges(c, out);
        }
    }
}

/// `HTTP/1.1 404 Not Found` -> 404.
fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Hrefs come percent-encoded; they are compared and stored decoded.
fn percent_decode(s: &str) -> String {
    hookswitch_sip::message::uri::unescape(s.trim())
}

/// An href (absolute path or URL) made absolute against `base`'s origin.
pub fn absolute(base: &str, href: &str) -> String {
    if href.starts_with("http://") || href.starts_with("https://") {
        return href.to_string();
    }
    let origin_end = base
        .find("://")
        .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(base.len());
    let origin = &base[..origin_end];
    if href.starts_with('/') {
        format!("{origin}{href}")
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{href}")
    }
}

/// The path part of a URL (how hrefs are compared).
pub fn path_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => url[i + 3..]
            .find('/')
            .map_or_else(|| "/".to_string(), |j| url[i + 3 + j..].to_string()),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOKS: &str = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:CS="http://calendarserver.org/ns/">
 <response><href>/alice/</href><propstat><prop><resourcetype><collection/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response>
 <response><href>/alice/work%20book/</href>
  <propstat><prop><resourcetype><collection/><CR:addressbook/></resourcetype><displayname>Work</displayname>
   <CS:getctag>"c1"</CS:getctag><sync-token>http://radicale.org/ns/sync/abc</sync-token>
   <current-user-privilege-set><privilege><read/></privilege><privilege><write/></privilege></current-user-privilege-set></prop>
   <status>HTTP/1.1 200 OK</status></propstat>
  <propstat><prop><foo/></prop><status>HTTP/1.1 404 Not Found</status></propstat></response>
</multistatus>"#;

    #[test]
    fn books_are_told_from_other_collections() {
        let m = multistatus(BOOKS.as_bytes()).unwrap();
        assert_eq!(m.responses.len(), 2);
        assert!(!m.responses[0].props.addressbook);
        let work = &m.responses[1];
        assert_eq!(work.href, "/alice/work book/");
        assert!(work.props.addressbook && work.props.collection);
        assert_eq!(work.props.display_name.as_deref(), Some("Work"));
        assert_eq!(work.props.ctag.as_deref(), Some("\"c1\""));
        assert_eq!(work.props.writable, Some(true));
    }

    #[test]
    fn a_sync_report_tells_changes_deletions_and_the_new_token() {
        let body = r#"<d:multistatus xmlns:d="DAV:">
<d:response><d:href>/a/b/1.vcf</d:href><d:propstat><d:prop><d:getetag>"e1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/a/b/2.vcf</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
<d:sync-token>tok-2</d:sync-token></d:multistatus>"#;
        let m = multistatus(body.as_bytes()).unwrap();
        assert_eq!(m.sync_token.as_deref(), Some("tok-2"));
        assert_eq!(m.responses[0].props.etag.as_deref(), Some("\"e1\""));
        assert_eq!(m.responses[1].status, Some(404));
        assert!(multistatus(b"<html/>").is_err());
        assert!(multistatus(b"<!DOCTYPE x><multistatus/>").is_err());
    }

    #[test]
    fn hrefs_resolve_against_the_server() {
        assert_eq!(
            absolute("http://h:5232/alice/", "/alice/b/"),
            "http://h:5232/alice/b/"
        );
        assert_eq!(absolute("https://h/dav/", "https://o/x"), "https://o/x");
        assert_eq!(absolute("http://h/a/b/", "c.vcf"), "http://h/a/b/c.vcf");
        assert_eq!(path_of("http://h:1/a/b/"), "/a/b/");
        assert_eq!(path_of("http://h"), "/");
        assert!(multiget(&["/a/<x>&.vcf".into()]).contains("/a/&lt;x&gt;&amp;.vcf"));
        assert!(sync_collection(None).contains("<d:sync-token></d:sync-token>"));
    }
}
