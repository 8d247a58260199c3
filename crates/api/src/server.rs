//! The listener: TCP (TLS when configured), HTTP/1.1 with upgrades for the
//! WebSocket, a limit on connections and on how long a request's head may
//! take, and the guard before every route.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hookswitch_phone::api_settings::ApiSettings;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::context::ApiContext;
use crate::guard::{self, Guard};
use crate::token::{TokenError, TokenFile};

/// Connections served at once (a hundred event clients and some room).
const MAX_CONNECTIONS: usize = 512;
/// A client gets this long for its TLS handshake and each request's head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("api: {0}")]
    Settings(String),
    #[error("api: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("api: TLS: {0}")]
    Tls(#[from] hookswitch_phone::TlsSetupError),
}

/// A running API; it stops when dropped.
pub struct ApiServer {
    addr: SocketAddr,
    tls: bool,
    task: tokio::task::JoinHandle<()>,
    /// Serialises the engine's events once for every stream client.
    hub: tokio::task::JoinHandle<()>,
}

impl ApiServer {
    /// Serves `ctx` as `settings` say (which must name `listen`), with the
    /// token in `token` (made now when there is none).
    pub async fn start(
        settings: &ApiSettings,
        token: Arc<TokenFile>,
        ctx: ApiContext,
    ) -> Result<ApiServer, StartError> {
        settings.validate().map_err(StartError::Settings)?;
        let Some(listen) = settings.listen else {
            return Err(StartError::Settings("api.listen is not set".into()));
        };
        token.read_or_create()?;
        let tls = match (&settings.tls_certificate, &settings.tls_private_key) {
            (Some(cert), Some(key)) => Some(TlsAcceptor::from(
                hookswitch_phone::tls_server_config(cert, key)?,
            )),
            _ => None,
        };
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: listen,
            source,
        })?;
        let guard = Arc::new(Guard::new(
            token,
            addr,
            tls.is_some(),
            &settings.hosts,
            &settings.cors_origins,
        ));
        let (hub, hub_task) = crate::events::EventHub::start(&ctx.engine);
        let router = crate::routes::spec()
            .router()
            .layer(axum::Extension(hub))
            .layer(axum::middleware::from_fn_with_state(guard, guard::check))
            .with_state(ctx);
        let secure = tls.is_some();
        let task = tokio::spawn(accept(listener, router, tls));
        tracing::info!(
            "local API on {}://{addr}",
            if secure { "https" } else { "http" }
        );
        Ok(ApiServer {
            addr,
            tls: secure,
            task,
            hub: hub_task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (https with TLS).
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.addr
        )
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.task.abort();
        self.hub.abort();
    }
}

async fn accept(listener: TcpListener, router: axum::Router, tls: Option<TlsAcceptor>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of descriptors and the like: wait, and go on.
                tracing::warn!("api: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let router = router.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = serve_connection(stream, router, tls).await {
                tracing::debug!("api: connection from {peer}: {e}");
            }
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    router: axum::Router,
    tls: Option<TlsAcceptor>,
) -> Result<(), String> {
    let _ = stream.set_nodelay(true);
    let service = TowerToHyperService::new(router);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    match tls {
        Some(acceptor) => {
            let stream = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(stream))
                .await
                .map_err(|_| "TLS handshake too slow".to_string())?
                .map_err(|e| format!("TLS: {e}"))?;
            http.serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await
                .map_err(|e| e.to_string())
        }
        None => http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
            .await
            .map_err(|e| e.to_string()),
    }
}
