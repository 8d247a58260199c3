//! The local HTTP API of a running phone (`[api] listen`): the phone's one
//! action vocabulary and its published state over HTTP, its events over a
//! WebSocket or Server-Sent Events, and an OpenAPI 3.1 document generated
//! from the Rust types (`/openapi.json`, docs/api.md).
//!
//! - `server.rs`: the listener (TLS when configured);
//! - `guard.rs`: Host, Origin and the Bearer token, before every route;
//! - `token.rs`: the token file;
//! - `routes/`: the routes, each added with its description to `spec.rs`,
//!   which makes both the router and the document;
//! - `events.rs`: the event stream;
//! - `body.rs`, `extract.rs`, `error.rs`: requests in, refusals out.

mod body;
mod context;
mod error;
mod events;
mod extract;
mod guard;
mod routes;
mod server;
mod spec;
pub mod token;

pub use context::{AccountView, ApiContext};
pub use error::ErrorBody;
pub use events::StreamItem;
pub use server::{ApiServer, StartError};

/// The OpenAPI document this build serves at `/openapi.json`.
pub fn openapi_document() -> &'static str {
    routes::document()
}
