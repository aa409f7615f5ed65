//! "Meine Gemeinden": a bundler's member Gemeinden and Kreise, for whom it orders and signs,
//! each with its coverage and its organisation page. For anyone else there is no such page.

use super::order::members;
use super::{layout, number, render, Page};
use crate::errors::WebError;
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;
use efa_domain::Role;

pub struct MemberRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub key: String,
    pub population: String,
    pub coverage: String,
}

#[derive(Template)]
#[template(path = "pages/order/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub rows: Vec<MemberRow>,
}

/// `GET /meine-gemeinden`: the bundler's members by name (the 404 page for other roles).
pub async fn list(shop: Shop) -> Page {
    let u = shop.require_user()?;
    if !u.has(Role::Bundler) {
        return Err(WebError::NotFound);
    }
    let c = shop.app.catalogue()?;
    let rows = members(&shop, &c, u)
        .await?
        .into_iter()
        .filter_map(|(id, name)| {
            let payer = efa_api::costs::Payer::of_org(&c, c.org(&id)?)?;
            let gemeinde = payer.key.len() == 8;
            Some(MemberRow {
                kind: if gemeinde { "Gemeinde" } else { "Kreis" },
                coverage: if gemeinde { format!("/abdeckung/gemeinden/{}", payer.key) } else { format!("/abdeckung/kreise/{}", payer.key) },
                key: payer.key.to_owned(),
                population: number(payer.population),
                id,
                name,
            })
        })
        .collect();
    render(&MembersPage { layout: layout(&shop, "Meine Gemeinden").await, rows })
}
