//! Erklärung zur Barrierefreiheit, Impressum, Datenschutz, licences: the operator's details
//! come from configuration.

use super::{layout, render, Page};
use crate::config::Operator;
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;

#[derive(Template)]
#[template(path = "pages/legal.html")]
pub struct LegalPage {
    pub layout: Layout,
    pub kind: &'static str,
    pub operator: Operator,
    pub public_url: String,
}

async fn legal(shop: Shop, kind: &'static str, title: &str) -> Page {
    let page = LegalPage { layout: layout(&shop, title).await, kind, operator: shop.web.config.operator.clone(), public_url: shop.web.config.public_url.clone() };
    render(&page)
}

pub async fn accessibility(shop: Shop) -> Page {
    legal(shop, "barrierefreiheit", "Erklärung zur Barrierefreiheit").await
}

pub async fn imprint(shop: Shop) -> Page {
    legal(shop, "impressum", "Impressum").await
}

pub async fn privacy(shop: Shop) -> Page {
    legal(shop, "datenschutz", "Datenschutzerklärung").await
}

pub async fn licences(shop: Shop) -> Page {
    legal(shop, "lizenzen", "Lizenzen").await
}
