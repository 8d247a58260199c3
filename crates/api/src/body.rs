//! The JSON request body: `application/json`, at most [`LIMIT`] bytes, and
//! a 400 that names the field when it is bad JSON, an unknown field or the
//! wrong type. An empty body reads as `{}` (for bodies whose fields are all
//! optional).

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// No request of this API is near this size.
pub const LIMIT: usize = 64 * 1024;

pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let bytes = axum::body::to_bytes(req.into_body(), LIMIT)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is over {LIMIT} bytes"),
                )
            })?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else if json.as_deref() != Some("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as Content-Type: application/json",
            ));
        } else {
            &bytes
        };
        parse(bytes).map(Body)
    }
}

/// `bytes` as a `T`, or a 400 naming where it went wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(refusal)?;
    de.end()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")))?;
    Ok(value)
}

/// A JSON value already read, as a `T`.
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(refusal)
}

fn refusal(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let field = e.path().to_string();
    let inner = e.into_inner();
    let what = if inner.is_syntax() || inner.is_eof() {
        "bad JSON"
    } else {
        "bad request"
    };
    let message = format!("{what}: {inner}");
    if field.is_empty() || field == "." {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    } else {
        ApiError::bad_field(field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Place {
        target: String,
        account: Option<String>,
    }

    #[test]
    fn refusals_name_the_field() {
        let e = parse::<Place>(br#"{"target": 5}"#).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("target"));
        assert!(e.body.error.contains("invalid type"), "{}", e.body.error);
        let e = parse::<Place>(br#"{"target": "1", "acount": "x"}"#).unwrap_err();
        assert!(
            e.body.error.contains("unknown field `acount`"),
            "{}",
            e.body.error
        );
        let e = parse::<Place>(br#"{"target": "1""#).unwrap_err();
        assert!(e.body.error.starts_with("bad JSON"), "{}", e.body.error);
        let e = parse::<Place>(br#"{}"#).unwrap_err();
        assert!(
            e.body.error.contains("missing field `target`"),
            "{}",
            e.body.error
        );
        let e = parse::<Place>(br#"{"target": "1"} x"#).unwrap_err();
        assert!(e.body.error.contains("trailing"), "{}", e.body.error);
        assert!(parse::<Place>(br#"{"target": "1"}"#).is_ok());
    }

    #[test]
    fn a_bad_action_names_the_field_inside_it() {
        use hookswitch_phone::Action;
        let e = parse::<Action>(br#"{"cmd": "hold", "call": "one", "held": true}"#).unwrap_err();
        assert!(e.body.error.contains("invalid type"), "{}", e.body.error);
        let e =
            parse::<Action>(br#"{"cmd": "hold", "call": 1, "held": true, "x": 1}"#).unwrap_err();
        assert!(
            e.body.error.contains("unknown field `x`"),
            "{}",
            e.body.error
        );
        let e = parse::<Action>(br#"{"cmd": "fly"}"#).unwrap_err();
        assert!(
            e.body.error.contains("unknown variant `fly`"),
            "{}",
            e.body.error
        );
        assert!(parse::<Action>(br#"{"cmd": "hold", "call": 1, "held": true}"#).is_ok());
    }
}
