//! The HTTP client of the phone's outgoing requests (balances, webhooks):
//! rustls with the system's roots, no redirects followed (a provider's
//! redirect could carry a password elsewhere), and errors told without the
//! URL (it may hold a key).

use std::time::Duration;

/// A client that gives up on a request after `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    let tls = crate::edge::tls::client_config(&[]).map_err(|e| e.to_string())?;
    reqwest::Client::builder()
        .tls_backend_preconfigured((*tls).clone())
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("Hookswitch/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// What went wrong, with its causes, without the URL.
pub fn error_text(e: reqwest::Error) -> String {
    with_causes(&e.without_url())
}

/// An error and each of its causes: "a: b: c".
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
