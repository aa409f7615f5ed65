//! The OZG-Umsetzungskatalog: Themenfelder, Lebenslagen, OZG-Leistungen, LeiKa-Leistungen.

use super::{BadRequest, NotFound, Unavailable};
use crate::catalogue::query::{self, OzgFilter, OzgSort};
use crate::catalogue::Catalogue;
use crate::error::ApiError;
use crate::http::{json_with_etag, json_with_links};
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use crate::views::{Lebenslage, LeikaDetail, OzgLeistung, OzgLeistungDetail, Themenfeld};
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::{LeikaKey, OzgId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct ThemenfelderResponse {
    pub items: Vec<Themenfeld>,
    pub total: usize,
}

/// The 14 Themenfelder, with their lead Land and counts of OZG-Leistungen and online services.
#[utoipa::path(tag = "catalogue", operation_id = "list_themenfelder",
    responses((status = 200, body = ThemenfelderResponse), BadRequest, Unavailable))]
#[get("/themenfelder")]
pub async fn list_themenfelder(state: web::Data<AppState>, _q: web::Query<params::NoParams>) -> Result<HttpResponse, ApiError> {
    let c = state.catalogue()?;
    Ok(HttpResponse::Ok().json(ThemenfelderResponse { items: c.themenfelder.clone(), total: c.themenfelder.len() }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LebenslagenParams {
    /// Themenfeld id.
    #[param(value_type = Option<i32>, example = 6)]
    pub themenfeld: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LebenslagenResponse {
    pub items: Vec<Lebenslage>,
    pub total: usize,
}

/// The Lebens- and Unternehmenslagen, optionally of one Themenfeld.
#[utoipa::path(tag = "catalogue", operation_id = "list_lebenslagen", params(LebenslagenParams),
    responses((status = 200, body = LebenslagenResponse), BadRequest, Unavailable))]
#[get("/lebenslagen")]
pub async fn list_lebenslagen(state: web::Data<AppState>, q: web::Query<LebenslagenParams>) -> Result<HttpResponse, ApiError> {
    let themenfeld = params::int("themenfeld", &q.themenfeld)?;
    let c = state.catalogue()?;
    let items: Vec<Lebenslage> = c.lebenslagen.iter().filter(|l| themenfeld.is_none_or(|t| l.themenfeld.id == t)).cloned().collect();
    Ok(HttpResponse::Ok().json(LebenslagenResponse { total: items.len(), items }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OzgListParams {
    /// Search words, matched against the OZG-Leistung's name and the names of its
    /// LeiKa-Leistungen; case, umlauts and ß are folded. Name matches rank first.
    #[param(value_type = Option<String>, example = "wohngeld", max_length = 200)]
    pub q: Option<String>,
    /// Themenfeld id.
    #[param(value_type = Option<i32>, example = 2)]
    pub themenfeld: Option<String>,
    /// Lebenslage id.
    #[param(value_type = Option<i32>)]
    pub lebenslage: Option<String>,
    /// Only OZG-Leistungen with (true) or without (false) an online service.
    #[param(value_type = Option<bool>)]
    pub has_online_service: Option<String>,
    /// `relevance` (default with q), `ozg_id` (default without), `name`; prefix `-` for descending.
    #[param(value_type = Option<String>, example = "name")]
    pub sort: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

/// The `sort` keys of the OZG-Leistungen's search.
pub const OZG_SORTS: &[(&str, OzgSort)] = &[("relevance", OzgSort::Relevance), ("ozg_id", OzgSort::OzgId), ("name", OzgSort::Name)];

impl OzgListParams {
    /// Filter, order and page, every value checked (the API and the shop's search).
    pub fn parse(&self) -> Result<(OzgFilter, OzgSort, bool, Page), ApiError> {
        let q = params::text("q", &self.q)?.unwrap_or_default();
        let default_sort = if query::is_search(&q) { OzgSort::Relevance } else { OzgSort::OzgId };
        let (sort, desc) = params::sort(&self.sort, OZG_SORTS, default_sort)?;
        let filter = OzgFilter {
            q,
            themenfeld: params::int("themenfeld", &self.themenfeld)?,
            lebenslage: params::int("lebenslage", &self.lebenslage)?,
            has_online_service: params::boolean("has_online_service", &self.has_online_service)?,
        };
        Ok((filter, sort, desc, Page::parse(&self.page, &self.per_page)?))
    }
}

#[derive(Serialize, ToSchema)]
pub struct OzgLeistungenResponse {
    pub items: Vec<OzgLeistung>,
    #[serde(flatten)]
    pub meta: PageMeta,
    /// "Did you mean": the query with the nearest known words, only when nothing matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "sterbeurkunde")]
    pub suggestion: Option<String>,
}

/// Search and browse the OZG-Leistungen.
#[utoipa::path(tag = "catalogue", operation_id = "list_ozg_leistungen", params(OzgListParams),
    responses((status = 200, body = OzgLeistungenResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))), BadRequest, Unavailable))]
#[get("/ozg-leistungen")]
pub async fn list_ozg_leistungen(req: HttpRequest, state: web::Data<AppState>, q: web::Query<OzgListParams>) -> Result<HttpResponse, ApiError> {
    let (filter, sort, desc, page) = q.parse()?;
    let c = state.catalogue()?;
    let (hits, matched) = query::ozg_leistungen(&c, &filter, sort, desc);
    let items = page
        .slice(&hits)
        .iter()
        .map(|&(i, matched_on)| OzgLeistung { matched_on, ..c.ozg_view(i) })
        .collect();
    let body = OzgLeistungenResponse { items, meta: PageMeta::new(page, hits.len()), suggestion: matched.suggestion };
    Ok(json_with_links(&body, page.link_header(&req, hits.len())))
}

/// One OZG-Leistung with its LeiKa-Leistungen and the published services implementing it.
pub fn ozg_detail(c: &Catalogue, id: OzgId) -> Result<OzgLeistungDetail, ApiError> {
    let oi = *c.ozg_by_id.get(&id.get()).ok_or_else(|| ApiError::not_found(format!("OZG-Leistung {id} does not exist")))?;
    Ok(OzgLeistungDetail {
        leistung: c.ozg_view(oi),
        leika_leistungen: c.ozg[oi].leika.iter().map(|&i| c.leika[i].view.clone()).collect(),
        online_services: c.ozg_services[oi].iter().map(|&i| c.services[i].detail.service.clone()).collect(),
    })
}

/// One OZG-Leistung with its LeiKa-Leistungen and the online services that implement it.
#[utoipa::path(tag = "catalogue", operation_id = "get_ozg_leistung",
    params(("ozg_id" = i32, Path, description = "OZG-ID", example = 10092)),
    responses((status = 200, body = OzgLeistungDetail, headers(("ETag" = String))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/ozg-leistungen/{ozg_id}")]
pub async fn get_ozg_leistung(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = OzgId::parse(&path).map_err(|e| ApiError::bad_param("ozg_id", e))?;
    let c = state.catalogue()?;
    json_with_etag(&req, &ozg_detail(&c, id)?)
}

/// One LeiKa-Leistung by its 14-digit key, with its OZG-Leistung.
#[utoipa::path(tag = "catalogue", operation_id = "get_leika_leistung",
    params(("key" = String, Path, description = "14-digit LeiKa key", example = "99107023000000", pattern = "^[0-9]{14}$")),
    responses((status = 200, body = LeikaDetail, headers(("ETag" = String))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/leika/{key}")]
pub async fn get_leika_leistung(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let key = LeikaKey::parse(&path).map_err(|e| ApiError::bad_param("key", e))?;
    let c = state.catalogue()?;
    let l = c.leika(key.as_str()).ok_or_else(|| ApiError::not_found(format!("LeiKa-Leistung {key} does not exist")))?;
    let detail = LeikaDetail { leika: l.view.clone(), ozg_leistung: l.ozg.map(|i| c.ozg_view(i)) };
    json_with_etag(&req, &detail)
}
