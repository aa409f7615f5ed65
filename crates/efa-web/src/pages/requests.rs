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
use efa_domain::reuse::RequestState;
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

/// The recorded steps of a request's timeline, in German.
pub const REQUEST_ACTIONS: &[(&str, &str)] = &[
    ("reuse_request.create", "Als Entwurf angelegt"),
    ("reuse_request.submit", "Eingereicht"),
    ("reuse_request.land_approve", "Vom Land genehmigt"),
    ("reuse_request.land_reject", "Vom Land abgelehnt"),
    ("reuse_request.provider_accept", "Vom Anbieter angenommen, Verträge vorbereitet"),
    ("reuse_request.provider_decline", "Vom Anbieter abgelehnt"),
    ("reuse_request.withdraw", "Zurückgezogen"),
];

/// What a recorded step of a request was, in German (`None`: not a step of the timeline).
pub fn request_action_de(action: &str) -> Option<&'static str> {
    REQUEST_ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, de)| *de)
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
    let (items, total) = reuse::list_requests(&shop.app, &u.principal, efa_store::reuse::ListFilter { states, ..Default::default() }, page).await?;
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
    /// The Land's coordinator may approve or reject (a submitted request).
    pub can_approve: bool,
    pub approve_action: String,
    /// The provider may accept or decline (a request the Land approved).
    pub can_accept: bool,
    /// The terms of use that accepting freezes into the agreements: (version, text).
    pub terms: Option<(String, String)>,
    pub decision: DecisionForm,
}

/// The decision forms' fields (the coordinator's and the provider's), as entered.
#[derive(Deserialize, Default, Clone)]
pub struct DecisionForm {
    #[serde(default)]
    pub begruendung: String,
    #[serde(default)]
    pub beginn: String,
    #[serde(default = "twelve")]
    pub mindestlaufzeit: String,
    #[serde(default = "three")]
    pub kuendigungsfrist: String,
    #[serde(default)]
    pub vorgaenger: String,
}

fn twelve() -> String {
    "12".into()
}

fn three() -> String {
    "3".into()
}

impl DecisionForm {
    fn fresh() -> DecisionForm {
        DecisionForm { mindestlaufzeit: twelve(), kuendigungsfrist: three(), ..Default::default() }
    }
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
    decision: DecisionForm,
    status: StatusCode,
}

impl Shown {
    fn ok() -> Shown {
        Shown { errors: Errors::default(), problem: None, nachricht: String::new(), decision: DecisionForm::fresh(), status: StatusCode::OK }
    }
}

async fn request_page(shop: &Shop, raw_id: &str, shown: Shown) -> Page {
    let u = shop.require_user()?;
    // An address that cannot name a request names none: the 404 page, as for one not visible.
    efa_api::operations::parse_uuid("id", raw_id).map_err(|_| WebError::NotFound)?;
    let c = shop.app.catalogue()?;
    let (r, steps) = reuse::get_request_with_steps(&shop.app, &u.principal, raw_id).await?;
    let may = |s: Step| steps.contains(&s);
    let messages = reuse::messages(&shop.app, &u.principal, &r.id).await?;
    let timeline = timeline(shop, &c, &r).await?;
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
        can_submit: may(Step::Submit),
        can_withdraw: may(Step::Withdraw),
        submit_action: format!("/anfragen/{}/einreichen", r.id),
        withdraw_action: format!("/anfragen/{}/zurueckziehen", r.id),
        can_approve: may(Step::Approve),
        approve_action: format!("/anfragen/{}/genehmigen", r.id),
        can_accept: may(Step::Accept),
        terms: c.service(&r.online_service_id).and_then(|s| s.detail.terms.as_ref()).map(|t| (t.version.clone(), t.text.clone())),
        decision: shown.decision,
    };
    render_status(&page, shown.status)
}

/// `GET /anfragen/{id}`: one request (the 404 page for one the user may not see).
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    request_page(&shop, &path, Shown::ok()).await
}

#[derive(Deserialize)]
pub struct NoFields {}

async fn step(shop: Shop, id: &str, body: &[u8], step: Step, done: &str) -> Page {
    let _ = forms::parse::<NoFields>(&shop, body)?;
    take_step(shop, id, step, Decision::default(), DecisionForm::fresh(), done).await
}

/// Takes `step` through the operation; a refusal of the state machine shows the request as it
/// is now (409), a field error shows the form again with the values entered (400).
async fn take_step(shop: Shop, id: &str, step: Step, d: Decision, entered: DecisionForm, done: &str) -> Page {
    let u = shop.require_user()?.clone();
    match reuse::step(&shop.app, &u.principal, &shop.ctx(None), id, step, d).await {
        Ok(r) => {
            shop.flash("success", done);
            Ok(see_other(&format!("/anfragen/{}", r.id)))
        }
        Err(ApiError::Conflict(_)) => {
            let problem = Some("Die Anfrage wurde inzwischen geändert und ist in diesem Stand dafür nicht mehr bereit. Hier sehen Sie den aktuellen Stand.".to_owned());
            request_page(&shop, id, Shown { problem, status: StatusCode::CONFLICT, ..Shown::ok() }).await
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let fields = [("reason", "begruendung"), ("start_date", "beginn"), ("minimum_term_months", "mindestlaufzeit"), ("notice_months", "kuendigungsfrist"), ("parent_agreement", "vorgaenger")];
            let errors = Errors::from_api(e, &fields, "begruendung")?;
            request_page(&shop, id, Shown { errors, decision: entered, status: StatusCode::BAD_REQUEST, ..Shown::ok() }).await
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
            request_page(&shop, &path, Shown { errors, nachricht: text, status: StatusCode::BAD_REQUEST, ..Shown::ok() }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /anfragen/{id}/genehmigen`: the Land's coordinator approves the request.
pub async fn approve(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    step(shop, &path, &body, Step::Approve, "Die Anfrage ist genehmigt. Als Nächstes entscheidet der Anbieter.").await
}

/// `POST /anfragen/{id}/ablehnen`: the coordinator rejects a submitted request, or the provider
/// declines an approved one — whichever step is the user's now; a reason is required.
pub async fn reject(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let form = forms::parse::<DecisionForm>(&shop, &body)?.value;
    let (_, steps) = reuse::get_request_with_steps(&shop.app, &u.principal, &path).await?;
    let step = if steps.contains(&Step::Decline) { Step::Decline } else { Step::Reject };
    let d = Decision { reason: Some(form.begruendung.clone()), ..Decision::default() };
    take_step(shop, &path, step, d, form, "Die Anfrage ist abgelehnt. Die anfragende Organisation erfährt es mit Ihrer Begründung.").await
}

/// `POST /anfragen/{id}/annehmen`: the provider accepts the approved request: one agreement per
/// Gemeinde with the terms and fees of the published listing frozen, to be signed by both sides.
pub async fn accept(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let form = forms::parse::<DecisionForm>(&shop, &body)?.value;
    let mut errors = Errors::default();
    let start = match form.beginn.trim() {
        "" => None,
        s => match super::parse_date(s) {
            Some(d) => Some(d),
            None => {
                errors.add("beginn", "Geben Sie den Vertragsbeginn als Datum ein, zum Beispiel 01.07.2027.");
                None
            }
        },
    };
    let mut months = |field: &str, raw: &str, what: &str| match raw.trim().parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(field, format!("Geben Sie die {what} als ganze Zahl von Monaten ein."));
            None
        }
    };
    let minimum = months("mindestlaufzeit", &form.mindestlaufzeit, "Mindestlaufzeit");
    let notice = months("kuendigungsfrist", &form.kuendigungsfrist, "Kündigungsfrist");
    if !errors.is_empty() {
        return request_page(&shop, &path, Shown { errors, decision: form, status: StatusCode::BAD_REQUEST, ..Shown::ok() }).await;
    }
    let parent = Some(form.vorgaenger.trim().to_owned()).filter(|v| !v.is_empty());
    let d = Decision { reason: None, start_date: start, minimum_term_months: minimum, notice_months: notice, parent_agreement: parent };
    take_step(shop, &path, Step::Accept, d, form, "Die Anfrage ist angenommen. Die Nachnutzungsverträge sind vorbereitet und warten auf die Unterschriften.").await
}
