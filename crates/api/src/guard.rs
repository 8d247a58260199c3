//! What every request passes before it reaches a route, in this order:
//! 1. its Host is this API's own (a loopback name and the port, or one of
//!    `api.hosts`): else 403, so a web page whose name was pointed at
//!    127.0.0.1 (DNS rebinding) gets nothing;
//! 2. an `Origin` it names is one of `api.cors_origins`: else 403, so no
//!    other web page can make the phone act (CORS alone would let a simple
//!    request through and only hide the answer); preflights of listed
//!    origins are answered here;
//! 3. the Bearer token (`Authorization`, or `access_token` in the query of
//!    `/v1/events`, which browsers' WebSocket and EventSource cannot give
//!    headers to): else 401. `/openapi.json` needs none.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::token::TokenFile;

pub struct Guard {
    pub token: Arc<TokenFile>,
    /// Host header values taken, lowercase.
    hosts: Vec<String>,
    origins: Vec<String>,
}

/// Routes open without the token.
const OPEN: &[&str] = &["/openapi.json"];
/// Routes whose token may come in the query.
const TOKEN_IN_QUERY: &[&str] = &["/v1/events"];

impl Guard {
    pub fn new(
        token: Arc<TokenFile>,
        listen: SocketAddr,
        tls: bool,
        extra_hosts: &[String],
        origins: &[String],
    ) -> Guard {
        let port = listen.port();
        let default_port = if tls { 443 } else { 80 };
        let mut names = vec!["localhost".to_string()];
        match listen {
            SocketAddr::V4(a) if !a.ip().is_unspecified() => names.push(a.ip().to_string()),
            SocketAddr::V6(a) if !a.ip().is_unspecified() => names.push(format!("[{}]", a.ip())),
            _ => names.extend(["127.0.0.1".to_string(), "[::1]".to_string()]),
        }
        let mut hosts: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
        if port == default_port {
            hosts.extend(names);
        }
        hosts.extend(extra_hosts.iter().map(|h| h.to_ascii_lowercase()));
        Guard {
            token,
            hosts,
            origins: origins.iter().map(|o| o.to_ascii_lowercase()).collect(),
        }
    }

    fn host_ok(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        match host {
            Some(h) if self.hosts.contains(&h) => Ok(()),
            Some(h) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("this API does not answer to the host {h:?} (see api.hosts)"),
            )),
            None => Err(ApiError::new(StatusCode::FORBIDDEN, "no Host header")),
        }
    }

    /// The listed origin the request names (None: it names none).
    fn origin(&self, headers: &HeaderMap) -> Result<Option<HeaderValue>, ApiError> {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(None);
        };
        let text = origin.to_str().unwrap_or("").to_ascii_lowercase();
        if self.origins.contains(&text) {
            Ok(Some(origin.clone()))
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("pages from {text:?} may not call this API (see api.cors_origins)"),
            ))
        }
    }

    fn token_ok(&self, req: &Request) -> Result<(), ApiError> {
        let path = req.uri().path();
        if OPEN.contains(&path) {
            return Ok(());
        }
        let from_header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let from_query = TOKEN_IN_QUERY
            .contains(&path)
            .then(|| req.uri().query())
            .flatten()
            .and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("access_token="))
            });
        match from_header.or(from_query) {
            Some(t) if self.token.accepts(t) => Ok(()),
            Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong token")),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "no token: send Authorization: Bearer TOKEN (`hookswitch api token` shows it)",
            )),
        }
    }
}

/// CORS answers for a listed origin.
fn allow(response: &mut Response, origin: HeaderValue) {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}

pub async fn check(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if let Err(e) = guard.host_ok(req.headers()) {
        return e.into_response();
    }
    let origin = match guard.origin(req.headers()) {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    if let Some(origin) = &origin
        && req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        allow(&mut preflight, origin.clone());
        let h = preflight.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PUT, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        return preflight;
    }
    if let Err(e) = guard.token_ok(&req) {
        let mut response = e.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"hookswitch\""),
        );
        if let Some(origin) = origin {
            allow(&mut response, origin);
        }
        return response;
    }
    let mut response = next.run(req).await;
    if let Some(origin) = origin {
        allow(&mut response, origin);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(listen: &str, tls: bool) -> Guard {
        let token = Arc::new(TokenFile::new("/nonexistent/token".into()));
        Guard::new(
            token,
            listen.parse().unwrap(),
            tls,
            &["Phone.LAN:8443".into()],
            &[],
        )
    }

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        m
    }

    #[test]
    fn only_our_own_names_are_answered() {
        let g = guard("127.0.0.1:8780", false);
        for ok in [
            "127.0.0.1:8780",
            "localhost:8780",
            "LOCALHOST:8780",
            "phone.lan:8443",
        ] {
            assert!(g.host_ok(&host(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "127.0.0.1:8781",
            "evil.example:8780",
            "127.0.0.1",
            "[::1]:8780",
            "localhost",
        ] {
            assert!(g.host_ok(&host(bad)).is_err(), "{bad}");
        }
        assert!(g.host_ok(&HeaderMap::new()).is_err());
        let any = guard("0.0.0.0:443", true);
        for ok in ["127.0.0.1:443", "[::1]:443", "localhost", "127.0.0.1"] {
            assert!(any.host_ok(&host(ok)).is_ok(), "{ok}");
        }
    }
}
