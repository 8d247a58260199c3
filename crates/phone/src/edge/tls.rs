//! TLS for SIP (RFC 3261 26.2, RFC 5630): rustls with the ring provider, trusting
//! the system's roots plus the CA files the accounts name, and errors a user can
//! act on when a server's certificate is refused.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    #[error("the CA file {0} holds no certificate")]
    EmptyCaFile(PathBuf),
    #[error("TLS set-up failed: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot read the TLS {what} {path}: {reason}")]
    ServerFile {
        what: &'static str,
        path: PathBuf,
        reason: String,
    },
}

/// The server side, for the connections peers open to us: our certificate
/// chain and key (PEM files); no client certificates asked.
pub fn server_config(
    certificate: &Path,
    private_key: &Path,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let chain = pem_certificates(certificate).map_err(|reason| TlsSetupError::ServerFile {
        what: "certificate",
        path: certificate.to_path_buf(),
        reason,
    })?;
    let key = PrivateKeyDer::from_pem_file(private_key).map_err(|e| TlsSetupError::ServerFile {
        what: "private key",
        path: private_key.to_path_buf(),
        reason: e.to_string(),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok(Arc::new(config))
}

/// The client side of every TLS connection we open. Certificates are always
/// verified; `ca_files` are trusted on top of the system's roots.
pub fn client_config(ca_files: &[PathBuf]) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    for e in &system.errors {
        tracing::debug!("system CA store: {e}");
    }
    let (added, ignored) = roots.add_parsable_certificates(system.certs);
    tracing::debug!(added, ignored, "system CA certificates loaded");
    for path in ca_files {
        for cert in read_ca_file(path)? {
            roots.add(cert).map_err(|e| TlsSetupError::CaFile {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        }
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The one crypto provider of our TLS, client and server (D30).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file.
fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| e.to_string())
}

fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = pem_certificates(path).map_err(|reason| TlsSetupError::CaFile {
        path: path.to_path_buf(),
        reason,
    })?;
    if certs.is_empty() {
        return Err(TlsSetupError::EmptyCaFile(path.to_path_buf()));
    }
    Ok(certs)
}

/// The name a server's certificate must carry: the host we were told to reach,
/// or its IP address when we were given one.
pub fn server_name(host: Option<&str>, addr: std::net::SocketAddr) -> ServerName<'static> {
    host.map(|h| h.trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| ServerName::try_from(h.to_string()).ok())
        .unwrap_or_else(|| ServerName::IpAddress(addr.ip().into()))
}

/// A handshake failure in words that say what to do about it.
pub fn explain(peer: &str, error: &std::io::Error) -> String {
    let rustls_error = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(c)) => {
            let what = match c {
                CertificateError::UnknownIssuer => "is signed by a CA we do not trust \
                    (set the account's tls_ca_file to that CA's certificate)"
                    .to_string(),
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => {
                    "does not name this server (check the registrar or proxy host name)".to_string()
                }
                CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                    "has expired".to_string()
                }
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    "is not valid yet (check the computer's clock)".to_string()
                }
                CertificateError::Revoked => "has been revoked".to_string(),
                other => format!("was refused ({other:?})"),
            };
            format!("TLS: the certificate of {peer} {what}")
        }
        Some(other) => format!("TLS handshake with {peer} failed: {other}"),
        None => format!("TLS handshake with {peer} failed: {error}"),
    }
}
