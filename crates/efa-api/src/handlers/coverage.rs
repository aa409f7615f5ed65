//! Honest coverage per Gemeinde, Kreis, Land and OZG-Leistung; the federal dashboard's
//! records from our data; what to order next. Every response also as CSV (`Accept: text/csv`).

use super::{BadRequest, NotFound, Unavailable};
use crate::coverage::CoverageIndex;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::coverage::{distribution, population_class, population_weighted_share, Through};
use efa_domain::{Ags, KreisCode, LandCode, OzgId};
use serde::Serialize;
use utoipa::ToSchema;

/// A table for `Accept: text/csv`: header and rows, written as RFC 4180 CSV in UTF-8.
pub(super) struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

pub(super) fn respond<T: Serialize>(req: &HttpRequest, body: &T, table: impl FnOnce() -> Table) -> Result<HttpResponse, ApiError> {
    if !wants_csv(req) {
        return Ok(HttpResponse::Ok().json(body));
    }
    let t = table();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&t.header).map_err(|e| ApiError::Internal(e.into()))?;
    for r in &t.rows {
        w.write_record(r).map_err(|e| ApiError::Internal(e.into()))?;
    }
    let bytes = w.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(bytes))
}

fn share(covered: usize, scope: usize) -> f64 {
    if scope == 0 { 0.0 } else { covered as f64 / scope as f64 }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageItem {
    pub ozg_id: i32,
    pub name: String,
    pub covered: bool,
    pub through: Option<Through>,
    pub online_service: Option<ServiceRef>,
    /// Contract number of the agreement that makes it live, where one does.
    pub agreement: Option<String>,
    pub reifegrad: Option<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GemeindeCoverage {
    pub ags: String,
    pub name: String,
    pub land: String,
    pub kreis: Option<String>,
    pub population: i64,
    /// OZG-Leistungen in scope for a Gemeinde (by LeiKa-Typ).
    pub in_scope: usize,
    pub covered: usize,
    /// covered / in_scope, 0–1.
    pub share: f64,
    pub items: Vec<CoverageItem>,
}

fn gemeinde_index(ix: &CoverageIndex, ags: &Ags) -> Result<usize, ApiError> {
    let c = &ix.catalogue;
    c.gemeinde_by_ags.get(ags.as_str()).copied().ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))
}

fn gemeinde_coverage(ix: &CoverageIndex, gi: usize) -> GemeindeCoverage {
    let c = &ix.catalogue;
    let g = &c.gemeinden[gi].view;
    let covered = ix.covered(gi);
    let items: Vec<CoverageItem> = ix
        .in_scope
        .iter()
        .map(|&o| {
            let ozg = &c.ozg[o].view;
            let b = covered.get(&o);
            CoverageItem {
                ozg_id: ozg.ozg_id,
                name: ozg.name.clone(),
                covered: b.is_some(),
                through: b.map(|b| b.cover.through),
                online_service: b.map(|b| {
                    let s = &c.services[b.cover.service].detail.service;
                    ServiceRef { id: s.id.clone(), name: s.name.clone() }
                }),
                agreement: b.and_then(|b| ix.agreement_number(&b.cover)).map(str::to_owned),
                reifegrad: b.and_then(|b| b.reifegrad),
            }
        })
        .collect();
    GemeindeCoverage {
        ags: g.ags.clone(),
        name: g.name.clone(),
        land: g.land.code.clone(),
        kreis: g.kreis.as_ref().map(|k| k.code.clone()),
        population: g.population,
        in_scope: ix.in_scope.len(),
        covered: covered.len(),
        share: round4(share(covered.len(), ix.in_scope.len())),
        items,
    }
}

pub(super) fn opt(v: Option<impl ToString>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
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
        let mut body = gemeinde_coverage(&ix, gemeinde_index(&ix, &ags)?);
        if let Some(covered) = only {
            body.items.retain(|i| i.covered == covered);
        }
        respond(&req, &body, || Table {
            header: vec!["ags", "gemeinde", "ozg_id", "ozg_leistung", "covered", "through", "online_service_id", "online_service", "agreement", "reifegrad"],
            rows: body
                .items
                .iter()
                .map(|i| {
                    vec![
                        body.ags.clone(),
                        body.name.clone(),
                        i.ozg_id.to_string(),
                        i.name.clone(),
                        i.covered.to_string(),
                        opt(i.through.map(Through::as_str)),
                        opt(i.online_service.as_ref().map(|s| s.id.clone())),
                        opt(i.online_service.as_ref().map(|s| s.name.clone())),
                        opt(i.agreement.clone()),
                        opt(i.reifegrad),
                    ]
                })
                .collect(),
        })
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GemeindeShare {
    pub ags: String,
    pub name: String,
    pub population: i64,
    pub covered: usize,
    pub share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaCoverage {
    pub code: String,
    pub name: String,
    pub gemeinden: usize,
    pub population: i64,
    pub in_scope: usize,
    pub share_min: f64,
    pub share_median: f64,
    pub share_max: f64,
    /// Share of (inhabitants × in-scope Leistungen) that can be done online.
    pub population_weighted_share: f64,
    /// The ten Gemeinden with the lowest share (then the most inhabitants).
    pub furthest_behind: Vec<GemeindeShare>,
    pub per_gemeinde: Vec<GemeindeShare>,
}

fn area(ix: &CoverageIndex, code: &str, name: &str, members: &[usize]) -> AreaCoverage {
    let c = &ix.catalogue;
    let scope = ix.in_scope.len();
    let mut per: Vec<GemeindeShare> = members
        .iter()
        .map(|&gi| {
            let g = &c.gemeinden[gi].view;
            let n = ix.covered_count[gi];
            GemeindeShare { ags: g.ags.clone(), name: g.name.clone(), population: g.population, covered: n, share: round4(share(n, scope)) }
        })
        .collect();
    let shares: Vec<f64> = per.iter().map(|p| share(p.covered, scope)).collect();
    let (min, median, max) = distribution(&shares).unwrap_or((0.0, 0.0, 0.0));
    let weighted = population_weighted_share(&per.iter().map(|p| (p.population, p.covered, scope)).collect::<Vec<_>>());
    let mut behind = per.clone();
    behind.sort_by(|a, b| a.covered.cmp(&b.covered).then(b.population.cmp(&a.population)).then(a.ags.cmp(&b.ags)));
    behind.truncate(10);
    per.sort_by(|a, b| a.ags.cmp(&b.ags));
    AreaCoverage {
        code: code.to_owned(),
        name: name.to_owned(),
        gemeinden: per.len(),
        population: per.iter().map(|p| p.population).sum(),
        in_scope: scope,
        share_min: round4(min),
        share_median: round4(median),
        share_max: round4(max),
        population_weighted_share: round4(weighted),
        furthest_behind: behind,
        per_gemeinde: per,
    }
}

fn area_table(a: &AreaCoverage) -> Table {
    Table {
        header: vec!["code", "area", "ags", "gemeinde", "population", "covered", "in_scope", "share"],
        rows: a
            .per_gemeinde
            .iter()
            .map(|p| vec![a.code.clone(), a.name.clone(), p.ags.clone(), p.name.clone(), p.population.to_string(), p.covered.to_string(), a.in_scope.to_string(), p.share.to_string()])
            .collect(),
    }
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
        let kreis = ix.catalogue.kreis(code.as_str()).ok_or_else(|| ApiError::not_found(format!("Kreis {code} does not exist")))?;
        let members = ix.gemeinden_by_kreis.get(code.as_str()).cloned().unwrap_or_default();
        let body = area(&ix, &kreis.code, &kreis.name, &members);
        respond(&req, &body, || area_table(&body))
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
        let land = ix.catalogue.land(code.as_str()).ok_or_else(|| ApiError::not_found(format!("Land {code} does not exist")))?;
        let members = ix.gemeinden_by_land.get(code.as_str()).cloned().unwrap_or_default();
        let body = area(&ix, &land.code, &land.name, &members);
        respond(&req, &body, || area_table(&body))
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
        let body = OzgCoverage {
            ozg_id: id.get(),
            name: ix.catalogue.ozg[oi].view.name.clone(),
            in_scope_for_gemeinden: ix.in_scope_set[oi],
            laender: counts.by_land.len(),
            kreise: counts.by_kreis.len(),
            gemeinden: counts.gemeinden,
            population: counts.population,
            per_land,
        };
        respond(&req, &body, || Table {
            header: vec!["ozg_id", "ozg_leistung", "land", "gemeinden_covered", "gemeinden_total"],
            rows: body.per_land.iter().map(|l| vec![body.ozg_id.to_string(), body.name.clone(), l.land.clone(), l.gemeinden_covered.to_string(), l.gemeinden_total.to_string()]).collect(),
        })
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextItem {
    pub ozg_id: i32,
    pub name: String,
    /// Similar Gemeinden (same Land, same population class) where it is live.
    pub similar_gemeinden_live: usize,
    pub similar_gemeinden: usize,
    /// The listing to order: a live, published service for it (best Reifegrad, EfA first).
    pub online_service: Option<ServiceRef>,
    pub cost_estimate: Option<crate::costs::CostEstimate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NextResponse {
    pub ags: String,
    pub items: Vec<NextItem>,
}

/// What to order next: uncovered in-scope Leistungen, ranked by how many similar Gemeinden have them live.
#[utoipa::path(tag = "coverage", operation_id = "get_next_for_gemeinde",
    params(("ags" = String, Path, description = "AGS of the Gemeinde", example = "05315000", pattern = "^[0-9]{8}$")),
    responses((status = 200, body = NextResponse, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/gemeinden/{ags}/next")]
pub async fn get_next_for_gemeinde(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, &chrono::Utc::now().date_naive().to_string());
    crate::http::conditional(&req, &tag, || {
        let c = &ix.catalogue;
        let gi = gemeinde_index(&ix, &ags)?;
        let g = &c.gemeinden[gi];
        let mine = ix.covered(gi);
        let class = population_class(g.view.population);
        let similar: Vec<usize> = ix
            .gemeinden_by_land
            .get(&g.view.land.code)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&o| o != gi && population_class(c.gemeinden[o].view.population) == class)
            .collect();
        let mut live_count: std::collections::HashMap<usize, usize> = Default::default();
        for &o in &similar {
            for k in ix.covered(o).into_keys() {
                *live_count.entry(k).or_default() += 1;
            }
        }
        let today = chrono::Utc::now().date_naive();
        let mut items: Vec<NextItem> = ix
            .in_scope
            .iter()
            .filter(|o| !mine.contains_key(o))
            .map(|&o| {
                let ozg = &c.ozg[o];
                let best = ozg
                    .services
                    .iter()
                    .map(|&s| &c.services[s])
                    .filter(|s| s.detail.service.status == Some(efa_domain::ServiceStatus::Live))
                    .max_by_key(|s| (s.detail.service.efa, s.detail.service.reifegrad, std::cmp::Reverse(s.detail.service.id.clone())));
                NextItem {
                    ozg_id: ozg.view.ozg_id,
                    name: ozg.view.name.clone(),
                    similar_gemeinden_live: live_count.get(&o).copied().unwrap_or(0),
                    similar_gemeinden: similar.len(),
                    online_service: best.map(|s| ServiceRef { id: s.detail.service.id.clone(), name: s.detail.service.name.clone() }),
                    cost_estimate: best.map(|s| crate::costs::estimate(c, s, crate::costs::Payer::gemeinde(g), today)),
                }
            })
            .collect();
        items.sort_by(|a, b| b.similar_gemeinden_live.cmp(&a.similar_gemeinden_live).then(b.online_service.is_some().cmp(&a.online_service.is_some())).then(a.ozg_id.cmp(&b.ozg_id)));
        let body = NextResponse { ags: ags.to_string(), items };
        respond(&req, &body, || Table {
            header: vec!["ags", "ozg_id", "ozg_leistung", "similar_gemeinden_live", "similar_gemeinden", "online_service_id", "online_service", "first_year_total_cents", "following_year_total_cents"],
            rows: body
                .items
                .iter()
                .map(|i| {
                    vec![
                        body.ags.clone(),
                        i.ozg_id.to_string(),
                        i.name.clone(),
                        i.similar_gemeinden_live.to_string(),
                        i.similar_gemeinden.to_string(),
                        opt(i.online_service.as_ref().map(|s| s.id.clone())),
                        opt(i.online_service.as_ref().map(|s| s.name.clone())),
                        opt(i.cost_estimate.as_ref().map(|e| e.first_year.total_cents)),
                        opt(i.cost_estimate.as_ref().map(|e| e.following_year.total_cents)),
                    ]
                })
                .collect(),
        })
    })
}

