//! What an operator sees when reviewing: possible duplicates of a listing, over HTTP.
//! Duplicate listings are a known complaint about the existing marketplaces; the rule lives in
//! [`crate::operations::listings::possible_duplicates`].

use super::{BadRequest, NotFound, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
pub use crate::operations::listings::{DuplicateReason, PossibleDuplicate};
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicatesResponse {
    pub items: Vec<PossibleDuplicate>,
    pub total: usize,
}

/// Listings that may describe the same service: same provider and OZG-Leistung, or a near-identical name.
#[utoipa::path(tag = "publishing", operation_id = "list_possible_duplicates", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = PossibleDuplicatesResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/possible-duplicates")]
pub async fn list_possible_duplicates(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let items = crate::operations::listings::possible_duplicates(&state, &user.0, &path)?;
    Ok(HttpResponse::Ok().json(PossibleDuplicatesResponse { total: items.len(), items }))
}
