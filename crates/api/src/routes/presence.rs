//! `/v1/presence` and `/v1/lamps`: our presence, the contacts we watch, the
//! busy lamps and picking up their calls.

use axum::Json;
use axum::extract::State;
use axum::routing::{delete, get, post, put};
use hookswitch_phone::event::Availability;
use hookswitch_phone::state::{LampView, PresenceView};
use hookswitch_phone::{Action, Reply};
use serde::Deserialize;

use crate::body::Body;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::PathOf;
use crate::spec::{ACTION_ERRORS, Op, Spec};

async fn presence(State(ctx): State<ApiContext>) -> Json<PresenceView> {
    Json(ctx.engine.state().presence)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPresence {
    pub availability: Availability,
    /// A note others see (none: no note).
    #[serde(default)]
    pub note: Option<String>,
}

async fn set_presence(
    State(ctx): State<ApiContext>,
    Body(b): Body<SetPresence>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Presence {
        availability: b.availability,
        note: b.note,
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Watch {
    /// A number, name or SIP address, as a call takes it.
    pub target: String,
    /// Through this account (none: the first with presence).
    #[serde(default)]
    pub account: Option<String>,
}

async fn watch(
    State(ctx): State<ApiContext>,
    Body(b): Body<Watch>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Watch {
        target: b.target,
        account: b.account,
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize)]
struct TargetPath {
    target: String,
}

async fn unwatch(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<TargetPath>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Unwatch { target: p.target })
        .await
        .map(Json)
}

async fn lamps(State(ctx): State<ApiContext>) -> Json<Vec<LampView>> {
    Json(ctx.engine.state().lamps)
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pickup {
    /// The lamp's extension (none: the lamp that rings).
    #[serde(default)]
    pub extension: Option<String>,
    #[serde(default)]
    pub account: Option<String>,
}

async fn pickup(
    State(ctx): State<ApiContext>,
    Body(b): Body<Pickup>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Pickup {
        extension: b.extension,
        account: b.account,
    })
    .await
    .map(Json)
}

pub fn add(s: &mut Spec) {
    s.add(
        "get",
        "/v1/presence",
        get(presence),
        Op::new(
            "getPresence",
            "presence",
            "Our presence and the contacts we watch",
        )
        .answers::<PresenceView>(200),
    );
    s.add(
        "put",
        "/v1/presence",
        put(set_presence),
        Op::new("setPresence", "presence", "Our presence (`presence`)")
            .body::<SetPresence>(true)
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/presence/watched",
        post(watch),
        Op::new(
            "watchContact",
            "presence",
            "Watch a contact's presence (`watch`)",
        )
        .body::<Watch>(true)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "delete",
        "/v1/presence/watched/{target}",
        delete(unwatch),
        Op::new("unwatchContact", "presence", "Stop watching (`unwatch`)")
            .param::<String>("target", "The target as it was watched (URL-encoded).")
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "get",
        "/v1/lamps",
        get(lamps),
        Op::new(
            "listLamps",
            "presence",
            "Busy lamps, by account then extension",
        )
        .answers::<Vec<LampView>>(200),
    );
    s.add(
        "post",
        "/v1/pickup",
        post(pickup),
        Op::new(
            "pickUp",
            "presence",
            "Pick up the call ringing at a lamp's extension (`pickup`)",
        )
        .body::<Pickup>(false)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
}
