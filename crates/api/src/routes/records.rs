//! What the phone keeps: instant messages (and sending one), the call
//! history, and the address book's contacts.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use hookswitch_phone::directory::{DirectoryHit, RemoteSearch};
use hookswitch_phone::history::Entry;
use hookswitch_phone::message_store::{Conversation, StoredMessage};
use hookswitch_phone::store::DeliveryLogEntry;
use hookswitch_phone::{Action, Reply};
use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::{PathOf, QueryOf};
use crate::spec::{ACTION_ERRORS, Op, Spec};

async fn conversations(State(ctx): State<ApiContext>) -> Json<Vec<Conversation>> {
    Json(ctx.records.messages().conversations())
}

#[derive(Debug, Deserialize)]
struct PeerPath {
    peer: String,
}

async fn conversation(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<PeerPath>,
) -> Json<Vec<StoredMessage>> {
    Json(ctx.records.messages().conversation(&p.peer))
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MarkedRead {
    /// How many messages were unread.
    pub marked: usize,
}

async fn mark_read(State(ctx): State<ApiContext>, PathOf(p): PathOf<PeerPath>) -> Json<MarkedRead> {
    Json(MarkedRead {
        marked: ctx.records.messages().mark_read(&p.peer),
    })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Chosen as a call's target is.
    pub target: String,
    pub text: String,
    #[serde(default)]
    pub account: Option<String>,
}

async fn send(
    State(ctx): State<ApiContext>,
    Body(b): Body<SendMessage>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Message {
        target: b.target,
        text: b.text,
        account: b.account,
    })
    .await
    .map(Json)
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// At most this many entries, newest first (default 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

async fn history(
    State(ctx): State<ApiContext>,
    QueryOf(q): QueryOf<HistoryQuery>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    let limit = within("limit", q.limit.unwrap_or(100), 1000)?;
    let history = ctx.records.history();
    Ok(Json(history.entries().take(limit).cloned().collect()))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactQuery {
    /// Words of a name, company or address, or digits of a number.
    pub q: String,
    /// At most this many contacts kept here (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    pub limit: Option<u32>,
    /// Also ask the live directory (LDAP).
    #[serde(default)]
    pub remote: Option<bool>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ContactsFound {
    /// Contacts kept here (local and CardDAV books), best first.
    pub hits: Vec<DirectoryHit>,
    /// What the live directory answered, when asked.
    pub remote: Option<RemoteSearch>,
}

async fn contacts(
    State(ctx): State<ApiContext>,
    QueryOf(q): QueryOf<ContactQuery>,
) -> Result<Json<ContactsFound>, ApiError> {
    let Some(directory) = ctx.directory.clone() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the address book could not be opened (see the phone's log)",
        ));
    };
    let limit = within("limit", q.limit.unwrap_or(20), 200)?;
    let text = q.q.clone();
    let local = directory.clone();
    let hits = tokio::task::spawn_blocking(move || local.search_local(&text, limit))
        .await
        .unwrap_or_default();
    let remote = match q.remote {
        Some(true) => Some(directory.search_remote(&q.q).await),
        _ => None,
    };
    Ok(Json(ContactsFound { hits, remote }))
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// At most this many lines, newest first (default 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

async fn deliveries(
    State(ctx): State<ApiContext>,
    QueryOf(q): QueryOf<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryLogEntry>>, ApiError> {
    let limit = within("limit", q.limit.unwrap_or(100), 1000)?;
    let Some(directory) = ctx.directory.clone() else {
        return Ok(Json(Vec::new()));
    };
    let log = tokio::task::spawn_blocking(move || directory.store().delivery_log(limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(log))
}

/// `value` when it is from 1 to `max`.
fn within(field: &str, value: u32, max: u32) -> Result<usize, ApiError> {
    if (1..=max).contains(&value) {
        Ok(value as usize)
    } else {
        Err(ApiError::bad_field(
            field,
            format!("{field}: from 1 to {max}"),
        ))
    }
}

pub fn add(s: &mut Spec) {
    s.add(
        "get",
        "/v1/messages",
        get(conversations),
        Op::new(
            "listConversations",
            "messages",
            "Conversations, newest first",
        )
        .answers::<Vec<Conversation>>(200),
    );
    s.add(
        "post",
        "/v1/messages",
        post(send),
        Op::new(
            "sendMessage",
            "messages",
            "Send an instant message (`message`); answers once it is delivered",
        )
        .body::<SendMessage>(true)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "get",
        "/v1/messages/{peer}",
        get(conversation),
        Op::new(
            "getConversation",
            "messages",
            "One conversation's messages, oldest first",
        )
        .param::<String>("peer", "The peer as `/v1/messages` names it (URL-encoded).")
        .answers::<Vec<StoredMessage>>(200),
    );
    s.add(
        "post",
        "/v1/messages/{peer}/read",
        post(mark_read),
        Op::new("markRead", "messages", "Mark a conversation read")
            .param::<String>("peer", "The peer as `/v1/messages` names it (URL-encoded).")
            .answers::<MarkedRead>(200),
    );
    s.add(
        "get",
        "/v1/history",
        get(history),
        Op::new("listHistory", "history", "Ended calls, newest first")
            .query::<HistoryQuery>()
            .answers::<Vec<Entry>>(200),
    );
    s.add(
        "get",
        "/v1/hooks/deliveries",
        get(deliveries),
        Op::new(
            "listDeliveries",
            "hooks",
            "The webhook delivery log, newest first",
        )
        .query::<DeliveryQuery>()
        .answers::<Vec<DeliveryLogEntry>>(200)
        .errors(&[500]),
    );
    s.add(
        "get",
        "/v1/contacts",
        get(contacts),
        Op::new("searchContacts", "contacts", "Search the address book")
            .query::<ContactQuery>()
            .answers::<ContactsFound>(200)
            .errors(&[503]),
    );
}
