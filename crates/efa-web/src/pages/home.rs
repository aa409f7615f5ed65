//! The start page: search, the Themenfelder with their counts, and "what can my Gemeinde
//! already do online".

use super::{layout, render, Page};
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;
use efa_api::views::Themenfeld;

#[derive(Template)]
#[template(path = "pages/start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub themenfelder: Vec<Themenfeld>,
    /// Counts, written the German way (11.004).
    pub services: String,
    pub ozg: String,
    pub gemeinden: String,
    /// The logged-in user's Gemeinde (AGS and name), for the coverage shortcut.
    pub own_gemeinde: Option<(String, String)>,
}

pub async fn start(shop: Shop) -> Page {
    let c = shop.app.catalogue()?;
    let own_gemeinde = shop.user.as_ref().and_then(|u| c.org(&u.principal.org_id)).and_then(|o| o.view.ags.clone().map(|a| (a, o.view.name.clone())));
    let page = StartPage {
        layout: layout(&shop, "Onlinedienste finden und nachnutzen").await,
        themenfelder: c.themenfelder.clone(),
        services: super::number(c.services.len() as i64),
        ozg: super::number(c.ozg.len() as i64),
        gemeinden: super::number(c.gemeinden.len() as i64),
        own_gemeinde,
    };
    render(&page)
}
