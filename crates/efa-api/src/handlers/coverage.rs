//! Honest coverage per Gemeinde, Kreis, Land and OZG-Leistung; the federal dashboard's
//! records from our data; what to order next. Every response also as CSV (`Accept: text/csv`).
//! The reports are built in [`crate::coverage::reports`], which the shop shows too.

use super::{BadRequest, NotFound, Unavailable};
use crate::coverage::reports;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::{Ags, KreisCode, LandCode, OzgId};
use serde::Serialize;
use utoipa::ToSchema;

pub(super) use crate::coverage::reports::{opt, Table};

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

pub(super) fn respond<T: Serialize>(req: &HttpRequest, body: &T, table: impl FnOnce() -> Table) -> Result<HttpResponse, ApiError> {
    if !wants_csv(req) {
        return Ok(HttpResponse::Ok().json(body));
    }
    let bytes = table().to_csv()?;
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(bytes))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GemeindeCoverageParams {
    /// Only the covered (true) or only the missing (false) OZG-Leistungen in `items`; the
    /// counts and the share always speak of all in scope.
    #[param(value_type = Option<bool>)]
    pub covered: Option<String>,
}

/// Which in-scope OZG-Leistungen this Gemeinde's people can do online today, through what.
#[utoipa::path(tag = "coverage", operation_id = "get_gemeinde_coverage",
    params(("ags" = String, Path, description = "AGS of the Gemeinde", example = "05315000", pattern = "^[0-9]{8}$"), GemeindeCoverageParams),
    responses((status = 200, body = GemeindeCoverage, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/gemeinden/{ags}")]
pub async fn get_gemeinde_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, q: web::Query<GemeindeCoverageParams>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let only = crate::params::boolean("covered", &q.covered)?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, "");
    crate::http::conditional(&req, &tag, || {
        let mut body = reports::gemeinde(&ix, &ags)?.only(only);
        body.known_online_elsewhere = crate::operations::catalogue::known_online_for_gemeinde(&ix, &ags);
        respond(&req, &body, || body.table())
    })
}

/// Coverage of every Gemeinde of a Kreis: distribution, population-weighted share, who is furthest behind.
#[utoipa::path(tag = "coverage", operation_id = "get_kreis_coverage",
    params(("code" = String, Path, description = "Five-digit Kreis code", example = "05315", pattern = "^[0-9]{5}$")),
    responses((status = 200, body = AreaCoverage, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/kreise/{code}")]
pub async fn get_kreis_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = KreisCode::parse(&path).map_err(|e| ApiError::bad_param("code", e))?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, "");
    crate::http::conditional(&req, &tag, || {
        let body = reports::kreis(&ix, &code)?;
        respond(&req, &body, || body.table())
    })
}

/// Coverage of every Gemeinde of a Land.
#[utoipa::path(tag = "coverage", operation_id = "get_land_coverage",
    params(("code" = String, Path, description = "Two-digit Land code", example = "05", pattern = "^[0-9]{2}$")),
    responses((status = 200, body = AreaCoverage, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/laender/{code}")]
pub async fn get_land_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = LandCode::parse(&path).map_err(|e| ApiError::bad_param("code", e))?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, "");
    crate::http::conditional(&req, &tag, || {
        let body = reports::land(&ix, &code)?;
        respond(&req, &body, || body.table())
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LandReach {
    pub land: String,
    pub gemeinden_covered: usize,
    pub gemeinden_total: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OzgCoverage {
    pub ozg_id: i32,
    pub name: String,
    pub in_scope_for_gemeinden: bool,
    pub laender: usize,
    pub kreise: usize,
    pub gemeinden: usize,
    /// Inhabitants of the Gemeinden where it is live.
    pub population: i64,
    pub per_land: Vec<LandReach>,
}

/// Where OZG-Leistung `id` is live (the API's coverage of an OZG-Leistung and its page in the shop).
pub fn ozg_coverage(ix: &crate::coverage::CoverageIndex, id: OzgId) -> Result<OzgCoverage, ApiError> {
    let oi = *ix.catalogue.ozg_by_id.get(&id.get()).ok_or_else(|| ApiError::not_found(format!("OZG-Leistung {id} does not exist")))?;
    let counts = &ix.counts[oi];
    let per_land: Vec<LandReach> = ix
        .catalogue
        .laender
        .iter()
        .map(|l| LandReach {
            land: l.code.clone(),
            gemeinden_covered: counts.by_land.get(&l.code).copied().unwrap_or(0),
            gemeinden_total: ix.gemeinden_by_land.get(&l.code).map(Vec::len).unwrap_or(0),
        })
        .collect();
    Ok(OzgCoverage {
        ozg_id: id.get(),
        name: ix.catalogue.ozg[oi].view.name.clone(),
        in_scope_for_gemeinden: ix.in_scope_set[oi],
        laender: counts.by_land.len(),
        kreise: counts.by_kreis.len(),
        gemeinden: counts.gemeinden,
        population: counts.population,
        per_land,
    })
}

/// Where an OZG-Leistung is live: Länder, Kreise and Gemeinden, and the people it reaches.
#[utoipa::path(tag = "coverage", operation_id = "get_ozg_coverage",
    params(("ozg_id" = i32, Path, description = "OZG-ID", example = 10092)),
    responses((status = 200, body = OzgCoverage, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/ozg-leistungen/{ozg_id}")]
pub async fn get_ozg_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = OzgId::parse(&path).map_err(|e| ApiError::bad_param("ozg_id", e))?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, "");
    crate::http::conditional(&req, &tag, || {
        let body = ozg_coverage(&ix, id)?;
        respond(&req, &body, || Table {
            header: vec!["ozg_id", "ozg_leistung", "land", "gemeinden_covered", "gemeinden_total"],
            rows: body.per_land.iter().map(|l| vec![body.ozg_id.to_string(), body.name.clone(), l.land.clone(), l.gemeinden_covered.to_string(), l.gemeinden_total.to_string()]).collect(),
        })
    })
}

/// What to order next: uncovered in-scope Leistungen, ranked by how many similar Gemeinden have them live.
#[utoipa::path(tag = "coverage", operation_id = "get_next_for_gemeinde",
    params(("ags" = String, Path, description = "AGS of the Gemeinde", example = "05315000", pattern = "^[0-9]{8}$")),
    responses((status = 200, body = NextResponse, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/gemeinden/{ags}/next")]
pub async fn get_next_for_gemeinde(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let ix = state.coverage()?;
    let today = efa_domain::calendar::today();
    let tag = crate::http::snapshot_etag(&req, ix.generation, &today.to_string());
    crate::http::conditional(&req, &tag, || {
        let body = reports::next(&ix, &ags, today)?;
        respond(&req, &body, || body.table())
    })
}
