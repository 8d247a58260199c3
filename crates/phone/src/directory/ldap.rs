//! The LDAP edge: a TCP (or TLS) connection to the server per search,
//! StartTLS when asked, a simple bind, the paged search, an unbind. The
//! protocol is `hookswitch_directory::ldap` (sans-IO); this file owns the
//! socket, the clock (every search under one timeout) and the password.

use std::sync::Arc;
use std::time::Duration;

use hookswitch_directory::contact::{Address, Contact};
use hookswitch_directory::ldap::message::{self, Response, Scope, Search};
use hookswitch_directory::ldap::{ber, filter};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::settings::LdapSettings;

#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    #[error("LDAP URL {0:?}: use ldap://host[:port] or ldaps://host[:port]")]
    Url(String),
    #[error("the directory did not answer within {0} ms")]
    Timeout(u64),
    #[error("cannot reach the directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("the directory sent something unreadable: {0}")]
    Protocol(#[from] ber::BerError),
    #[error("the directory refused the login: {0}")]
    Bind(String),
    #[error("the directory refused StartTLS: {0}")]
    StartTls(String),
    #[error("the search failed: {0}")]
    Search(String),
    #[error("{0}")]
    Filter(#[from] filter::FilterError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the directory closed the connection")]
    Closed,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where the server is.
struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
}

fn endpoint(url: &str) -> Result<Endpoint, LdapError> {
    let bad = || LdapError::Url(url.to_string());
    let (tls, rest) = if let Some(r) = url.strip_prefix("ldaps://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("ldap://") {
        (false, r)
    } else {
        return Err(bad());
    };
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| bad())?,
        None if tls => 636,
        None => 389,
    };
    Ok(Endpoint { tls, host, port })
}

/// One LDAP server, as configured.
pub struct LdapSource {
    settings: LdapSettings,
    password: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for LdapSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapSource")
            .field("url", &self.settings.url)
            .field("bind_dn", &self.settings.bind_dn)
            .finish_non_exhaustive()
    }
}

impl LdapSource {
    /// `password` for `bind_dn` (none: anonymous).
    pub fn new(settings: LdapSettings, password: Option<String>) -> Result<LdapSource, LdapError> {
        let ep = endpoint(&settings.url)?;
        let tls = if ep.tls || settings.starttls {
            let ca: Vec<_> = settings.ca_file.iter().cloned().collect();
            Some(crate::edge::tls::client_config(&ca).map_err(|e| LdapError::Tls(e.to_string()))?)
        } else {
            None
        };
        Ok(LdapSource {
            settings,
            password,
            tls,
        })
    }

    pub fn settings(&self) -> &LdapSettings {
        &self.settings
    }

    /// Entries matching what a user typed, as contacts (at most
    /// `max_results`); under the configured timeout.
    pub async fn search(&self, text: &str) -> Result<Vec<Contact>, LdapError> {
        let filter = filter::fill(&self.settings.filter, &[("text", text.trim())]);
        let budget = Duration::from_millis(self.settings.timeout_ms);
        self.run(&filter, self.settings.max_results, budget).await
    }

    /// The entry whose number is `national` (its national significant
    /// number) / `e164` (digits), within `budget`.
    pub async fn identify(
        &self,
        national: &str,
        e164: &str,
        budget: Duration,
    ) -> Result<Vec<Contact>, LdapError> {
        let filter = filter::fill(
            &self.settings.identify_filter,
            &[("number", national), ("e164", e164)],
        );
        self.run(&filter, 5, budget).await
    }

    async fn run(
        &self,
        filter: &str,
        limit: u32,
        budget: Duration,
    ) -> Result<Vec<Contact>, LdapError> {
        let encoded = filter::encode(filter)?;
        match tokio::time::timeout(budget, self.session(&encoded, limit)).await {
            Ok(result) => result,
            Err(_) => Err(LdapError::Timeout(budget.as_millis() as u64)),
        }
    }

    async fn session(&self, filter: &[u8], limit: u32) -> Result<Vec<Contact>, LdapError> {
        let ep = endpoint(&self.settings.url)?;
        let tcp = TcpStream::connect((ep.host.as_str(), ep.port)).await?;
        tcp.set_nodelay(true)?;
        let mut conn = Conn {
            io: Box::new(tcp),
            buf: Vec::new(),
            next_id: 1,
        };
        if ep.tls {
            conn.io = self.wrap_tls(conn.io, &ep.host).await?;
        } else if self.settings.starttls {
            let id = conn.send(message::start_tls).await?;
            match conn.answer(id).await? {
                Response::Extended { result, .. } if result.is_success() => {}
                Response::Extended { result, .. } => {
                    return Err(LdapError::StartTls(result.describe()));
                }
                other => return Err(LdapError::StartTls(format!("{other:?}"))),
            }
            conn.io = self.wrap_tls(conn.io, &ep.host).await?;
        }
        let dn = self.settings.bind_dn.clone().unwrap_or_default();
        let password = self.password.clone().unwrap_or_default();
        let id = conn.send(|id| message::bind(id, &dn, &password)).await?;
        match conn.answer(id).await? {
            Response::Bind(r) if r.is_success() => {}
            Response::Bind(r) => return Err(LdapError::Bind(r.describe())),
            other => return Err(LdapError::Bind(format!("{other:?}"))),
        }
        let contacts = self.paged_search(&mut conn, filter, limit).await?;
        // Courtesy: the server may free the connection at once.
        let _ = conn.send(message::unbind).await;
        Ok(contacts)
    }

    async fn paged_search(
        &self,
        conn: &mut Conn,
        filter: &[u8],
        limit: u32,
    ) -> Result<Vec<Contact>, LdapError> {
        let mut attributes: Vec<&str> = vec![self.settings.name_attribute.as_str()];
        attributes.extend(self.settings.number_attributes.iter().map(String::as_str));
        attributes.extend(
            [
                &self.settings.department_attribute,
                &self.settings.organization_attribute,
                &self.settings.sip_attribute,
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        );
        attributes.extend(["mail", "entryUUID"]);
        let page_size = i64::from(self.settings.page_size.clamp(1, limit.max(1)));
        let mut cookie: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        loop {
            let search = Search {
                base: &self.settings.base,
                scope: Scope::Subtree,
                filter,
                attributes: &attributes,
                size_limit: i64::from(limit),
                time_limit_s: (self.settings.timeout_ms / 1000).max(1) as i64,
                page: Some((page_size, &cookie)),
            };
            let id = conn.send(|id| message::search(id, &search)).await?;
            let next = loop {
                match conn.answer(id).await? {
                    Response::Entry(e) => {
                        if let Some(c) = self.contact_of(&e) {
                            out.push(c);
                        }
                    }
                    Response::Reference => {}
                    // 4: the size limit was reached; what came is kept.
                    Response::Done { result, cookie }
                        if result.is_success() || result.code == 4 =>
                    {
                        break cookie;
                    }
                    Response::Done { result, .. } => {
                        return Err(LdapError::Search(result.describe()));
                    }
                    _ => {}
                }
            };
            match next {
                Some(c) if out.len() < limit as usize => cookie = c,
                Some(c) => {
                    // Enough: a page of size 0 tells the server to drop the
                    // rest (RFC 2696 3).
                    let abandon = Search {
                        page: Some((0, &c)),
                        ..search
                    };
                    let id = conn.send(|id| message::search(id, &abandon)).await?;
                    while !matches!(conn.answer(id).await?, Response::Done { .. }) {}
                    break;
                }
                None => break,
            }
        }
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn wrap_tls(&self, io: Box<dyn Io>, host: &str) -> Result<Box<dyn Io>, LdapError> {
        let config = self
            .tls
            .clone()
            .ok_or_else(|| LdapError::Tls("no TLS set up".into()))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| LdapError::Tls(e.to_string()))?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, io)
            .await
            .map_err(|e| LdapError::Tls(crate::edge::tls::explain(host, &e)))?;
        Ok(Box::new(stream))
    }

    fn contact_of(&self, e: &message::Entry) -> Option<Contact> {
        let s = &self.settings;
        let name = e.first(&s.name_attribute)?.trim().to_string();
        if name.is_empty() {
            return None;
        }
        let mut c = Contact {
            uid: e
                .first("entryUUID")
                .map_or_else(|| format!("ldap:{}", e.dn), str::to_string),
            name,
            ..Contact::default()
        };
        for attr in &s.number_attributes {
            let label = match attr.to_ascii_lowercase().as_str() {
                "mobile" => "mobile",
                "homephone" => "home",
                "facsimiletelephonenumber" => "fax",
                _ => "work",
            };
            for v in e.values(attr) {
                c.addresses.push(Address::tel(label, v.trim()));
            }
        }
        if let Some(attr) = &s.sip_attribute {
            for v in e.values(attr) {
                let v = v.trim();
                let uri = if v.starts_with("sip:") || v.starts_with("sips:") {
                    v.to_string()
                } else {
                    format!("sip:{v}")
                };
                c.addresses.push(Address::sip("work", &uri));
            }
        }
        c.department = s
            .department_attribute
            .as_deref()
            .and_then(|a| e.first(a))
            .map(str::to_string);
        c.organization = s
            .organization_attribute
            .as_deref()
            .and_then(|a| e.first(a))
            .map(str::to_string);
        c.emails = e.values("mail").map(str::to_string).collect();
        // An entry with an unusable number is shown without it.
        c.addresses.retain(Address::is_valid);
        Some(c)
    }
}

/// A connection: the stream, what was read and not yet used, message ids.
struct Conn {
    io: Box<dyn Io>,
    buf: Vec<u8>,
    next_id: i32,
}

impl Conn {
    async fn send(&mut self, make: impl FnOnce(i32) -> Vec<u8>) -> Result<i32, LdapError> {
        let id = self.next_id;
        self.next_id += 1;
        self.io.write_all(&make(id)).await?;
        self.io.flush().await?;
        Ok(id)
    }

    /// The next message for `id` (others are skipped; id 0 is the server
    /// saying it is going away).
    async fn answer(&mut self, id: i32) -> Result<Response, LdapError> {
        loop {
            if let Some((got, response, used)) = message::read(&self.buf)? {
                self.buf.drain(..used);
                if got == id {
                    return Ok(response);
                }
                if got == 0 {
                    return Err(LdapError::Closed);
                }
                continue;
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.io.read(&mut chunk).await?;
            if n == 0 {
                return Err(LdapError::Closed);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_and_the_usual_ports() {
        let e = endpoint("ldap://ldap.example.com").unwrap();
        assert_eq!(
            (e.tls, e.host.as_str(), e.port),
            (false, "ldap.example.com", 389)
        );
        let e = endpoint("ldaps://[::1]:6360/dc=x").unwrap();
        assert_eq!((e.tls, e.host.as_str(), e.port), (true, "::1", 6360));
        assert_eq!(endpoint("ldaps://h").unwrap().port, 636);
        for bad in ["http://h", "ldap://", "ldap://h:port"] {
            assert!(endpoint(bad).is_err(), "{bad}");
        }
    }
}
