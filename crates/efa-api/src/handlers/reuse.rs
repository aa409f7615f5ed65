//! Reuse requests (Nachnutzungsanfragen): a municipality, or a bundler for its members,
//! asks to reuse a published service; the coordinator of their Land approves; the provider
//! accepts, which creates one agreement per municipality.

use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::nachnutzung::{self as nn, now, AgreementDraft};
use crate::params::{PageMeta, RecordListParams};
use crate::state::AppState;
use std::collections::HashMap;
use crate::write::{create, enforce, write_only, AuditNote, Created};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::FieldError;
use efa_domain::reuse::{RequestAction, RequestState};
use efa_domain::{decide, Action, Principal, Role};
use efa_store::reuse::{self as store, MessageRow, ReuseRequestRow};
use efa_store::DbConn;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReuseRequest {
    pub id: String,
    pub online_service_id: String,
    pub listing_version: i32,
    pub requester_org_id: String,
    /// The Land whose coordinator decides.
    pub land: String,
    pub municipalities: Vec<String>,
    pub state: RequestState,
    pub revision: i32,
    pub note: Option<String>,
    /// Reason of the last rejection or decline.
    pub decision_reason: Option<String>,
    /// Contract numbers of the agreements made from this request.
    pub agreements: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

fn view(conn: &mut DbConn, r: ReuseRequestRow) -> Result<ReuseRequest, ApiError> {
    let municipalities = store::request_municipalities(conn, &r.id)?;
    // The numbers only: the agreement rows carry the frozen listing and terms.
    let agreements = store::agreement_numbers_of(conn, std::slice::from_ref(&r.id))?.into_iter().map(|(_, n)| n).collect();
    view_of(r, municipalities, agreements)
}

/// `municipalities` in ascending order, as `request_municipalities` reads them.
fn view_of(r: ReuseRequestRow, municipalities: Vec<String>, agreements: Vec<String>) -> Result<ReuseRequest, ApiError> {
    Ok(ReuseRequest {
        state: RequestState::parse(&r.state).map_err(|e| ApiError::Internal(e.into()))?,
        id: r.id,
        online_service_id: r.online_service_id,
        listing_version: r.listing_version,
        requester_org_id: r.requester_org_id,
        land: r.land_code,
        municipalities,
        revision: r.revision,
        note: r.note,
        decision_reason: r.decision_reason,
        agreements,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
    })
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![FieldError { field: field.into(), message: message.into() }])
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReuseRequest {
    pub online_service_id: String,
    /// Organisation ids of the Gemeinden covered. A municipality user may leave it out (its
    /// own Gemeinde, or its Kreis: a Kreis agreement covers every Gemeinde of the Kreis); a
    /// bundler names its member Gemeinden.
    #[serde(default)]
    pub municipalities: Vec<String>,
    pub note: Option<String>,
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    // serde would also read a struct from an array, binding fields by position.
    if !body.is_object() {
        return Err(invalid("body", "must be a JSON object"));
    }
    if let Some(field) = super::nul_field(body, "") {
        return Err(invalid(&field, "must not contain NUL characters"));
    }
    serde_json::from_value(body.clone()).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("body").to_owned();
        invalid(&field, msg)
    })
}

async fn is_member(state: &AppState, bundler: &str, municipalities: &[String]) -> Result<bool, ApiError> {
    let bundler = bundler.to_owned();
    let ms = municipalities.to_vec();
    state
        .db(move |conn| {
            use diesel::prelude::*;
            use efa_store::schema::org_memberships as m;
            let n: i64 = m::table.filter(m::bundler_org_id.eq(&bundler)).filter(m::member_org_id.eq_any(&ms)).count().get_result(conn)?;
            Ok(n as usize == ms.len())
        })
        .await
}

/// Ask to reuse a published online service (creates a draft; submit it next).
#[utoipa::path(tag = "nachnutzung", operation_id = "create_reuse_request", security(("bearer" = [])), request_body = NewReuseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = ReuseRequest, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a municipality user of the Gemeinde, or not its bundler"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, or Idempotency-Key reused with another request"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/reuse-requests")]
pub async fn create_reuse_request(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let input: NewReuseRequest = parse_body(&body)?;
    let c = state.catalogue()?;
    let service_id = uuid::Uuid::parse_str(&input.online_service_id).map(|u| u.to_string()).map_err(|_| invalid("online_service_id", "is not a UUID"))?;
    let service = c.service(&service_id).ok_or_else(|| invalid("online_service_id", "is not a published online service"))?;
    let municipalities = if input.municipalities.is_empty() && p.has(Role::MunicipalityUser) { vec![p.org_id.clone()] } else { input.municipalities.clone() };
    if municipalities.is_empty() {
        return Err(invalid("municipalities", "must name at least one Gemeinde"));
    }
    let mut land: Option<String> = None;
    for (i, m) in municipalities.iter().enumerate() {
        let org = c
            .org(m)
            .filter(|o| crate::costs::Payer::of_org(&c, o).is_some())
            .ok_or_else(|| invalid(&format!("municipalities[{i}]"), "is neither a Gemeinde's nor a Kreis's organisation"))?;
        let l = org.view.land.as_ref().map(|l| l.code.clone()).unwrap_or_default();
        if land.get_or_insert(l.clone()) != &l {
            return Err(invalid(&format!("municipalities[{i}]"), "all Gemeinden of one request must lie in one Land"));
        }
    }
    let mut sorted = municipalities.clone();
    sorted.sort();
    if let Some(twice) = sorted.windows(2).find(|w| w[0] == w[1]) {
        let i = municipalities.iter().rposition(|m| *m == twice[0]).unwrap_or_default();
        return Err(invalid(&format!("municipalities[{i}]"), "names a Gemeinde already listed"));
    }
    let note = input.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 5000 || n.contains('\0')) {
        return Err(invalid("note", "must be at most 5000 characters"));
    }
    let members_ok = p.has(Role::Bundler) && is_member(&state, &p.org_id, &municipalities).await?;
    enforce(decide(Some(&p), &Action::CreateRequest { municipalities: &municipalities, members_ok }), "file a reuse request for these Gemeinden")?;
    let land = land.unwrap_or_default();
    let version = service.detail.published_version.unwrap_or(1);
    let actor = p.subject.clone();
    let requester = p.org_id.clone();
    create(&state, &p, &req, &body, move |conn| {
        let t = now();
        let row = ReuseRequestRow {
            id: uuid::Uuid::new_v4().to_string(),
            online_service_id: service_id,
            listing_version: version,
            requester_org_id: requester,
            land_code: land,
            state: RequestState::Draft.as_str().into(),
            revision: 1,
            note,
            decision_reason: None,
            created_by: actor,
            created_at: t,
            updated_at: t,
        };
        store::insert_request(conn, &row, &municipalities)?;
        let id = row.id.clone();
        let owner = Some(row.requester_org_id.clone());
        // Everything the response shows was just written here: no read-back.
        let v = view_of(row, sorted, Vec::new())?;
        let body = serde_json::to_value(&v).map_err(|e| ApiError::Internal(e.into()))?;
        let note = AuditNote { action: "reuse_request.create", resource_type: "reuse_request", resource_id: id.clone(), owner_org_id: owner, before: None, after: Some(body.clone()) };
        Ok((Created { body, location: format!("/api/v1/reuse-requests/{id}") }, note))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReuseRequestsResponse {
    pub items: Vec<ReuseRequest>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// Requests you are party to; coordinators also see every submitted request of their Land.
/// Newest first, a page at a time.
#[utoipa::path(tag = "nachnutzung", operation_id = "list_reuse_requests", security(("bearer" = [])), params(RecordListParams),
    responses((status = 200, body = ReuseRequestsResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"), BadRequest, Unavailable))]
#[get("/reuse-requests")]
pub async fn list_reuse_requests(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<RecordListParams>) -> Result<HttpResponse, ApiError> {
    let states: Vec<&str> = RequestState::ALL.iter().map(|s| s.as_str()).collect();
    let (filter, page) = q.parse(&states)?;
    let p = user.0;
    let (items, total) = state
        .db(move |conn| {
            let org = (!p.has(Role::Operator)).then(|| p.org_id.clone());
            let land = p.has(Role::LandCoordinator).then(|| p.land.as_ref().map(|l| l.to_string())).flatten();
            let viewer = store::Viewer { org: org.as_deref(), land: land.as_deref() };
            let found = store::list_requests(conn, viewer, &filter, page.offset(), i64::from(page.per_page))?;
            // Two queries for the whole page, not two per request.
            let ids: Vec<String> = found.rows.iter().map(|r| r.id.clone()).collect();
            let mut municipalities: HashMap<String, Vec<String>> = HashMap::new();
            for (r, m) in store::municipalities_of(conn, &ids)? {
                municipalities.entry(r).or_default().push(m);
            }
            let mut numbers: HashMap<String, Vec<String>> = HashMap::new();
            for (r, n) in store::agreement_numbers_of(conn, &ids)? {
                numbers.entry(r).or_default().push(n);
            }
            let items = found
                .rows
                .into_iter()
                .map(|r| {
                    let (m, n) = (municipalities.remove(&r.id).unwrap_or_default(), numbers.remove(&r.id).unwrap_or_default());
                    view_of(r, m, n)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, usize::try_from(found.total).unwrap_or(0)))
        })
        .await?;
    let link = page.link_header(&req, total);
    Ok(crate::http::json_with_links(&ReuseRequestsResponse { items, meta: PageMeta::new(page, total) }, link))
}

/// One request, if you may see it (a coordinator of another Land may not: 404).
#[utoipa::path(tag = "nachnutzung", operation_id = "get_reuse_request", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
    responses((status = 200, body = ReuseRequest),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/reuse-requests/{id}")]
pub async fn get_reuse_request(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let p = user.0;
    let v = state
        .db(move |conn| {
            let r = nn::load_request(conn, &id)?;
            let facts = nn::request_facts(conn, &r)?;
            enforce(decide(Some(&p), &Action::ViewRequest { facts: &facts }), "see this request")?;
            view(conn, r)
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

fn parse_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::bad_param("id", "is not a UUID"))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why (required to reject or decline).
    pub reason: Option<String>,
    /// Accepting: when the agreements start (default today).
    pub start_date: Option<chrono::NaiveDate>,
    /// Accepting: minimum term in months (default 12).
    pub minimum_term_months: Option<i32>,
    /// Accepting: notice period in months (default 3).
    pub notice_months: Option<i32>,
    /// Accepting: contract number of a parent agreement (Bereitstellung → Nachnutzung → Sub-Nachnutzung).
    pub parent_agreement: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Submit,
    Withdraw,
    Approve,
    Reject,
    Accept,
    Decline,
}

async fn step(req: HttpRequest, state: web::Data<AppState>, p: Principal, raw_id: &str, step: Step, body: Option<Value>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(raw_id)?;
    let d: Decision = match &body {
        Some(b) if !b.is_null() => parse_body(b)?,
        _ => Decision::default(),
    };
    let reason = d.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned);
    if matches!(step, Step::Reject | Step::Decline) && reason.as_ref().is_none_or(|r| r.chars().count() > 2000) {
        return Err(invalid("reason", "is required (1 to 2000 characters)"));
    }
    if d.minimum_term_months.is_some_and(|m| !(0..=120).contains(&m)) {
        return Err(invalid("minimum_term_months", "must be 0 to 120"));
    }
    if d.notice_months.is_some_and(|m| !(0..=24).contains(&m)) {
        return Err(invalid("notice_months", "must be 0 to 24"));
    }
    let c = state.catalogue()?;
    let actor = p.clone();
    let v = write_only(&state, &p, &req, move |conn| {
        let r = nn::load_request(conn, &id)?;
        let facts = nn::request_facts(conn, &r)?;
        let (action, what, actions): (Action, &str, &[RequestAction]) = match step {
            Step::Submit => (Action::ActAsRequester { facts: &facts }, "reuse_request.submit", &[RequestAction::Submit]),
            Step::Withdraw => (Action::ActAsRequester { facts: &facts }, "reuse_request.withdraw", &[RequestAction::Withdraw]),
            Step::Approve => (Action::DecideAsLand { facts: &facts }, "reuse_request.land_approve", &[RequestAction::LandApprove]),
            Step::Reject => (Action::DecideAsLand { facts: &facts }, "reuse_request.land_reject", &[RequestAction::LandReject]),
            Step::Accept => (Action::DecideAsProvider { facts: &facts }, "reuse_request.provider_accept", &[RequestAction::ProviderAccept, RequestAction::PrepareAgreement]),
            Step::Decline => (Action::DecideAsProvider { facts: &facts }, "reuse_request.provider_decline", &[RequestAction::ProviderDecline]),
        };
        enforce(decide(Some(&actor), &action), "do this")?;
        let before = serde_json::json!({"state": r.state, "revision": r.revision});
        nn::advance(conn, &r, actions, reason.as_deref())?;
        if let Step::Accept = step {
            let parent = match &d.parent_agreement {
                Some(n) => Some(store::find_agreement(conn, n)?.ok_or_else(|| invalid("parent_agreement", "no such agreement"))?.id),
                None => None,
            };
            let start = d.start_date.unwrap_or_else(|| now().date());
            for m in &facts.municipalities {
                nn::create_agreement(
                    conn,
                    &c,
                    &AgreementDraft {
                        service_id: &r.online_service_id,
                        customer_org: m,
                        signatory_org: &r.requester_org_id,
                        request_id: Some(&r.id),
                        framework: None,
                        parent_agreement_id: parent.clone(),
                        start,
                        minimum_term_months: d.minimum_term_months.unwrap_or(12),
                        notice_months: d.notice_months.unwrap_or(3),
                        actor: &actor.subject,
                    },
                )?;
            }
        }
        let after_row = nn::load_request(conn, &id)?;
        let v = view(conn, after_row)?;
        let note = AuditNote {
            action: what,
            resource_type: "reuse_request",
            resource_id: id.clone(),
            owner_org_id: Some(r.requester_org_id.clone()),
            before: Some(before),
            after: Some(serde_json::json!({"state": v.state, "revision": v.revision, "reason": reason, "agreements": v.agreements})),
        };
        Ok((v, note))
    })
    .await?;
    Ok(HttpResponse::Ok().json(v))
}

macro_rules! request_step {
    ($name:ident, $path:literal, $step:expr, $op:literal, $doc:literal, body) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])), request_body = Decision,
            params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
            responses((status = 200, body = ReuseRequest),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your decision"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the current state, or someone else decided first"),
                (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
                BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
            step(req, state, user.0, &path, $step, Some(body.into_inner())).await
        }
    };
    ($name:ident, $path:literal, $step:expr, $op:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])),
            params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
            responses((status = 200, body = ReuseRequest),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your decision"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the current state, or someone else decided first"),
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
            step(req, state, user.0, &path, $step, None).await
        }
    };
}

request_step!(submit_reuse_request, "/reuse-requests/{id}/submit", Step::Submit, "submit_reuse_request", "Submit a draft request to the coordinator of its Land (requester).");
request_step!(withdraw_reuse_request, "/reuse-requests/{id}/withdraw", Step::Withdraw, "withdraw_reuse_request", "Withdraw a request; possible until its agreement is active (requester).");
request_step!(approve_reuse_request, "/reuse-requests/{id}/approve", Step::Approve, "approve_reuse_request", "Approve the reuse (coordinator of the request's Land).");
request_step!(reject_reuse_request, "/reuse-requests/{id}/reject", Step::Reject, "reject_reuse_request", "Reject the reuse with a reason (coordinator of the request's Land).", body);
request_step!(accept_reuse_request, "/reuse-requests/{id}/accept", Step::Accept, "accept_reuse_request", "Accept: one agreement per Gemeinde is created, terms and fees frozen (provider).", body);
request_step!(decline_reuse_request, "/reuse-requests/{id}/decline", Step::Decline, "decline_reuse_request", "Decline with a reason (provider).", body);

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub author: String,
    pub author_org_id: String,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagesResponse {
    pub items: Vec<Message>,
    pub total: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
}

/// The Abstimmung of a request: messages between requester, provider and coordinator.
#[utoipa::path(tag = "nachnutzung", operation_id = "list_request_messages", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reuse request id", format = Uuid)),
    responses((status = 200, body = MessagesResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/reuse-requests/{id}/messages")]
pub async fn list_request_messages(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let p = user.0;
    let items: Vec<Message> = state
        .db(move |conn| {
            let r = nn::load_request(conn, &id)?;
            let facts = nn::request_facts(conn, &r)?;
            enforce(decide(Some(&p), &Action::ViewRequest { facts: &facts }), "see this request")?;
            Ok(store::messages(conn, &id)?)
        })
        .await?
        .into_iter()
        .map(|m| Message { id: m.id, author: m.author, author_org_id: m.author_org_id, body: m.body, created_at: utc(m.created_at) })
        .collect();
    Ok(HttpResponse::Ok().json(MessagesResponse { total: items.len(), items }))
}

/// Write a message on a request (anyone who may see it).
#[utoipa::path(tag = "nachnutzung", operation_id = "create_request_message", security(("bearer" = [])), request_body = NewMessage,
    params(("id" = String, Path, description = "Reuse request id", format = Uuid), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = Message, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Empty or too long"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/reuse-requests/{id}/messages")]
pub async fn create_request_message(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let input: NewMessage = parse_body(&body)?;
    let text = input.body.trim().to_owned();
    if text.is_empty() || text.chars().count() > 10_000 || text.contains('\0') {
        return Err(invalid("body", "must be 1 to 10000 characters"));
    }
    let p = user.0;
    let actor = p.clone();
    create(&state, &p, &req, &body, move |conn| {
        let r = nn::load_request(conn, &id)?;
        let facts = nn::request_facts(conn, &r)?;
        enforce(decide(Some(&actor), &Action::ViewRequest { facts: &facts }), "write on this request")?;
        let m = MessageRow { id: uuid::Uuid::new_v4().to_string(), request_id: id.clone(), author: actor.subject.clone(), author_org_id: actor.org_id.clone(), body: text, created_at: now() };
        store::add_message(conn, &m)?;
        let v = Message { id: m.id.clone(), author: m.author, author_org_id: m.author_org_id, body: m.body, created_at: utc(m.created_at) };
        let body = serde_json::to_value(&v).map_err(|e| ApiError::Internal(e.into()))?;
        let note = AuditNote { action: "reuse_request.message", resource_type: "reuse_request", resource_id: id.clone(), owner_org_id: Some(r.requester_org_id), before: None, after: Some(body.clone()) };
        Ok((Created { body, location: format!("/api/v1/reuse-requests/{id}/messages") }, note))
    })
    .await
}
