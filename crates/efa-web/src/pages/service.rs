//! One online service: everything its listing says, the cost for a Gemeinde or Kreis with how
//! it is computed, where it is live, its published versions and the framework agreements to
//! accede to.

use super::catalogue_view::{anbindung_de, price_model_de, reifegrad_opt, status_opt, Cost, CostInput};
use super::cache::{self, Snapshots};
use super::{datetime, euro, finish, html, layout, number, Page};
use crate::errors::WebError;
use crate::forms::Errors;
use crate::layout::Layout;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::error::ApiError;
use efa_api::views::OnlineServiceDetail;
use efa_domain::listing::{ConformanceLevel, ListingState, Reach};
use serde::Deserialize;

pub struct Criterion {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub fulfilled: bool,
    pub evidence: Option<String>,
}

pub struct OzgBlock {
    pub ozg_id: i32,
    pub name: String,
    /// (LeiKa key or "nicht im LeiKa", name).
    pub leika: Vec<(String, String)>,
}

pub struct VersionLine {
    pub version: i32,
    pub published_at: String,
}

pub struct FrameworkLine {
    pub id: String,
    pub land: String,
    pub approved: bool,
    pub terms_version: String,
}

pub struct PriceLine {
    pub label: &'static str,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "pages/catalogue/service.html")]
pub struct ServicePage {
    pub layout: Layout,
    pub s: OnlineServiceDetail,
    pub status: &'static str,
    pub reifegrad: String,
    pub anbindung: Vec<&'static str>,
    pub price_model: String,
    pub prices: Vec<PriceLine>,
    pub reach: String,
    pub criteria: Vec<Criterion>,
    pub fulfilled: usize,
    pub ozg: Vec<OzgBlock>,
    pub gemeinden: String,
    pub versions: Vec<VersionLine>,
    pub frameworks: Vec<FrameworkLine>,
    pub draft: bool,
    pub published: bool,
    pub in_tray: bool,
    pub here: String,
    pub cost_input: CostInput,
    pub cost: Option<Cost>,
    pub errors: Errors,
}

#[derive(Deserialize)]
pub struct CostParams {
    pub kosten_ags: Option<String>,
    pub kosten_kreis: Option<String>,
}

pub fn level_de(l: ConformanceLevel) -> &'static str {
    match l {
        ConformanceLevel::Fulfilled => "Erfüllt",
        ConformanceLevel::Partly => "Teilweise erfüllt",
        ConformanceLevel::Not => "Nicht erfüllt",
        ConformanceLevel::Unknown => "Unbekannt",
    }
}

fn reach_de(d: &OnlineServiceDetail) -> String {
    let lead = d.service.lead_land.as_ref().map(|l| l.name.as_str()).unwrap_or("seinem Land");
    match d.reach {
        Reach::Agreements => "Live nur dort, wo ein Nachnutzungsvertrag oder Beitritt ihn freischaltet.".into(),
        Reach::LandWide => format!("Live in allen Gemeinden von {lead} (vom Land betrieben)."),
        Reach::Nationwide => "Live in allen Gemeinden Deutschlands.".into(),
    }
}

/// `GET /onlinedienste/{id}` (with `kosten_ags` or `kosten_kreis`: the cost for that place).
pub async fn page(shop: Shop, path: web::Path<String>, q: web::Query<CostParams>) -> Page {
    let snaps = Snapshots::of(&shop)?;
    if let Some(hit) = shop.web.pages.lookup(&shop, &snaps) {
        return Ok(hit);
    }
    let cacheable = cache::applies(&shop);
    let c = snaps.catalogue.clone();
    let viewer = shop.user.as_ref().map(|u| u.principal.clone());
    let entry = efa_api::handlers::services::visible_service(&c, &path, viewer.as_ref()).map_err(|e| match e {
        ApiError::BadParameter { .. } => WebError::NotFound,
        other => other.into(),
    })?;
    let d = entry.detail.clone();
    let id = d.service.id.clone();
    // One visit to the database for what the read model does not hold: the listing's versions
    // and the framework agreements offered for it. The criteria's names are seed data, read once.
    let criteria_rows = shop.web.criteria(&shop.app).await?;
    let (version_rows, framework_rows) = {
        let (id, published) = (id.clone(), d.published_version.is_some());
        shop.app
            .db(move |conn| {
                let versions = if published { efa_store::listings::version_dates(conn, &id)? } else { Vec::new() };
                Ok((versions, efa_store::reuse::list_frameworks(conn, None, Some(&id))?))
            })
            .await?
    };
    let criteria: Vec<Criterion> = d
        .conformance
        .iter()
        .map(|k| Criterion {
            name: criteria_rows.iter().find(|r| r.code == k.criterion).map(|r| r.criterion.clone()).unwrap_or_default(),
            code: k.criterion.clone(),
            level: level_de(k.level),
            fulfilled: k.level == ConformanceLevel::Fulfilled,
            evidence: k.evidence_url.clone(),
        })
        .collect();
    let ozg = entry
        .ozg
        .iter()
        .map(|&i| {
            let o = &c.ozg[i];
            OzgBlock {
                ozg_id: o.view.ozg_id,
                name: o.view.name.clone(),
                leika: o.leika.iter().map(|&l| (c.leika[l].view.key.clone().unwrap_or_else(|| "nicht im LeiKa".into()), c.leika[l].view.name.clone())).collect(),
            }
        })
        .collect();
    let ix = snaps.coverage.clone();
    let gemeinden = ix.catalogue.service_by_id.get(&id).and_then(|&i| ix.service_gemeinden.get(i)).copied().unwrap_or(0);
    let published = d.published_version.is_some() && c.service(&id).is_some();
    let versions = version_rows.into_iter().map(|(version, at)| VersionLine { version, published_at: datetime(chrono::DateTime::from_naive_utc_and_offset(at, chrono::Utc)) }).collect();
    let frameworks = framework_rows
        .into_iter()
        .map(|f| FrameworkLine { land: c.land(&f.land_code).map(|l| l.name.clone()).unwrap_or_else(|| f.land_code.clone()), approved: f.state == "approved", terms_version: f.terms_version, id: f.id })
        .collect();
    let asked = q.kosten_ags.is_some() || q.kosten_kreis.is_some();
    let cost_input = if asked { CostInput { ags: q.kosten_ags.clone().unwrap_or_default(), kreis: q.kosten_kreis.clone().unwrap_or_default() } } else { CostInput::own(&shop, &c) };
    let (cost, errors) = if published && !cost_input.is_empty() {
        match cost_input.estimate(&shop, &c, &id)? {
            Ok(cost) => (Some(cost), Errors::default()),
            Err(errors) => (None, errors),
        }
    } else {
        (None, Errors::default())
    };
    let p = &d.prices;
    let prices = [
        ("Jahresgebühr", p.annual_fee_cents),
        ("Einmalige Anbindungsgebühr", p.one_off_anbindung_fee_cents),
        ("Je Einwohnerin und Einwohner im Jahr", p.per_inhabitant_cents),
        ("Je Nutzung", p.per_use_cents),
        ("Gesamtkosten, nach Königsteiner Schlüssel auf die Länder verteilt", p.koenigsteiner_total_cents),
    ]
    .into_iter()
    .filter_map(|(label, v)| v.map(|c| PriceLine { label, amount: euro(c) }))
    .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let mut page_layout = layout(&shop, d.service.name.clone()).await.with_errors(!errors.is_empty());
    if cacheable {
        page_layout.csrf = cache::CSRF_SLOT.into();
    }
    let view = ServicePage {
        layout: page_layout,
        status: status_opt(d.service.status),
        reifegrad: reifegrad_opt(d.service.reifegrad),
        anbindung: d.service.anbindung.iter().map(|a| anbindung_de(*a)).collect(),
        price_model: d.service.price_model.map(price_model_de).unwrap_or("Keine Angabe").to_owned(),
        prices,
        reach: reach_de(&d),
        fulfilled: criteria.iter().filter(|k| k.fulfilled).count(),
        criteria,
        ozg,
        gemeinden: number(gemeinden as i64),
        versions,
        frameworks,
        draft: d.listing_state != ListingState::Published,
        published,
        in_tray: shop.tray().contains(&id),
        here: format!("/onlinedienste/{id}"),
        cost_input,
        cost,
        errors,
        s: d,
    };
    finish(&shop, &snaps, cacheable, status, html(&view)?)
}
