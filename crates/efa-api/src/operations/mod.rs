//! Application operations: every rule of a use case in one place — validation, policy, state
//! machine, transaction, audit, idempotency. The JSON handlers and the shop's pages both call
//! these; neither holds a rule of its own, and no page calls the API over HTTP.

pub mod adoption;
pub mod agreements;
pub mod audit;
pub mod catalogue;
pub mod frameworks;
pub mod listings;
pub mod organisations;
pub mod reuse;

use crate::error::ApiError;
use efa_domain::listing::FieldError;

/// A 422 naming one field.
pub(crate) fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![FieldError { field: field.into(), message: message.into() }])
}

pub(crate) fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

/// The JSON of an operation's input, for the idempotency fingerprint.
pub(crate) fn fingerprint<T: serde::Serialize>(input: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(input).map_err(|e| ApiError::Internal(e.into()))
}

/// A UUID path value in its canonical form.
pub fn parse_uuid(param: &str, raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::bad_param(param, "is not a UUID"))
}
