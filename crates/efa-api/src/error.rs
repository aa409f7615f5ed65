//! Every error leaves the API as RFC 9457 `application/problem+json`, with one status
//! and one problem `type` per variant.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";
const TYPE_BASE: &str = "https://efa-marktplatz.de/problems/";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://efa-marktplatz.de/problems/not-found",
    "title": "Not Found",
    "status": 404,
    "detail": "OZG-Leistung 99999 does not exist"
}))]
pub struct ProblemDetails {
    /// URI identifying the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The query or path parameter that was rejected, where one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Every invalid field of a request body, where several were checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub use efa_domain::listing::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query or path parameter is malformed.
    #[error("{message}")]
    BadParameter { parameter: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{method} is not allowed here; allowed: {allowed}")]
    MethodNotAllowed { method: String, allowed: String },
    #[error("{0}")]
    Conflict(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("this request needs an If-Match header with the resource's current ETag")]
    PreconditionRequired,
    #[error("the resource changed since it was read: its ETag no longer matches If-Match")]
    PreconditionFailed,
    #[error("the request body has {} invalid field(s)", .0.len())]
    Unprocessable(Vec<FieldError>),
    #[error("the database is not available")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Not an error: a stored first response, carried out of the transaction that found it
    /// (rolling the transaction back, which wrote nothing).
    #[error("replayed response")]
    Replay { status: u16, body: String, location: Option<String> },
    /// Not an error either: the `Idempotency-Key` was claimed by a racing request that
    /// committed first (its answer is looked up after this transaction has ended).
    #[error("idempotency key taken")]
    KeyTaken,
}

impl ApiError {
    pub fn bad_param(parameter: &str, message: impl std::fmt::Display) -> ApiError {
        ApiError::BadParameter { parameter: parameter.to_owned(), message: format!("{parameter}: {message}") }
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::NotFound(what.into())
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadParameter { .. } => "invalid-parameter",
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::NotAcceptable(_) => "not-acceptable",
            ApiError::PreconditionRequired => "precondition-required",
            ApiError::PreconditionFailed => "precondition-failed",
            ApiError::Unprocessable(_) => "validation-failed",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) | ApiError::Replay { .. } | ApiError::KeyTaken => "internal",
        }
    }

    pub fn problem(&self) -> ProblemDetails {
        let status = self.status_code();
        ProblemDetails {
            kind: format!("{TYPE_BASE}{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            parameter: match self {
                ApiError::BadParameter { parameter, .. } => Some(parameter.clone()),
                _ => None,
            },
            errors: match self {
                ApiError::Unprocessable(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) | ApiError::Replay { .. } | ApiError::KeyTaken => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            // The cause chain is logged once, here; the body carries no internal text.
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            ApiError::MethodNotAllowed { allowed, .. } => {
                res.insert_header((header::ALLOW, allowed.as_str()));
            }
            ApiError::Unauthorized(msg) => {
                // RFC 6750 §3: error_description holds printable ASCII without `"` and `\`
                // (messages may quote token claims, or contain e.g. an en dash).
                let quoted: String = msg.chars().map(|c| match c { '"' | '\\' => '\'', ' '..='~' => c, _ => '?' }).collect();
                // RFC 6750 §3.1: a request without credentials gets no error code.
                let challenge = if msg == crate::auth::NO_TOKEN {
                    "Bearer realm=\"efa\"".to_owned()
                } else {
                    format!("Bearer realm=\"efa\", error=\"invalid_token\", error_description=\"{quoted}\"")
                };
                res.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            _ => {}
        }
        res.content_type(PROBLEM_JSON).json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => ApiError::NotFound("no such resource".into()),
            // The database's message names tables and constraints: it goes to the log, the
            // caller is told what happened in words. Operations that expect a particular
            // conflict map it to their own message before it gets here.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = info.constraint_name().unwrap_or("?"), message = info.message(), "unique violation answered 409");
                ApiError::Conflict("a record like this already exists; read the current state and try again".into())
            }
            // The connection to the database is gone (or was lost inside a transaction).
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) | Error::BrokenTransactionManager => ApiError::Unavailable,
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<efa_domain::reuse::RequestTransitionError> for ApiError {
    fn from(e: efa_domain::reuse::RequestTransitionError) -> ApiError {
        ApiError::Conflict(e.to_string())
    }
}

impl From<efa_domain::reuse::AgreementTransitionError> for ApiError {
    fn from(e: efa_domain::reuse::AgreementTransitionError) -> ApiError {
        ApiError::Conflict(e.to_string())
    }
}

impl From<efa_domain::listing::TransitionError> for ApiError {
    fn from(e: efa_domain::listing::TransitionError) -> ApiError {
        ApiError::Conflict(e.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(_: diesel::r2d2::PoolError) -> ApiError {
        ApiError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> ApiError {
        ApiError::Internal(anyhow::anyhow!("blocking pool: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_has_its_status() {
        let cases: Vec<(ApiError, u16)> = vec![
            (ApiError::bad_param("per_page", "too big"), 400),
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::Forbidden("x".into()), 403),
            (ApiError::not_found("x"), 404),
            (ApiError::PreconditionRequired, 428),
            (ApiError::PreconditionFailed, 412),
            (ApiError::Unprocessable(vec![]), 422),
            (ApiError::MethodNotAllowed { method: "POST".into(), allowed: "GET".into() }, 405),
            (ApiError::Conflict("x".into()), 409),
            (ApiError::PayloadTooLarge { limit: 1 }, 413),
            (ApiError::UnsupportedMediaType("x".into()), 415),
            (ApiError::NotAcceptable("x".into()), 406),
            (ApiError::Unavailable, 503),
            (ApiError::Internal(anyhow::anyhow!("secret detail")), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
            let p = err.problem();
            assert_eq!(p.status, status);
            assert!(p.kind.starts_with(TYPE_BASE));
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let p = ApiError::Internal(anyhow::anyhow!("password=hunter2")).problem();
        assert!(!p.detail.contains("hunter2"));
    }

    #[test]
    fn bad_parameter_names_the_parameter() {
        let p = ApiError::bad_param("per_page", "must be between 1 and 100").problem();
        assert_eq!(p.parameter.as_deref(), Some("per_page"));
        assert!(p.detail.starts_with("per_page:"));
    }
}
