//! The comparison tray: up to four services kept in the session, added and removed from any
//! list, and compared side by side (with the cost for the user's Gemeinde).

use super::catalogue_view::{anbindung_de, Cost, CostInput, ServiceRow};
use super::{layout, number, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::session::{Shop, TRAY_MAX};
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_domain::listing::ConformanceLevel;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TrayForm {
    pub aktion: String,
    #[serde(default)]
    pub id: String,
    pub zurueck: Option<String>,
}

/// Where to go after the change: a path on this site, else the comparison.
fn back_to(zurueck: Option<&str>) -> String {
    match zurueck {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.contains(['\r', '\n']) => p.to_owned(),
        _ => "/vergleich".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "pages/catalogue/tray_fragment.html")]
pub struct TrayFragment {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub in_tray: bool,
    pub here: String,
    pub note: String,
}

/// `POST /vergleich`: `aktion` hinzufuegen, entfernen or leeren; then back where the form was
/// (for htmx: the button in its new state and the header's count).
pub async fn change(shop: Shop, body: web::Bytes) -> Page {
    let form: TrayForm = forms::parse(&shop, &body)?.value;
    let c = shop.app.catalogue()?;
    let mut tray = shop.tray();
    let id = uuid::Uuid::parse_str(form.id.trim()).map(|u| u.to_string()).unwrap_or_default();
    let name = c.service(&id).map(|s| s.detail.service.name.clone());
    match form.aktion.as_str() {
        "hinzufuegen" => {
            let name = name.clone().ok_or_else(|| WebError::BadRequest("no such published online service".into()))?;
            if tray.contains(&id) {
                shop.flash("info", format!("„{name}“ ist schon im Vergleich."));
            } else if tray.len() >= TRAY_MAX {
                shop.flash("warning", format!("Im Vergleich sind höchstens {TRAY_MAX} Onlinedienste möglich. Entfernen Sie zuerst einen, um „{name}“ aufzunehmen."));
            } else {
                tray.push(id.clone());
                shop.flash("success", format!("„{name}“ ist im Vergleich ({} von {TRAY_MAX}).", tray.len()));
            }
        }
        "entfernen" => {
            if !tray.contains(&id) {
                return Err(WebError::BadRequest("not in the tray".into()));
            }
            tray.retain(|t| *t != id);
            shop.flash("success", format!("„{}“ ist nicht mehr im Vergleich.", name.clone().unwrap_or_else(|| "Der Onlinedienst".into())));
        }
        "leeren" => {
            tray.clear();
            shop.flash("success", "Der Vergleich ist leer.");
        }
        _ => return Err(WebError::BadRequest("unknown aktion".into())),
    }
    shop.set_tray(&tray);
    let back = back_to(form.zurueck.as_deref());
    if shop.is_htmx() && form.aktion != "leeren" {
        let note = shop.take_flash().map(|f| f.text).unwrap_or_default();
        let fragment = TrayFragment { in_tray: tray.contains(&id), layout: layout(&shop, "Vergleich").await, name: name.unwrap_or_default(), id, here: back, note };
        return render(&fragment);
    }
    Ok(crate::see_other(&back))
}

/// One field of the comparison: a row heading and one value per service.
pub struct CompareRow {
    pub label: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "pages/catalogue/compare.html")]
pub struct ComparePage {
    pub layout: Layout,
    pub services: Vec<ServiceRow>,
    pub rows: Vec<CompareRow>,
    pub cost_input: CostInput,
    pub errors: Errors,
    pub here: String,
}

#[derive(Deserialize)]
pub struct CompareParams {
    pub kosten_ags: Option<String>,
}

/// `GET /vergleich` (with `kosten_ags`: the cost for that Gemeinde).
pub async fn page(shop: Shop, q: web::Query<CompareParams>) -> Page {
    let c = shop.app.catalogue()?;
    let ix = shop.app.coverage()?;
    let entries: Vec<_> = shop.tray().iter().filter_map(|id| c.service(id)).collect();
    let cost_input = match &q.kosten_ags {
        Some(a) => CostInput { ags: a.clone(), kreis: String::new() },
        None => CostInput::own(&shop, &c),
    };
    let mut errors = Errors::default();
    let mut costs: Vec<Option<Cost>> = Vec::new();
    for e in &entries {
        if cost_input.is_empty() || !errors.is_empty() {
            costs.push(None);
            continue;
        }
        match cost_input.estimate(&shop, &c, &e.detail.service.id)? {
            Ok(k) => costs.push(Some(k)),
            Err(errs) => {
                errors = errs;
                costs.push(None);
            }
        }
    }
    let place = costs.iter().flatten().next().map(|k| k.place.clone());
    let row = |label: &str, cells: Vec<String>| CompareRow { label: label.to_owned(), cells };
    let mut rows = vec![
        row("Anbieter", entries.iter().map(|e| e.detail.service.provider.name.clone()).collect()),
        row("Federführendes Land", entries.iter().map(|e| ServiceRow::of(e).lead_land).collect()),
        row("Status", entries.iter().map(|e| ServiceRow::of(e).status.to_owned()).collect()),
        row("Reifegrad", entries.iter().map(|e| ServiceRow::of(e).reifegrad).collect()),
        row(
            "Anbindung",
            entries.iter().map(|e| if e.detail.service.anbindung.is_empty() { "Keine Angabe".into() } else { e.detail.service.anbindung.iter().map(|a| anbindung_de(*a)).collect::<Vec<_>>().join(", ") }).collect(),
        ),
        row(
            "EfA-Mindestanforderungen erfüllt",
            entries
                .iter()
                .map(|e| {
                    let all = &e.detail.conformance;
                    if all.is_empty() { "Keine Angabe".into() } else { format!("{} von {}", all.iter().filter(|k| k.level == ConformanceLevel::Fulfilled).count(), all.len()) }
                })
                .collect(),
        ),
        row("Preise", entries.iter().map(|e| ServiceRow::of(e).price).collect()),
    ];
    if let Some(place) = place {
        let year = costs.iter().flatten().next().map(|k| (k.this_year, k.next_year)).unwrap_or_default();
        rows.push(row(&format!("Kosten für {place} {}", year.0), costs.iter().map(|k| k.as_ref().map(|k| k.this_year_total.clone()).unwrap_or_else(|| "–".into())).collect()));
        rows.push(row(&format!("Kosten für {place} {}", year.1), costs.iter().map(|k| k.as_ref().map(|k| k.next_year_total.clone()).unwrap_or_else(|| "–".into())).collect()));
    }
    rows.push(row("Nutzungsbedingungen (Version)", entries.iter().map(|e| e.detail.terms.as_ref().map(|t| t.version.clone()).unwrap_or_else(|| "Keine Angabe".into())).collect()));
    rows.push(row(
        "Gemeinden, in denen er live ist",
        entries.iter().map(|e| number(ix.catalogue.service_by_id.get(&e.detail.service.id).and_then(|&i| ix.service_gemeinden.get(i)).copied().unwrap_or(0) as i64)).collect(),
    ));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let view = ComparePage {
        layout: layout(&shop, "Onlinedienste vergleichen").await.with_errors(!errors.is_empty()),
        services: entries.iter().map(|e| ServiceRow::of(e)).collect(),
        rows,
        cost_input,
        errors,
        here: shop.req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/vergleich".into()),
    };
    render_status(&view, status)
}
