//! The phone as a whole: its published state, the accounts and their
//! registration, DND and forwarding, devices, the conference, and the whole
//! action vocabulary at `/v1/actions`.

use axum::Json;
use axum::extract::State;
use axum::routing::{delete, get, post, put};
use hookswitch_phone::call_handling::ForwardReason;
use hookswitch_phone::event::CallId;
use hookswitch_phone::state::{BalanceView, DeviceView, HandlingView, UnusableDevice};
use hookswitch_phone::{Action, PhoneState, Reply};
use serde::{Deserialize, Serialize};

use crate::body::Body;
use crate::context::{AccountView, ApiContext};
use crate::error::ApiError;
use crate::spec::{ACTION_ERRORS, Op, Spec};

async fn state(State(ctx): State<ApiContext>) -> Json<PhoneState> {
    Json(ctx.engine.state())
}

async fn accounts(State(ctx): State<ApiContext>) -> Json<Vec<AccountView>> {
    let state = ctx.engine.state();
    Json(
        ctx.accounts
            .iter()
            .map(|a| AccountView {
                name: a.name.clone(),
                aor: a.aor.clone(),
                display_name: a.display_name.clone(),
                default: a.default,
                register: a.register,
                registration: state.registrations.get(&a.name).cloned(),
            })
            .collect(),
    )
}

async fn handling(State(ctx): State<ApiContext>) -> Json<Vec<HandlingView>> {
    Json(ctx.engine.state().handling)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDnd {
    pub on: bool,
    /// One account's own table (none: the whole phone).
    #[serde(default)]
    pub account: Option<String>,
}

async fn dnd(
    State(ctx): State<ApiContext>,
    Body(b): Body<SetDnd>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Dnd {
        on: b.on,
        account: b.account,
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetForwarding {
    pub when: ForwardReason,
    /// Where calls go (none: stop forwarding them).
    #[serde(default)]
    pub target: Option<String>,
    /// One account's own table (none: the shared one).
    #[serde(default)]
    pub account: Option<String>,
}

async fn forwarding(
    State(ctx): State<ApiContext>,
    Body(b): Body<SetForwarding>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Forward {
        when: b.when,
        target: b.target,
        account: b.account,
    })
    .await
    .map(Json)
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DevicesView {
    /// Call-control devices in use.
    pub devices: Vec<DeviceView>,
    /// Devices found but not usable, with why.
    pub unusable: Vec<UnusableDevice>,
    /// What every device shows.
    pub leds: hookswitch_hid::DeviceState,
}

async fn devices(State(ctx): State<ApiContext>) -> Json<DevicesView> {
    let s = ctx.engine.state();
    Json(DevicesView {
        devices: s.devices,
        unusable: s.unusable_devices,
        leds: s.leds,
    })
}

#[derive(Debug, Deserialize)]
struct DevicePath {
    device: u64,
}

/// A device's test (`test_device`): a busylight runs its colours.
async fn test_device(
    State(ctx): State<ApiContext>,
    crate::extract::PathOf(p): crate::extract::PathOf<DevicePath>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::TestDevice { device: p.device })
        .await
        .map(Json)
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The calls to join (none: every connected call).
    #[serde(default)]
    pub calls: Option<Vec<CallId>>,
}

async fn merge(
    State(ctx): State<ApiContext>,
    Body(b): Body<Merge>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::Merge { calls: b.calls }).await.map(Json)
}

async fn leave(State(ctx): State<ApiContext>) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::LeaveConference).await.map(Json)
}

async fn balances(State(ctx): State<ApiContext>) -> Json<Vec<BalanceView>> {
    Json(ctx.engine.state().balances)
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBalance {
    /// One account (none: every account with a balance URL).
    #[serde(default)]
    pub account: Option<String>,
}

async fn check_balance(
    State(ctx): State<ApiContext>,
    Body(b): Body<CheckBalance>,
) -> Result<Json<Reply>, ApiError> {
    ctx.act(Action::CheckBalance { account: b.account })
        .await
        .map(Json)
}

/// Any action of the vocabulary, as the control socket takes it.
async fn action(
    State(ctx): State<ApiContext>,
    Body(raw): Body<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Reply>, ApiError> {
    let extra = raw.keys().find(|k| *k != "cmd").cloned();
    let a: Action = crate::body::parse_value(serde_json::Value::Object(raw))?;
    // serde lets fields through on the variants that have none.
    if let Some(extra) = extra
        && let Ok(serde_json::Value::Object(known)) = serde_json::to_value(&a)
        && known.len() == 1
    {
        return Err(ApiError::bad_field(
            extra.clone(),
            format!("bad request: unknown field `{extra}`: this action takes none"),
        ));
    }
    let with_audio = match &a {
        Action::Call { audio, .. } | Action::Answer { audio, .. } => audio.is_some(),
        _ => false,
    };
    if with_audio {
        return Err(ApiError::bad_field(
            "audio",
            "a call's own sound files are for local scripts (the control socket), not the HTTP API",
        ));
    }
    ctx.act(a).await.map(Json)
}

pub fn add(s: &mut Spec) {
    s.add(
        "get",
        "/v1/state",
        get(state),
        Op::new(
            "getState",
            "phone",
            "The phone's published state: calls, registrations, handling, devices, presence, lamps",
        )
        .answers::<PhoneState>(200),
    );
    s.add(
        "get",
        "/v1/accounts",
        get(accounts),
        Op::new(
            "listAccounts",
            "phone",
            "The accounts and their registration",
        )
        .answers::<Vec<AccountView>>(200),
    );
    s.add(
        "get",
        "/v1/handling",
        get(handling),
        Op::new(
            "getHandling",
            "phone",
            "DND and forwarding, the shared table and each account's own",
        )
        .answers::<Vec<HandlingView>>(200),
    );
    s.add(
        "put",
        "/v1/dnd",
        put(dnd),
        Op::new("setDnd", "phone", "Do not disturb on or off (`dnd`)")
            .body::<SetDnd>(true)
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
    s.add(
        "put",
        "/v1/forwarding",
        put(forwarding),
        Op::new(
            "setForwarding",
            "phone",
            "Forward calls, or stop (`forward`)",
        )
        .body::<SetForwarding>(true)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "get",
        "/v1/devices",
        get(devices),
        Op::new(
            "listDevices",
            "phone",
            "Call-control devices, unusable ones, and their LEDs",
        )
        .answers::<DevicesView>(200),
    );
    s.add(
        "post",
        "/v1/devices/{device}/test",
        post(test_device),
        Op::new(
            "testDevice",
            "phone",
            "Run a device's test: a busylight shows each colour and a flash (`test_device`)",
        )
        .param::<u64>("device", "The device's number (`id` in `/v1/devices`).")
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/conference",
        post(merge),
        Op::new(
            "mergeCalls",
            "calls",
            "Merge calls into a conference (`merge`)",
        )
        .body::<Merge>(false)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "delete",
        "/v1/conference",
        delete(leave),
        Op::new(
            "leaveConference",
            "calls",
            "We leave the conference (`leave_conference`)",
        )
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "get",
        "/v1/balances",
        get(balances),
        Op::new(
            "listBalances",
            "phone",
            "Accounts' credit at their providers",
        )
        .answers::<Vec<BalanceView>>(200),
    );
    s.add(
        "post",
        "/v1/balances/check",
        post(check_balance),
        Op::new(
            "checkBalance",
            "phone",
            "Read balances now (`check_balance`); `Balance` events and `checks` say when done",
        )
        .body::<CheckBalance>(false)
        .answers::<Reply>(200)
        .errors(ACTION_ERRORS),
    );
    s.add(
        "post",
        "/v1/actions",
        post(action),
        Op::new("act", "phone", "Any action of the phone's vocabulary")
            .describe("The JSON the control socket takes, e.g. {\"cmd\": \"hold\", \"call\": 1, \"held\": true}. The routes above are the same actions by name.")
            .body::<Action>(true)
            .answers::<Reply>(200)
            .errors(ACTION_ERRORS),
    );
}
