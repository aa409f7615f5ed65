//! Reuse requests (Nachnutzungsanfragen), over HTTP: parse, call the operation, answer.
//! The rules live in [`crate::operations::reuse`].

use super::{parse_body, BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::operations::reuse::{self as op, Decision, Message, NewMessage, NewReuseRequest, ReuseRequest, Step};
use crate::params::{cursor_link_header, next_cursor, PageMeta, RecordList, RecordListParams};
use crate::state::AppState;
use crate::write::Ctx;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::reuse::RequestState;
use efa_domain::Principal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Ask to reuse a published online service (creates a draft; submit it next).
#[utoipa::path(tag = "nachnutzung", operation_id = "create_reuse_request", security(("bearer" = [])), request_body = NewReuseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = ReuseRequest, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a municipality user of the Gemeinde, or not its bundler"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, or Idempotency-Key reused with another request"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/reuse-requests")]
pub async fn create_reuse_request(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let input: NewReuseRequest = parse_body(&body)?;
    Ok(op::create_request(&state, &user.0, &Ctx::of(&req), input).await?.into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReuseRequestsResponse {
    pub items: Vec<ReuseRequest>,
    #[serde(flatten)]
    pub meta: PageMeta,
    /// The cursor of the next page (`after=`), when this page is full.
    pub next_cursor: Option<String>,
}

/// Requests you are party to; coordinators also see every submitted request of their Land.
/// Newest first (`sort=created_at`: oldest first), a page at a time: by `page` or, faster deep
/// into the list, by cursor (`after=` the `next_cursor` of the page before).
#[utoipa::path(tag = "nachnutzung", operation_id = "list_reuse_requests", security(("bearer" = [])), params(RecordListParams),
    responses((status = 200, body = ReuseRequestsResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"), BadRequest, Unavailable))]
#[get("/reuse-requests")]
pub async fn list_reuse_requests(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<RecordListParams>) -> Result<HttpResponse, ApiError> {
    let states: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
    let (filter, page) = q.parse(RecordList::Requests, &states)?;
    let keyset = filter.after.is_some();
    let (items, total) = op::list_requests(&state, &user.0, filter, page).await?;
    let next = next_cursor(&items, page, |r| efa_store::reuse::request_cursor(r.created_at.naive_utc(), &r.id));
    let link = if keyset { cursor_link_header(&req, next.as_deref()) } else { page.link_header(&req, total) };
    Ok(crate::http::json_with_links(&ReuseRequestsResponse { items, meta: PageMeta::new(page, total), next_cursor: next }, link))
}

/// One request, if you may see it (a coordinator of another Land may not: 404).
#[utoipa::path(tag = "nachnutzung", operation_id = "get_reuse_request", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
    responses((status = 200, body = ReuseRequest),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/reuse-requests/{id}")]
pub async fn get_reuse_request(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(op::get_request(&state, &user.0, &path).await?))
}

async fn step(req: HttpRequest, state: web::Data<AppState>, p: Principal, raw_id: &str, step: Step, body: Option<Value>) -> Result<HttpResponse, ApiError> {
    let id = crate::operations::parse_uuid("id", raw_id)?;
    let d: Decision = match &body {
        Some(b) if !b.is_null() => parse_body(b)?,
        _ => Decision::default(),
    };
    Ok(HttpResponse::Ok().json(op::step(&state, &p, &Ctx::of(&req), &id, step, d).await?))
}

macro_rules! request_step {
    ($name:ident, $path:literal, $step:expr, $op:literal, $doc:literal, body) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])), request_body = Decision,
            params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
            responses((status = 200, body = ReuseRequest),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your decision"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the current state, or someone else decided first"),
                (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
                BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
            step(req, state, user.0, &path, $step, Some(body.into_inner())).await
        }
    };
    ($name:ident, $path:literal, $step:expr, $op:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])),
            params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
            responses((status = 200, body = ReuseRequest),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your decision"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the current state, or someone else decided first"),
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
            step(req, state, user.0, &path, $step, None).await
        }
    };
}

request_step!(submit_reuse_request, "/reuse-requests/{id}/submit", Step::Submit, "submit_reuse_request", "Submit a draft request to the coordinator of its Land (requester).");
request_step!(withdraw_reuse_request, "/reuse-requests/{id}/withdraw", Step::Withdraw, "withdraw_reuse_request", "Withdraw a request; possible until its agreement is active (requester).");
request_step!(approve_reuse_request, "/reuse-requests/{id}/approve", Step::Approve, "approve_reuse_request", "Approve the reuse (coordinator of the request's Land).");
request_step!(reject_reuse_request, "/reuse-requests/{id}/reject", Step::Reject, "reject_reuse_request", "Reject the reuse with a reason (coordinator of the request's Land).", body);
request_step!(accept_reuse_request, "/reuse-requests/{id}/accept", Step::Accept, "accept_reuse_request", "Accept: one agreement per Gemeinde is created, terms and fees frozen (provider).", body);
request_step!(decline_reuse_request, "/reuse-requests/{id}/decline", Step::Decline, "decline_reuse_request", "Decline with a reason (provider).", body);

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesResponse {
    pub items: Vec<Message>,
    pub total: usize,
}

/// The Abstimmung of a request: messages between requester, provider and coordinator.
#[utoipa::path(tag = "nachnutzung", operation_id = "list_request_messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
    responses((status = 200, body = MessagesResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/reuse-requests/{id}/messages")]
pub async fn list_request_messages(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let items: Vec<Message> = op::messages(&state, &user.0, &path).await?;
    Ok(HttpResponse::Ok().json(MessagesResponse { total: items.len(), items }))
}

/// Write a message on a request (anyone who may see it).
#[utoipa::path(tag = "nachnutzung", operation_id = "create_request_message", security(("bearer" = [])), request_body = NewMessage,
    params(("id" = String, Path, description = "Reuse request id", format = Uuid), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = Message, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Empty or too long"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/reuse-requests/{id}/messages")]
pub async fn create_request_message(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let id = crate::operations::parse_uuid("id", &path)?;
    let input: NewMessage = parse_body(&body)?;
    Ok(op::create_message(&state, &user.0, &Ctx::of(&req), &id, input).await?.into_response())
}
