//! Extractors: who is calling, and the request id.

use crate::auth::{self, AuthError};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use serde_json::Value;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use efa_domain::Principal;
use std::future::{ready, Future, Ready};
use std::pin::Pin;

/// The id of this request (from `X-Request-Id` or generated), set by the middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|r| r.0.clone())
}

/// A verified caller whose organisation exists. Missing or invalid token: 401;
/// unknown organisation: 403.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// The caller if a token was sent (then it must be valid), else anonymous.
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<Principal>);

fn bearer(req: &HttpRequest) -> Result<Option<&str>, AuthError> {
    match req.headers().get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => {
            let v = v.to_str().map_err(|_| AuthError::Invalid("Authorization header is not ASCII".into()))?;
            match v.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(Some(token.trim())),
                _ => Err(AuthError::Invalid("Authorization must be `Bearer <token>`".into())),
            }
        }
    }
}

fn authenticate(req: &HttpRequest) -> Result<Option<Principal>, ApiError> {
    let Some(token) = bearer(req).map_err(|e| ApiError::Unauthorized(e.to_string()))? else {
        return Ok(None);
    };
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no state")))?;
    let claims = state.verifier.verify(token).map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let principal = auth::principal(&claims).map_err(|e| ApiError::Unauthorized(e.to_string()))?;
    let catalogue = state.catalogue()?;
    if catalogue.org(&principal.org_id).is_none() {
        return Err(ApiError::Forbidden(format!("organisation {} is not registered", principal.org_id)));
    }
    Ok(Some(principal))
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|p| p.map(Authenticated).ok_or_else(|| ApiError::Unauthorized(AuthError::Missing.to_string()))))
    }
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(Viewer))
    }
}

/// An optional JSON body. A request without one (no `Content-Length`, or 0, and no
/// `Transfer-Encoding`) is `None`; a body that is there must be JSON of at most the body
/// limit, exactly as for `web::Json` (415, 413, 400). `Option<web::Json<_>>` would instead
/// drop a body it cannot read and carry on as if none had been sent.
#[derive(Debug, Clone)]
pub struct OptionalJson(pub Option<Value>);

impl FromRequest for OptionalJson {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let length = headers.get(header::CONTENT_LENGTH).map(|v| v.as_bytes() != b"0");
        if !length.unwrap_or_else(|| headers.contains_key(header::TRANSFER_ENCODING)) {
            return Box::pin(ready(Ok(OptionalJson(None))));
        }
        let body = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move { body.await.map(|j| OptionalJson(Some(j.into_inner()))) })
    }
}
