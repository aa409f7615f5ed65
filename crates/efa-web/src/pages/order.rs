//! Ordering a service: by accession (Beitritt) to an approved framework agreement of the
//! Land, or by a reuse request (Nachnutzungsanfrage) filed as a draft. Both show what the
//! Gemeinde pays before anything is sent; both carry an idempotency key so that a double
//! submit orders once. And what the order pages share: costs, names, paging.

use super::{euro, layout, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::{SessionUser, Shop};
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::catalogue::Catalogue;
use efa_api::error::ApiError;
use efa_api::operations::frameworks::{self, Accession, FrameworkAgreement};
use efa_api::operations::reuse::{self, NewReuseRequest};
use efa_domain::{Ags, KreisCode, Role};
use serde::Deserialize;

/// What one Gemeinde (or Kreis) pays for a service: this year and the next.
pub struct CostRow {
    pub payer: String,
    pub year: i32,
    pub one_off: String,
    pub annual_first: String,
    pub total_first: String,
    pub next_year: i32,
    pub total_next: String,
    /// Under the Königsteiner model: what the Land pays.
    pub land_share: Option<String>,
    /// A price per use, not in the totals.
    pub per_use: Option<String>,
}

/// The cost estimate for the organisation `org_id` (a Gemeinde or a Kreis), starting today;
/// `None` for an organisation that is neither.
pub fn cost_row(shop: &Shop, c: &Catalogue, service_id: &str, org_id: &str) -> Result<Option<CostRow>, WebError> {
    let Some(e) = estimate_for(shop, c, service_id, org_id)? else { return Ok(None) };
    let Some(o) = c.org(org_id) else { return Ok(None) };
    Ok(Some(CostRow {
        payer: o.view.name.clone(),
        year: e.first_year.year,
        one_off: euro(e.first_year.one_off_anbindung_fee_cents),
        annual_first: euro(e.first_year.annual_fee_cents),
        total_first: euro(e.first_year.total_cents),
        next_year: e.following_year.year,
        total_next: euro(e.following_year.total_cents),
        land_share: e.land_share_cents.map(euro),
        per_use: e.per_use_cents.map(euro),
    }))
}

/// The cost estimate for `org_id`, starting today: `None` for an organisation that is
/// neither a Gemeinde nor a Kreis.
pub fn estimate_for(shop: &Shop, c: &Catalogue, service_id: &str, org_id: &str) -> Result<Option<efa_api::costs::CostEstimate>, WebError> {
    let Some(o) = c.org(org_id) else { return Ok(None) };
    let Some(payer) = efa_api::costs::Payer::of_org(c, o) else { return Ok(None) };
    let bad = |e: efa_domain::codes::CodeError| WebError::Internal(anyhow::anyhow!("{e}"));
    let (ags, kreis) = if o.view.ags.is_some() { (Some(Ags::parse(payer.key).map_err(bad)?), None) } else { (None, Some(KreisCode::parse(payer.key).map_err(bad)?)) };
    Ok(Some(frameworks::estimate(&shop.app, service_id, ags, kreis, None)?))
}

/// The costs for each of `orgs`, in their order.
pub fn cost_rows(shop: &Shop, c: &Catalogue, service_id: &str, orgs: &[String]) -> Result<Vec<CostRow>, WebError> {
    let mut out = Vec::new();
    for o in orgs {
        if let Some(r) = cost_row(shop, c, service_id, o)? {
            out.push(r);
        }
    }
    Ok(out)
}

/// An organisation's name; its id where the catalogue does not know it.
pub fn org_name(c: &Catalogue, id: &str) -> String {
    c.org(id).map(|o| o.view.name.clone()).unwrap_or_else(|| id.to_owned())
}

/// A service's name, also for one no longer published.
pub fn service_name(c: &Catalogue, id: &str) -> String {
    c.service(id).map(|s| s.detail.service.name.clone()).unwrap_or_else(|| "Onlinedienst (nicht mehr veröffentlicht)".to_owned())
}

/// Who did something, readable: a development login shows its role and organisation.
pub fn who(c: &Catalogue, subject: &str) -> String {
    let mut parts = subject.splitn(3, ':');
    if let (Some("dev"), Some(role), Some(org)) = (parts.next(), parts.next(), parts.next()) {
        if let (Ok(r), Some(o)) = (efa_domain::Role::parse(role), c.org(org)) {
            return format!("{} ({})", crate::layout::role_de(r), o.view.name);
        }
    }
    subject.to_owned()
}

/// The names of the people behind the subjects a page shows, as their last login to the shop
/// recorded them (a development login's subject says who it is by itself).
#[derive(Default)]
pub struct People(std::collections::HashMap<String, String>);

impl People {
    /// Looks up `subjects` in one query.
    pub async fn of(shop: &Shop, subjects: impl IntoIterator<Item = String>) -> Result<People, WebError> {
        let ids: Vec<String> = subjects.into_iter().filter(|s| !s.starts_with("dev:")).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if ids.is_empty() {
            return Ok(People::default());
        }
        Ok(People(shop.app.db(move |conn| Ok(efa_store::mail::display_names(conn, &ids)?)).await?.into_iter().collect()))
    }

    /// Who `subject` is: the person's name, else [`who`] reads the subject.
    pub fn who(&self, c: &Catalogue, subject: &str) -> String {
        self.0.get(subject).cloned().unwrap_or_else(|| who(c, subject))
    }

    /// Who acted, with the organisation they acted for.
    pub fn actor(&self, c: &Catalogue, subject: &str, org: Option<&str>) -> String {
        let person = self.who(c, subject);
        match org {
            Some(o) if !person.contains(&org_name(c, o)) => format!("{person}, {}", org_name(c, o)),
            _ => person,
        }
    }
}

/// The member organisations of a bundler that can order (Gemeinden and Kreise): (id, name), by name.
pub async fn members(shop: &Shop, c: &Catalogue, u: &SessionUser) -> Result<Vec<(String, String)>, WebError> {
    if !u.has(Role::Bundler) {
        return Ok(Vec::new());
    }
    let org = u.principal.org_id.clone();
    let ids = shop.app.db(move |conn| Ok(efa_store::reuse::members_of(conn, &org)?)).await?;
    let mut out: Vec<(String, String)> = ids.iter().filter_map(|id| c.org(id)).filter(|o| efa_api::costs::Payer::of_org(c, o).is_some()).map(|o| (o.view.id.clone(), o.view.name.clone())).collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

// ---- accession ----

#[derive(Template)]
#[template(path = "pages/order/accession.html")]
pub struct AccessionPage {
    pub layout: Layout,
    pub errors: Errors,
    /// A refusal of the operation, shown above the form.
    pub problem: Option<String>,
    pub key: String,
    pub action: String,
    pub service_id: String,
    pub service: String,
    pub provider: String,
    pub land: String,
    pub framework: FrameworkAgreement,
    pub approved: bool,
    pub costs: Vec<CostRow>,
    /// A bundler's member Gemeinden to choose from, after "Bitte wählen" (empty for a Gemeinde's own user).
    pub gemeinden: Vec<(String, String)>,
    pub gemeinde: String,
    pub confirmed: bool,
}

#[derive(Deserialize, Default)]
pub struct AccessionForm {
    #[serde(default)]
    beitritt: String,
    #[serde(default)]
    gemeinde: String,
}

async fn accession_page(shop: &Shop, service_id: &str, framework_id: &str, form: AccessionForm, errors: Errors, problem: Option<String>, key: String) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let service = c.service(service_id).ok_or(WebError::NotFound)?;
    let framework = frameworks::list(&shop.app, None, Some(service.detail.service.id.clone())).await?.into_iter().find(|f| f.id == framework_id).ok_or(WebError::NotFound)?;
    let gemeinden: Vec<(String, String)> = members(shop, &c, u).await?.into_iter().filter(|(id, _)| c.org(id).is_some_and(|o| o.view.ags.is_some())).collect();
    let payers: Vec<String> = if u.has(Role::Bundler) { gemeinden.iter().map(|(id, _)| id.clone()).collect() } else { vec![u.principal.org_id.clone()] };
    let costs = cost_rows(shop, &c, &service.detail.service.id, &payers)?;
    let land = c.land(&framework.land).map(|l| l.name.clone()).unwrap_or_else(|| framework.land.clone());
    let status = if errors.is_empty() && problem.is_none() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = AccessionPage {
        layout: layout(shop, format!("Beitritt: {}", service.detail.service.name)).await.with_errors(!errors.is_empty() || problem.is_some()),
        errors,
        problem,
        key,
        action: format!("/onlinedienste/{}/beitritt/{}", service.detail.service.id, framework.id),
        service_id: service.detail.service.id.clone(),
        service: service.detail.service.name.clone(),
        provider: service.detail.service.provider.name.clone(),
        land,
        approved: framework.state == "approved",
        framework,
        costs,
        gemeinden: if gemeinden.is_empty() { gemeinden } else { std::iter::once((String::new(), "Bitte wählen".to_owned())).chain(gemeinden).collect() },
        gemeinde: form.gemeinde,
        confirmed: form.beitritt == "ja",
    };
    render_status(&page, status)
}

/// `GET /onlinedienste/{id}/beitritt/{framework_id}`: the Beitrittserklärung.
pub async fn accession_form(shop: Shop, path: web::Path<(String, String)>) -> Page {
    let (id, fw) = path.into_inner();
    accession_page(&shop, &id, &fw, AccessionForm::default(), Errors::default(), None, uuid::Uuid::new_v4().to_string()).await
}

/// `POST /onlinedienste/{id}/beitritt/{framework_id}`: accedes; the agreement is active at once.
pub async fn accede(shop: Shop, path: web::Path<(String, String)>, body: web::Bytes) -> Page {
    let (id, fw) = path.into_inner();
    let u = shop.require_user()?.clone();
    let submitted = forms::parse::<AccessionForm>(&shop, &body)?;
    let key = submitted.key.clone().unwrap_or_default();
    let form = submitted.value;
    let mut errors = Errors::default();
    let bundler = u.has(Role::Bundler);
    if bundler && form.gemeinde.is_empty() {
        errors.add("gemeinde", "Wählen Sie die Gemeinde, für die Sie den Beitritt erklären.");
    }
    if form.beitritt != "ja" {
        errors.add("beitritt", "Bestätigen Sie, dass Sie den Beitritt erklären: Setzen Sie das Häkchen.");
    }
    if !errors.is_empty() {
        return accession_page(&shop, &id, &fw, form, errors, None, key).await;
    }
    let input = Accession { municipality: bundler.then(|| form.gemeinde.clone()), start_date: None };
    match frameworks::accede(&shop.app, &u.principal, &shop.ctx(Some(&key)), &fw, input).await {
        Ok(created) => {
            let number = created.body()?.get("number").and_then(|n| n.as_str()).map(str::to_owned).ok_or_else(|| WebError::Internal(anyhow::anyhow!("accession without a contract number")))?;
            shop.flash("success", format!("Beitritt erklärt. Der Nachnutzungsvertrag {number} ist aktiv."));
            Ok(see_other(&format!("/vertraege/{number}")))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = Errors::from_api(e, &[("municipality", if bundler { "gemeinde" } else { "beitritt" })], "beitritt")?;
            accession_page(&shop, &id, &fw, form, errors, None, key).await
        }
        Err(ApiError::Forbidden(_)) => {
            let text = "Für diese Gemeinde ist der Beitritt zu diesem Rahmenvertrag nicht möglich: Er gilt nur für Gemeinden seines Landes, und eine bündelnde Organisation tritt nur für ihre Mitglieder bei.";
            accession_page(&shop, &id, &fw, form, Errors::default(), Some(text.into()), key).await
        }
        Err(ApiError::Conflict(m)) => {
            let text = if m.contains("already has an agreement") {
                "Für diese Gemeinde besteht schon ein Vertrag über diesen Onlinedienst. Sie finden ihn unter „Meine Verträge“.".to_owned()
            } else {
                format!("Der Beitritt ist derzeit nicht möglich: {}", forms::german(&m))
            };
            accession_page(&shop, &id, &fw, form, Errors::default(), Some(text), key).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- reuse request ----

#[derive(Template)]
#[template(path = "pages/order/request_form.html")]
pub struct RequestFormPage {
    pub layout: Layout,
    pub errors: Errors,
    pub key: String,
    pub action: String,
    pub service_id: String,
    pub service: String,
    pub provider: String,
    pub costs: Vec<CostRow>,
    /// A bundler's member Gemeinden, ticked as chosen (empty for a Gemeinde's own user).
    pub gemeinden: Vec<MemberChoice>,
    pub notiz: String,
}

/// One member Gemeinde as a checkbox of the `choices` macro.
pub struct MemberChoice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

async fn request_page(shop: &Shop, service_id: &str, notiz: String, chosen: Vec<String>, errors: Errors, key: String) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let service = c.service(service_id).ok_or(WebError::NotFound)?;
    let gemeinden = members(shop, &c, u).await?;
    let payers: Vec<String> = if u.has(Role::Bundler) { gemeinden.iter().map(|(id, _)| id.clone()).collect() } else { vec![u.principal.org_id.clone()] };
    let costs = cost_rows(shop, &c, &service.detail.service.id, &payers)?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = RequestFormPage {
        layout: layout(shop, format!("Nachnutzung anfragen: {}", service.detail.service.name)).await.with_errors(!errors.is_empty()),
        errors,
        key,
        action: format!("/onlinedienste/{}/anfrage", service.detail.service.id),
        service_id: service.detail.service.id.clone(),
        service: service.detail.service.name.clone(),
        provider: service.detail.service.provider.name.clone(),
        costs,
        gemeinden: gemeinden.into_iter().map(|(value, label)| MemberChoice { checked: chosen.contains(&value), value, label }).collect(),
        notiz,
    };
    render_status(&page, status)
}

/// `GET /onlinedienste/{id}/anfrage`: the request form with the costs.
pub async fn request_form(shop: Shop, path: web::Path<String>) -> Page {
    request_page(&shop, &path, String::new(), Vec::new(), Errors::default(), uuid::Uuid::new_v4().to_string()).await
}

/// `POST /onlinedienste/{id}/anfrage`: files the request as a draft, to check and submit next.
pub async fn file_request(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let submitted = forms::parse::<Vec<(String, String)>>(&shop, &body)?;
    let key = submitted.key.clone().unwrap_or_default();
    let notiz = submitted.value.iter().find(|(k, _)| k == "notiz").map(|(_, v)| v.clone()).unwrap_or_default();
    let chosen: Vec<String> = submitted.value.iter().filter(|(k, _)| k == "gemeinden").map(|(_, v)| v.clone()).collect();
    let input = NewReuseRequest { online_service_id: path.clone(), municipalities: chosen.clone(), note: Some(notiz.clone()).filter(|n| !n.trim().is_empty()) };
    match reuse::create_request(&shop.app, &u.principal, &shop.ctx(Some(&key)), input).await {
        Ok(created) => {
            let id = created.body()?.get("id").and_then(|n| n.as_str()).map(str::to_owned).ok_or_else(|| WebError::Internal(anyhow::anyhow!("a request without an id")))?;
            shop.flash("success", "Die Anfrage ist als Entwurf gespeichert. Prüfen Sie sie und reichen Sie sie ein.");
            Ok(see_other(&format!("/anfragen/{id}")))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let fallback = if u.has(Role::Bundler) { "gemeinden" } else { "notiz" };
            let errors = Errors::from_api(e, &[("municipalities", fallback), ("note", "notiz")], "notiz")?;
            request_page(&shop, &path, notiz, chosen, errors, key).await
        }
        Err(e) => Err(e.into()),
    }
}
