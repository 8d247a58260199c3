//! Every route of the API, by what it is about. Each adds itself to the
//! [`Spec`] with its description.

mod calls;
mod phone;
mod presence;
mod records;

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::Value;

use crate::spec::{Op, Spec};

/// The whole table.
pub fn spec() -> Spec {
    let mut s = Spec::new();
    phone::add(&mut s);
    calls::add(&mut s);
    presence::add(&mut s);
    records::add(&mut s);
    crate::events::add(&mut s);
    s.add(
        "get",
        "/openapi.json",
        get(openapi),
        Op::new("openapi", "api", "This document (no token needed)")
            .answers::<serde_json::Map<String, Value>>(200)
            .open(),
    );
    s
}

/// The OpenAPI document, made once.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::to_string_pretty(&spec().document()).unwrap_or_else(|_| "{}".into())
    })
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
