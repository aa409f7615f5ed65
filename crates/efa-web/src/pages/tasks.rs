//! "Meine Aufgaben": what awaits the user's organisation — agreements to sign and drafts to
//! submit, each with its link; for providers and coordinators the requests awaiting their
//! decision, counted. The list and the header's count come from the same queries.

use super::order::{org_name, service_name};
use super::{date, render, Page};
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;
use efa_domain::Role;

pub struct ToSign {
    pub number: String,
    pub service: String,
    pub customer: String,
}

pub struct Draft {
    pub id: String,
    pub service: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "pages/order/tasks.html")]
pub struct TasksPage {
    pub layout: Layout,
    /// The oldest [`SHOWN`] of the agreements awaiting a signature, and how many there are.
    pub to_sign: Vec<ToSign>,
    pub to_sign_total: i64,
    /// The newest [`SHOWN`] drafts, and how many there are.
    pub drafts: Vec<Draft>,
    pub drafts_total: i64,
    pub more_to_sign: bool,
    pub more_drafts: bool,
    /// Requests for the organisation's services approved by the Land, awaiting acceptance.
    pub to_accept: i64,
    /// Submitted requests of the coordinator's Land awaiting approval.
    pub to_approve: i64,
    /// Framework agreements offered for the coordinator's Land.
    pub frameworks_to_approve: i64,
    /// Listings in review awaiting an operator.
    pub to_review: i64,
    pub provider: bool,
    pub coordinator: bool,
    pub operator: bool,
}

/// How many agreements to sign and drafts the page lists; the rest are a link away (the
/// agreements and requests lists, filtered by state).
pub const SHOWN: i64 = 20;

/// `GET /aufgaben`.
pub async fn tasks(shop: Shop) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let org = u.principal.org_id.clone();
    let operator = u.has(Role::Operator);
    // The header's figures, read once for the header and the page.
    let counts = crate::layout::awaiting(&shop, u).await?;
    let (sign, drafts) = shop
        .app
        .db(move |conn| {
            use efa_store::reuse as store;
            Ok((store::agreements_to_sign(conn, &org, SHOWN)?, store::drafts_of(conn, &org, SHOWN)?))
        })
        .await?;
    let page = TasksPage {
        layout: Layout::counted(&shop, "Meine Aufgaben", counts.total()),
        to_sign: sign.iter().map(|a| ToSign { number: a.number.clone(), service: service_name(&c, &a.online_service_id), customer: org_name(&c, &a.customer_org_id) }).collect(),
        drafts: drafts.iter().map(|r| Draft { id: r.id.clone(), service: service_name(&c, &r.online_service_id), created: date(efa_domain::calendar::date_of_utc(r.created_at)) }).collect(),
        to_sign_total: counts.to_sign,
        drafts_total: counts.drafts,
        more_to_sign: counts.to_sign > i64::try_from(sign.len()).unwrap_or(i64::MAX),
        more_drafts: counts.drafts > i64::try_from(drafts.len()).unwrap_or(i64::MAX),
        to_accept: counts.to_accept,
        to_approve: counts.to_approve,
        frameworks_to_approve: counts.frameworks_to_approve,
        to_review: counts.to_review,
        provider: u.has(Role::ProviderPublisher),
        coordinator: u.has(Role::LandCoordinator),
        operator,
    };
    render(&page)
}
