//! The federal dashboard's records (LeiKa key × ARS, with includeAbove/includeBelow) from our
//! data, and where our per-Gemeinde truth differs from their Flächendeckung class.

use super::coverage::{opt, respond, Table};
use super::{BadRequest, NotFound, Unavailable};
use crate::coverage::{Best, CoverageIndex};
use std::collections::HashMap;
use crate::error::ApiError;
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::Ars;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardParams {
    /// Also the levels above the ARS (its Kreis and Land); default true, as in the federal API.
    #[serde(rename = "includeAbove")]
    #[param(value_type = Option<bool>, rename = "includeAbove")]
    pub include_above: Option<String>,
    /// Also the levels below (Kreise and Gemeinden of a Land, Gemeinden of a Kreis); default true.
    #[serde(rename = "includeBelow")]
    #[param(value_type = Option<bool>, rename = "includeBelow")]
    pub include_below: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
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
    /// Two-digit code of the Land.
    pub ars_federal_state: String,
    pub bundesland: String,
    /// The federal record's second LeiKa name; our source (the OZG-Informationsplattform
    /// export) has one name per LeiKa-Leistung, given as `leika_name`, so this stays null.
    pub leika_bezeichnung: Option<String>,
    pub ozgid: i32,
    pub ozg_bezeichnung: String,
    /// The online service: for a Gemeinde the one live there; for a Kreis or Land the one live
    /// across all of it (a Kreis agreement, a Land-wide or nationwide listing), else null.
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
    /// "ja": the OZG-Leistung is in the current Umsetzungskatalog.
    pub aktiv: String,
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

/// The Flächendeckung class as the federal dashboard assigns it to an area: the widest area
/// containing it where the OZG-Leistung is live in every Gemeinde — Germany, its Land, its
/// Kreis — else "in mind. einer Kommune verfügbar". Beside it our per-Gemeinde truth: in how
/// many of the area's Gemeinden it is live (`live_here`: whether it is, for a Gemeinde).
fn flaechendeckung(ix: &CoverageIndex, oi: usize, area: &Area, live_here: bool) -> (&'static str, usize, usize) {
    let c = &ix.catalogue;
    let counts = &ix.counts[oi];
    let total_de = ix.gemeinden_total;
    let whole_land = |l: &str| ix.gemeinden_by_land.get(l).map(Vec::len).is_some_and(|n| n > 0 && counts.by_land.get(l) == Some(&n));
    let whole_kreis = |k: &str| ix.gemeinden_by_kreis.get(k).map(Vec::len).is_some_and(|n| n > 0 && counts.by_kreis.get(k) == Some(&n));
    let (land, kreis, covered, total) = match area {
        Area::Land(l) => (l.as_str(), None, counts.by_land.get(l).copied().unwrap_or(0), ix.gemeinden_by_land.get(l).map(Vec::len).unwrap_or(0)),
        Area::Kreis(k) => (&k[..2], Some(k.as_str()), counts.by_kreis.get(k).copied().unwrap_or(0), ix.gemeinden_by_kreis.get(k).map(Vec::len).unwrap_or(0)),
        Area::Gemeinde(gi) => {
            let g = &c.gemeinden[*gi].view;
            (g.land.code.as_str(), g.kreis.as_ref().map(|k| k.code.as_str()), usize::from(live_here), 1)
        }
    };
    let class = if total_de > 0 && counts.gemeinden == total_de {
        "bundesweit flächendeckend"
    } else if whole_land(land) {
        "landesweit flächendeckend"
    } else if kreis.is_some_and(whole_kreis) {
        "kreisweit flächendeckend"
    } else {
        "in mind. einer Kommune verfügbar"
    };
    (class, covered, total)
}

/// The federal dashboard's records (per LeiKa key × ARS) from our data, with `includeAbove` /
/// `includeBelow`, and where our per-Gemeinde truth differs from the coarse class.
#[utoipa::path(tag = "coverage", operation_id = "get_dashboard_records",
    params(("ars" = String, Path, description = "12-digit ARS of a Land, Kreis or Gemeinde", example = "053150000000", pattern = "^[0-9]{12}$"), DashboardParams),
    responses((status = 200, body = DashboardResponse, content(("application/json"), ("text/csv")), headers(("ETag" = String, description = "Names the coverage snapshot and the request"))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/coverage/dashboard/{ars}")]
pub async fn get_dashboard_records(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, q: web::Query<DashboardParams>) -> Result<HttpResponse, ApiError> {
    let ars = Ars::parse(&path).map_err(|e| ApiError::bad_param("ars", e))?;
    // Defaults as in the federal API: both levels included.
    let above = params::boolean("includeAbove", &q.include_above)?.unwrap_or(true);
    let below = params::boolean("includeBelow", &q.include_below)?.unwrap_or(true);
    let page = Page::parse(&q.page, &q.per_page)?;
    let ix = state.coverage()?;
    let tag = crate::http::snapshot_etag(&req, ix.generation, "");
    crate::http::conditional(&req, &tag, || {
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
            // A Gemeinde's covers are worked out once, not once per OZG-Leistung.
            let here = match area {
                Area::Gemeinde(gi) if ix.covered_count[*gi] > 0 => Some(ix.covered(*gi)),
                _ => None,
            };
            for &oi in &ix.in_scope {
                let counts = &ix.counts[oi];
                let hit = match area {
                    Area::Land(l) => counts.by_land.contains_key(l),
                    Area::Kreis(k) => counts.by_kreis.contains_key(k),
                    Area::Gemeinde(_) => here.as_ref().is_some_and(|h| h.contains_key(&oi)),
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
        let shown = page.slice(&expanded);
        // The covers of each Gemeinde on this page, worked out once, not once per record.
        let mut covers: HashMap<usize, HashMap<usize, Best>> = HashMap::new();
        for &(ai, _, _) in shown {
            if let Area::Gemeinde(gi) = areas[ai] {
                covers.entry(ai).or_insert_with(|| ix.covered(gi));
            }
        }
        let items: Vec<DashboardRecord> = shown
            .iter()
            .map(|&(ai, oi, li)| {
                let area = &areas[ai];
                let here = covers.get(&ai).and_then(|m| m.get(&oi));
                let (ars, ars_name, land_code) = match area {
                    Area::Land(l) => (format!("{l}0000000000"), c.land(l).map(|x| x.name.clone()).unwrap_or_default(), l.clone()),
                    Area::Kreis(k) => (format!("{k}0000000"), c.kreis(k).map(|x| x.name.clone()).unwrap_or_default(), k[..2].to_owned()),
                    Area::Gemeinde(gi) => {
                        let g = &c.gemeinden[*gi].view;
                        (g.ars.clone(), g.name.clone(), g.land.code.clone())
                    }
                };
                let (class, covered, total) = flaechendeckung(&ix, oi, area, here.is_some());
                // The service URL: for a Gemeinde the one that covers it; for a Kreis or Land the
                // one live across all of it (Kreis agreement, Land-wide or nationwide listing).
                let service = match area {
                    Area::Gemeinde(_) => here.map(|b| b.cover.service),
                    Area::Kreis(k) => ix.area_service(oi, &k[..2], Some(k)),
                    Area::Land(l) => ix.area_service(oi, l, None),
                };
                let url = service.and_then(|s| c.services[s].detail.service.url.clone());
                // A flächendeckend class holds for every Gemeinde by construction; "in mind. einer
                // Kommune" with online_status ok reads as available while some Gemeinden lack it.
                let overstates = covered < total;
                DashboardRecord {
                    leika_key: c.leika[li].view.key.clone().unwrap_or_default(),
                    leika_name: c.leika[li].view.name.clone(),
                    ars,
                    ars_name,
                    bundesland: c.land(&land_code).map(|l| l.name.clone()).unwrap_or_default(),
                    ars_federal_state: land_code.clone(),
                    leika_bezeichnung: None,
                    aktiv: "ja".into(),
                    ozgid: c.ozg[oi].view.ozg_id,
                    ozg_bezeichnung: c.ozg[oi].view.name.clone(),
                    url,
                    online_status: if covered > 0 { "ok" } else { "nicht ok" }.into(),
                    art_flaechendeckung: class.to_owned(),
                    gemeinden_covered: covered,
                    gemeinden_total: total,
                    coarse_class_overstates: overstates,
                }
            })
            .collect();
        let link = page.link_header(&req, total);
        let body = DashboardResponse { items, meta: PageMeta::new(page, total) };
        let mut res = respond(&req, &body, || Table {
            header: vec![
                "leika_key", "leika_name", "ars", "ars_name", "ars_federal_state", "bundesland", "leika_bezeichnung", "ozgid", "ozg_bezeichnung", "url", "online_status", "aktiv",
                "art_flaechendeckung", "gemeinden_covered", "gemeinden_total", "coarse_class_overstates",
            ],
            rows: body
                .items
                .iter()
                .map(|r| {
                    vec![
                        r.leika_key.clone(),
                        r.leika_name.clone(),
                        r.ars.clone(),
                        r.ars_name.clone(),
                        r.ars_federal_state.clone(),
                        r.bundesland.clone(),
                        opt(r.leika_bezeichnung.clone()),
                        r.ozgid.to_string(),
                        r.ozg_bezeichnung.clone(),
                        opt(r.url.clone()),
                        r.online_status.clone(),
                        r.aktiv.clone(),
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
    })
}

