//! "Meine Anfragen": the user's reuse requests, one request with its timeline, costs,
//! agreements and the Abstimmung (messages); submitting and withdrawing a draft.

use super::pager::Pager;
use super::order::{cost_rows, org_name, service_name, CostRow, };
use super::{date, datetime, layout, render, render_status, urlencode, Page};
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
use efa_api::operations::reuse::{self, Decision, NewMessage, ReuseRequest, Step};
use efa_domain::reuse::{next_state, RequestAction, RequestState};
use serde::Deserialize;

/// Requests per page.
const PER_PAGE: u32 = 20;

/// A request's state as people read it.
pub fn request_state_de(s: RequestState) -> &'static str {
    match s {
        RequestState::Draft => "Entwurf",
        RequestState::Submitted => "Eingereicht",
        RequestState::LandApproved => "Vom Land genehmigt",
        RequestState::LandRejected => "Vom Land abgelehnt",
        RequestState::ProviderAccepted => "Vom Anbieter angenommen",
        RequestState::ProviderDeclined => "Abgelehnt",
        RequestState::AgreementPending => "Vertrag in Vorbereitung",
        RequestState::Active => "Aktiv",
        RequestState::Live => "Live",
        RequestState::Terminated => "Beendet",
        RequestState::Withdrawn => "Zurückgezogen",
    }
}

/// What a recorded step of a request was, in German (`None`: not a step of the timeline).
pub fn request_action_de(action: &str) -> Option<&'static str> {
    Some(match action {
        "reuse_request.create" => "Als Entwurf angelegt",
        "reuse_request.submit" => "Eingereicht",
        "reuse_request.land_approve" => "Vom Land genehmigt",
        "reuse_request.land_reject" => "Vom Land abgelehnt",
        "reuse_request.provider_accept" => "Vom Anbieter angenommen, Verträge vorbereitet",
        "reuse_request.provider_decline" => "Vom Anbieter abgelehnt",
        "reuse_request.withdraw" => "Zurückgezogen",
        _ => return None,
    })
}

fn state_of(r: &ReuseRequest) -> &'static str {
    request_state_de(r.state)
}

// ---- the list ----

/// The query of my lists (requests, agreements): a state and a page.
#[derive(Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub seite: Option<String>,
}

impl ListQuery {
    /// The pager of the list at `path` with this query's state over `total` records.
    pub fn pager(&self, path: &str, page: efa_api::params::Page, total: usize) -> Pager {
        let query = match self.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => format!("status={}", urlencode(s)),
            None => String::new(),
        };
        Pager::new(path, &query, "seite", page.page, page.last(total))
    }
}

pub struct RequestRow {
    pub id: String,
    pub service: String,
    pub gemeinden: String,
    pub state: &'static str,
    pub date: String,
}

#[derive(Template)]
#[template(path = "pages/order/requests.html")]
pub struct RequestsPage {
    pub layout: Layout,
    /// The filter has no errors (the select macro asks).
    pub errors: Errors,
    pub rows: Vec<RequestRow>,
    pub total: usize,
    pub states: Vec<(String, String)>,
    pub status: String,
    pub pager: Pager,
}

/// The page number of `?seite=` (from 1).
pub fn page_number(raw: Option<&str>) -> Result<u32, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| WebError::BadRequest(format!("page {s:?}"))),
    }
}

/// `GET /anfragen`: my requests, newest first, filtered by state.
pub async fn list(shop: Shop, q: web::Query<ListQuery>) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let status = q.status.clone().unwrap_or_default();
    let states = match status.as_str() {
        "" => Vec::new(),
        s => vec![RequestState::parse(s).map_err(|e| WebError::BadRequest(e.to_string()))?.as_str().to_owned()],
    };
    let page = efa_api::params::Page { page: page_number(q.seite.as_deref())?, per_page: PER_PAGE };
    let (items, total) = reuse::list_requests(&shop.app, &u.principal, efa_store::reuse::ListFilter { states, online_service: None }, page).await?;
    let rows = items
        .iter()
        .map(|r| RequestRow {
            id: r.id.clone(),
            service: service_name(&c, &r.online_service_id),
            gemeinden: r.municipalities.iter().map(|m| org_name(&c, m)).collect::<Vec<_>>().join(", "),
            state: state_of(r),
            date: date(efa_domain::calendar::date_at(r.created_at)),
        })
        .collect();
    let options = std::iter::once((String::new(), "Alle Stände".to_owned())).chain(RequestState::ALL.iter().map(|s| (s.as_str().to_owned(), request_state_de(*s).to_owned()))).collect();
    let pager = q.pager("/anfragen", page, total);
    let p = RequestsPage { layout: layout(&shop, "Meine Anfragen").await, errors: Errors::default(), rows, total, states: options, status, pager };
    render(&p)
}

// ---- one request ----

pub struct TimelineEntry {
    pub when: String,
    pub who: String,
    pub what: String,
    pub reason: Option<String>,
}

pub struct MessageView {
    pub author: String,
    pub when: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "pages/order/request.html")]
pub struct RequestPage {
    pub layout: Layout,
    pub errors: Errors,
    pub problem: Option<String>,
    pub key: String,
    pub id: String,
    pub service_id: String,
    pub service: String,
    pub requester: String,
    pub land: String,
    pub gemeinden: Vec<String>,
    pub state: &'static str,
    pub state_key: &'static str,
    pub note: Option<String>,
    pub decision_reason: Option<String>,
    pub created: String,
    pub updated: String,
    pub timeline: Vec<TimelineEntry>,
    pub costs: Vec<CostRow>,
    pub agreements: Vec<String>,
    pub messages: Vec<MessageView>,
    pub nachricht: String,
    pub can_submit: bool,
    pub can_withdraw: bool,
    pub submit_action: String,
    pub withdraw_action: String,
}

/// Who did something: the person (a development login by its role) and the organisation.
pub fn actor(c: &Catalogue, subject: &str, org: Option<&str>) -> String {
    let person = super::order::who(c, subject);
    match org {
        Some(o) if !person.contains(&org_name(c, o)) => format!("{person}, {}", org_name(c, o)),
        _ => person,
    }
}

/// The decisions on a request, oldest first: from the audit log where the user's
/// organisation may read it, else from the request's own dates.
async fn timeline(shop: &Shop, c: &Catalogue, r: &ReuseRequest) -> Result<Vec<TimelineEntry>, WebError> {
    let u = shop.require_user()?;
    let query = efa_store::audit::AuditQuery { resource_id: Some(r.id.clone()), limit: 200, ..Default::default() };
    let (events, _) = efa_api::operations::audit::events(&shop.app, &u.principal, query).await?;
    let mut out: Vec<TimelineEntry> = events
        .iter()
        .rev()
        .filter_map(|e| {
            let what = request_action_de(&e.action)?;
            let reason = e.after.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()).and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned));
            Some(TimelineEntry { when: datetime(chrono::DateTime::from_naive_utc_and_offset(e.occurred_at, chrono::Utc)), who: actor(c, &e.actor, e.actor_org_id.as_deref()), what: what.to_owned(), reason })
        })
        .collect();
    if out.is_empty() {
        out.push(TimelineEntry { when: datetime(r.created_at), who: org_name(c, &r.requester_org_id), what: "Als Entwurf angelegt".into(), reason: None });
        if r.updated_at != r.created_at {
            out.push(TimelineEntry { when: datetime(r.updated_at), who: String::new(), what: state_of(r).into(), reason: r.decision_reason.clone() });
        }
    }
    Ok(out)
}

struct Shown {
    errors: Errors,
    problem: Option<String>,
    nachricht: String,
    status: StatusCode,
}

async fn request_page(shop: &Shop, raw_id: &str, shown: Shown) -> Page {
    let u = shop.require_user()?;
    // An address that cannot name a request names none: the 404 page, as for one not visible.
    efa_api::operations::parse_uuid("id", raw_id).map_err(|_| WebError::NotFound)?;
    let c = shop.app.catalogue()?;
    let r = reuse::get_request(&shop.app, &u.principal, raw_id).await?;
    let messages = reuse::messages(&shop.app, &u.principal, &r.id).await?;
    let timeline = timeline(shop, &c, &r).await?;
    let own = r.requester_org_id == u.principal.org_id;
    let has_errors = !shown.errors.is_empty();
    let page = RequestPage {
        layout: layout(shop, format!("Anfrage: {}", service_name(&c, &r.online_service_id))).await.with_errors(has_errors || shown.problem.is_some()),
        errors: shown.errors,
        problem: shown.problem,
        key: uuid::Uuid::new_v4().to_string(),
        id: r.id.clone(),
        service_id: r.online_service_id.clone(),
        service: service_name(&c, &r.online_service_id),
        requester: org_name(&c, &r.requester_org_id),
        land: c.land(&r.land).map(|l| l.name.clone()).unwrap_or_else(|| r.land.clone()),
        gemeinden: r.municipalities.iter().map(|m| org_name(&c, m)).collect(),
        state: state_of(&r),
        state_key: r.state.as_str(),
        note: r.note.clone(),
        decision_reason: r.decision_reason.clone(),
        created: datetime(r.created_at),
        updated: datetime(r.updated_at),
        timeline,
        costs: cost_rows(shop, &c, &r.online_service_id, &r.municipalities)?,
        agreements: r.agreements.clone(),
        messages: messages.into_iter().map(|m| MessageView { author: actor(&c, &m.author, Some(&m.author_org_id)), when: datetime(m.created_at), body: m.body }).collect(),
        nachricht: shown.nachricht,
        can_submit: own && next_state(r.state, RequestAction::Submit).is_ok(),
        can_withdraw: own && next_state(r.state, RequestAction::Withdraw).is_ok(),
        submit_action: format!("/anfragen/{}/einreichen", r.id),
        withdraw_action: format!("/anfragen/{}/zurueckziehen", r.id),
    };
    render_status(&page, shown.status)
}

/// `GET /anfragen/{id}`: one request (the 404 page for one the user may not see).
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    request_page(&shop, &path, Shown { errors: Errors::default(), problem: None, nachricht: String::new(), status: StatusCode::OK }).await
}

#[derive(Deserialize)]
pub struct NoFields {}

async fn step(shop: Shop, id: &str, body: &[u8], step: Step, done: &str) -> Page {
    let u = shop.require_user()?.clone();
    let _ = forms::parse::<NoFields>(&shop, body)?;
    match reuse::step(&shop.app, &u.principal, &shop.ctx(None), id, step, Decision::default()).await {
        Ok(r) => {
            shop.flash("success", done);
            Ok(see_other(&format!("/anfragen/{}", r.id)))
        }
        Err(ApiError::Conflict(_)) => {
            let problem = Some("Die Anfrage wurde inzwischen geändert und ist in diesem Stand dafür nicht mehr bereit. Hier sehen Sie den aktuellen Stand.".to_owned());
            request_page(&shop, id, Shown { errors: Errors::default(), problem, nachricht: String::new(), status: StatusCode::CONFLICT }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /anfragen/{id}/einreichen`: submits the draft to the Land's coordinator.
pub async fn submit(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    step(shop, &path, &body, Step::Submit, "Die Anfrage ist eingereicht. Als Nächstes entscheidet die Landeskoordination.").await
}

/// `POST /anfragen/{id}/zurueckziehen`: withdraws the request.
pub async fn withdraw(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    step(shop, &path, &body, Step::Withdraw, "Die Anfrage ist zurückgezogen.").await
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    nachricht: String,
}

/// `POST /anfragen/{id}/nachrichten`: writes a message of the Abstimmung.
pub async fn write_message(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let submitted = forms::parse::<MessageForm>(&shop, &body)?;
    let text = submitted.value.nachricht;
    match reuse::create_message(&shop.app, &u.principal, &shop.ctx(submitted.key.as_deref()), &path, NewMessage { body: text.clone() }).await {
        Ok(_) => {
            shop.flash("success", "Ihre Nachricht ist gesendet.");
            Ok(see_other(&format!("/anfragen/{}#nachrichten", path.as_str())))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let mut errors = Errors::from_api(e, &[("body", "nachricht")], "nachricht")?;
            // The operation's "1 to 10000 characters", said more plainly for an empty one.
            if text.trim().is_empty() {
                errors = Errors::default();
                errors.add("nachricht", "Geben Sie eine Nachricht ein.");
            }
            request_page(&shop, &path, Shown { errors, problem: None, nachricht: text, status: StatusCode::BAD_REQUEST }).await
        }
        Err(e) => Err(e.into()),
    }
}
