//! "Rahmenverträge": a provider offers a framework agreement for one of its published
//! services in a Land and sees its offers; the Land's coordinator approves the offers for the
//! Land (then every Gemeinde there may accede on the service's page). The rules are the API's
//! (`efa_api::operations::frameworks`).

use super::order::{org_name, service_name, People};
use super::requests::NoFields;
use super::{datetime, layout, render_status, Page};
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::catalogue::Catalogue;
use efa_api::error::ApiError;
use efa_api::operations::frameworks::{self as op, FrameworkAgreement, NewFramework};
use efa_domain::Role;
use serde::Deserialize;

/// A framework agreement's state as people read it.
pub fn framework_state_de(state: &str) -> &'static str {
    match state {
        "offered" => "Angeboten, wartet auf die Genehmigung des Landes",
        "approved" => "Genehmigt: Beitritt möglich",
        _ => "Unbekannt",
    }
}

pub struct FrameworkRow {
    pub id: String,
    pub service_id: String,
    pub service: String,
    pub provider: String,
    pub land: String,
    pub state_key: String,
    pub state: &'static str,
    pub terms_version: String,
    pub terms_text: String,
    /// Who approved it and when.
    pub approved: Option<String>,
    /// The user may approve it now.
    pub can_approve: bool,
    pub approve_action: String,
    pub button_id: String,
}

fn row(c: &Catalogue, people: &People, f: FrameworkAgreement, coordinator_of: Option<&str>) -> FrameworkRow {
    let approved = f.approved_at.map(|at| match &f.approved_by {
        Some(by) => format!("{}, {}", datetime(at), people.who(c, by)),
        None => datetime(at),
    });
    FrameworkRow {
        can_approve: f.state == "offered" && coordinator_of == Some(f.land.as_str()),
        approve_action: format!("/rahmenvertraege/{}/genehmigen", f.id),
        button_id: format!("genehmigen-{}", f.id),
        service: service_name(c, &f.online_service_id),
        provider: org_name(c, &f.provider_org_id),
        land: c.land(&f.land).map(|l| l.name.clone()).unwrap_or_else(|| f.land.clone()),
        state: framework_state_de(&f.state),
        state_key: f.state,
        approved,
        terms_version: f.terms_version,
        terms_text: f.terms_text,
        service_id: f.online_service_id,
        id: f.id,
    }
}

/// The offer form, as entered.
#[derive(Deserialize, Default, Clone)]
pub struct OfferForm {
    #[serde(default)]
    pub dienst: String,
    #[serde(default)]
    pub land: String,
    #[serde(default)]
    pub fassung: String,
    #[serde(default)]
    pub bedingungen: String,
}

#[derive(Template)]
#[template(path = "pages/frameworks/list.html")]
pub struct FrameworksPage {
    pub layout: Layout,
    pub errors: Errors,
    pub key: String,
    /// The coordinator's Land (name), if the user is one.
    pub land_name: Option<String>,
    /// Offers of the coordinator's Land awaiting approval, oldest first.
    pub to_approve: Vec<FrameworkRow>,
    /// The provider's offers, or (coordinator) the Land's approved ones, or (others) all approved.
    pub rows: Vec<FrameworkRow>,
    pub provider: bool,
    /// The provider's published services: (id, name).
    pub services: Vec<(String, String)>,
    pub laender: Vec<(String, String)>,
    pub form: OfferForm,
}

async fn list_page(shop: &Shop, form: OfferForm, errors: Errors, key: String) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let provider = u.has(Role::ProviderPublisher);
    let land = u.has(Role::LandCoordinator).then(|| u.principal.land.as_ref().map(|l| l.to_string())).flatten();
    let all = op::list(&shop.app, None, None).await?;
    let people = People::of(shop, all.iter().filter_map(|f| f.approved_by.clone())).await?;
    let org = u.principal.org_id.clone();
    let (mut to_approve, mut rows) = (Vec::new(), Vec::new());
    for f in all {
        let in_my_land = land.as_deref() == Some(f.land.as_str());
        let mine = provider && f.provider_org_id == org;
        let r = row(&c, &people, f, land.as_deref());
        if r.can_approve {
            to_approve.push(r);
        } else if mine || in_my_land || (!provider && land.is_none() && r.state_key == "approved") {
            rows.push(r);
        }
    }
    to_approve.reverse();
    let mut services: Vec<(String, String)> = c.services.iter().filter(|s| s.detail.service.provider.id == org).map(|s| (s.detail.service.id.clone(), s.detail.service.name.clone())).collect();
    services.sort_by(|a, b| a.1.cmp(&b.1));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = FrameworksPage {
        layout: layout(shop, "Rahmenverträge").await.with_errors(!errors.is_empty()),
        errors,
        key,
        land_name: land.as_deref().and_then(|l| c.land(l)).map(|l| l.name.clone()),
        to_approve,
        rows,
        provider,
        services: std::iter::once((String::new(), "Bitte wählen".to_owned())).chain(services).collect(),
        laender: std::iter::once((String::new(), "Bitte wählen".to_owned())).chain(c.laender.iter().map(|l| (l.code.clone(), l.name.clone()))).collect(),
        form,
    };
    render_status(&page, status)
}

/// `GET /rahmenvertraege`.
pub async fn list(shop: Shop) -> Page {
    list_page(&shop, OfferForm::default(), Errors::default(), uuid::Uuid::new_v4().to_string()).await
}

/// `POST /rahmenvertraege`: the provider offers a framework agreement (once per key).
pub async fn offer(shop: Shop, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let submitted = forms::parse::<OfferForm>(&shop, &body)?;
    let key = submitted.key.clone().unwrap_or_default();
    let form = submitted.value;
    let mut errors = Errors::default();
    if form.dienst.is_empty() {
        errors.add("dienst", "Wählen Sie den Onlinedienst.");
    }
    if form.land.is_empty() {
        errors.add("land", "Wählen Sie das Land, dessen Gemeinden beitreten können.");
    }
    if !errors.is_empty() {
        return list_page(&shop, form, errors, key).await;
    }
    let input = NewFramework { online_service_id: form.dienst.clone(), land: form.land.clone(), terms_text: form.bedingungen.clone(), terms_version: form.fassung.clone() };
    match op::offer(&shop.app, &u.principal, &shop.ctx(Some(&key)), input).await {
        Ok(_) => {
            shop.flash("success", "Der Rahmenvertrag ist angeboten. Die Landeskoordination des Landes entscheidet über die Genehmigung.");
            Ok(see_other("/rahmenvertraege"))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = Errors::from_api(e, &[("online_service_id", "dienst"), ("land", "land"), ("terms_version", "fassung"), ("terms_text", "bedingungen")], "bedingungen")?;
            list_page(&shop, form, errors, key).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /rahmenvertraege/{id}/genehmigen`: the Land's coordinator approves an offer.
pub async fn approve(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    forms::parse::<NoFields>(&shop, &body)?;
    match op::approve(&shop.app, &u.principal, &shop.ctx(None), &path).await {
        Ok(_) => {
            shop.flash("success", "Der Rahmenvertrag ist genehmigt. Die Gemeinden des Landes können ihm jetzt beitreten.");
            Ok(see_other("/rahmenvertraege"))
        }
        Err(ApiError::Conflict(_)) => {
            shop.flash("warning", "Der Rahmenvertrag ist schon genehmigt.");
            Ok(see_other("/rahmenvertraege"))
        }
        Err(e) => Err(e.into()),
    }
}
