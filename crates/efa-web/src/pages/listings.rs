//! "Meine Onlinedienste": the provider publisher's listings — the list with what goes on with
//! each, creating and editing with every field (a stale edit shows both versions), one
//! listing with its versions and decisions, submitting for review and retiring. Every rule
//! runs in [`efa_api::operations::listings`], the same as the API's.

use super::listing_form::{diff, lines, Choices, DiffLine, Line, ListingForm, AMOUNTS};
use super::requests::actor;
use super::{datetime, layout, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::catalogue::Catalogue;
use efa_api::error::ApiError;
use efa_api::operations::listings::{self as op, Change, Cursor, Listing, ListingFilter};
use efa_domain::listing::{transition, ListingAction, ListingState};
use efa_domain::Role;
use serde::Deserialize;

/// Listings per page.
pub const PER_PAGE: u32 = 20;

/// A listing's state as people read it.
pub fn listing_state_de(s: ListingState) -> &'static str {
    match s {
        ListingState::Draft => "Entwurf",
        ListingState::InReview => "In Prüfung",
        ListingState::Published => "Veröffentlicht",
        ListingState::Retired => "Stillgelegt",
    }
}

/// What a recorded step of a listing was, in German (`None`: not a step of the timeline).
pub fn listing_action_de(action: &str) -> Option<&'static str> {
    Some(match action {
        "listing.create" => "Als Entwurf angelegt",
        "listing.update" => "Geändert",
        "listing.submit" => "Zur Prüfung eingereicht",
        "listing.approve" => "Freigegeben und veröffentlicht",
        "listing.reject" => "Mit Begründung zurückgegeben",
        "listing.retire" => "Stillgelegt",
        _ => return None,
    })
}

/// A recorded decision on a listing: what, when, who, why.
pub struct Decision {
    pub what: &'static str,
    pub when: String,
    pub who: String,
    pub reason: Option<String>,
}

/// The decisions on a listing, oldest first, from the audit log (as far as the user may read it).
pub async fn decisions(shop: &Shop, c: &Catalogue, id: &str) -> Result<Vec<Decision>, WebError> {
    let u = shop.require_user()?;
    let query = efa_store::audit::AuditQuery { resource_id: Some(id.to_owned()), limit: 200, ..Default::default() };
    let (events, _) = efa_api::operations::audit::events(&shop.app, &u.principal, query).await?;
    Ok(events
        .iter()
        .rev()
        .filter_map(|e| {
            let what = listing_action_de(&e.action)?;
            let reason = e.after.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()).and_then(|v| v.get("review_note").and_then(|r| r.as_str()).map(str::to_owned));
            Some(Decision { what, when: datetime(chrono::DateTime::from_naive_utc_and_offset(e.occurred_at, chrono::Utc)), who: actor(c, &e.actor, e.actor_org_id.as_deref()), reason })
        })
        .collect())
}

/// A listing's address in the shop, or the 404 page for one that cannot be.
fn listing_id(raw: &str) -> Result<String, WebError> {
    efa_api::operations::parse_uuid("id", raw).map_err(|_| WebError::NotFound)
}

// ---- the list ----

#[derive(Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Where the page starts (the cursor of the last line of the previous page).
    pub nach: Option<String>,
}

pub struct ListingRow {
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub version: String,
    pub requests: i64,
    pub agreements: i64,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "pages/listings/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub errors: Errors,
    pub rows: Vec<ListingRow>,
    pub total: usize,
    pub states: Vec<(String, String)>,
    pub status: String,
    pub next: Option<String>,
    pub can_create: bool,
}

/// The state of `?status=` (empty: all).
pub fn state_param(raw: Option<&str>) -> Result<Option<ListingState>, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => ListingState::parse(s).map(Some).map_err(|e| WebError::BadRequest(e.to_string())),
    }
}

/// The cursor of `?nach=`.
pub fn cursor_param(raw: Option<&str>) -> Result<Option<Cursor>, WebError> {
    raw.map(str::trim).filter(|s| !s.is_empty()).map(|s| Cursor::parse(s).map_err(|_| WebError::BadRequest("cursor".into()))).transpose()
}

/// The link to the page after `next` of a list at `path` with the state `status`.
pub fn next_href(path: &str, status: &str, next: Option<String>) -> Option<String> {
    next.map(|n| if status.is_empty() { format!("{path}?nach={}", super::urlencode(&n)) } else { format!("{path}?status={}&nach={}", super::urlencode(status), super::urlencode(&n)) })
}

/// `GET /angebote`: my organisation's listings, the last changed first.
pub async fn list(shop: Shop, q: web::Query<ListQuery>) -> Page {
    let u = shop.require_user()?.clone();
    let state = state_param(q.status.as_deref())?;
    let page = op::list(&shop.app, &u.principal, ListingFilter { state }, cursor_param(q.nach.as_deref())?, PER_PAGE).await?;
    let usage = op::usage(&shop.app, &u.principal, page.items.iter().map(|l| l.id.clone()).collect()).await?;
    let rows = page
        .items
        .iter()
        .zip(usage)
        .map(|(l, (_, requests, agreements))| ListingRow {
            id: l.id.clone(),
            name: l.name.clone(),
            state: listing_state_de(l.listing_state),
            version: l.published_version.map(|v| format!("Version {v}")).unwrap_or_else(|| "Noch nicht veröffentlicht".into()),
            requests,
            agreements,
            updated: datetime(l.updated_at),
        })
        .collect();
    let status = state.map(|s| s.as_str().to_owned()).unwrap_or_default();
    let states = std::iter::once((String::new(), "Alle Stände".to_owned())).chain(ListingState::ALL.iter().map(|s| (s.as_str().to_owned(), listing_state_de(*s).to_owned()))).collect();
    let p = ListPage {
        layout: layout(&shop, "Meine Onlinedienste").await,
        errors: Errors::default(),
        rows,
        total: page.total,
        states,
        next: next_href("/angebote", &status, page.next_cursor),
        status,
        can_create: u.has(Role::ProviderPublisher),
    };
    render(&p)
}

// ---- the form: create and edit ----

#[derive(Template)]
#[template(path = "pages/listings/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub errors: Errors,
    pub heading: String,
    pub action: String,
    pub button: &'static str,
    pub key: String,
    pub form: ListingForm,
    pub choices: Choices,
    pub amounts: Vec<(&'static str, &'static str, String)>,
    /// A stale edit: what the listing says now, line by line beside what was entered.
    pub conflict: Option<Vec<DiffLine>>,
}

struct Shown {
    errors: Errors,
    conflict: Option<Vec<DiffLine>>,
    status: StatusCode,
}

impl Shown {
    fn fresh() -> Shown {
        Shown { errors: Errors::default(), conflict: None, status: StatusCode::OK }
    }
    fn failed(errors: Errors) -> Shown {
        Shown { errors, conflict: None, status: StatusCode::BAD_REQUEST }
    }
}

async fn form_page(shop: &Shop, heading: String, action: String, button: &'static str, key: String, form: ListingForm, shown: Shown) -> Page {
    let c = shop.app.catalogue()?;
    let failed = !shown.errors.is_empty() || shown.conflict.is_some();
    let amounts = AMOUNTS.iter().zip(&form.betraege).map(|((field, _, label), value)| (*field, *label, value.clone())).collect();
    let page = FormPage {
        layout: layout(shop, heading.clone()).await.with_errors(failed),
        errors: shown.errors,
        heading,
        action,
        button,
        key,
        choices: Choices::of(&c, &form),
        amounts,
        form,
        conflict: shown.conflict,
    };
    render_status(&page, shown.status)
}


/// `GET /angebote/neu`: the form for a new listing.
pub async fn new_form(shop: Shop) -> Page {
    shop.require_user()?;
    let criteria = shop.web.criteria(&shop.app).await?;
    form_page(&shop, "Neuer Onlinedienst".into(), "/angebote/neu".into(), "Als Entwurf speichern", uuid::Uuid::new_v4().to_string(), ListingForm::new(&criteria), Shown::fresh()).await
}

/// `POST /angebote/neu`: creates the listing as a draft of the user's organisation.
pub async fn create(shop: Shop, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let criteria = shop.web.criteria(&shop.app).await?;
    let submitted = forms::parse::<Vec<(String, String)>>(&shop, &body)?;
    let (fields, key) = (submitted.value, submitted.key.unwrap_or_default());
    let form = ListingForm::from_pairs(&fields, &criteria);
    let (json, local) = form.to_body(&u.principal.org_id);
    let again = |form: ListingForm, errors: Errors| form_page(&shop, "Neuer Onlinedienst".into(), "/angebote/neu".into(), "Als Entwurf speichern", key.clone(), form, Shown::failed(errors));
    let outcome = if local.is_empty() { op::create_listing(&shop.app, &u.principal, &shop.ctx(Some(&key)), &json).await.map(Some) } else { op::check(&shop.app, &json).await.map(|_| None) };
    match outcome {
        Ok(Some(created)) => {
            let id = created.body()?.get("id").and_then(|n| n.as_str()).map(str::to_owned).ok_or_else(|| WebError::Internal(anyhow::anyhow!("a listing without an id")))?;
            shop.flash("success", "Der Onlinedienst ist als Entwurf gespeichert. Prüfen Sie ihn und reichen Sie ihn zur Prüfung ein.");
            Ok(see_other(&format!("/angebote/{id}")))
        }
        Ok(None) => again(form, local).await,
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = form.errors(e, &json, local)?;
            again(form, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /angebote/{id}/bearbeiten`: the working copy in the form.
pub async fn edit_form(shop: Shop, path: web::Path<String>) -> Page {
    let u = shop.require_user()?.clone();
    let id = listing_id(&path)?;
    let l = op::get_listing(&shop.app, &u.principal, &id).await?;
    editable(&l)?;
    let criteria = shop.web.criteria(&shop.app).await?;
    let form = ListingForm::from_content(&l.content, &criteria, l.revision);
    form_page(&shop, format!("Bearbeiten: {}", name_of(&l)), format!("/angebote/{id}/bearbeiten"), "Änderungen speichern", String::new(), form, Shown::fresh()).await
}

/// A listing that cannot be edited in its state is a conflict page.
fn editable(l: &Listing) -> Result<(), WebError> {
    transition(l.listing_state, ListingAction::Edit).map(|_| ()).map_err(|e| WebError::Conflict(e.to_string()))
}

fn name_of(l: &Listing) -> String {
    l.content.get("name").and_then(|n| n.as_str()).unwrap_or("Onlinedienst").to_owned()
}

/// `POST /angebote/{id}/bearbeiten`: saves the edit, made from the revision in the form. When
/// someone else saved meanwhile, nothing is overwritten: 409, both versions, values kept.
pub async fn update(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let id = listing_id(&path)?;
    let criteria = shop.web.criteria(&shop.app).await?;
    let fields = forms::parse::<Vec<(String, String)>>(&shop, &body)?.value;
    let mut form = ListingForm::from_pairs(&fields, &criteria);
    let current = op::get_listing(&shop.app, &u.principal, &id).await?;
    let heading = format!("Bearbeiten: {}", name_of(&current));
    let action = format!("/angebote/{id}/bearbeiten");
    let expected = form.revision.trim().parse::<i32>().map_err(|_| WebError::BadRequest("revision".into()))?;
    let (json, local) = form.to_body(&current_org(&current));
    let outcome = if local.is_empty() { op::update_listing(&shop.app, &u.principal, &shop.ctx(None), &id, Some(expected), Change::Replace(json.clone())).await.map(Some) } else { op::check(&shop.app, &json).await.map(|_| None) };
    match outcome {
        Ok(Some(_)) => {
            shop.flash("success", "Ihre Änderungen sind gespeichert. Der Onlinedienst ist wieder ein Entwurf, bis Sie ihn zur Prüfung einreichen.");
            Ok(see_other(&format!("/angebote/{id}")))
        }
        Ok(None) => form_page(&shop, heading, action, "Änderungen speichern", String::new(), form, Shown::failed(local)).await,
        Err(ApiError::PreconditionFailed) => {
            // Both versions: what was entered and what the listing says now. The form keeps the
            // entries and now carries the current revision: saving again applies them knowingly.
            let c = shop.app.catalogue()?;
            let now = op::get_listing(&shop.app, &u.principal, &id).await?;
            let conflict = diff(&lines(&now.content, &c, &criteria), &lines(&json, &c, &criteria));
            form.revision = now.revision.to_string();
            form_page(&shop, heading, action, "Meine Eingaben trotzdem speichern", String::new(), form, Shown { errors: Errors::default(), conflict: Some(conflict), status: StatusCode::CONFLICT }).await
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = form.errors(e, &json, local)?;
            form_page(&shop, heading, action, "Änderungen speichern", String::new(), form, Shown::failed(errors)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The provider organisation of a working copy.
fn current_org(l: &Listing) -> String {
    l.content.get("provider_org_id").and_then(|o| o.as_str()).unwrap_or_default().to_owned()
}

// ---- one listing ----

pub struct VersionRow {
    pub version: i32,
    pub published: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "pages/listings/show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub errors: Errors,
    pub problem: Option<String>,
    pub id: String,
    pub name: String,
    pub state: &'static str,
    pub state_key: &'static str,
    pub revision: i32,
    pub review_note: Option<String>,
    pub updated: String,
    pub lines: Vec<Line>,
    pub versions: Vec<VersionRow>,
    pub decisions: Vec<Decision>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_retire: bool,
    pub retire_confirmed: bool,
    /// Retired OZG-Leistungen the listing links: (OZG-ID, name, successor (id, name)).
    pub flags: Vec<(i32, String, Option<(i32, String)>)>,
}

async fn show_page(shop: &Shop, raw_id: &str, errors: Errors, problem: Option<String>, status: StatusCode) -> Page {
    let u = shop.require_user()?.clone();
    let id = listing_id(raw_id)?;
    let l = op::get_listing(&shop.app, &u.principal, &id).await?;
    let c = shop.app.catalogue()?;
    let criteria = shop.web.criteria(&shop.app).await?;
    let versions = op::published_versions(&shop.app, Some(u.principal.clone()), &id).await?;
    let publisher = u.has(Role::ProviderPublisher) && current_org(&l) == u.principal.org_id;
    let page = ShowPage {
        layout: layout(shop, name_of(&l)).await.with_errors(!errors.is_empty() || problem.is_some()),
        errors,
        problem,
        name: name_of(&l),
        state: listing_state_de(l.listing_state),
        state_key: l.listing_state.as_str(),
        revision: l.revision,
        review_note: l.review_note.clone(),
        updated: datetime(l.updated_at),
        lines: lines(&l.content, &c, &criteria),
        versions: versions.iter().map(|v| VersionRow { version: v.version, published: datetime(v.published_at), by: actor(&c, &v.approved_by, None) }).collect(),
        decisions: decisions(shop, &c, &id).await?,
        can_edit: publisher && transition(l.listing_state, ListingAction::Edit).is_ok(),
        can_submit: publisher && transition(l.listing_state, ListingAction::Submit).is_ok(),
        can_retire: (publisher || u.has(Role::Operator)) && transition(l.listing_state, ListingAction::Retire).is_ok(),
        retire_confirmed: false,
        flags: l
            .flags
            .iter()
            .map(|f| {
                let name = |id: i32| c.ozg(id).map(|o| o.view.name.clone()).unwrap_or_default();
                (f.ozg_id, name(f.ozg_id), f.successor_ozg_id.map(|s| (s, name(s))))
            })
            .collect(),
        id,
    };
    render_status(&page, status)
}

/// `GET /angebote/{id}`: the working copy, its state and review note, versions and decisions.
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    show_page(&shop, &path, Errors::default(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub stilllegen: String,
}

/// The revision a state-changing form was made from.
pub fn revision_of(raw: &str) -> Result<Option<i32>, WebError> {
    match raw.trim() {
        "" => Ok(None),
        r => r.parse::<i32>().map(Some).map_err(|_| WebError::BadRequest("revision".into())),
    }
}

/// The answer to a state change refused because the listing changed meanwhile or is in
/// another state: the page again, with the current state and a problem.
pub const CHANGED_MEANWHILE: &str = "Der Onlinedienst wurde inzwischen geändert oder ist in diesem Stand dafür nicht mehr bereit. Hier sehen Sie den aktuellen Stand.";

/// A provider's state change (submit, retire) from revision `revision` of the form: 303 to
/// the listing with `done`, or the page again with the current state.
async fn step(shop: &Shop, id: &str, action: ListingAction, revision: &str, done: &str) -> Page {
    let u = shop.require_user()?.clone();
    match op::change_state(&shop.app, &u.principal, &shop.ctx(None), id, action, revision_of(revision)?, None).await {
        Ok(_) => {
            shop.flash("success", done);
            Ok(see_other(&format!("/angebote/{id}")))
        }
        Err(ApiError::PreconditionFailed | ApiError::Conflict(_)) => show_page(shop, id, Errors::default(), Some(CHANGED_MEANWHILE.into()), StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /angebote/{id}/einreichen`: sends the draft to the operators' review.
pub async fn submit(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    shop.require_user()?;
    let f = forms::parse::<StepForm>(&shop, &body)?.value;
    let id = listing_id(&path)?;
    let done = "Der Onlinedienst ist zur Prüfung eingereicht. Der Betrieb des Marktplatzes prüft ihn und gibt ihn frei oder gibt ihn mit einer Begründung zurück.";
    step(&shop, &id, ListingAction::Submit, &f.revision, done).await
}

/// `POST /angebote/{id}/stilllegen`: withdraws the listing from the catalogue, once confirmed.
pub async fn retire(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    shop.require_user()?;
    let f = forms::parse::<StepForm>(&shop, &body)?.value;
    let id = listing_id(&path)?;
    if f.stilllegen != "ja" {
        let mut errors = Errors::default();
        errors.add("stilllegen", "Bestätigen Sie, dass Sie den Onlinedienst stilllegen: Setzen Sie das Häkchen.");
        return show_page(&shop, &id, errors, None, StatusCode::BAD_REQUEST).await;
    }
    let done = "Der Onlinedienst ist stillgelegt. Er erscheint nicht mehr im Katalog; bestehende Verträge bleiben bestehen.";
    step(&shop, &id, ListingAction::Retire, &f.revision, done).await
}
