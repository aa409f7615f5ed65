//! One OZG-Leistung: its LeiKa-Leistungen, the published services implementing it, and where
//! it is live (the API's coverage of an OZG-Leistung).

use super::catalogue_view::ServiceRow;
use super::{layout, number, render, Page};
use crate::errors::WebError;
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;
use efa_api::views::{Leika, OzgLeistung};
use efa_domain::OzgId;

/// One change of the OZG-Leistung, in German.
pub struct HistoryLine {
    pub when: String,
    pub what: String,
    pub source: String,
}

/// When it was retired, and its successor (id, name) where known.
pub struct RetiredNote {
    pub when: String,
    pub successor: Option<(i32, String)>,
}

fn leika_label(v: &serde_json::Value) -> String {
    let key = v["leika_key"].as_str().unwrap_or("ohne LeiKa-Schlüssel");
    let name = v["name"].as_str().unwrap_or("");
    format!("{key} „{name}“")
}

/// What a history entry says, as a sentence.
fn describe(e: &efa_api::operations::catalogue::HistoryEntry) -> String {
    let null = serde_json::Value::Null;
    let (before, after) = (e.before.as_ref().unwrap_or(&null), e.after.as_ref().unwrap_or(&null));
    match e.action.as_str() {
        "ozg.added" => format!("In den Katalog aufgenommen: „{}“", after["name"].as_str().unwrap_or("")),
        "ozg.changed" => {
            let mut parts = Vec::new();
            if before["name"] != after["name"] {
                parts.push(format!("umbenannt von „{}“ in „{}“", before["name"].as_str().unwrap_or(""), after["name"].as_str().unwrap_or("")));
            }
            if before["lebenslage_id"] != after["lebenslage_id"] || before["themenfeld_id"] != after["themenfeld_id"] {
                parts.push(format!(
                    "verschoben von Lebenslage {} (Themenfeld {}) nach Lebenslage {} (Themenfeld {})",
                    before["lebenslage_id"], before["themenfeld_id"], after["lebenslage_id"], after["themenfeld_id"]
                ));
            }
            format!("Geändert: {}", parts.join("; "))
        }
        "ozg.retired" => match after["successor_ozg_id"].as_i64() {
            Some(s) => format!("Aufgehoben; Nachfolgerin ist OZG-Leistung {s}"),
            None => "Aufgehoben".into(),
        },
        "ozg.reinstated" => "Wieder in den Katalog aufgenommen".into(),
        "ozg.leika_added" => match before["moved_from"].as_i64() {
            Some(from) => format!("LeiKa-Leistung {} von OZG-Leistung {from} hierher verschoben", leika_label(after)),
            None => format!("LeiKa-Leistung {} hinzugefügt", leika_label(after)),
        },
        "ozg.leika_removed" => match after["moved_to"].as_i64() {
            Some(to) => format!("LeiKa-Leistung {} zu OZG-Leistung {to} verschoben", leika_label(before)),
            None => format!("LeiKa-Leistung {} aus dem Katalog entfernt", leika_label(before)),
        },
        "ozg.leika_changed" => format!("LeiKa-Leistung {} geändert", leika_label(after)),
        other => other.to_owned(),
    }
}

pub struct LandLine {
    pub name: String,
    pub covered: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "pages/catalogue/ozg.html")]
pub struct OzgPage {
    pub layout: Layout,
    pub ozg: OzgLeistung,
    pub leika: Vec<Leika>,
    pub services: Vec<ServiceRow>,
    pub in_scope: bool,
    pub gemeinden: String,
    pub kreise: usize,
    pub laender: usize,
    pub population: String,
    pub per_land: Vec<LandLine>,
    pub retired: Option<RetiredNote>,
    pub history: Vec<HistoryLine>,
}

/// `GET /leistungen/{ozg_id}`.
pub async fn page(shop: Shop, path: actix_web::web::Path<String>) -> Page {
    let id = OzgId::parse(&path).map_err(|_| WebError::NotFound)?;
    let c = shop.app.catalogue()?;
    let detail = efa_api::handlers::catalogue::ozg_detail(&c, id)?;
    let ix = shop.app.coverage()?;
    let cov = efa_api::handlers::coverage::ozg_coverage(&ix, id)?;
    let services = detail.online_services.iter().filter_map(|s| c.service(&s.id)).map(ServiceRow::of).collect();
    let history = efa_api::operations::catalogue::history(&shop.app, &id.get().to_string())
        .await?
        .iter()
        .map(|e| HistoryLine { when: super::datetime(e.occurred_at), what: describe(e), source: e.source.clone().unwrap_or_default() })
        .collect();
    let retired = detail.leistung.retired.as_ref().map(|r| RetiredNote { when: super::datetime(r.retired_at), successor: r.successor.as_ref().map(|s| (s.id, s.name.clone())) });
    let land_name = |code: &str| c.land(code).map(|l| l.name.clone()).unwrap_or_else(|| code.to_owned());
    let view = OzgPage {
        layout: layout(&shop, format!("{} (OZG-Leistung)", detail.leistung.name)).await,
        per_land: cov.per_land.iter().filter(|l| l.gemeinden_covered > 0).map(|l| LandLine { name: land_name(&l.land), covered: number(l.gemeinden_covered as i64), total: number(l.gemeinden_total as i64) }).collect(),
        in_scope: cov.in_scope_for_gemeinden,
        gemeinden: number(cov.gemeinden as i64),
        kreise: cov.kreise,
        laender: cov.laender,
        population: number(cov.population),
        ozg: detail.leistung,
        leika: detail.leika_leistungen,
        services,
        retired,
        history,
    };
    render(&view)
}
