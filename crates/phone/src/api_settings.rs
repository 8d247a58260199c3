//! `[api]`: the local HTTP API (the `hookswitch-api` crate serves it). Off
//! unless `listen` is set; loopback only unless `allow_remote` with TLS.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    /// Where the API listens, e.g. "127.0.0.1:8780". None: no API.
    pub listen: Option<SocketAddr>,
    /// Listen on an address other machines reach (needs TLS).
    pub allow_remote: bool,
    /// PEM certificate chain and private key: the API speaks HTTPS.
    pub tls_certificate: Option<PathBuf>,
    pub tls_private_key: Option<PathBuf>,
    /// Web origins ("https://crm.example.com") whose pages may call the
    /// API from a browser. None: a request that names another origin is
    /// refused.
    pub cors_origins: Vec<String>,
    /// Host names ("phone.example.lan:8780") the API answers to besides the
    /// loopback ones: with `allow_remote`, the names clients use.
    pub hosts: Vec<String>,
}

impl ApiSettings {
    /// Nothing set: the section is left out of a saved configuration.
    pub fn is_off(&self) -> bool {
        *self == ApiSettings::default()
    }

    pub fn tls(&self) -> bool {
        self.tls_certificate.is_some() && self.tls_private_key.is_some()
    }

    /// Why these settings cannot be served, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        let Some(listen) = self.listen else {
            return Ok(());
        };
        if self.tls_certificate.is_some() != self.tls_private_key.is_some() {
            return Err("api.tls_certificate and api.tls_private_key go together".into());
        }
        if !listen.ip().is_loopback() {
            if !self.allow_remote {
                return Err(format!(
                    "api.listen {listen} is not a loopback address: set api.allow_remote = true (with TLS) to listen there"
                ));
            }
            if !self.tls() {
                return Err(format!(
                    "api.listen {listen} reaches other machines: it needs api.tls_certificate and api.tls_private_key"
                ));
            }
        }
        for origin in &self.cors_origins {
            check_origin(origin)?;
        }
        for host in &self.hosts {
            if host.is_empty() || host.contains(['/', ' ', '@']) {
                return Err(format!("api.hosts: {host:?} is not a host[:port]"));
            }
        }
        Ok(())
    }
}

/// An origin as browsers send it: `scheme://host[:port]`, nothing after.
fn check_origin(origin: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "api.cors_origins: {origin:?} is not an origin such as \"https://crm.example.com\""
        ))
    };
    let Some((scheme, rest)) = origin.split_once("://") else {
        return bad();
    };
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains(['/', '*', ' ']) {
        return bad();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(listen: &str) -> ApiSettings {
        ApiSettings {
            listen: Some(listen.parse().unwrap()),
            ..ApiSettings::default()
        }
    }

    #[test]
    fn loopback_is_served_and_other_addresses_need_consent_and_tls() {
        assert!(ApiSettings::default().validate().is_ok());
        assert!(at("127.0.0.1:8780").validate().is_ok());
        assert!(at("[::1]:8780").validate().is_ok());
        let remote = at("0.0.0.0:8780");
        assert!(remote.validate().unwrap_err().contains("allow_remote"));
        let consented = ApiSettings {
            allow_remote: true,
            ..remote.clone()
        };
        assert!(
            consented
                .validate()
                .unwrap_err()
                .contains("tls_certificate")
        );
        let with_tls = ApiSettings {
            tls_certificate: Some("c.pem".into()),
            tls_private_key: Some("k.pem".into()),
            ..consented
        };
        assert!(with_tls.validate().is_ok());
    }

    #[test]
    fn origins_are_whole_origins() {
        let mut s = at("127.0.0.1:1");
        for good in ["https://crm.example.com", "http://localhost:3000"] {
            s.cors_origins = vec![good.into()];
            assert!(s.validate().is_ok(), "{good}");
        }
        for bad in [
            "*",
            "crm.example.com",
            "https://crm.example.com/",
            "ftp://x",
            "https://*.x",
        ] {
            s.cors_origins = vec![bad.into()];
            assert!(s.validate().is_err(), "{bad}");
        }
    }
}
