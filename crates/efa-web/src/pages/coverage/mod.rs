//! "Was kann meine Gemeinde schon online?": the chooser, a Gemeinde's coverage with what to
//! order next, the coverage of a Kreis and of a Land, each also as CSV. The reports are the
//! API's ([`efa_api::coverage::reports`]); the CSV is the API's `text/csv` table.

mod area;
mod charts;
mod gemeinde;

pub use area::{kreis, land};
pub use gemeinde::{gemeinde, next_csv};

use super::{layout, render, render_status, Page};
use crate::forms::Errors;
use crate::layout::Layout;
use crate::session::Shop;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use efa_api::catalogue::query::{self, Words};
use efa_api::catalogue::Catalogue;
use efa_api::coverage::reports::Table;
use efa_domain::coverage::Through;
use efa_domain::fold;
use serde::Deserialize;

/// Most Gemeinden the chooser lists for one search.
const GEMEINDEN_SHOWN: usize = 25;

/// How a covered OZG-Leistung reaches the Gemeinde, in German.
pub fn through_de(t: Through) -> &'static str {
    match t {
        Through::OwnAgreement => "Eigener Nachnutzungsvertrag",
        Through::Bundler => "Vertrag der bündelnden Organisation",
        Through::Kreis => "Vertrag des Kreises",
        Through::LandWide => "Landesweit freigeschaltet",
        Through::Nationwide => "Bundesweit freigeschaltet",
    }
}

/// The path segment of a report: the code and whether the CSV (`<code>.csv`) is wanted.
fn split_csv(raw: &str) -> (&str, bool) {
    match raw.strip_suffix(".csv") {
        Some(code) => (code, true),
        None => (raw, false),
    }
}

/// A report's table as a CSV download: the API's CSV bytes, saved as `filename`.
fn csv_download(table: &Table, filename: &str) -> Page {
    let bytes = table.to_csv()?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .body(bytes))
}

/// A place to link to: a Gemeinde, Kreis or Land.
pub struct Place {
    pub href: String,
    pub name: String,
    pub meta: String,
}

fn land_place(l: &efa_api::views::Land) -> Place {
    Place { href: format!("/abdeckung/laender/{}", l.code), name: l.name.clone(), meta: format!("Land · {} Gemeinden", super::number(i64::from(l.gemeinden_count))) }
}

fn kreis_place(k: &efa_api::views::Kreis) -> Place {
    Place { href: format!("/abdeckung/kreise/{}", k.code), name: k.name.clone(), meta: format!("{}, {} · {} Gemeinden", k.kind, k.land.name, super::number(i64::from(k.gemeinden_count))) }
}

fn gemeinde_place(g: &efa_api::views::Gemeinde) -> Place {
    let kreis = g.kreis.as_ref().map(|k| format!("{}, ", k.name)).unwrap_or_default();
    Place { href: format!("/abdeckung/gemeinden/{}", g.ags), name: g.name.clone(), meta: format!("{kreis}{} · {} Einwohner · AGS {}", g.land.name, super::number(g.population), g.ags) }
}

#[derive(Deserialize)]
pub struct ChooserQuery {
    pub ort: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/coverage/chooser.html")]
pub struct ChooserPage {
    pub layout: Layout,
    pub ort: String,
    pub errors: Errors,
    pub searched: bool,
    pub gemeinden: Vec<Place>,
    /// Gemeinden found beyond those listed.
    pub gemeinden_more: usize,
    pub kreise: Vec<Place>,
    pub laender: Vec<Place>,
    pub all_laender: Vec<Place>,
}

/// The page of an exact Gemeinde (AGS), Kreis or Land code.
fn exact(c: &Catalogue, ort: &str) -> Option<String> {
    if !ort.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match ort.len() {
        8 => c.gemeinde(ort).filter(|g| !g.view.gemeindefrei).map(|g| format!("/abdeckung/gemeinden/{}", g.view.ags)),
        5 => c.kreis(ort).map(|k| format!("/abdeckung/kreise/{}", k.code)),
        2 => c.land(ort).map(|l| format!("/abdeckung/laender/{}", l.code)),
        _ => None,
    }
}

/// `GET /abdeckung`: the form; with `ort` the matching Gemeinden, Kreise and Länder, or
/// straight to the page of an exact code.
pub async fn chooser(shop: Shop, q: web::Query<ChooserQuery>) -> Page {
    let c = shop.app.catalogue()?;
    let mut page = ChooserPage {
        layout: layout(&shop, "Was kann meine Gemeinde schon online?").await,
        ort: String::new(),
        errors: Errors::default(),
        searched: false,
        gemeinden: Vec::new(),
        gemeinden_more: 0,
        kreise: Vec::new(),
        laender: Vec::new(),
        all_laender: c.laender.iter().map(land_place).collect(),
    };
    let Some(raw) = q.into_inner().ort else { return render(&page) };
    let ort = raw.trim();
    if let Some(to) = exact(&c, ort) {
        return Ok(crate::see_other(&to));
    }
    let words = Words::parse(ort);
    if words.is_empty() {
        page.errors.add("ort", "Geben Sie den Namen oder Schlüssel einer Gemeinde, eines Kreises oder eines Landes ein.");
    } else {
        let found: Vec<usize> = query::gemeinden(&c, &words, None, None).into_iter().filter(|&i| !c.gemeinden[i].view.gemeindefrei).collect();
        page.gemeinden_more = found.len().saturating_sub(GEMEINDEN_SHOWN);
        page.gemeinden = found.iter().take(GEMEINDEN_SHOWN).map(|&i| gemeinde_place(&c.gemeinden[i].view)).collect();
        page.kreise = c.kreise.iter().filter(|k| words.all_in(&fold(&k.name))).map(kreis_place).collect();
        page.laender = c.laender.iter().filter(|l| words.all_in(&fold(&l.name))).map(land_place).collect();
        page.searched = true;
        if page.gemeinden.is_empty() && page.kreise.is_empty() && page.laender.is_empty() {
            page.errors.add("ort", "Zu dieser Eingabe gibt es keine Gemeinde, keinen Kreis und kein Land. Prüfen Sie die Schreibweise oder geben Sie den Amtlichen Gemeindeschlüssel (8 Ziffern) ein.");
            page.searched = false;
        }
    }
    page.ort = raw;
    if page.errors.is_empty() {
        return render(&page);
    }
    page.layout = page.layout.with_errors(true);
    render_status(&page, StatusCode::BAD_REQUEST)
}
