//! "Organisationen": who takes part in the marketplace, searched by name, kind and Land, and
//! one organisation. As in the API, the organisations are public; the people who logged in
//! for one and what it takes part in (requests, agreements) only operators see
//! ([`efa_api::operations::organisations`] decides).

use super::agreements::agreement_state_de;
use super::order::service_name;
use super::pager::{filter_query, Pager};
use super::requests::{page_number, request_state_de};
use super::{date, datetime, layout, number, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{options, Errors};
use crate::layout::{role_de, Layout};
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::error::ApiError;
use efa_api::operations::organisations as op;
use efa_domain::reuse::{AgreementState, RequestState};
use efa_domain::{LandCode, OrgKind, Role};
use serde::Deserialize;

/// Organisations per page.
const PER_PAGE: u32 = 25;
/// Requests and agreements shown on an organisation's page (the newest).
const LATEST: u32 = 10;

/// A kind of organisation as people read it.
pub fn kind_de(k: OrgKind) -> &'static str {
    match k {
        OrgKind::Bund => "Bund",
        OrgKind::Land => "Land",
        OrgKind::Kommune => "Kommune",
        OrgKind::ItDienstleister => "IT-Dienstleister",
        OrgKind::Zweckverband => "Zweckverband",
        OrgKind::Bundler => "Bündelnde Organisation",
    }
}

pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub land: String,
    pub services: usize,
}

impl From<efa_api::views::Organisation> for OrgRow {
    fn from(o: efa_api::views::Organisation) -> OrgRow {
        OrgRow { kind: kind_de(o.kind), land: o.land.map(|l| l.name).unwrap_or_else(|| "–".into()), services: o.online_services_count, name: o.name, id: o.id }
    }
}

#[derive(Deserialize, Default)]
pub struct OrgQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub art: String,
    #[serde(default)]
    pub land: String,
    pub seite: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/organisations/list.html")]
pub struct OrganisationsPage {
    pub layout: Layout,
    pub errors: Errors,
    pub q: String,
    pub art: String,
    pub land: String,
    pub kinds: Vec<(String, String)>,
    pub laender: Vec<(String, String)>,
    pub rows: Vec<OrgRow>,
    pub total: String,
    pub pager: Pager,
}

/// `GET /organisationen`: the organisations by name, filtered.
pub async fn list(shop: Shop, query: web::Query<OrgQuery>) -> Page {
    let c = shop.app.catalogue()?;
    let page = efa_api::params::Page { page: page_number(query.seite.as_deref())?, per_page: PER_PAGE };
    let mut errors = Errors::default();
    let words = efa_api::params::text("q", &Some(query.q.clone())).unwrap_or_else(|_| {
        errors.add("q", format!("Geben Sie höchstens {} Zeichen ein.", efa_api::params::MAX_Q_CHARS));
        None
    });
    let kind = efa_api::params::opt("kind", &Some(query.art.clone()), OrgKind::parse).unwrap_or_else(|_| {
        errors.add("art", "Wählen Sie eine Art aus der Liste.");
        None
    });
    let land = efa_api::params::opt("land", &Some(query.land.clone()), LandCode::parse).unwrap_or_else(|_| {
        errors.add("land", "Wählen Sie ein Land aus der Liste.");
        None
    });
    let (rows, total) = if errors.is_empty() { op::search(&shop.app, words.as_deref().unwrap_or(""), kind, land.as_ref(), page)? } else { (Vec::new(), 0) };
    let filter = filter_query(&[("q", query.q.as_str()), ("art", query.art.as_str()), ("land", query.land.as_str())]);
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let p = OrganisationsPage {
        layout: layout(&shop, "Organisationen").await.with_errors(!errors.is_empty()),
        errors,
        kinds: options("Alle Arten", OrgKind::ALL.iter().map(|k| (k.as_str().to_owned(), kind_de(*k).to_owned()))),
        laender: options("Alle Länder", c.laender.iter().map(|l| (l.code.clone(), l.name.clone()))),
        q: query.q.clone(),
        art: query.art.clone(),
        land: query.land.clone(),
        rows: rows.into_iter().map(OrgRow::from).collect(),
        total: number(i64::try_from(total).unwrap_or(i64::MAX)),
        pager: Pager::new("/organisationen", &filter, "seite", page.page, page.last(total)),
    };
    render_status(&p, status)
}

pub struct PersonRow {
    pub name: String,
    pub email: String,
    pub roles: String,
    pub land: String,
    pub last_login: String,
}

pub struct RequestLink {
    pub href: String,
    pub service: String,
    pub state: &'static str,
    pub date: String,
}

pub struct AgreementLink {
    pub number: String,
    pub service: String,
    pub state: &'static str,
}

/// What an operator sees beyond the public facts.
pub struct StaffView {
    pub people: Vec<PersonRow>,
    pub requests: Vec<RequestLink>,
    pub requests_total: usize,
    pub agreements: Vec<AgreementLink>,
    pub agreements_total: usize,
}

#[derive(Template)]
#[template(path = "pages/organisations/show.html")]
pub struct OrganisationPage {
    pub layout: Layout,
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub land: Option<String>,
    pub ags: Option<String>,
    pub ars: Option<String>,
    /// The coverage page of a Gemeinde.
    pub coverage: Option<String>,
    pub services: usize,
    pub staff: Option<StaffView>,
}

/// `GET /organisationen/{id}`: one organisation; for operators with its people and dealings.
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    let o = op::get(&shop.app, &path).map_err(|e| match e {
        ApiError::BadParameter { .. } => WebError::NotFound,
        other => other.into(),
    })?;
    let c = shop.app.catalogue()?;
    let staff = match &shop.user {
        Some(u) if u.has(Role::Operator) => Some(op::staff(&shop.app, &u.principal, &o.id, LATEST).await?),
        _ => None,
    };
    let staff = staff.map(|s| StaffView {
        people: s
            .people
            .into_iter()
            .map(|p| PersonRow {
                name: p.display_name,
                email: p.email.unwrap_or_else(|| "–".into()),
                roles: p.roles.iter().map(|r| Role::parse(r).map(role_de).unwrap_or(r.as_str())).collect::<Vec<_>>().join(", "),
                land: p.land_code.map(|l| c.land(&l).map(|x| x.name.clone()).unwrap_or(l)).unwrap_or_else(|| "–".into()),
                last_login: p.last_login_at.map(datetime).unwrap_or_else(|| "–".into()),
            })
            .collect(),
        requests: s
            .requests
            .into_iter()
            .map(|r| RequestLink {
                href: format!("/anfragen/{}", r.id),
                service: service_name(&c, &r.online_service_id),
                state: RequestState::parse(&r.state).map(request_state_de).unwrap_or("Unbekannt"),
                date: date(efa_domain::calendar::date_at(r.created_at)),
            })
            .collect(),
        requests_total: s.requests_total,
        agreements: s
            .agreements
            .into_iter()
            .map(|a| AgreementLink { service: service_name(&c, &a.online_service_id), state: AgreementState::parse(&a.state).map(agreement_state_de).unwrap_or("Unbekannt"), number: a.number })
            .collect(),
        agreements_total: s.agreements_total,
    });
    let coverage = o.ags.as_ref().filter(|a| c.gemeinde(a).is_some()).map(|a| format!("/abdeckung/gemeinden/{a}"));
    let p = OrganisationPage {
        layout: layout(&shop, o.name.clone()).await,
        kind: kind_de(o.kind),
        land: o.land.map(|l| l.name),
        services: o.online_services_count,
        coverage,
        ags: o.ags,
        ars: o.ars,
        staff,
        name: o.name,
        id: o.id,
    };
    render(&p)
}
