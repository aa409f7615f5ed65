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
}

/// `GET /leistungen/{ozg_id}`.
pub async fn page(shop: Shop, path: actix_web::web::Path<String>) -> Page {
    let id = OzgId::parse(&path).map_err(|_| WebError::NotFound)?;
    let c = shop.app.catalogue()?;
    let detail = efa_api::handlers::catalogue::ozg_detail(&c, id)?;
    let ix = shop.app.coverage()?;
    let cov = efa_api::handlers::coverage::ozg_coverage(&ix, id)?;
    let services = detail.online_services.iter().filter_map(|s| c.service(&s.id)).map(ServiceRow::of).collect();
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
    };
    render(&view)
}
