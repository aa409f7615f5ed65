//! Publishing over HTTP: parse, call the operation, answer. The rules live in
//! [`crate::operations::listings`].
//!
//! The working copy of a listing has a `revision`; its ETag is `"r<revision>"`. An update
//! needs `If-Match` with it (428 without, 412 when stale), so two editors never overwrite
//! each other unnoticed.

use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::{Authenticated, Viewer};
use crate::operations::listings::{self as op, Change, Cursor, ListingFilter, ListingPage};
pub use crate::operations::listings::{Listing, ListingVersion};
use crate::operations::parse_uuid;
use crate::params;
use crate::state::AppState;
use crate::write::Ctx;
use actix_web::http::{header, StatusCode};
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::{self, ListingAction, ListingContent, ListingState};
use efa_domain::Principal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

fn etag(revision: i32) -> String {
    format!("\"r{revision}\"")
}

fn listing_response(status: StatusCode, l: &Listing) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(l.revision))).json(l)
}

/// `If-Match` as a revision; `required` decides between 428 and "use the current one".
fn if_match(req: &HttpRequest, required: bool) -> Result<Option<i32>, ApiError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return if required { Err(ApiError::PreconditionRequired) } else { Ok(None) };
    };
    let v = v.to_str().unwrap_or("").trim();
    if v == "*" {
        // RFC 9110: "*" matches any current representation.
        return Ok(None);
    }
    // Anything that is not one of our ETags cannot match the current revision.
    let rev = v.strip_prefix("\"r").and_then(|r| r.strip_suffix('"')).and_then(|r| r.parse::<i32>().ok());
    rev.map(Some).ok_or(ApiError::PreconditionFailed)
}

/// Create a listing (as a draft) for your provider organisation.
#[utoipa::path(tag = "publishing", operation_id = "create_online_service", request_body = ListingContent,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation: a retry with the same key and body within 24 hours answers the first response")),
    responses((status = 201, body = Listing, headers(("ETag" = String), ("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a publisher of the provider organisation"),
        (status = 413, body = ProblemDetails, content_type = "application/problem+json", description = "Body too large"),
        (status = 415, body = ProblemDetails, content_type = "application/problem+json", description = "Body is not JSON"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, all listed in `errors`, or Idempotency-Key reused with another request"),
        BadRequest, Unavailable))]
#[post("/online-services")]
pub async fn create_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let creation = op::create_listing(&state, &user.0, &Ctx::of(&req), &body).await?;
    // The ETag a later If-Match needs: of the revision the answer shows (1, or the first
    // answer's for a replay).
    let revision = creation.body()?["revision"].as_i64().and_then(|r| i32::try_from(r).ok()).unwrap_or(1);
    let mut res = creation.into_response();
    if let Ok(tag) = header::HeaderValue::from_str(&etag(revision)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    Ok(res)
}

/// The working copy of a listing (provider and operators); its ETag is what `If-Match` needs.
#[utoipa::path(tag = "publishing", operation_id = "get_listing", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/listing")]
pub async fn get_listing(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(listing_response(StatusCode::OK, &op::get_listing(&state, &user.0, &path).await?))
}

/// Change the working copy with a JSON merge patch (RFC 7396). Needs `If-Match`.
/// Editing a published listing starts a new draft; the public keeps the published version.
#[utoipa::path(tag = "publishing", operation_id = "update_online_service", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = String, Header, description = "ETag of the working copy, e.g. \"r3\"")),
    request_body(content = Value, content_type = "application/merge-patch+json", description = "Fields to change; null removes a field"),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a publisher of the provider organisation"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "The listing's state does not allow edits"),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, all listed in `errors`"),
        (status = 428, body = ProblemDetails, content_type = "application/problem+json", description = "If-Match missing"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[patch("/online-services/{id}")]
pub async fn update_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let id = parse_uuid("id", &path)?;
    let expected = if_match(&req, true)?;
    let l = op::update_listing(&state, &user.0, &Ctx::of(&req), &id, expected, Change::Patch(body.into_inner())).await?;
    Ok(listing_response(StatusCode::OK, &l))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why the listing goes back to its provider; shown to the provider.
    pub reason: String,
}

/// A state change (submit, approve, retire; reject with its reason), `If-Match` optional.
async fn change_state(req: HttpRequest, state: web::Data<AppState>, p: Principal, raw_id: &str, action: ListingAction, reason: Option<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let expected = if_match(&req, false)?;
    let l = op::change_state(&state, &p, &Ctx::of(&req), &id, action, expected, reason).await?;
    Ok(listing_response(StatusCode::OK, &l))
}

macro_rules! state_endpoint {
    ($name:ident, $path:literal, $action:expr, $op:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "publishing", operation_id = $op, security(("bearer" = [])),
            params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the working copy")),
            responses((status = 200, body = Listing, headers(("ETag" = String))),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not allowed for your role"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the listing's current state"),
                (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
            change_state(req, state, user.0, &path, $action, None).await
        }
    };
}

state_endpoint!(submit_online_service, "/online-services/{id}/submit", ListingAction::Submit, "submit_online_service", "Send a draft to review (provider).");
state_endpoint!(approve_online_service, "/online-services/{id}/approve", ListingAction::Approve, "approve_online_service", "Publish a listing in review as its next version (operator).");
state_endpoint!(retire_online_service, "/online-services/{id}/retire", ListingAction::Retire, "retire_online_service", "Withdraw a listing from the catalogue (provider or operator).");

/// Send a listing in review back to its provider with a reason (operator).
#[utoipa::path(tag = "publishing", operation_id = "reject_online_service", security(("bearer" = [])), request_body = RejectBody,
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the working copy")),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not in review"),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Reason missing or too long"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/online-services/{id}/reject")]
pub async fn reject_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    // serde would also read the struct from an array, binding fields by position.
    if !body.is_object() {
        return Err(ApiError::Unprocessable(vec![listing::FieldError { field: "body".into(), message: "must be a JSON object".into() }]));
    }
    let parsed: RejectBody = serde_json::from_value(body)
        .map_err(|e| ApiError::Unprocessable(vec![listing::FieldError { field: "reason".into(), message: e.to_string() }]))?;
    let reason = op::reason(&parsed.reason)?;
    change_state(req, state, user.0, &path, ListingAction::Reject, Some(reason)).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingVersionsResponse {
    pub items: Vec<ListingVersion>,
    pub total: usize,
}

/// The published versions of a listing, newest first. Entries loaded from the seed data
/// predate the marketplace and have none.
#[utoipa::path(tag = "publishing", operation_id = "list_online_service_versions",
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = ListingVersionsResponse), BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/versions")]
pub async fn list_online_service_versions(state: web::Data<AppState>, viewer: Viewer, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let items = op::published_versions(&state, viewer.0, &path).await?;
    Ok(HttpResponse::Ok().json(ListingVersionsResponse { total: items.len(), items }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListingListParams {
    /// Only listings in this state (`draft`, `in_review`, `published`, `retired`). Operators
    /// see one state across all organisations, by default `in_review`: the review queue.
    #[param(value_type = Option<String>)]
    pub state: Option<String>,
    /// The `next_cursor` of the previous page (default: from the start).
    #[param(value_type = Option<String>)]
    pub after: Option<String>,
    /// At most this many listings (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// Listings to work on: your organisation's (newest change first); for operators the review
/// queue, listings in review, oldest first (or another `state`, across all organisations).
/// A page at a time by keyset: pass `next_cursor` as `after`.
#[utoipa::path(tag = "publishing", operation_id = "list_listings", security(("bearer" = [])), params(ListingListParams),
    responses((status = 200, body = ListingPage, headers(("Link" = String, description = "RFC 8288 next, while there is a next page"))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, Unavailable))]
#[get("/listings")]
pub async fn list_listings(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<ListingListParams>) -> Result<HttpResponse, ApiError> {
    let states: Vec<&str> = ListingState::ALL.iter().map(|s| s.as_str()).collect();
    let listing_state = params::opt("state", &q.state, |s| ListingState::parse(s).map_err(|_| format!("{s:?} is not one of {}", states.join(", "))))?;
    let after = params::opt("after", &q.after, |s| Cursor::parse(s).map_err(|_| "is not a cursor of this list (use next_cursor of the previous page)"))?;
    let limit = params::opt("limit", &q.limit, |s| match s.parse::<u32>() {
        Ok(n) if (1..=params::MAX_PER_PAGE).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a whole number between 1 and {}", params::MAX_PER_PAGE)),
    })?
    .unwrap_or(params::DEFAULT_PER_PAGE);
    let page = op::list(&state, &user.0, ListingFilter { state: listing_state }, after, limit).await?;
    let mut res = HttpResponse::Ok();
    if let Some(next) = &page.next_cursor {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        let mut q: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "after").collect();
        q.push(("after".into(), next.clone()));
        res.insert_header((header::LINK, format!("<{}?{}>; rel=\"next\"", req.path(), serde_urlencoded::to_string(&q).unwrap_or_default())));
    }
    Ok(res.json(page))
}
