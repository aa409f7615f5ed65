//! The coverage reports: one Gemeinde, a Kreis or a Land, what a Gemeinde should order next.
//! The JSON handlers answer them and the shop shows them; each is also a CSV table
//! (`Accept: text/csv`, the shop's download), written by [`Table::to_csv`].

use super::CoverageIndex;
use crate::error::ApiError;
use efa_domain::coverage::{distribution, population_class, population_weighted_share, Through};
use efa_domain::{Ags, KreisCode, LandCode};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// A report as a table: header and rows.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as RFC 4180 CSV in UTF-8.
    pub fn to_csv(&self) -> Result<Vec<u8>, ApiError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&self.header).map_err(|e| ApiError::Internal(e.into()))?;
        for r in &self.rows {
            w.write_record(r).map_err(|e| ApiError::Internal(e.into()))?;
        }
        w.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("{e}")))
    }
}

/// An optional value as a CSV cell (empty when absent).
pub fn opt(v: Option<impl ToString>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
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
    /// What the federal dashboard's last imported export says is online for this Gemeinde (its
    /// own record, its Kreis's, its Land's or nationwide), per OZG-Leistung: shown beside
    /// `covered` and `share`, which count only what the marketplace provides, never added to them.
    pub known_online_elsewhere: Vec<crate::operations::catalogue::KnownOnline>,
}

fn gemeinde_index(ix: &CoverageIndex, ags: &Ags) -> Result<usize, ApiError> {
    let c = &ix.catalogue;
    c.gemeinde_by_ags.get(ags.as_str()).copied().ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))
}

/// Every in-scope OZG-Leistung of the Gemeinde `ags`, covered or not, and through what.
pub fn gemeinde(ix: &CoverageIndex, ags: &Ags) -> Result<GemeindeCoverage, ApiError> {
    let gi = gemeinde_index(ix, ags)?;
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
    Ok(GemeindeCoverage {
        ags: g.ags.clone(),
        name: g.name.clone(),
        land: g.land.code.clone(),
        kreis: g.kreis.as_ref().map(|k| k.code.clone()),
        population: g.population,
        in_scope: ix.in_scope.len(),
        covered: covered.len(),
        share: round4(share(covered.len(), ix.in_scope.len())),
        items,
        known_online_elsewhere: Vec::new(),
    })
}

impl GemeindeCoverage {
    /// Only the covered (`Some(true)`) or only the missing (`Some(false)`) items; the counts
    /// and the share still speak of all in scope.
    pub fn only(mut self, covered: Option<bool>) -> GemeindeCoverage {
        if let Some(covered) = covered {
            self.items.retain(|i| i.covered == covered);
        }
        self
    }

    pub fn table(&self) -> Table {
        Table {
            header: vec!["ags", "gemeinde", "ozg_id", "ozg_leistung", "covered", "through", "online_service_id", "online_service", "agreement", "reifegrad"],
            rows: self
                .items
                .iter()
                .map(|i| {
                    vec![
                        self.ags.clone(),
                        self.name.clone(),
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
        }
    }
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

/// Every Land and Kreis fits in the memo of an index (16 + 401 areas).
const AREAS_HALF: usize = 512;

/// Coverage of every Gemeinde of the Kreis `code`.
pub fn kreis(ix: &CoverageIndex, code: &KreisCode) -> Result<Arc<AreaCoverage>, ApiError> {
    let kreis = ix.catalogue.kreis(code.as_str()).ok_or_else(|| ApiError::not_found(format!("Kreis {code} does not exist")))?;
    let members = ix.gemeinden_by_kreis.get(code.as_str()).map(Vec::as_slice).unwrap_or_default();
    Ok(crate::memo::kept(&ix.areas, &format!("k{code}"), AREAS_HALF, || area(ix, &kreis.code, &kreis.name, members)))
}

/// Coverage of every Gemeinde of the Land `code`.
pub fn land(ix: &CoverageIndex, code: &LandCode) -> Result<Arc<AreaCoverage>, ApiError> {
    let land = ix.catalogue.land(code.as_str()).ok_or_else(|| ApiError::not_found(format!("Land {code} does not exist")))?;
    let members = ix.gemeinden_by_land.get(code.as_str()).map(Vec::as_slice).unwrap_or_default();
    Ok(crate::memo::kept(&ix.areas, &format!("l{code}"), AREAS_HALF, || area(ix, &land.code, &land.name, members)))
}

impl AreaCoverage {
    pub fn table(&self) -> Table {
        Table {
            header: vec!["code", "area", "ags", "gemeinde", "population", "covered", "in_scope", "share"],
            rows: self
                .per_gemeinde
                .iter()
                .map(|p| vec![self.code.clone(), self.name.clone(), p.ags.clone(), p.name.clone(), p.population.to_string(), p.covered.to_string(), self.in_scope.to_string(), p.share.to_string()])
                .collect(),
        }
    }
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

/// What the Gemeinde `ags` should order next: its uncovered in-scope Leistungen, ranked by
/// how many similar Gemeinden have them live, each with the service to order and its cost
/// for an order starting `today`.
pub fn next(ix: &CoverageIndex, ags: &Ags, today: chrono::NaiveDate) -> Result<NextResponse, ApiError> {
    let c = &ix.catalogue;
    let gi = gemeinde_index(ix, ags)?;
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
    // One pair of tables for all the similar Gemeinden (see `covered_into`).
    let (mut best, mut touched) = (vec![None; c.ozg.len()], Vec::new());
    for &o in &similar {
        ix.covered_into(o, &mut best, &mut touched);
        for &k in &touched {
            *live_count.entry(k).or_default() += 1;
        }
    }
    let mut items: Vec<NextItem> = ix
        .in_scope
        .iter()
        .filter(|o| !mine.contains_key(o))
        .map(|&o| {
            let ozg = &c.ozg[o];
            let best = c.ozg_services[o]
                .iter()
                .map(|&s| &c.services[s])
                .filter(|s| s.detail.service.status == Some(efa_domain::ServiceStatus::Live))
                .max_by_key(|s| (s.detail.service.efa, s.detail.service.reifegrad, std::cmp::Reverse(s.detail.service.id.clone())));
            Ok(NextItem {
                ozg_id: ozg.view.ozg_id,
                name: ozg.view.name.clone(),
                similar_gemeinden_live: live_count.get(&o).copied().unwrap_or(0),
                similar_gemeinden: similar.len(),
                online_service: best.map(|s| ServiceRef { id: s.detail.service.id.clone(), name: s.detail.service.name.clone() }),
                cost_estimate: best.map(|s| crate::costs::estimate(c, &crate::costs::PriceBasis::of(s), crate::costs::Payer::gemeinde(g), today)).transpose()?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    items.sort_by(|a, b| b.similar_gemeinden_live.cmp(&a.similar_gemeinden_live).then(b.online_service.is_some().cmp(&a.online_service.is_some())).then(a.ozg_id.cmp(&b.ozg_id)));
    Ok(NextResponse { ags: ags.to_string(), items })
}

impl NextResponse {
    pub fn table(&self) -> Table {
        Table {
            header: vec!["ags", "ozg_id", "ozg_leistung", "similar_gemeinden_live", "similar_gemeinden", "online_service_id", "online_service", "first_year_total_cents", "following_year_total_cents"],
            rows: self
                .items
                .iter()
                .map(|i| {
                    vec![
                        self.ags.clone(),
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
        }
    }
}
