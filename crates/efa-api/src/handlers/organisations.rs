//! Organisations: Land governments, federal ministries, IT-Dienstleister, Kommunen, bundlers.

use super::{BadRequest, NotFound, Unavailable};
use crate::operations;
use crate::error::ApiError;
use crate::http::{json_with_etag, json_with_links};
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use crate::views::Organisation;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::{LandCode, OrgKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganisationsParams {
    #[param(value_type = Option<OrgKind>)]
    pub kind: Option<String>,
    /// Two-digit Land code.
    #[param(value_type = Option<String>, example = "05")]
    pub land: Option<String>,
    /// Part of the name (folded like every search).
    #[param(value_type = Option<String>, max_length = 200)]
    pub q: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationsResponse {
    pub items: Vec<Organisation>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// Organisations taking part in the marketplace, by name.
#[utoipa::path(tag = "organisations", operation_id = "list_organisations", params(OrganisationsParams),
    responses((status = 200, body = OrganisationsResponse), BadRequest, Unavailable))]
#[get("/organisations")]
pub async fn list_organisations(req: HttpRequest, state: web::Data<AppState>, q: web::Query<OrganisationsParams>) -> Result<HttpResponse, ApiError> {
    let kind = params::opt("kind", &q.kind, OrgKind::parse)?;
    let land = params::opt("land", &q.land, LandCode::parse)?;
    let words = params::text("q", &q.q)?.unwrap_or_default();
    let page = Page::parse(&q.page, &q.per_page)?;
    let (items, total) = operations::organisations::search(&state, &words, kind, land.as_ref(), page)?;
    Ok(json_with_links(&OrganisationsResponse { items, meta: PageMeta::new(page, total) }, page.link_header(&req, total)))
}

/// One organisation.
#[utoipa::path(tag = "organisations", operation_id = "get_organisation",
    params(("id" = String, Path, description = "Organisation id (UUID)", format = Uuid)),
    responses((status = 200, body = Organisation, headers(("ETag" = String))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/organisations/{id}")]
pub async fn get_organisation(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    json_with_etag(&req, &operations::organisations::get(&state, &path)?)
}
