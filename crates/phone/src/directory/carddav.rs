//! The CardDAV edge: HTTP (reqwest on our rustls config) to a server, to
//! find its address books and keep a copy of each in the store. Sync uses
//! sync-collection (RFC 6578) when the server has it, else compares the
//! book's ctag and its cards' etags; changed cards are fetched with
//! addressbook-multiget. Edits made here go back with PUT (If-Match), where
//! the book lets us write. The XML is `hookswitch_directory::carddav`.

use std::time::Duration;

use hookswitch_directory::Contact;
use hookswitch_directory::carddav::{self, DavResponse, Multistatus};
use hookswitch_directory::vcard::{self, Version};
use reqwest::{Method, StatusCode};

use super::settings::CardDavSettings;
use crate::store::{Store, SyncBatch};

/// Cards fetched per multiget.
const MULTIGET_CHUNK: usize = 200;
/// Redirects followed (`.well-known/carddav` is one).
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum CardDavError {
    #[error("the server refused the user name or password (401)")]
    Unauthorized,
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    #[error("the server answered {status} to {what}")]
    Status { status: u16, what: String },
    #[error("{0}")]
    Dav(#[from] carddav::DavError),
    #[error("no address book found at {0}")]
    NoBooks(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the card changed on the server meanwhile; it was synced again, edit it anew")]
    Changed,
    #[error("this address book is read-only")]
    ReadOnly,
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
}

/// A book the server has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBook {
    pub url: String,
    pub name: String,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub writable: bool,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub book: String,
    pub changed: usize,
    pub deleted: usize,
    /// Cards the server sent that could not be read (with why).
    pub bad_cards: Vec<String>,
    /// Nothing had changed (ctag or token the same).
    pub unchanged: bool,
}

pub struct CardDavClient {
    http: reqwest::Client,
    settings: CardDavSettings,
    password: String,
}

impl CardDavClient {
    pub fn new(settings: CardDavSettings, password: String) -> Result<CardDavClient, CardDavError> {
        let ca: Vec<_> = settings.ca_file.iter().cloned().collect();
        let tls =
            crate::edge::tls::client_config(&ca).map_err(|e| CardDavError::Tls(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured((*tls).clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("Hookswitch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CardDavError::Tls(e.to_string()))?;
        Ok(CardDavClient {
            http,
            settings,
            password,
        })
    }

    pub fn settings(&self) -> &CardDavSettings {
        &self.settings
    }

    /// A WebDAV request with our credentials, following redirects with the
    /// same method (PROPFIND stays PROPFIND): (final URL, status, body).
    async fn dav(
        &self,
        method: &str,
        url: &str,
        depth: Option<&str>,
        body: Option<String>,
    ) -> Result<(String, StatusCode, Vec<u8>), CardDavError> {
        let method = Method::from_bytes(method.as_bytes()).expect("a WebDAV method");
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .basic_auth(&self.settings.username, Some(&self.password));
            if let Some(d) = depth {
                req = req.header("Depth", d);
            }
            if let Some(b) = &body {
                req = req
                    .header("Content-Type", "application/xml; charset=utf-8")
                    .body(b.clone());
            }
            let resp = req.send().await.map_err(unreachable)?;
            let status = resp.status();
            if status.is_redirection()
                && let Some(location) = resp.headers().get("Location").and_then(|l| l.to_str().ok())
            {
                url = carddav::absolute(&url, location);
                continue;
            }
            if status == StatusCode::UNAUTHORIZED {
                return Err(CardDavError::Unauthorized);
            }
            let bytes = resp.bytes().await.map_err(unreachable)?.to_vec();
            return Ok((url, status, bytes));
        }
        Err(CardDavError::Unreachable(format!(
            "too many redirects from {url}"
        )))
    }

    async fn multistatus(
        &self,
        method: &str,
        url: &str,
        depth: &str,
        body: String,
    ) -> Result<(String, Multistatus), CardDavError> {
        let (url, status, bytes) = self.dav(method, url, Some(depth), Some(body)).await?;
        if status.as_u16() != 207 {
            return Err(CardDavError::Status {
                status: status.as_u16(),
                what: format!("{method} {url}"),
            });
        }
        Ok((url, carddav::multistatus(&bytes)?))
    }

    /// The address books at the configured URL: the URL itself when it is
    /// one, else those in the user's address book home, found through the
    /// URL or `/.well-known/carddav` (RFC 6764).
    pub async fn discover(&self) -> Result<Vec<FoundBook>, CardDavError> {
        let start = self.settings.url.clone();
        let (url, here) = self
            .multistatus("PROPFIND", &start, "0", carddav::propfind_books())
            .await?;
        let books = books_in(&url, &here);
        if !books.is_empty() {
            return Ok(books);
        }
        let principal = match self.principal(&url).await? {
            Some(p) => Some(p),
            None => {
                let well_known = carddav::absolute(&url, "/.well-known/carddav");
                self.principal(&well_known).await.unwrap_or(None)
            }
        };
        let principal = principal.ok_or_else(|| CardDavError::NoBooks(start.clone()))?;
        let (purl, p) = self
            .multistatus("PROPFIND", &principal, "0", carddav::propfind_home())
            .await?;
        let home = p
            .responses
            .iter()
            .find_map(|r| r.props.home.clone())
            .map(|h| carddav::absolute(&purl, &h))
            .ok_or_else(|| CardDavError::NoBooks(start.clone()))?;
        let (hurl, listing) = self
            .multistatus("PROPFIND", &home, "1", carddav::propfind_books())
            .await?;
        let books = books_in(&hurl, &listing);
        if books.is_empty() {
            return Err(CardDavError::NoBooks(start));
        }
        Ok(books)
    }

    async fn principal(&self, url: &str) -> Result<Option<String>, CardDavError> {
        let (url, m) = self
            .multistatus("PROPFIND", url, "0", carddav::propfind_principal())
            .await?;
        Ok(m.responses
            .iter()
            .find_map(|r| r.props.principal.clone())
            .map(|p| carddav::absolute(&url, &p)))
    }

    /// Brings the store's copy of `book` (its row `id`) up to date.
    pub async fn sync(
        &self,
        store: &Store,
        id: i64,
        book: &FoundBook,
    ) -> Result<SyncReport, CardDavError> {
        let (ctag, token) = store.sync_state(id)?;
        let mut report = SyncReport {
            book: book.name.clone(),
            ..SyncReport::default()
        };
        if token.is_some() && token == book.sync_token {
            report.unchanged = true;
            return Ok(report);
        }
        let mut batch = match self.changes_since(&book.url, token.as_deref()).await {
            Ok(b) => b,
            Err(CardDavError::Status { status, .. })
                if token.is_some() && matches!(status, 403 | 409 | 410) =>
            {
                // The token is no longer valid (RFC 6578 3.2): start over.
                self.changes_since(&book.url, None).await?
            }
            Err(CardDavError::Status { .. }) => {
                if ctag.is_some() && ctag == book.ctag {
                    report.unchanged = true;
                    return Ok(report);
                }
                self.listing(store, id, &book.url).await?
            }
            Err(e) => return Err(e),
        };
        batch.ctag = book.ctag.clone().or(batch.ctag);
        let wanted: Vec<String> = batch.upserts.iter().map(|(h, _, _)| h.clone()).collect();
        batch.upserts = self.fetch(&book.url, &wanted, &mut report).await?;
        report.changed = batch.upserts.len();
        report.deleted = batch.deleted.len();
        store.apply_sync(id, &batch)?;
        Ok(report)
    }

    /// sync-collection: what changed (hrefs to fetch, etags) and what went.
    async fn changes_since(
        &self,
        url: &str,
        token: Option<&str>,
    ) -> Result<SyncBatch, CardDavError> {
        let (_, m) = self
            .multistatus("REPORT", url, "0", carddav::sync_collection(token))
            .await?;
        let book_path = carddav::path_of(url);
        let mut batch = SyncBatch {
            full: token.is_none(),
            sync_token: m.sync_token.clone(),
            ..SyncBatch::default()
        };
        for r in &m.responses {
            let href = carddav::path_of(&r.href);
            if href.trim_end_matches('/') == book_path.trim_end_matches('/') {
                continue;
            }
            if r.status == Some(404) {
                batch.deleted.push(href);
            } else {
                let etag = r.props.etag.clone().unwrap_or_default();
                batch.upserts.push((href, etag, Contact::default()));
            }
        }
        Ok(batch)
    }

    /// The ctag/etag way: every card's etag, those that differ fetched.
    async fn listing(&self, store: &Store, id: i64, url: &str) -> Result<SyncBatch, CardDavError> {
        let (_, m) = self
            .multistatus("PROPFIND", url, "1", carddav::propfind_etags())
            .await?;
        let known = store.synced_etags(id)?;
        let book_path = carddav::path_of(url);
        let mut batch = SyncBatch {
            full: true,
            ..SyncBatch::default()
        };
        for r in m.responses.iter().filter(|r| !r.props.collection) {
            let href = carddav::path_of(&r.href);
            if href.trim_end_matches('/') == book_path.trim_end_matches('/') {
                continue;
            }
            let etag = r.props.etag.clone().unwrap_or_default();
            if known.get(&href) == Some(&etag) && !etag.is_empty() {
                batch.kept.push(href);
            } else {
                batch.upserts.push((href, etag, Contact::default()));
            }
        }
        Ok(batch)
    }

    /// The cards at `hrefs`, read; those that cannot be read are reported.
    async fn fetch(
        &self,
        url: &str,
        hrefs: &[String],
        report: &mut SyncReport,
    ) -> Result<Vec<(String, String, Contact)>, CardDavError> {
        let mut out = Vec::new();
        for chunk in hrefs.chunks(MULTIGET_CHUNK) {
            let (_, m) = self
                .multistatus("REPORT", url, "1", carddav::multiget(chunk))
                .await?;
            for r in &m.responses {
                out.extend(card_of(r, report));
            }
        }
        Ok(out)
    }

    /// Writes `contact` (kept at `href` with `etag`) back to the server.
    /// Returns the new etag when the server says it.
    pub async fn put(
        &self,
        book_url: &str,
        href: &str,
        etag: Option<&str>,
        contact: &Contact,
    ) -> Result<Option<String>, CardDavError> {
        let url = carddav::absolute(book_url, href);
        let mut req = self
            .http
            .put(&url)
            .basic_auth(&self.settings.username, Some(&self.password))
            .header("Content-Type", "text/vcard; charset=utf-8")
            .body(vcard::write_card(contact, Version::V3));
        req = match etag.filter(|e| !e.is_empty()) {
            Some(e) => req.header("If-Match", e),
            None => req.header("If-None-Match", "*"),
        };
        let resp = req.send().await.map_err(unreachable)?;
        match resp.status().as_u16() {
            200..=299 => Ok(resp
                .headers()
                .get("ETag")
                .and_then(|e| e.to_str().ok())
                .map(str::to_string)),
            401 => Err(CardDavError::Unauthorized),
            403 | 405 => Err(CardDavError::ReadOnly),
            412 => Err(CardDavError::Changed),
            status => Err(CardDavError::Status {
                status,
                what: format!("PUT {url}"),
            }),
        }
    }

    /// Deletes the card at `href` on the server.
    pub async fn delete(
        &self,
        book_url: &str,
        href: &str,
        etag: Option<&str>,
    ) -> Result<(), CardDavError> {
        let url = carddav::absolute(book_url, href);
        let mut req = self
            .http
            .delete(&url)
            .basic_auth(&self.settings.username, Some(&self.password));
        if let Some(e) = etag.filter(|e| !e.is_empty()) {
            req = req.header("If-Match", e);
        }
        let resp = req.send().await.map_err(unreachable)?;
        match resp.status().as_u16() {
            200..=299 | 404 => Ok(()),
            401 => Err(CardDavError::Unauthorized),
            403 | 405 => Err(CardDavError::ReadOnly),
            412 => Err(CardDavError::Changed),
            status => Err(CardDavError::Status {
                status,
                what: format!("DELETE {url}"),
            }),
        }
    }
}

fn unreachable(e: reqwest::Error) -> CardDavError {
    CardDavError::Unreachable(crate::edge::http::with_causes(&e))
}

/// The address books among a listing.
fn books_in(base: &str, m: &Multistatus) -> Vec<FoundBook> {
    m.responses
        .iter()
        .filter(|r| r.props.addressbook)
        .map(|r| {
            let url = carddav::absolute(base, &r.href);
            FoundBook {
                name: r.props.display_name.clone().unwrap_or_else(|| {
                    r.href
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or("")
                        .to_string()
                }),
                url,
                ctag: r.props.ctag.clone(),
                sync_token: r.props.sync_token.clone(),
                writable: r.props.writable.unwrap_or(true),
            }
        })
        .collect()
}

/// A multiget response's card, or its problem in the report.
fn card_of(r: &DavResponse, report: &mut SyncReport) -> Option<(String, String, Contact)> {
    let href = carddav::path_of(&r.href);
    let data = r.props.address_data.as_deref()?;
    let parsed = vcard::parse(data.as_bytes());
    for e in &parsed.errors {
        report.bad_cards.push(format!("{href}: {}", e.reason));
    }
    let contact = parsed.contacts.into_iter().next()?;
    Some((href, r.props.etag.clone().unwrap_or_default(), contact))
}
