//! Webhook endpoints of the caller's organisation and their delivery log.

use super::{parse_body, BadRequest, NotFound, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::params::{Page, PageMeta};
use crate::state::AppState;
use crate::webhooks::{self as op, CreatedEndpoint, Delivery, Endpoint, NewEndpoint};
use crate::write::Ctx;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointsResponse {
    pub items: Vec<Endpoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveriesResponse {
    pub items: Vec<Delivery>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

/// Register a webhook endpoint for your organisation. It receives every event your organisation
/// may read in `GET /api/v1/events` (of the types named), signed as Standard Webhooks says; the
/// answer carries the signing secret, this once.
#[utoipa::path(tag = "events", operation_id = "create_webhook", request_body = NewEndpoint, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = CreatedEndpoint, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields (a URL that is not https, cannot be resolved or is not a public address; an unknown event type)"),
        BadRequest, Unavailable))]
#[post("/webhooks")]
pub async fn create_webhook(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<serde_json::Value>) -> Result<HttpResponse, ApiError> {
    let input: NewEndpoint = parse_body(&body)?;
    Ok(op::register(&state, &user.0, &Ctx::of(&req), input).await?.into_response())
}

/// Your organisation's webhook endpoints (operators: all).
#[utoipa::path(tag = "events", operation_id = "list_webhooks", security(("bearer" = [])),
    responses((status = 200, body = EndpointsResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        Unavailable))]
#[get("/webhooks")]
pub async fn list_webhooks(state: web::Data<AppState>, user: Authenticated) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(EndpointsResponse { items: op::list(&state, &user.0).await? }))
}

/// One webhook endpoint of your organisation.
#[utoipa::path(tag = "events", operation_id = "get_webhook", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook endpoint id", format = Uuid)),
    responses((status = 200, body = Endpoint),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/webhooks/{id}")]
pub async fn get_webhook(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(op::get(&state, &user.0, &path).await?))
}

/// Remove a webhook endpoint (its pending deliveries go with it).
#[utoipa::path(tag = "events", operation_id = "delete_webhook", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook endpoint id", format = Uuid)),
    responses((status = 204, description = "Removed"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    op::remove(&state, &user.0, &Ctx::of(&req), &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enable an endpoint again that was disabled after persistent failure.
#[utoipa::path(tag = "events", operation_id = "enable_webhook", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook endpoint id", format = Uuid)),
    responses((status = 200, body = Endpoint),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[post("/webhooks/{id}/enable")]
pub async fn enable_webhook(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(op::enable(&state, &user.0, &Ctx::of(&req), &path).await?))
}

/// The delivery log of an endpoint: every delivery with every attempt, newest first.
#[utoipa::path(tag = "events", operation_id = "list_webhook_deliveries", security(("bearer" = [])),
    params(("id" = String, Path, description = "Webhook endpoint id", format = Uuid), DeliveryParams),
    responses((status = 200, body = DeliveriesResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, q: web::Query<DeliveryParams>) -> Result<HttpResponse, ApiError> {
    let page = Page::parse(&q.page, &q.per_page)?;
    let (items, total) = op::deliveries(&state, &user.0, &path, page).await?;
    Ok(crate::http::json_with_links(&DeliveriesResponse { items, meta: PageMeta::new(page, total) }, page.link_header(&req, total)))
}
