//! `/v1/calls`: the calls in progress and what can be done to them, each
//! route one [`Action`] of the phone's vocabulary.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, delete, get, on, post};
use hookswitch_phone::event::{CallId, CallStats};
use hookswitch_phone::state::CallView;
use hookswitch_phone::{Action, Reply};
use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::extract::PathOf;
use crate::spec::{ACTION_ERRORS, Op, Spec};

/// `POST /v1/calls`: the action `call`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceCall {
    /// A number or name (dialled through the account), `user@host`, a
    /// `sip:`, `sips:` or `tel:` URI, or `echo`.
    pub target: String,
    /// The account to call from (none: the default-account rule).
    #[serde(default)]
    pub account: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Placed {
    /// The new call's number (`/v1/calls/{call}`).
    pub call: CallId,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectCall {
    /// The SIP refusal, 400-699 (default 486 Busy Here; 603 Decline).
    #[serde(default)]
    #[schemars(range(min = 400, max = 699))]
    pub status: Option<u16>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferCall {
    /// Blind transfer: the other side is asked to call this.
    #[serde(default)]
    pub target: Option<String>,
    /// Attended transfer: the other side takes our place in this call.
    #[serde(default)]
    pub to_call: Option<CallId>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendDtmf {
    /// 0-9, *, # and A-D (at most 64), sent in order.
    #[schemars(regex(pattern = r"^[0-9*#A-Da-d]{1,64}$"))]
    pub keys: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCall {
    /// Start (true) or stop recording.
    pub on: bool,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallVolume {
    /// Percent of the call's own level (100: unchanged, at most 400); left
    /// out: as is.
    #[serde(default)]
    #[schemars(range(max = 400))]
    pub speaker: Option<u16>,
    #[serde(default)]
    #[schemars(range(max = 400))]
    pub microphone: Option<u16>,
}

#[derive(Debug, Deserialize)]
struct CallPath {
    call: CallId,
}

async fn list(State(ctx): State<ApiContext>) -> Json<Vec<CallView>> {
    Json(ctx.engine.state().calls)
}

async fn one(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
) -> Result<Json<CallView>, ApiError> {
    ctx.engine
        .state()
        .call(p.call)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no such call: {}", p.call)))
}

async fn place(
    State(ctx): State<ApiContext>,
    Body(b): Body<PlaceCall>,
) -> Result<Response, ApiError> {
    let reply = ctx
        .act(Action::Call {
            target: b.target,
            account: b.account,
            audio: None,
        })
        .await?;
    let Reply::Call(call) = reply else {
        return Ok(Json(reply).into_response());
    };
    let mut response = (StatusCode::CREATED, Json(Placed { call })).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/calls/{call}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// An action on the call the path names.
async fn on_call(ctx: &ApiContext, action: Action) -> Result<Json<Reply>, ApiError> {
    ctx.act(action).await.map(Json)
}

/// A route whose whole request is the call in its path.
fn call_action(method: MethodFilter, make: fn(CallId) -> Action) -> MethodRouter<ApiContext> {
    on(
        method,
        move |State(ctx): State<ApiContext>, PathOf(p): PathOf<CallPath>| async move {
            on_call(&ctx, make(p.call)).await
        },
    )
}

async fn reject(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
    Body(b): Body<RejectCall>,
) -> Result<Json<Reply>, ApiError> {
    let status = b.status.unwrap_or(486);
    on_call(
        &ctx,
        Action::Reject {
            call: p.call,
            status,
        },
    )
    .await
}

async fn hang_up_all(State(ctx): State<ApiContext>) -> Result<Json<Reply>, ApiError> {
    on_call(&ctx, Action::Hangup { call: None }).await
}

async fn volume(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
    Body(b): Body<CallVolume>,
) -> Result<Json<Reply>, ApiError> {
    on_call(
        &ctx,
        Action::Volume {
            call: p.call,
            speaker: b.speaker,
            microphone: b.microphone,
        },
    )
    .await
}

async fn transfer(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
    Body(b): Body<TransferCall>,
) -> Result<Json<Reply>, ApiError> {
    let action = match (b.target, b.to_call) {
        (Some(target), None) => Action::Transfer {
            call: p.call,
            target,
        },
        (None, Some(to_call)) => Action::TransferAttended {
            call: p.call,
            to_call,
        },
        _ => {
            return Err(ApiError::bad_field(
                "target",
                "give either target (blind transfer) or to_call (attended), not both or neither",
            ));
        }
    };
    on_call(&ctx, action).await
}

async fn dtmf(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
    Body(b): Body<SendDtmf>,
) -> Result<Json<Reply>, ApiError> {
    on_call(
        &ctx,
        Action::Dtmf {
            call: p.call,
            keys: b.keys,
        },
    )
    .await
}

async fn record(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
    Body(b): Body<RecordCall>,
) -> Result<Json<Reply>, ApiError> {
    on_call(
        &ctx,
        Action::Record {
            call: p.call,
            on: b.on,
        },
    )
    .await
}

async fn stats(
    State(ctx): State<ApiContext>,
    PathOf(p): PathOf<CallPath>,
) -> Result<Json<CallStats>, ApiError> {
    match ctx.act(Action::Stats { call: p.call }).await? {
        Reply::Stats(stats) => Ok(Json(*stats)),
        other => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the phone answered {other:?} to stats"),
        )),
    }
}

/// A path, operation id, summary and the action it asks for.
type BareCallRoute = (
    &'static str,
    &'static str,
    &'static str,
    fn(CallId) -> Action,
);

pub fn add(s: &mut Spec) {
    s.add(
        "get",
        "/v1/calls",
        get(list),
        Op::new("listCalls", "calls", "The calls in progress, oldest first")
            .answers::<Vec<CallView>>(200),
    );
    s.add(
        "post",
        "/v1/calls",
        post(place),
        Op::new("placeCall", "calls", "Place a call (the action `call`)")
            .describe("Calls we talk on are held first. A bare number or name goes through the account (or the default one).")
            .body::<PlaceCall>(true)
            .answers::<Placed>(201)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "delete",
        "/v1/calls",
        delete(hang_up_all),
        Op::new("hangUpAll", "calls", "Hang up every call")
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    let path = "/v1/calls/{call}";
    s.add(
        "get",
        path,
        get(one),
        Op::new("getCall", "calls", "One call")
            .call_param()
            .answers::<CallView>(200),
    );
    s.add(
        "delete",
        path,
        call_action(MethodFilter::DELETE, |call| Action::Hangup {
            call: Some(call),
        }),
        Op::new("hangUp", "calls", "Hang up the call (`hangup`)")
            .call_param()
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    let simple: [BareCallRoute; 6] = [
        (
            "/v1/calls/{call}/answer",
            "answerCall",
            "Answer the ringing call (`answer`)",
            |call| Action::Answer { call, audio: None },
        ),
        (
            "/v1/calls/{call}/hold",
            "holdCall",
            "Put the call on hold (`hold`, held: true)",
            |call| Action::Hold { call, held: true },
        ),
        (
            "/v1/calls/{call}/resume",
            "resumeCall",
            "Take the call off hold (`hold`, held: false)",
            |call| Action::Hold { call, held: false },
        ),
        (
            "/v1/calls/{call}/mute",
            "muteCall",
            "Mute our microphone on the call (`mute`)",
            |call| Action::Mute { call, muted: true },
        ),
        (
            "/v1/calls/{call}/unmute",
            "unmuteCall",
            "Unmute (`mute`, muted: false)",
            |call| Action::Mute { call, muted: false },
        ),
        (
            "/v1/calls/{call}/hangup",
            "hangUpCall",
            "Hang up the call (`hangup`), as DELETE /v1/calls/{call}",
            |call| Action::Hangup { call: Some(call) },
        ),
    ];
    for (path, id, summary, make) in simple {
        s.add(
            "post",
            path,
            call_action(MethodFilter::POST, make),
            Op::new(id, "calls", summary)
                .call_param()
                .answers::<Reply>(200)
                .errors(ACTION_ERRORS),
        );
    }
    s.add(
        "post",
        "/v1/calls/{call}/reject",
        post(reject),
        Op::new("rejectCall", "calls", "Refuse the ringing call (`reject`)")
            .call_param()
            .body::<RejectCall>(false)
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/calls/{call}/volume",
        post(volume),
        Op::new(
            "setCallVolume",
            "calls",
            "The call's earpiece and microphone level (`volume`)",
        )
        .call_param()
        .body::<CallVolume>(false)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/calls/{call}/transfer",
        post(transfer),
        Op::new(
            "transferCall",
            "calls",
            "Transfer the call: blind (`transfer`) or attended (`transfer_attended`)",
        )
        .call_param()
        .body::<TransferCall>(true)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/calls/{call}/dtmf",
        post(dtmf),
        Op::new("sendDtmf", "calls", "Send DTMF keys (`dtmf`)")
            .call_param()
            .body::<SendDtmf>(true)
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/calls/{call}/record",
        post(record),
        Op::new(
            "recordCall",
            "calls",
            "Start or stop recording the call (`record`)",
        )
        .call_param()
        .body::<RecordCall>(true)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "get",
        "/v1/calls/{call}/stats",
        get(stats),
        Op::new(
            "callStats",
            "calls",
            "The call's media figures so far (`stats`)",
        )
        .call_param()
        .answers::<CallStats>(200)
        .errors(ACTION_ERRORS),
    );
}
