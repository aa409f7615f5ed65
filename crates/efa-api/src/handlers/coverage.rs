//! Honest coverage per Gemeinde, Kreis, Land and OZG-Leistung; the federal dashboard's
//! records from our data; what to order next. Every response also as CSV (`Accept: text/csv`).

use super::{BadRequest, NotFound, Unavailable};
use crate::coverage::CoverageIndex;
use crate::error::ApiError;
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::coverage::{distribution, population_class, population_weighted_share, Through};
use efa_domain::{Ags, Ars, KreisCode, LandCode, OzgId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A table for `Accept: text/csv`: header and rows, written as RFC 4180 CSV in UTF-8.
struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"))
}

fn respond<T: Serialize>(req: &HttpRequest, body: &T, table: impl FnOnce() -> Table) -> Result<HttpResponse, ApiError> {
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
                agreement: b.and_then(|b| b.cover.agreement.clone()),
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

fn opt(v: Option<impl ToString>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Which in-scope OZG-Leistungen this Gemeinde's people can do online today, through what.
#[utoipa::path(tag = "coverage", operation_id = "get_gemeinde_coverage",
    params(("ags" = String, Path, description = "AGS of the Gemeinde", example = "05315000")),
    responses((status = 200, body = GemeindeCoverage, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/gemeinden/{ags}")]
pub async fn get_gemeinde_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let ix = state.coverage()?;
    let body = gemeinde_coverage(&ix, gemeinde_index(&ix, &ags)?);
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
                    opt(i.through.map(|t| serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())),
                    opt(i.online_service.as_ref().map(|s| s.id.clone())),
                    opt(i.online_service.as_ref().map(|s| s.name.clone())),
                    opt(i.agreement.clone()),
                    opt(i.reifegrad),
                ]
            })
            .collect(),
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
            let n = ix.covered(gi).len();
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
    params(("code" = String, Path, description = "Five-digit Kreis code", example = "05315")),
    responses((status = 200, body = AreaCoverage, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/kreise/{code}")]
pub async fn get_kreis_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = KreisCode::parse(&path).map_err(|e| ApiError::bad_param("code", e))?;
    let ix = state.coverage()?;
    let kreis = ix.catalogue.kreise.iter().find(|k| k.code == code.as_str()).ok_or_else(|| ApiError::not_found(format!("Kreis {code} does not exist")))?;
    let members = ix.gemeinden_by_kreis.get(code.as_str()).cloned().unwrap_or_default();
    let body = area(&ix, &kreis.code, &kreis.name, &members);
    respond(&req, &body, || area_table(&body))
}

/// Coverage of every Gemeinde of a Land.
#[utoipa::path(tag = "coverage", operation_id = "get_land_coverage",
    params(("code" = String, Path, description = "Two-digit Land code", example = "05")),
    responses((status = 200, body = AreaCoverage, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/laender/{code}")]
pub async fn get_land_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let code = LandCode::parse(&path).map_err(|e| ApiError::bad_param("code", e))?;
    let ix = state.coverage()?;
    let land = ix.catalogue.land(code.as_str()).ok_or_else(|| ApiError::not_found(format!("Land {code} does not exist")))?;
    let members = ix.gemeinden_by_land.get(code.as_str()).cloned().unwrap_or_default();
    let body = area(&ix, &land.code, &land.name, &members);
    respond(&req, &body, || area_table(&body))
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
    responses((status = 200, body = OzgCoverage, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/ozg-leistungen/{ozg_id}")]
pub async fn get_ozg_coverage(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = OzgId::parse(&path).map_err(|e| ApiError::bad_param("ozg_id", e))?;
    let ix = state.coverage()?;
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
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdoptionParams {
    #[param(value_type = Option<String>, example = "05")]
    pub land: Option<String>,
    #[param(value_type = Option<String>)]
    pub online_service: Option<String>,
    /// First month, YYYY-MM.
    #[param(value_type = Option<String>, example = "2026-01")]
    pub from: Option<String>,
    /// Last month, YYYY-MM.
    #[param(value_type = Option<String>, example = "2026-12")]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionMonth {
    /// YYYY-MM.
    pub month: String,
    pub agreements_signed: usize,
    pub went_live: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionResponse {
    pub items: Vec<AdoptionMonth>,
}

fn month(s: &str, name: &str) -> Result<String, ApiError> {
    let ok = s.len() == 7 && s.as_bytes()[4] == b'-' && s[..4].parse::<u16>().is_ok() && s[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    if ok { Ok(s.to_owned()) } else { Err(ApiError::bad_param(name, format!("{s:?} is not a month YYYY-MM"))) }
}

/// Agreements signed and services gone live per month.
#[utoipa::path(tag = "coverage", operation_id = "get_adoption", params(AdoptionParams),
    responses((status = 200, body = AdoptionResponse, content(("application/json"), ("text/csv"))), BadRequest, Unavailable))]
#[get("/coverage/adoption")]
pub async fn get_adoption(req: HttpRequest, state: web::Data<AppState>, q: web::Query<AdoptionParams>) -> Result<HttpResponse, ApiError> {
    let land = params::opt("land", &q.land, LandCode::parse)?.map(|l| l.to_string());
    let service = params::opt("online_service", &q.online_service, uuid::Uuid::parse_str)?.map(|u| u.to_string());
    let from = q.from.as_deref().map(|s| month(s, "from")).transpose()?;
    let to = q.to.as_deref().map(|s| month(s, "to")).transpose()?;
    let c = state.catalogue()?;
    let rows = state.db(move |conn| Ok(efa_store::reuse::adoption_rows(conn, service.as_deref())?)).await?;
    let mut months: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let in_range = |m: &str| from.as_deref().is_none_or(|f| m >= f) && to.as_deref().is_none_or(|t| m <= t);
    for (customer, signed, live) in rows {
        if let Some(l) = &land {
            if c.org(&customer).and_then(|o| o.view.land.as_ref()).is_none_or(|x| &x.code != l) {
                continue;
            }
        }
        if let Some(m) = signed.map(|t| t.format("%Y-%m").to_string()).filter(|m| in_range(m)) {
            months.entry(m).or_default().0 += 1;
        }
        if let Some(m) = live.map(|d| d.format("%Y-%m").to_string()).filter(|m| in_range(m)) {
            months.entry(m).or_default().1 += 1;
        }
    }
    let body = AdoptionResponse { items: months.into_iter().map(|(month, (s, l))| AdoptionMonth { month, agreements_signed: s, went_live: l }).collect() };
    respond(&req, &body, || Table {
        header: vec!["month", "agreements_signed", "went_live"],
        rows: body.items.iter().map(|m| vec![m.month.clone(), m.agreements_signed.to_string(), m.went_live.to_string()]).collect(),
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// Also the levels above the ARS (its Kreis and Land).
    #[serde(rename = "includeAbove")]
    #[param(value_type = Option<bool>, rename = "includeAbove")]
    pub include_above: Option<String>,
    /// Also the levels below (Kreise and Gemeinden of a Land, Gemeinden of a Kreis).
    #[serde(rename = "includeBelow")]
    #[param(value_type = Option<bool>, rename = "includeBelow")]
    pub include_below: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

/// One record as the Dashboard Digitale Verwaltung publishes it, with our per-Gemeinde truth beside it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DashboardRecord {
    pub leika_key: String,
    pub leika_name: String,
    pub ars: String,
    pub ars_name: String,
    pub bundesland: String,
    pub ozgid: i32,
    pub ozg_bezeichnung: String,
    pub url: Option<String>,
    /// "ok" when a live service covers it somewhere in the area, else "nicht ok".
    pub online_status: String,
    /// bundesweit / landesweit / kreisweit flächendeckend, or in mind. einer Kommune verfügbar.
    pub art_flaechendeckung: String,
    /// Our truth: Gemeinden of the area where it is live, and all Gemeinden of the area.
    pub gemeinden_covered: usize,
    pub gemeinden_total: usize,
    /// The coarse class claims more than the per-Gemeinde truth.
    pub coarse_class_overstates: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashboardResponse {
    pub items: Vec<DashboardRecord>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

enum Area {
    Land(String),
    Kreis(String),
    Gemeinde(usize),
}

fn flaechendeckung(ix: &CoverageIndex, oi: usize, area: &Area) -> (String, usize, usize) {
    let counts = &ix.counts[oi];
    let total_de: usize = ix.gemeinden_by_land.values().map(Vec::len).sum();
    let (covered, total) = match area {
        Area::Land(l) => (counts.by_land.get(l).copied().unwrap_or(0), ix.gemeinden_by_land.get(l).map(Vec::len).unwrap_or(0)),
        Area::Kreis(k) => (counts.by_kreis.get(k).copied().unwrap_or(0), ix.gemeinden_by_kreis.get(k).map(Vec::len).unwrap_or(0)),
        Area::Gemeinde(gi) => (usize::from(ix.covered(*gi).contains_key(&oi)), 1),
    };
    let class = if counts.gemeinden == total_de {
        "bundesweit flächendeckend"
    } else if total > 0 && covered == total && !matches!(area, Area::Gemeinde(_)) && matches!(area, Area::Land(_)) {
        "landesweit flächendeckend"
    } else if total > 0 && covered == total && matches!(area, Area::Kreis(_)) {
        "kreisweit flächendeckend"
    } else {
        "in mind. einer Kommune verfügbar"
    };
    (class.to_owned(), covered, total)
}

/// The federal dashboard's records (per LeiKa key × ARS) from our data, with `includeAbove` /
/// `includeBelow`, and where our per-Gemeinde truth differs from the coarse class.
#[utoipa::path(tag = "coverage", operation_id = "get_dashboard_records",
    params(("ars" = String, Path, description = "12-digit ARS of a Land, Kreis or Gemeinde", example = "053150000000"), DashboardParams),
    responses((status = 200, body = DashboardResponse, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/dashboard/{ars}")]
pub async fn get_dashboard_records(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, q: web::Query<DashboardParams>) -> Result<HttpResponse, ApiError> {
    let ars = Ars::parse(&path).map_err(|e| ApiError::bad_param("ars", e))?;
    let above = params::boolean("includeAbove", &q.include_above)?.unwrap_or(false);
    let below = params::boolean("includeBelow", &q.include_below)?.unwrap_or(false);
    let page = Page::parse(&q.page, &q.per_page)?;
    let ix = state.coverage()?;
    let c = &ix.catalogue;
    let a = ars.as_str();
    let (land, kreis) = (&a[..2], &a[..5]);
    // Which level the ARS names.
    let gemeinde = c.gemeinden.iter().position(|g| g.view.ars == a);
    let level = if let Some(gi) = gemeinde {
        Area::Gemeinde(gi)
    } else if a[5..].bytes().all(|b| b == b'0') && a[2..5] != *"000" && c.kreise.iter().any(|k| k.code == kreis) {
        Area::Kreis(kreis.to_owned())
    } else if a[2..].bytes().all(|b| b == b'0') && c.land(land).is_some() {
        Area::Land(land.to_owned())
    } else {
        return Err(ApiError::not_found(format!("no Land, Kreis or Gemeinde has ARS {ars}")));
    };
    let mut areas: Vec<Area> = Vec::new();
    let kreis_of = |gi: usize| c.gemeinden[gi].view.kreis.as_ref().map(|k| k.code.clone());
    if above {
        match &level {
            Area::Gemeinde(gi) => {
                areas.push(Area::Land(land.to_owned()));
                if let Some(k) = kreis_of(*gi) {
                    areas.push(Area::Kreis(k));
                }
            }
            Area::Kreis(_) => areas.push(Area::Land(land.to_owned())),
            Area::Land(_) => {}
        }
    }
    let below_areas: Vec<Area> = match (&level, below) {
        (Area::Land(l), true) => {
            let mut v: Vec<Area> = c.kreise.iter().filter(|k| &k.land.code == l).map(|k| Area::Kreis(k.code.clone())).collect();
            v.extend(ix.gemeinden_by_land.get(l).into_iter().flatten().map(|&gi| Area::Gemeinde(gi)));
            v
        }
        (Area::Kreis(k), true) => ix.gemeinden_by_kreis.get(k).into_iter().flatten().map(|&gi| Area::Gemeinde(gi)).collect(),
        _ => Vec::new(),
    };
    areas.push(level);
    areas.extend(below_areas);
    // Records exist for the LeiKa keys of OZG-Leistungen covered somewhere in the area.
    let mut records: Vec<(usize, usize)> = Vec::new(); // (area index, ozg index)
    for (ai, area) in areas.iter().enumerate() {
        for &oi in &ix.in_scope {
            let counts = &ix.counts[oi];
            let hit = match area {
                Area::Land(l) => counts.by_land.contains_key(l),
                Area::Kreis(k) => counts.by_kreis.contains_key(k),
                Area::Gemeinde(gi) => counts.gemeinden > 0 && ix.covered(*gi).contains_key(&oi),
            };
            if hit {
                records.push((ai, oi));
            }
        }
    }
    // Expand to LeiKa keys and paginate over the records.
    let expanded: Vec<(usize, usize, usize)> = records
        .iter()
        .flat_map(|&(ai, oi)| c.ozg[oi].leika.iter().filter(|&&l| c.leika[l].view.key.is_some()).map(move |&l| (ai, oi, l)))
        .collect();
    let total = expanded.len();
    let items: Vec<DashboardRecord> = page
        .slice(&expanded)
        .iter()
        .map(|&(ai, oi, li)| {
            let area = &areas[ai];
            let (ars, ars_name, land_code) = match area {
                Area::Land(l) => (format!("{l}0000000000"), c.land(l).map(|x| x.name.clone()).unwrap_or_default(), l.clone()),
                Area::Kreis(k) => (format!("{k}0000000"), c.kreise.iter().find(|x| &x.code == k).map(|x| x.name.clone()).unwrap_or_default(), k[..2].to_owned()),
                Area::Gemeinde(gi) => {
                    let g = &c.gemeinden[*gi].view;
                    (g.ars.clone(), g.name.clone(), g.land.code.clone())
                }
            };
            let (class, covered, total) = flaechendeckung(&ix, oi, area);
            let url = match area {
                Area::Gemeinde(gi) => ix.covered(*gi).get(&oi).and_then(|b| c.services[b.cover.service].detail.service.url.clone()),
                _ => None,
            };
            let overstates = match class.as_str() {
                "in mind. einer Kommune verfügbar" => !matches!(area, Area::Gemeinde(_)) && covered < total,
                _ => covered < total,
            };
            DashboardRecord {
                leika_key: c.leika[li].view.key.clone().unwrap_or_default(),
                leika_name: c.leika[li].view.name.clone(),
                ars,
                ars_name,
                bundesland: c.land(&land_code).map(|l| l.name.clone()).unwrap_or_default(),
                ozgid: c.ozg[oi].view.ozg_id,
                ozg_bezeichnung: c.ozg[oi].view.name.clone(),
                url,
                online_status: if covered > 0 { "ok" } else { "nicht ok" }.into(),
                art_flaechendeckung: class,
                gemeinden_covered: covered,
                gemeinden_total: total,
                coarse_class_overstates: overstates,
            }
        })
        .collect();
    let link = page.link_header(&req, total);
    let body = DashboardResponse { items, meta: PageMeta::new(page, total) };
    let mut res = respond(&req, &body, || Table {
        header: vec!["leika_key", "leika_name", "ars", "ars_name", "bundesland", "ozgid", "ozg_bezeichnung", "url", "online_status", "art_flaechendeckung", "gemeinden_covered", "gemeinden_total", "coarse_class_overstates"],
        rows: body
            .items
            .iter()
            .map(|r| {
                vec![
                    r.leika_key.clone(),
                    r.leika_name.clone(),
                    r.ars.clone(),
                    r.ars_name.clone(),
                    r.bundesland.clone(),
                    r.ozgid.to_string(),
                    r.ozg_bezeichnung.clone(),
                    opt(r.url.clone()),
                    r.online_status.clone(),
                    r.art_flaechendeckung.clone(),
                    r.gemeinden_covered.to_string(),
                    r.gemeinden_total.to_string(),
                    r.coarse_class_overstates.to_string(),
                ]
            })
            .collect(),
    })?;
    if let Ok(v) = header::HeaderValue::from_str(&link) {
        res.headers_mut().insert(header::LINK, v);
    }
    Ok(res)
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
    params(("ags" = String, Path, description = "AGS of the Gemeinde", example = "05315000")),
    responses((status = 200, body = NextResponse, content(("application/json"), ("text/csv"))), BadRequest, NotFound, Unavailable))]
#[get("/coverage/gemeinden/{ags}/next")]
pub async fn get_next_for_gemeinde(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let ags = Ags::parse(&path).map_err(|e| ApiError::bad_param("ags", e))?;
    let ix = state.coverage()?;
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
                cost_estimate: best.map(|s| crate::costs::estimate(c, s, g, today)),
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
}

#[allow(unused_imports)]
use {BadRequest as _, NotFound as _, Unavailable as _};
