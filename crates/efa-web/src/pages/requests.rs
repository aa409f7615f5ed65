//! "Meine Anfragen": the user's reuse requests, one request with its timeline, costs,
//! agreements and the Abstimmung (messages); submitting and withdrawing a draft.

use super::pager::Pager;
use super::order::{cost_rows, org_name, service_name, CostRow, };
use super::{date, datetime, layout, render_status, urlencode, Page};
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

/// The query of the lists (requests, agreements): a state, a page; for the requests also a
/// service (by name), a Kreis and the order.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub seite: Option<String>,
    pub dienst: Option<String>,
    pub kreis: Option<String>,
    pub reihenfolge: Option<String>,
}

impl ListQuery {
    /// The pager of the list at `path` with this query's filters over `total` records.
    pub fn pager(&self, path: &str, page: efa_api::params::Page, total: usize) -> Pager {
        let query = [("status", &self.status), ("dienst", &self.dienst), ("kreis", &self.kreis), ("reihenfolge", &self.reihenfolge)]
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|v| format!("{k}={}", urlencode(v))))
            .collect::<Vec<_>>()
            .join("&");
        Pager::new(path, &query, "seite", page.page, page.last(total))
    }
}

pub struct RequestRow {
    pub id: String,
    pub service: String,
    /// The list filtered to this row's service.
    pub service_filter: String,
    /// Who asked: the Gemeinde, the Kreis or the bundler.
    pub requester: String,
    pub gemeinden: String,
    pub state: &'static str,
    pub date: String,
    /// What the Gemeinden pay this year (estimate from the listing's prices).
    pub cost: String,
    pub messages: i64,
}

#[derive(Template)]
#[template(path = "pages/order/requests.html")]
pub struct RequestsPage {
    pub layout: Layout,
    pub errors: Errors,
    pub rows: Vec<RequestRow>,
    pub total: usize,
    pub states: Vec<(String, String)>,
    pub status: String,
    /// The inbox of a coordinator or provider (filters by service and Kreis, the requester shown).
    pub inbox: bool,
    pub heading: &'static str,
    pub dienst: String,
    pub kreis: String,
    pub kreise: Vec<(String, String)>,
    pub reihenfolge: String,
    pub orders: Vec<(String, String)>,
    pub pager: Pager,
}

/// The page number of `?seite=` (from 1).
pub fn page_number(raw: Option<&str>) -> Result<u32, WebError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| WebError::BadRequest(format!("page {s:?}"))),
    }
}

/// The published service a name typed into the filter means: its exact name, else the one
/// service whose name contains it (folded); otherwise the message for the field.
fn service_named(c: &Catalogue, typed: &str) -> Result<String, String> {
    let want = efa_domain::fold(typed);
    let folded = |s: &efa_api::catalogue::ServiceEntry| efa_domain::fold(&s.detail.service.name);
    if let Some(s) = c.services.iter().find(|s| folded(s) == want) {
        return Ok(s.detail.service.id.clone());
    }
    let matching: Vec<&efa_api::catalogue::ServiceEntry> = c.services.iter().filter(|s| folded(s).contains(&want)).map(|s| s.as_ref()).take(6).collect();
    match matching.as_slice() {
        [] => Err(format!("Kein Onlinedienst heißt „{}“ oder enthält es im Namen.", typed.trim())),
        [one] => Ok(one.detail.service.id.clone()),
        many => Err(format!("Mehrere Onlinedienste passen, zum Beispiel {}. Geben Sie den Namen genauer ein.", many.iter().take(5).map(|s| format!("„{}“", s.detail.service.name)).collect::<Vec<_>>().join(", "))),
    }
}

/// `GET /anfragen`: a municipality's own requests, newest first; for a Land's coordinator the
/// Land's requests and for a provider those for its services — oldest first, filtered by
/// state, service and Kreis. Bad filters: the page with the message at the field (400).
pub async fn list(shop: Shop, q: web::Query<ListQuery>) -> Page {
    use efa_store::reuse::Order;
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let inbox = !u.orders() && (u.has(efa_domain::Role::LandCoordinator) || u.has(efa_domain::Role::ProviderPublisher) || u.has(efa_domain::Role::Operator));
    let mut errors = Errors::default();
    let status = q.status.clone().unwrap_or_default();
    let states = match status.as_str() {
        "" => Vec::new(),
        s => vec![RequestState::parse(s).map_err(|e| WebError::BadRequest(e.to_string()))?.as_str().to_owned()],
    };
    let dienst = q.dienst.as_deref().unwrap_or("").trim().to_owned();
    let online_service = match dienst.as_str() {
        "" => None,
        d if uuid::Uuid::parse_str(d).is_ok() => Some(d.to_owned()),
        d => match service_named(&c, d) {
            Ok(id) => Some(id),
            Err(m) => {
                errors.add("dienst", m);
                None
            }
        },
    };
    let kreis = q.kreis.as_deref().unwrap_or("").trim().to_owned();
    if !kreis.is_empty() && c.kreis(&kreis).is_none() {
        errors.add("kreis", "Wählen Sie einen Kreis aus der Liste.");
    }
    let reihenfolge = q.reihenfolge.as_deref().unwrap_or(if inbox { "aelteste" } else { "neueste" }).to_owned();
    let order = match reihenfolge.as_str() {
        "aelteste" => Order::OldestFirst,
        "neueste" => Order::NewestFirst,
        _ => return Err(WebError::BadRequest(format!("order {reihenfolge:?}"))),
    };
    let page = efa_api::params::Page { page: page_number(q.seite.as_deref())?, per_page: PER_PAGE };
    let (items, total) = if errors.is_empty() {
        let filter = efa_store::reuse::ListFilter { states, online_service, kreis: Some(kreis.clone()).filter(|k| !k.is_empty()), order, after: None };
        reuse::list_requests(&shop.app, &u.principal, filter, page).await?
    } else {
        (Vec::new(), 0)
    };
    let mut rows = Vec::with_capacity(items.len());
    for r in &items {
        let year_total: i64 = cost_sums(&shop, &c, &r.online_service_id, &r.municipalities)?;
        rows.push(RequestRow {
            id: r.id.clone(),
            service: service_name(&c, &r.online_service_id),
            service_filter: format!("/anfragen?dienst={}{}", urlencode(&r.online_service_id), if status.is_empty() { String::new() } else { format!("&status={}", urlencode(&status)) }),
            requester: org_name(&c, &r.requester_org_id),
            gemeinden: r.municipalities.iter().map(|m| org_name(&c, m)).collect::<Vec<_>>().join(", "),
            state: state_of(r),
            date: date(efa_domain::calendar::date_at(r.created_at)),
            cost: super::euro(year_total),
            messages: r.message_count,
        });
    }
    let options = std::iter::once((String::new(), "Alle Stände".to_owned())).chain(RequestState::ALL.iter().map(|s| (s.as_str().to_owned(), request_state_de(*s).to_owned()))).collect();
    // The Kreise of the coordinator's Land; everyone else chooses among all.
    let land = u.principal.land.as_ref().map(|l| l.to_string());
    let mut kreise: Vec<(String, String)> = c.kreise.iter().filter(|k| land.as_deref().is_none_or(|l| k.land.code == l)).map(|k| (k.code.clone(), k.name.clone())).collect();
    kreise.sort_by(|a, b| a.1.cmp(&b.1));
    let pager = q.pager("/anfragen", page, total);
    let heading = if inbox { "Anfragen" } else { "Meine Anfragen" };
    let has_errors = !errors.is_empty();
    let p = RequestsPage {
        layout: layout(&shop, heading).await.with_errors(has_errors),
        errors,
        rows,
        total,
        states: options,
        status,
        inbox,
        heading,
        dienst,
        kreis,
        kreise: std::iter::once((String::new(), "Alle Kreise".to_owned())).chain(kreise).collect(),
        reihenfolge,
        orders: vec![("aelteste".into(), "Älteste zuerst".into()), ("neueste".into(), "Neueste zuerst".into())],
        pager,
    };
    render_status(&p, if has_errors { StatusCode::BAD_REQUEST } else { StatusCode::OK })
}

/// What the Gemeinden of a request pay in the first year together (cents).
fn cost_sums(shop: &Shop, c: &Catalogue, service: &str, orgs: &[String]) -> Result<i64, WebError> {
    let mut sum = 0;
    for o in orgs {
        if let Some(e) = super::order::estimate_for(shop, c, service, o)? {
            sum += e.first_year.total_cents;
        }
    }
    Ok(sum)
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
    super::order::People::default().actor(c, subject, org)
}

/// The decisions on a request, oldest first: from the audit log where the user's
/// organisation may read it, else from the request's own dates.
/// Also the names of the people in it and of `more` (the authors of the messages).
async fn timeline(shop: &Shop, c: &Catalogue, r: &ReuseRequest, more: Vec<String>) -> Result<(Vec<TimelineEntry>, super::order::People), WebError> {
    let u = shop.require_user()?;
    let query = efa_store::audit::AuditQuery { resource_id: Some(r.id.clone()), limit: 200, ..Default::default() };
    let (events, _) = efa_api::operations::audit::events(&shop.app, &u.principal, query).await?;
    let people = super::order::People::of(shop, events.iter().map(|e| e.actor.clone()).chain(more)).await?;
    let mut out: Vec<TimelineEntry> = events
        .iter()
        .rev()
        .filter_map(|e| {
            let what = request_action_de(&e.action)?;
            let reason = e.after.as_deref().and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok()).and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned));
            Some(TimelineEntry { when: datetime(chrono::DateTime::from_naive_utc_and_offset(e.occurred_at, chrono::Utc)), who: people.actor(c, &e.actor, e.actor_org_id.as_deref()), what: what.to_owned(), reason })
        })
        .collect();
    if out.is_empty() {
        out.push(TimelineEntry { when: datetime(r.created_at), who: org_name(c, &r.requester_org_id), what: "Als Entwurf angelegt".into(), reason: None });
        if r.updated_at != r.created_at {
            out.push(TimelineEntry { when: datetime(r.updated_at), who: String::new(), what: state_of(r).into(), reason: r.decision_reason.clone() });
        }
    }
    Ok((out, people))
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
    let (timeline, people) = timeline(shop, &c, &r, messages.iter().map(|m| m.author.clone()).collect()).await?;
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
        messages: messages.into_iter().map(|m| MessageView { author: people.actor(&c, &m.author, Some(&m.author_org_id)), when: datetime(m.created_at), body: m.body }).collect(),
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
