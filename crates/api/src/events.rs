//! `GET /v1/events`: the phone's events as they happen, over a WebSocket
//! (each a text message) or as Server-Sent Events (`event:` the kind,
//! `data:` the JSON). Each is the JSON `hookswitch --json run` prints.
//! First comes a `snapshot` of the state; a client too slow to keep up gets
//! `lagged` (how many it missed, and the state now) and goes on from there.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hookswitch_phone::{PhoneEvent, PhoneState};
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::context::ApiContext;
use crate::error::ApiError;
use crate::spec::{Op, Spec};

/// One message of the stream.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum StreamItem {
    /// The state when the stream starts; events that follow may already be
    /// in it.
    Snapshot { state: Box<PhoneState> },
    /// The client fell behind: `missed` events were dropped for it; `state`
    /// is where the phone is now.
    Lagged { missed: u64, state: Box<PhoneState> },
    #[serde(untagged)]
    Phone(Box<PhoneEvent>),
}

/// An event as every client gets it: serialised once, however many listen.
pub struct Serialized {
    kind: String,
    json: String,
}

impl Serialized {
    /// Serialised once: the kind is the JSON's own `event` tag.
    fn of(item: &StreamItem) -> Serialized {
        let value = serde_json::to_value(item).unwrap_or_default();
        Serialized {
            kind: value["event"].as_str().unwrap_or("event").to_string(),
            json: value.to_string(),
        }
    }
}

/// The engine's events, each serialised once, for every stream client.
#[derive(Clone)]
pub struct EventHub {
    tx: broadcast::Sender<Arc<Serialized>>,
}

/// Events a slow client may be behind before it is told it lagged.
const BACKLOG: usize = 1024;

impl EventHub {
    /// The hub and the task that feeds it (ends with the engine).
    pub fn start(engine: &hookswitch_phone::Engine) -> (EventHub, tokio::task::JoinHandle<()>) {
        let (tx, _) = broadcast::channel(BACKLOG);
        let hub = EventHub { tx: tx.clone() };
        let mut events = engine.subscribe();
        let engine = engine.clone();
        let task = tokio::spawn(async move {
            loop {
                let item = match events.recv().await {
                    Ok(e) => StreamItem::Phone(Box::new(e)),
                    Err(RecvError::Lagged(missed)) => StreamItem::Lagged {
                        missed,
                        state: Box::new(engine.state()),
                    },
                    Err(RecvError::Closed) => return,
                };
                // No client listening is not an error.
                let _ = tx.send(Arc::new(Serialized::of(&item)));
            }
        });
        (hub, task)
    }
}

/// Subscribes first, then reads the state, so nothing falls between them.
struct Feed {
    events: broadcast::Receiver<Arc<Serialized>>,
    ctx: ApiContext,
    started: bool,
}

impl Feed {
    fn new(ctx: ApiContext, hub: &EventHub) -> Feed {
        Feed {
            events: hub.tx.subscribe(),
            ctx,
            started: false,
        }
    }

    /// The next item; None once the phone stops.
    async fn next(&mut self) -> Option<Arc<Serialized>> {
        if !self.started {
            self.started = true;
            return Some(Arc::new(Serialized::of(&StreamItem::Snapshot {
                state: Box::new(self.ctx.engine.state()),
            })));
        }
        match self.events.recv().await {
            Ok(e) => Some(e),
            Err(RecvError::Lagged(missed)) => Some(Arc::new(Serialized::of(&StreamItem::Lagged {
                missed,
                state: Box::new(self.ctx.engine.state()),
            }))),
            Err(RecvError::Closed) => None,
        }
    }
}

async fn events(
    State(ctx): State<ApiContext>,
    Extension(hub): Extension<EventHub>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: HeaderMap,
) -> Response {
    if let Ok(upgrade) = upgrade {
        let feed = Feed::new(ctx, &hub);
        return upgrade
            .on_upgrade(move |socket| websocket(socket, feed))
            .into_response();
    }
    let wants_sse = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"));
    if !wants_sse {
        return ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "ask for a WebSocket (Upgrade: websocket) or Server-Sent Events (Accept: text/event-stream)",
        )
        .into_response();
    }
    let feed = Feed::new(ctx, &hub);
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let item = feed.next().await?;
        let event = Event::default().event(&item.kind).data(&item.json);
        Some((Ok::<_, Infallible>(event), feed))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn websocket(mut socket: WebSocket, mut feed: Feed) {
    loop {
        tokio::select! {
            item = feed.next() => {
                let Some(item) = item else { break };
                if socket.send(Message::Text(item.json.as_str().into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by the library; the client says nothing else.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

pub fn add(s: &mut Spec) {
    let item = json!({"$ref": "#/components/schemas/StreamItem"});
    s.add(
        "get",
        "/v1/events",
        get(events),
        Op::new("events", "events", "The phone's events, as a WebSocket or Server-Sent Events")
            .describe("Upgrade to a WebSocket (each message one StreamItem as JSON), or send Accept: text/event-stream (each event's `data` one StreamItem). The token may be given as `?access_token=` for browsers' WebSocket and EventSource.")
            .answers::<StreamItem>(200)
            .responses(json!({
                "101": {"description": "a WebSocket: each text message one StreamItem"},
                "200": {
                    "description": "Server-Sent Events: each event's data one StreamItem",
                    "content": {"text/event-stream": {"schema": item}},
                },
            }))
            .errors(&[406]),
    );
}
