//! A Gemeinde's coverage: headline numbers, the chart by Themenfeld with its table, what is
//! online and how, what is missing, what to order next with its cost, the CSV downloads.

use super::charts::{self, Chart, Row};
use super::{csv_download, split_csv, through_de};
use crate::errors::WebError;
use crate::layout::Layout;
use crate::pages::pager::Pager;
use crate::pages::{euro, layout, number, render, Page};
use crate::session::Shop;
use actix_web::web;
use askama::Template;
use efa_api::coverage::reports::{self, GemeindeCoverage, NextItem};
use efa_domain::Ags;
use serde::Deserialize;

/// Most suggestions of what to order next the page lists (the CSV has all).
const NEXT_SHOWN: usize = 10;

/// OZG-Leistungen per page of the list (a Gemeinde has some 450 in scope; the CSV has all).
const PER_PAGE: u32 = 100;

#[derive(Deserialize)]
pub struct GemeindeQuery {
    /// `ja`: only the covered OZG-Leistungen, `nein`: only the missing ones.
    pub abgedeckt: Option<String>,
    /// The page of the list, from 1.
    pub seite: Option<String>,
}

/// `abgedeckt` as the report's filter; anything else is a bad address.
fn only(q: &GemeindeQuery) -> Result<Option<bool>, WebError> {
    match q.abgedeckt.as_deref() {
        None | Some("") => Ok(None),
        Some("ja") => Ok(Some(true)),
        Some("nein") => Ok(Some(false)),
        Some(_) => Err(WebError::BadRequest("abgedeckt: ja or nein".into())),
    }
}

/// One in-scope OZG-Leistung as the list shows it.
pub struct ItemRow {
    pub ozg_id: i32,
    pub name: String,
    pub covered: bool,
    pub service: Option<(String, String)>,
    pub how: String,
    pub agreement: Option<String>,
    pub reifegrad: Option<u8>,
}

/// One suggestion of what to order next.
pub struct NextRow {
    pub ozg_id: i32,
    pub name: String,
    pub service_id: String,
    pub service_name: String,
    pub similar: String,
    pub first_year: String,
    pub following_year: String,
    /// Prices the totals leave out or another payer, in words.
    pub note: String,
}

fn next_row(i: &NextItem) -> Option<NextRow> {
    let s = i.online_service.as_ref()?;
    let e = i.cost_estimate.as_ref()?;
    let mut notes = Vec::new();
    if e.price_model.is_none() {
        notes.push("Das Angebot nennt keinen Preis".to_owned());
    }
    if let Some(c) = e.land_share_cents {
        notes.push(format!("Anteil des Landes: {}", euro(c)));
    }
    if let Some(c) = e.per_use_cents {
        notes.push(format!("zuzüglich {} je Nutzung", euro(c)));
    }
    Some(NextRow {
        ozg_id: i.ozg_id,
        name: i.name.clone(),
        service_id: s.id.clone(),
        service_name: s.name.clone(),
        similar: format!("{} von {}", number(i.similar_gemeinden_live as i64), number(i.similar_gemeinden as i64)),
        first_year: euro(e.first_year.total_cents),
        following_year: euro(e.following_year.total_cents),
        note: notes.join("; "),
    })
}

#[derive(Template)]
#[template(path = "pages/coverage/gemeinde.html")]
pub struct GemeindePage {
    pub layout: Layout,
    pub ags: String,
    pub name: String,
    pub population: String,
    pub kreis: Option<(String, String)>,
    pub land: (String, String),
    pub in_scope: usize,
    pub covered: usize,
    pub missing: usize,
    pub share: String,
    /// The filter in the address: "", "ja" or "nein".
    pub filter: &'static str,
    /// This page of the list, and how many the list holds in all.
    pub items: Vec<ItemRow>,
    pub items_total: usize,
    pub pager: Pager,
    pub chart: Chart,
    pub themenfelder: Vec<Row>,
    pub next: Vec<NextRow>,
    /// Suggestions beyond those listed (with a service to order).
    pub next_more: usize,
    pub csv_href: String,
    /// What the federal dashboard's export says is online here: beside the coverage, not in it.
    pub known: Vec<KnownRow>,
    /// Of those, how many the marketplace does not cover here.
    pub known_not_covered: usize,
}

pub struct KnownRow {
    pub ozg_id: i32,
    pub name: String,
    pub area: &'static str,
    pub class: String,
    pub url: Option<String>,
    pub covered_here: bool,
}

fn area_de(area: &str) -> &'static str {
    match area {
        "bund" => "bundesweit",
        "land" => "im ganzen Land",
        "kreis" => "im Kreis",
        _ => "in der Gemeinde",
    }
}

fn item_row(i: &efa_api::coverage::reports::CoverageItem) -> ItemRow {
    ItemRow {
        ozg_id: i.ozg_id,
        name: i.name.clone(),
        covered: i.covered,
        service: i.online_service.as_ref().map(|s| (s.id.clone(), s.name.clone())),
        how: i.through.map(through_de).unwrap_or_default().to_owned(),
        agreement: i.agreement.clone(),
        reifegrad: i.reifegrad,
    }
}

fn parse_ags(raw: &str) -> Result<Ags, WebError> {
    Ags::parse(raw).map_err(|_| WebError::NotFound)
}

/// `GET /abdeckung/gemeinden/{ags}` (and `{ags}.csv`, the API's CSV of the same report).
pub async fn gemeinde(shop: Shop, path: web::Path<String>, q: web::Query<GemeindeQuery>) -> Page {
    let (raw, csv) = split_csv(&path);
    let ags = parse_ags(raw)?;
    let only = only(&q)?;
    let page_no = crate::pages::requests::page_number(q.seite.as_deref())?;
    let ix = shop.app.coverage()?;
    let report: GemeindeCoverage = reports::gemeinde(&ix, &ags)?;
    if csv {
        return csv_download(&report.only(only).table(), &format!("abdeckung-{ags}.csv"));
    }
    let c = &ix.catalogue;
    let themenfelder = charts::by_themenfeld(c, &report);
    let next = reports::next(&ix, &ags, efa_domain::calendar::today())?;
    let orderable: Vec<NextRow> = next.items.iter().filter_map(next_row).collect();
    let g = c.gemeinde(ags.as_str()).ok_or(WebError::NotFound)?;
    let report = report.only(only);
    let filter = match only {
        None => "",
        Some(true) => "ja",
        Some(false) => "nein",
    };
    let chart = Chart::bars(
        "diagramm-themenfelder",
        format!("Abdeckung von {} nach Themenfeld", report.name),
        format!(
            "Je Themenfeld ein Balken: gefüllt die online verfügbaren, umrandet alle OZG-Leistungen im Umfang einer Gemeinde. Insgesamt {}.",
            charts::part_of(report.covered, report.in_scope)
        ),
        &themenfelder,
    );
    let known: Vec<KnownRow> = efa_api::operations::catalogue::known_online_for_gemeinde(&ix, &ags)
        .into_iter()
        .map(|k| KnownRow {
            ozg_id: k.ozg_id,
            name: k.name,
            area: area_de(&k.area),
            class: k.art_flaechendeckung.unwrap_or_default(),
            url: k.urls.into_iter().next(),
            covered_here: k.covered_by_marketplace,
        })
        .collect();
    let page = GemeindePage {
        known_not_covered: known.iter().filter(|k| !k.covered_here).count(),
        known,
        layout: layout(&shop, format!("Abdeckung: {}", report.name)).await,
        population: number(report.population),
        kreis: g.view.kreis.as_ref().map(|k| (k.code.clone(), k.name.clone())),
        land: (g.view.land.code.clone(), g.view.land.name.clone()),
        in_scope: report.in_scope,
        covered: report.covered,
        missing: report.in_scope.saturating_sub(report.covered),
        share: charts::percent(report.share),
        filter,
        items: efa_api::params::Page { page: page_no, per_page: PER_PAGE }.slice(&report.items).iter().map(item_row).collect(),
        items_total: report.items.len(),
        pager: Pager::new(
            &format!("/abdeckung/gemeinden/{ags}"),
            &if filter.is_empty() { String::new() } else { format!("abgedeckt={filter}") },
            "seite",
            page_no,
            efa_api::params::Page { page: page_no, per_page: PER_PAGE }.last(report.items.len()),
        ),
        chart,
        themenfelder,
        next_more: orderable.len().saturating_sub(NEXT_SHOWN),
        next: orderable.into_iter().take(NEXT_SHOWN).collect(),
        csv_href: if filter.is_empty() { format!("/abdeckung/gemeinden/{ags}.csv") } else { format!("/abdeckung/gemeinden/{ags}.csv?abgedeckt={filter}") },
        ags: report.ags,
        name: report.name,
    };
    render(&page)
}

/// `GET /abdeckung/gemeinden/{ags}/naechste.csv`: what to order next, the API's CSV.
pub async fn next_csv(shop: Shop, path: web::Path<String>) -> Page {
    let ags = parse_ags(&path)?;
    let ix = shop.app.coverage()?;
    let next = reports::next(&ix, &ags, efa_domain::calendar::today())?;
    csv_download(&next.table(), &format!("naechste-bestellungen-{ags}.csv"))
}
