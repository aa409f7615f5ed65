//! Liveness, readiness and metrics for the operators.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", operation_id = "healthz", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database is reachable and migrated, and the catalogue is loaded.
#[utoipa::path(tag = "operations", operation_id = "readyz",
    responses((status = 200, body = Health), super::Unavailable))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let migrated = state
        .db(|conn| efa_store::migrations::is_current(conn).map_err(|_| ApiError::Unavailable))
        .await
        .map_err(|_| ApiError::Unavailable)?;
    if !migrated {
        return Err(ApiError::Unavailable);
    }
    if !state.catalogue.current().loaded {
        // The database came back after a start without it: load now instead of restarting.
        state.reload_catalogue().await.map_err(|_| ApiError::Unavailable)?;
    }
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}

/// Prometheus text: requests and latency histogram per route, method and status.
#[utoipa::path(tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain; version=0.0.4", body = String)))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}
