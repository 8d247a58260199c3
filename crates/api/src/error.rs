//! Every refusal is JSON: `{"error": "...", "field": "..."}` with the status
//! that says whose fault it was. An engine error maps to the status a client
//! can act on (no such call: 404; not now: 409); nothing a client sends
//! gives a 5xx.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hookswitch_phone::EngineError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// What was wrong, for people.
    pub error: String,
    /// The request field it was about (a JSON path such as `calls[1]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, error: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                field: None,
            },
        }
    }

    pub fn bad_field(field: impl Into<String>, error: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            body: ErrorBody {
                error: error.into(),
                field: Some(field.into()),
            },
        }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, what)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let status = match &e {
            EngineError::NoSuchCall(_) | EngineError::NoSuchAccount(_) => StatusCode::NOT_FOUND,
            EngineError::BadTarget(_) | EngineError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EngineError::WrongState | EngineError::Conference(_) => StatusCode::CONFLICT,
            // A sound device that is not there, a file it cannot open.
            EngineError::Audio(_) | EngineError::Config(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EngineError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            // The far end refused or did not answer: the gateway's word.
            EngineError::MessageFailed { .. } => StatusCode::BAD_GATEWAY,
            EngineError::Stopped | EngineError::Bind { .. } => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
