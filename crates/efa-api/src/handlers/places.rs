//! Länder, Kreise, Gemeinden (Destatis Gemeindeverzeichnis).

use super::{BadRequest, NotFound, Unavailable};
use crate::catalogue::query::{self, Words};
use crate::error::ApiError;
use crate::http::{json_with_etag, json_with_links};
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use crate::views::{Gemeinde, Kreis, Land};
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::{Ags, KreisCode, LandCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct LaenderResponse {
    pub items: Vec<Land>,
    pub total: usize,
}

/// The 16 Länder.
#[utoipa::path(tag = "places", operation_id = "list_laender",
    responses((status = 200, body = LaenderResponse), BadRequest, Unavailable))]
#[get("/laender")]
pub async fn list_laender(state: web::Data<AppState>, _q: web::Query<params::NoParams>) -> Result<HttpResponse, ApiError> {
    let c = state.catalogue()?;
    Ok(HttpResponse::Ok().json(LaenderResponse { items: c.laender.to_vec(), total: c.laender.len() }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct KreiseParams {
    /// Two-digit Land code, e.g. `05`.
    #[param(value_type = Option<String>, example = "05")]
    pub land: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct KreiseResponse {
    pub items: Vec<Kreis>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// The 401 Kreise and kreisfreie Städte, optionally of one Land.
#[utoipa::path(tag = "places", operation_id = "list_kreise", params(KreiseParams),
    responses((status = 200, body = KreiseResponse), BadRequest, Unavailable))]
#[get("/kreise")]
pub async fn list_kreise(req: HttpRequest, state: web::Data<AppState>, q: web::Query<KreiseParams>) -> Result<HttpResponse, ApiError> {
    let land = params::opt("land", &q.land, LandCode::parse)?;
    let page = Page::parse(&q.page, &q.per_page)?;
    let c = state.catalogue()?;
    let hits: Vec<&Kreis> = c.kreise.iter().filter(|k| land.as_ref().is_none_or(|l| k.land.code == l.as_str())).collect();
    let items = page.slice(&hits).iter().map(|k| (*k).clone()).collect();
    Ok(json_with_links(&KreiseResponse { items, meta: PageMeta::new(page, hits.len()) }, page.link_header(&req, hits.len())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GemeindenParams {
    /// Part of the name; case, umlauts and ß are folded ("Muenchen" finds München).
    #[param(value_type = Option<String>, example = "Köln", max_length = 200)]
    pub q: Option<String>,
    #[param(value_type = Option<String>, example = "05")]
    pub land: Option<String>,
    /// Five-digit Kreis code.
    #[param(value_type = Option<String>, example = "05315")]
    pub kreis: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GemeindenResponse {
    pub items: Vec<Gemeinde>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// The 11,004 Gemeinden; with `q`, name matches starting with the word come first, larger ones first.
#[utoipa::path(tag = "places", operation_id = "list_gemeinden", params(GemeindenParams),
    responses((status = 200, body = GemeindenResponse), BadRequest, Unavailable))]
#[get("/gemeinden")]
pub async fn list_gemeinden(req: HttpRequest, state: web::Data<AppState>, q: web::Query<GemeindenParams>) -> Result<HttpResponse, ApiError> {
    let words = Words::parse(params::text("q", &q.q)?.as_deref().unwrap_or(""));
    let land = params::opt("land", &q.land, LandCode::parse)?;
    let kreis = params::opt("kreis", &q.kreis, KreisCode::parse)?;
    let page = Page::parse(&q.page, &q.per_page)?;
    let c = state.catalogue()?;
    let hits = query::gemeinden(&c, &words, land.as_ref().map(LandCode::as_str), kreis.as_ref().map(KreisCode::as_str));
    let items = page.slice(&hits).iter().map(|&i| c.gemeinden[i].view.clone()).collect();
    Ok(json_with_links(&GemeindenResponse { items, meta: PageMeta::new(page, hits.len()) }, page.link_header(&req, hits.len())))
}

/// One Gemeinde by its 8-digit AGS.
#[utoipa::path(tag = "places", operation_id = "get_gemeinde",
    params(("ags" = String, Path, description = "Amtlicher Gemeindeschlüssel, 8 digits", example = "05315000", pattern = "^[0-9]{8}$")),
    responses((status = 200, body = Gemeinde, headers(("ETag" = String))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/gemeinden/{ags}")]
pub async fn get_gemeinde(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let c = state.catalogue()?;
    let g = c.gemeinde(ags.as_str()).ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))?;
    json_with_etag(&req, &g.view)
}
