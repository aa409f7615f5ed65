//! HTTP handlers, one file per resource group. Handlers parse, ask the catalogue or the
//! store, and shape the answer; decisions live in efa-domain and the catalogue queries.

pub mod adoption;
pub mod agreements;
pub mod audit;
pub mod events;
pub mod catalogue;
pub mod catalogue_admin;
pub mod coverage;
pub mod dashboard;
pub mod frameworks;
pub mod listings;
pub mod ops;
pub mod organisations;
pub mod places;
pub mod reuse;
pub mod review;
pub mod services;
pub mod webhooks;

use crate::error::ProblemDetails;
use serde_json::Value;
use utoipa::IntoResponses;

/// The field (e.g. `reason`, `municipalities[1]`) of the first string in a body holding a NUL
/// character: PostgreSQL cannot store one, and no text of ours needs it.
pub(crate) fn nul_field(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() { "body".to_owned() } else { path.to_owned() }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| nul_field(x, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, x)| nul_field(x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") })),
        _ => None,
    }
}

/// A JSON object body as `T`; a wrong field is a 422 naming it. Serde would also read a
/// struct from an array, binding fields by position: only objects are taken.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, crate::error::ApiError> {
    parse(body, false)
}

/// As [`parse_body`], where `null` (or no body) means an empty object.
pub(crate) fn parse_optional_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, crate::error::ApiError> {
    parse(body, true)
}

fn parse<T: serde::de::DeserializeOwned>(body: &Value, null_is_empty: bool) -> Result<T, crate::error::ApiError> {
    use crate::operations::invalid;
    if !(body.is_object() || (null_is_empty && body.is_null())) {
        return Err(invalid("body", "must be a JSON object"));
    }
    if let Some(field) = nul_field(body, "") {
        return Err(invalid(&field, "must not contain NUL characters"));
    }
    let object = if body.is_null() { serde_json::json!({}) } else { body.clone() };
    serde_json::from_value(object).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("body").to_owned();
        invalid(&field, msg)
    })
}

/// 400: a parameter is malformed (the problem names it).
#[derive(IntoResponses)]
#[response(status = 400, description = "A parameter is malformed; `parameter` names it.", content_type = "application/problem+json")]
pub struct BadRequest(#[to_schema] pub ProblemDetails);

/// 404: no such resource.
#[derive(IntoResponses)]
#[response(status = 404, description = "No such resource.", content_type = "application/problem+json")]
pub struct NotFound(#[to_schema] pub ProblemDetails);

/// 503: the database or the catalogue is not available yet.
#[derive(IntoResponses)]
#[response(status = 503, description = "The database is not reachable or the catalogue is not loaded yet.", content_type = "application/problem+json")]
pub struct Unavailable(#[to_schema] pub ProblemDetails);

/// 413: the JSON body is larger than the limit (64 KiB).
#[derive(IntoResponses)]
#[response(status = 413, description = "Body too large.", content_type = "application/problem+json")]
pub struct PayloadTooLarge(#[to_schema] pub ProblemDetails);

/// 415: the body is missing or not JSON (`application/json`, or `application/merge-patch+json` for PATCH).
#[derive(IntoResponses)]
#[response(status = 415, description = "Body missing or not JSON.", content_type = "application/problem+json")]
pub struct UnsupportedMediaType(#[to_schema] pub ProblemDetails);
