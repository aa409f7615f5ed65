//! Reuse requests (Nachnutzungsanfragen): a municipality, or a bundler for its members,
//! asks to reuse a published service; the coordinator of their Land approves; the provider
//! accepts, which creates one agreement per municipality. And the Abstimmung messages.

use super::{fingerprint, invalid, parse_uuid, utc};
use crate::error::ApiError;
use crate::nachnutzung::{self as nn, now, AgreementDraft};
use crate::params::Page;
use crate::state::AppState;
use crate::events::Emit;
use crate::write::{create, enforce, write_only, AuditNote, Created, Creation, Ctx};
use efa_domain::events::{self, EventType};
use efa_domain::reuse::{RequestAction, RequestState};
use efa_domain::{decide, Action, Principal, Role};
use efa_store::reuse::{self as store, ListFilter, MessageRow, ReuseRequestRow};
use efa_store::DbConn;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
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
    /// How many messages the parties have written about the request (the Abstimmung).
    pub message_count: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn view(conn: &mut DbConn, r: ReuseRequestRow) -> Result<ReuseRequest, ApiError> {
    // The numbers only: the agreement rows carry the frozen listing and terms.
    let d = store::page_details(conn, std::slice::from_ref(&r.id))?;
    let messages = d.messages.first().map_or(0, |(_, n)| *n);
    view_of(r, d.municipalities.into_iter().map(|(_, m)| m).collect(), d.numbers.into_iter().map(|(_, n)| n).collect(), messages)
}

/// `municipalities` in ascending order, as `request_municipalities` reads them.
fn view_of(r: ReuseRequestRow, municipalities: Vec<String>, agreements: Vec<String>, message_count: i64) -> Result<ReuseRequest, ApiError> {
    Ok(ReuseRequest {
        message_count,
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

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
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

/// The route of request creation: the scope of its idempotency keys.
const CREATE_SCOPE: &str = "POST /api/v1/reuse-requests";

/// Files a draft reuse request (submit it next).
pub async fn create_request(state: &AppState, p: &Principal, ctx: &Ctx, input: NewReuseRequest) -> Result<Creation, ApiError> {
    let service_id = uuid::Uuid::parse_str(&input.online_service_id).map(|u| u.to_string()).map_err(|_| invalid("online_service_id", "is not a UUID"))?;
    let c = state.catalogue_with(&service_id).await?;
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
    let note = input.note.as_ref().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 5000 || n.contains('\0')) {
        return Err(invalid("note", "must be at most 5000 characters"));
    }
    let members_ok = if p.has(Role::Bundler) {
        let (bundler, ms) = (p.org_id.clone(), municipalities.clone());
        state.db(move |conn| Ok(store::all_members_of(conn, &bundler, &ms)?)).await?
    } else {
        false
    };
    enforce(decide(Some(p), &Action::CreateRequest { municipalities: &municipalities, members_ok }), "file a reuse request for these Gemeinden")?;
    let land = land.unwrap_or_default();
    let version = service.detail.published_version.unwrap_or(1);
    let actor = p.subject.clone();
    let requester = p.org_id.clone();
    let provider = service.detail.service.provider.id.clone();
    let print = fingerprint(&input)?;
    create(state, p, ctx, CREATE_SCOPE, &print, move |conn| {
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
            provider_org_id: provider,
        };
        store::insert_request(conn, &row, &municipalities)?;
        let row_for_facts = row.clone();
        let id = row.id.clone();
        let owner = Some(row.requester_org_id.clone());
        // Everything the response shows was just written here: no read-back.
        let v = view_of(row, sorted, Vec::new(), 0)?;
        let body = serde_json::to_value(&v).map_err(|e| ApiError::Internal(e.into()))?;
        let audience = events::request_audience(&nn::request_facts(conn, &row_for_facts)?);
        let emit = Emit::new(EventType::RequestCreated, "reuse_request", &id, audience, serde_json::json!({"state": RequestState::Draft, "revision": 1, "online_service_id": row_for_facts.online_service_id}));
        let note = AuditNote { action: "reuse_request.create", resource_type: "reuse_request", resource_id: id.clone(), owner_org_id: owner, before: None, after: Some(body.clone()), events: vec![emit] };
        Ok((Created { body, location: format!("/api/v1/reuse-requests/{id}") }, note))
    })
    .await
}

/// Requests the caller is party to (coordinators: also every submitted request of their Land;
/// operators: all), newest first, one page, and how many there are in all.
pub async fn list_requests(state: &AppState, p: &Principal, filter: ListFilter, page: Page) -> Result<(Vec<ReuseRequest>, usize), ApiError> {
    let p = p.clone();
    state
        .db(move |conn| {
            let org = (!p.has(Role::Operator)).then(|| p.org_id.clone());
            let land = p.has(Role::LandCoordinator).then(|| p.land.as_ref().map(|l| l.to_string())).flatten();
            let viewer = store::Viewer { org: org.as_deref(), land: land.as_deref() };
            let found = store::list_requests(conn, viewer, &filter, page.offset(), i64::from(page.per_page))?;
            // One statement for the whole page, not two per request.
            let ids: Vec<String> = found.rows.iter().map(|r| r.id.clone()).collect();
            let d = store::page_details(conn, &ids)?;
            let mut municipalities: HashMap<String, Vec<String>> = HashMap::new();
            for (r, m) in d.municipalities {
                municipalities.entry(r).or_default().push(m);
            }
            let mut numbers: HashMap<String, Vec<String>> = HashMap::new();
            for (r, n) in d.numbers {
                numbers.entry(r).or_default().push(n);
            }
            let messages: HashMap<String, i64> = d.messages.into_iter().collect();
            let items = found
                .rows
                .into_iter()
                .map(|r| {
                    let (m, n) = (municipalities.remove(&r.id).unwrap_or_default(), numbers.remove(&r.id).unwrap_or_default());
                    let count = messages.get(&r.id).copied().unwrap_or(0);
                    view_of(r, m, n, count)
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, usize::try_from(found.total).unwrap_or(0)))
        })
        .await
}

/// One request, if the caller may see it (else 404: existence does not leak).
pub async fn get_request(state: &AppState, p: &Principal, raw_id: &str) -> Result<ReuseRequest, ApiError> {
    Ok(get_request_with_steps(state, p, raw_id).await?.0)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
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

/// What a party does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Submit,
    Withdraw,
    Approve,
    Reject,
    Accept,
    Decline,
}

impl Step {
    pub const ALL: [Step; 6] = [Step::Submit, Step::Withdraw, Step::Approve, Step::Reject, Step::Accept, Step::Decline];

    /// Who may take the step (the policy's action), what the audit log calls it, and the
    /// transitions of the state machine it makes.
    fn rule(self, facts: &efa_domain::policy::RequestFacts) -> (Action<'_>, &'static str, &'static [RequestAction]) {
        match self {
            Step::Submit => (Action::ActAsRequester { facts }, "reuse_request.submit", &[RequestAction::Submit]),
            Step::Withdraw => (Action::ActAsRequester { facts }, "reuse_request.withdraw", &[RequestAction::Withdraw]),
            Step::Approve => (Action::DecideAsLand { facts }, "reuse_request.land_approve", &[RequestAction::LandApprove]),
            Step::Reject => (Action::DecideAsLand { facts }, "reuse_request.land_reject", &[RequestAction::LandReject]),
            Step::Accept => (Action::DecideAsProvider { facts }, "reuse_request.provider_accept", &[RequestAction::ProviderAccept, RequestAction::PrepareAgreement]),
            Step::Decline => (Action::DecideAsProvider { facts }, "reuse_request.provider_decline", &[RequestAction::ProviderDecline]),
        }
    }
}

/// A request as the caller sees it, with the steps the caller may take on it now — by the
/// same policy and state machine that [`step`] enforces (a page offers exactly these).
pub async fn get_request_with_steps(state: &AppState, p: &Principal, raw_id: &str) -> Result<(ReuseRequest, Vec<Step>), ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let p = p.clone();
    state
        .db(move |conn| {
            let r = nn::load_request(conn, &id)?;
            let facts = nn::request_facts(conn, &r)?;
            enforce(decide(Some(&p), &Action::ViewRequest { facts: &facts }), "see this request")?;
            let current = RequestState::parse(&r.state).map_err(|e| ApiError::Internal(e.into()))?;
            let open = Step::ALL
                .into_iter()
                .filter(|s| {
                    let (action, _, actions) = s.rule(&facts);
                    decide(Some(&p), &action) == efa_domain::Decision::Allow && efa_domain::reuse::next_state(current, actions[0]).is_ok()
                })
                .collect();
            Ok((view(conn, r)?, open))
        })
        .await
}

/// Moves a request one step on, by the party whose step it is.
pub async fn step(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, step: Step, d: Decision) -> Result<ReuseRequest, ApiError> {
    let id = parse_uuid("id", raw_id)?;
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
    write_only(state, p, ctx, move |conn| {
        let r = nn::load_request(conn, &id)?;
        let facts = nn::request_facts(conn, &r)?;
        let (action, what, actions) = step.rule(&facts);
        enforce(decide(Some(&actor), &action), "do this")?;
        let before = serde_json::json!({"state": r.state, "revision": r.revision});
        nn::advance(conn, &r, actions, reason.as_deref())?;
        let mut made = Vec::new();
        if let Step::Accept = step {
            let parent = match &d.parent_agreement {
                Some(n) => Some(store::find_agreement(conn, n)?.ok_or_else(|| invalid("parent_agreement", "no such agreement"))?.id),
                None => None,
            };
            let start = d.start_date.unwrap_or_else(efa_domain::calendar::today);
            for m in &facts.municipalities {
                let a = nn::create_agreement(
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
                made.push(a);
            }
        }
        let after_row = nn::load_request(conn, &id)?;
        let v = view(conn, after_row)?;
        // A draft withdrawn stays the requester's business; every other step follows submission.
        let was_draft = r.state == RequestState::Draft.as_str();
        let audience = events::request_audience(&efa_domain::policy::RequestFacts { is_draft: was_draft && step == Step::Withdraw, ..facts.clone() });
        let kind = match step {
            Step::Submit => EventType::RequestSubmitted,
            Step::Withdraw => EventType::RequestWithdrawn,
            Step::Approve => EventType::RequestApproved,
            Step::Reject => EventType::RequestRejected,
            Step::Accept => EventType::RequestAccepted,
            Step::Decline => EventType::RequestDeclined,
        };
        let mut emitted = vec![Emit::new(kind, "reuse_request", &id, audience, serde_json::json!({"state": v.state, "revision": v.revision, "reason": reason, "agreements": v.agreements}))];
        for a in &made {
            let data = serde_json::json!({"state": a.state, "reuse_request_id": id, "customer_org_id": a.customer_org_id, "online_service_id": a.online_service_id});
            emitted.push(Emit::new(EventType::AgreementCreated, "agreement", &a.number, events::agreement_audience(&nn::agreement_facts(&c, a)), data));
        }
        let note = AuditNote {
            events: emitted,
            action: what,
            resource_type: "reuse_request",
            resource_id: id.clone(),
            owner_org_id: Some(r.requester_org_id.clone()),
            before: Some(before),
            after: Some(serde_json::json!({"state": v.state, "revision": v.revision, "reason": reason, "agreements": v.agreements})),
        };
        Ok((v, note))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    pub author: String,
    pub author_org_id: String,
    pub body: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<MessageRow> for Message {
    fn from(m: MessageRow) -> Message {
        Message { id: m.id, author: m.author, author_org_id: m.author_org_id, body: m.body, created_at: utc(m.created_at) }
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
}

/// The Abstimmung of a request, oldest first, if the caller may see the request.
pub async fn messages(state: &AppState, p: &Principal, raw_id: &str) -> Result<Vec<Message>, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let p = p.clone();
    let rows = state
        .db(move |conn| {
            let r = nn::load_request(conn, &id)?;
            let facts = nn::request_facts(conn, &r)?;
            enforce(decide(Some(&p), &Action::ViewRequest { facts: &facts }), "see this request")?;
            Ok(store::messages(conn, &id)?)
        })
        .await?;
    Ok(rows.into_iter().map(Message::from).collect())
}

/// Writes a message on a request (anyone who may see it).
pub async fn create_message(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, input: NewMessage) -> Result<Creation, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let text = input.body.trim().to_owned();
    if text.is_empty() || text.chars().count() > 10_000 || text.contains('\0') {
        return Err(invalid("body", "must be 1 to 10000 characters"));
    }
    let actor = p.clone();
    let print = fingerprint(&input)?;
    let scope = format!("POST /api/v1/reuse-requests/{id}/messages");
    create(state, p, ctx, &scope, &print, move |conn| {
        let r = nn::load_request(conn, &id)?;
        let facts = nn::request_facts(conn, &r)?;
        enforce(decide(Some(&actor), &Action::ViewRequest { facts: &facts }), "write on this request")?;
        let m = MessageRow { id: uuid::Uuid::new_v4().to_string(), request_id: id.clone(), author: actor.subject.clone(), author_org_id: actor.org_id.clone(), body: text, created_at: now() };
        store::add_message(conn, &m)?;
        let v = Message::from(m);
        let body = serde_json::to_value(&v).map_err(|e| ApiError::Internal(e.into()))?;
        let emit = Emit::new(EventType::MessageWritten, "reuse_request", &id, events::request_audience(&facts), serde_json::json!({"message_id": v.id, "author": v.author, "author_org_id": v.author_org_id}));
        let note = AuditNote { action: "reuse_request.message", resource_type: "reuse_request", resource_id: id.clone(), owner_org_id: Some(r.requester_org_id), before: None, after: Some(body.clone()), events: vec![emit] };
        Ok((Created { body, location: format!("/api/v1/reuse-requests/{id}/messages") }, note))
    })
    .await
}
