//! The edge that reads balances: one GET per check, with a deadline, and
//! an error a person can act on when it fails ("the provider answered 503",
//! "no answer in 10 s"). The URL may hold a password: it is never logged.

use std::collections::HashMap;
use std::time::Duration;

use super::extract::{self, XmlPath};
use super::settings::BalanceSettings;
use crate::config::AccountSettings;

/// The largest answer read.
const MAX_BODY: usize = 1024 * 1024;

/// One account's balance source, ready to fetch.
struct Source {
    url: String,
    settings: BalanceSettings,
    basic: Option<(String, String)>,
}

pub struct BalanceFetcher {
    http: reqwest::Client,
    /// By account name.
    sources: HashMap<String, Source>,
}

impl BalanceFetcher {
    /// The accounts with `[accounts.balance]`; `passwords` by account.
    pub fn new(
        accounts: &[AccountSettings],
        passwords: &HashMap<String, String>,
    ) -> Result<BalanceFetcher, String> {
        // Each request has its account's own deadline (set per request).
        let http = crate::edge::http::client(Duration::from_secs(120))?;
        let mut sources = HashMap::new();
        for a in accounts {
            let Some(settings) = &a.balance else { continue };
            let password = passwords.get(&a.name).cloned().unwrap_or_default();
            let (user, domain) = user_and_domain(&a.aor);
            let auth_user = a.auth_user.clone().unwrap_or_else(|| user.clone());
            let enc = crate::hooks::template::encode;
            let url = settings
                .url
                .replace("{user}", &enc(&user))
                .replace("{domain}", &enc(&domain))
                .replace("{auth_user}", &enc(&auth_user))
                .replace("{password}", &enc(&password));
            let basic = settings.basic_auth.then_some((auth_user, password));
            sources.insert(
                a.name.clone(),
                Source {
                    url,
                    settings: settings.clone(),
                    basic,
                },
            );
        }
        Ok(BalanceFetcher { http, sources })
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The account's balance now.
    pub async fn fetch(&self, account: &str) -> Result<f64, String> {
        let source = self
            .sources
            .get(account)
            .ok_or_else(|| format!("{account} has no balance URL"))?;
        let deadline = Duration::from_secs(u64::from(source.settings.timeout_secs));
        let mut request = self.http.get(&source.url).timeout(deadline);
        if let Some((user, password)) = &source.basic {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                format!("no answer in {} s", deadline.as_secs())
            } else {
                format!(
                    "cannot reach the provider: {}",
                    crate::edge::http::error_text(e)
                )
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the provider answered {}", status.as_u16()));
        }
        let body = read_limited(response, deadline).await?;
        match (&source.settings.pointer, &source.settings.xpath) {
            (Some(p), _) => extract::from_json(&body, p),
            (None, Some(x)) => extract::from_xml(&body, &XmlPath::parse(x)?),
            (None, None) => Err("no pointer or xpath".into()),
        }
    }
}

async fn read_limited(
    mut response: reqwest::Response,
    deadline: Duration,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer in {} s", deadline.as_secs())
        } else {
            format!("the answer broke off: {}", crate::edge::http::error_text(e))
        }
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            return Err("the answer is over 1 MiB".into());
        }
    }
    Ok(body)
}

/// `sip:alice@pbx.example` -> ("alice", "pbx.example").
fn user_and_domain(aor: &str) -> (String, String) {
    let rest = aor
        .trim()
        .trim_start_matches("sips:")
        .trim_start_matches("sip:");
    match rest.split_once('@') {
        Some((user, domain)) => (
            user.to_string(),
            domain.split([';', '>']).next().unwrap_or("").to_string(),
        ),
        None => (String::new(), rest.to_string()),
    }
}
