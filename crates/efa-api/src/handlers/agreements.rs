//! Licence agreements (Nachnutzungsverträge), framework agreements (Rahmenverträge) with
//! accession (Beitritt), onboarding until live, and the cost estimate before ordering.

use super::{BadRequest, NotFound, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::nachnutzung::{self as nn, now};
use crate::params::{PageMeta, RecordListParams};
use crate::state::AppState;
use crate::write::{enforce, write_only, AuditNote};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::FieldError;
use efa_domain::reuse::{onboarding_complete, termination_end, OnboardingStep, Party};
use efa_domain::{decide, Action, Role};
use efa_store::reuse::{self as store, AgreementRow, OnboardingRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![FieldError { field: field.into(), message: message.into() }])
}

pub(super) fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    // serde would also read a struct from an array, binding fields by position.
    if !(body.is_object() || body.is_null()) {
        return Err(invalid("body", "must be a JSON object"));
    }
    if let Some(field) = super::nul_field(body, "") {
        return Err(invalid(&field, "must not contain NUL characters"));
    }
    serde_json::from_value(if body.is_null() { serde_json::json!({}) } else { body.clone() }).map_err(|e| {
        let msg = e.to_string();
        let field = msg.split('`').nth(1).unwrap_or("body").to_owned();
        invalid(&field, msg)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agreement {
    /// Contract number, e.g. EFA-2026-000123.
    pub number: String,
    pub state: String,
    pub online_service_id: String,
    /// The listing version and terms frozen at creation.
    pub listing_version: i32,
    pub terms_version: String,
    pub terms_text: String,
    pub provider_org_id: String,
    pub customer_org_id: String,
    pub signatory_org_id: String,
    pub request_id: Option<String>,
    pub framework_agreement_id: Option<String>,
    pub framework_version: Option<i32>,
    pub parent_agreement_id: Option<String>,
    pub one_off_fee_cents: i64,
    pub annual_fee_cents: i64,
    pub first_year_fee_cents: i64,
    /// How the fees were computed.
    pub cost_key: String,
    pub start_date: chrono::NaiveDate,
    pub minimum_term_months: i32,
    pub notice_months: i32,
    pub end_date: Option<chrono::NaiveDate>,
    pub provider_signed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub customer_signed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub live_since: Option<chrono::NaiveDate>,
    pub revision: i32,
}

impl From<AgreementRow> for Agreement {
    fn from(a: AgreementRow) -> Agreement {
        Agreement {
            number: a.number,
            state: a.state,
            online_service_id: a.online_service_id,
            listing_version: a.listing_version,
            terms_version: a.terms_version,
            terms_text: a.terms_text,
            provider_org_id: a.provider_org_id,
            customer_org_id: a.customer_org_id,
            signatory_org_id: a.signatory_org_id,
            request_id: a.request_id,
            framework_agreement_id: a.framework_agreement_id,
            framework_version: a.framework_version,
            parent_agreement_id: a.parent_agreement_id,
            one_off_fee_cents: a.one_off_fee_cents,
            annual_fee_cents: a.annual_fee_cents,
            first_year_fee_cents: a.first_year_fee_cents,
            cost_key: a.cost_key,
            start_date: a.start_date,
            minimum_term_months: a.minimum_term_months,
            notice_months: a.notice_months,
            end_date: a.end_date,
            provider_signed_at: a.provider_signed_at.map(utc),
            customer_signed_at: a.customer_signed_at.map(utc),
            live_since: a.live_since,
            revision: a.revision,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FolderDocument {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingStatus {
    pub step: OnboardingStep,
    /// `municipality` or `provider`: who does this step.
    pub party: String,
    pub done_by: Option<String>,
    pub done_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetail {
    #[serde(flatten)]
    pub agreement: Agreement,
    /// The contract folder: every document and decision of the agreement's life, oldest first.
    pub folder: Vec<FolderDocument>,
    pub onboarding: Vec<OnboardingStatus>,
    /// The listing as it was when the agreement was made.
    pub listing: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementsResponse {
    pub items: Vec<Agreement>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// The states an agreement passes through.
const AGREEMENT_STATES: [&str; 4] = ["pending", "active", "live", "terminated"];

/// Agreements your organisation is party to (operators: all), newest number first, a page at a time.
#[utoipa::path(tag = "nachnutzung", operation_id = "list_agreements", security(("bearer" = [])), params(RecordListParams),
    responses((status = 200, body = AgreementsResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"), BadRequest, Unavailable))]
#[get("/agreements")]
pub async fn list_agreements(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<RecordListParams>) -> Result<HttpResponse, ApiError> {
    let (filter, page) = q.parse(&AGREEMENT_STATES)?;
    let p = user.0;
    let found = state
        .db(move |conn| Ok(store::list_agreements(conn, (!p.has(Role::Operator)).then_some(p.org_id.as_str()), &filter, page.offset(), i64::from(page.per_page))?))
        .await?;
    let total = usize::try_from(found.total).unwrap_or(0);
    let items: Vec<Agreement> = found.rows.into_iter().map(Agreement::from).collect();
    let link = page.link_header(&req, total);
    Ok(crate::http::json_with_links(&AgreementsResponse { items, meta: PageMeta::new(page, total) }, link))
}

pub(super) fn detail(conn: &mut efa_store::DbConn, a: AgreementRow) -> Result<AgreementDetail, ApiError> {
    let folder = store::documents(conn, &a.id)?
        .into_iter()
        .map(|d| FolderDocument { kind: d.kind, title: d.title, body: d.body, created_by: d.created_by, created_at: utc(d.created_at) })
        .collect();
    let done = store::steps(conn, &a.id)?;
    let onboarding = OnboardingStep::ALL
        .iter()
        .map(|&s| {
            let d = done.iter().find(|d| d.step == s.as_str());
            OnboardingStatus {
                step: s,
                party: match s.party() {
                    Party::Municipality => "municipality".into(),
                    Party::Provider => "provider".into(),
                },
                done_by: d.map(|d| d.done_by.clone()),
                done_at: d.map(|d| utc(d.done_at)),
            }
        })
        .collect();
    let listing = serde_json::from_str(&a.listing_content).unwrap_or(Value::Null);
    Ok(AgreementDetail { agreement: a.into(), folder, onboarding, listing })
}

pub(super) fn load(conn: &mut efa_store::DbConn, number: &str) -> Result<AgreementRow, ApiError> {
    store::find_agreement(conn, number)?.ok_or_else(|| ApiError::not_found(format!("agreement {number} does not exist")))
}

fn check_number(raw: &str) -> Result<String, ApiError> {
    efa_domain::reuse::parse_contract_number(raw).map(|_| raw.to_owned()).ok_or_else(|| ApiError::bad_param("number", "is not a contract number like EFA-2026-000123"))
}

/// One agreement with its contract folder and onboarding (its parties, the coordinator of the
/// customer's Land, operators).
#[utoipa::path(tag = "nachnutzung", operation_id = "get_agreement", security(("bearer" = [])),
    params(("number" = String, Path, description = "Contract number", example = "EFA-2026-000001", pattern = "^EFA-[0-9]{4}-[0-9]{6,18}$")),
    responses((status = 200, body = AgreementDetail),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/agreements/{number}")]
pub async fn get_agreement(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let number = check_number(&path)?;
    let p = user.0;
    let c = state.catalogue()?;
    let d = state
        .db(move |conn| {
            let a = load(conn, &number)?;
            enforce(decide(Some(&p), &Action::ViewAgreement { facts: &nn::agreement_facts(&c, &a) }), "see this agreement")?;
            detail(conn, a)
        })
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// When notice is given (default today).
    pub notice_date: Option<chrono::NaiveDate>,
}

#[derive(Clone, Copy)]
enum AgreementStep {
    Sign,
    Terminate(Option<chrono::NaiveDate>),
    Onboard(OnboardingStep),
}

async fn agreement_step(req: HttpRequest, state: web::Data<AppState>, p: efa_domain::Principal, raw: &str, step: AgreementStep) -> Result<HttpResponse, ApiError> {
    let number = check_number(raw)?;
    let c = state.catalogue()?;
    let actor = p.clone();
    let d = write_only(&state, &p, &req, move |conn| {
        let a = load(conn, &number)?;
        let facts = nn::agreement_facts(&c, &a);
        let as_provider = decide(Some(&actor), &Action::ActAsProviderParty { facts: &facts });
        let as_customer = decide(Some(&actor), &Action::ActAsCustomerParty { facts: &facts });
        let before = serde_json::json!({"state": a.state, "revision": a.revision});
        let mut next = a.clone();
        let t = now();
        let (action, doc): (&str, (String, String)) = match step {
            AgreementStep::Sign => {
                if a.state != "pending" {
                    return Err(ApiError::Conflict(format!("agreement {} is {}, not awaiting signatures", a.number, a.state)));
                }
                // A request withdrawn while its agreements awaited signatures leaves them void.
                if let Some(rid) = &a.request_id {
                    if nn::load_request(conn, rid)?.state == efa_domain::reuse::RequestState::Withdrawn.as_str() {
                        return Err(ApiError::Conflict(format!("the reuse request of agreement {} was withdrawn; it can no longer be signed", a.number)));
                    }
                }
                if as_provider == efa_domain::Decision::Allow && a.provider_signed_at.is_none() {
                    next.provider_signed_at = Some(t);
                    next.provider_signed_by = Some(actor.subject.clone());
                } else if as_customer == efa_domain::Decision::Allow && a.customer_signed_at.is_none() {
                    next.customer_signed_at = Some(t);
                    next.customer_signed_by = Some(actor.subject.clone());
                } else if as_provider == efa_domain::Decision::Allow || as_customer == efa_domain::Decision::Allow {
                    return Err(ApiError::Conflict("your side has already signed".into()));
                } else {
                    enforce(as_customer, "sign this agreement")?;
                }
                if next.provider_signed_at.is_some() && next.customer_signed_at.is_some() {
                    next.state = "active".into();
                }
                ("agreement.sign", ("signature".into(), format!("Signed by {} ({})", actor.subject, actor.org_id)))
            }
            AgreementStep::Terminate(notice) => {
                if as_provider != efa_domain::Decision::Allow {
                    enforce(as_customer, "terminate this agreement")?;
                }
                if !matches!(a.state.as_str(), "active" | "live") {
                    return Err(ApiError::Conflict(format!("agreement {} is {}; only active or live agreements can be terminated", a.number, a.state)));
                }
                let notice = notice.unwrap_or_else(|| t.date());
                let end = termination_end(a.start_date, a.minimum_term_months as u32, notice, a.notice_months as u32);
                next.end_date = Some(end);
                next.state = "terminated".into();
                ("agreement.terminate", ("termination".into(), format!("Terminated by {} with notice on {notice}; ends {end}", actor.subject)))
            }
            AgreementStep::Onboard(s) => {
                let decision = match s.party() {
                    Party::Municipality => as_customer,
                    Party::Provider => as_provider,
                };
                enforce(decision, "do this onboarding step")?;
                if a.state != "active" {
                    return Err(ApiError::Conflict(format!("agreement {} is {}; onboarding runs while it is active", a.number, a.state)));
                }
                if !store::mark_step(conn, &OnboardingRow { agreement_id: a.id.clone(), step: s.as_str().into(), done_by: actor.subject.clone(), done_at: t })? {
                    return Err(ApiError::Conflict(format!("step {s} is already done")));
                }
                let done: Vec<OnboardingStep> = store::steps(conn, &a.id)?.iter().filter_map(|r| OnboardingStep::parse(&r.step).ok()).collect();
                if onboarding_complete(&done) {
                    next.state = "live".into();
                    next.live_since = Some(t.date());
                }
                ("agreement.onboarding", ("onboarding".into(), format!("{s} done by {}{}", actor.subject, if next.state == "live" { "; the service is live" } else { "" })))
            }
        };
        next.updated_at = t;
        if !store::update_agreement(conn, &next, a.revision)? {
            return Err(ApiError::Conflict("the agreement changed meanwhile; read it again".into()));
        }
        nn::document(conn, &a.id, &doc.0, &doc.1, doc.1.clone(), &actor.subject, t)?;
        if let Some(rid) = &a.request_id {
            nn::sync_request(conn, rid)?;
        }
        let after = serde_json::json!({"state": next.state, "end_date": next.end_date, "live_since": next.live_since});
        let note = AuditNote { action, resource_type: "agreement", resource_id: a.number.clone(), owner_org_id: Some(a.customer_org_id.clone()), before: Some(before), after: Some(after) };
        let fresh = load(conn, &number)?;
        Ok((detail(conn, fresh)?, note))
    })
    .await?;
    // Going live and ending change what is covered where.
    if matches!(d.agreement.state.as_str(), "live" | "terminated") {
        state.rebuild_after_write(false).await;
    }
    Ok(HttpResponse::Ok().json(d))
}

macro_rules! agreement_endpoint {
    ($name:ident, $path:literal, $op:literal, $doc:literal, |$b:ident| $step:expr, [$($extra:tt)*], $($body:tt)*) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])), $($body)*
            params(("number" = String, Path, description = "Contract number", pattern = "^EFA-[0-9]{4}-[0-9]{6,18}$")),
            responses((status = 200, body = AgreementDetail),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your side of the agreement"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the agreement's state"),
                $($extra)*
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, $b: crate::extract::OptionalJson) -> Result<HttpResponse, ApiError> {
            let step = $step;
            agreement_step(req, state, user.0, &path, step?).await
        }
    };
}

agreement_endpoint!(sign_agreement, "/agreements/{number}/sign", "sign_agreement",
    "Sign your side (provider, or the municipality / its bundler); both signed → active.", |_b| Ok::<_, ApiError>(AgreementStep::Sign), [],);
agreement_endpoint!(terminate_agreement, "/agreements/{number}/terminate", "terminate_agreement",
    "Terminate with notice; the end date follows from notice period and minimum term.",
    |b| parse_body::<Termination>(&b.0.unwrap_or(Value::Null)).map(|t| AgreementStep::Terminate(t.notice_date)),
    [(status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),],
    request_body = Option<Termination>,);

/// Mark an onboarding step done (by the party it belongs to); all done → live.
#[utoipa::path(tag = "nachnutzung", operation_id = "complete_onboarding_step", security(("bearer" = [])),
    params(("number" = String, Path, description = "Contract number", pattern = "^EFA-[0-9]{4}-[0-9]{6,18}$"), ("step" = OnboardingStep, Path, description = "Onboarding step")),
    responses((status = 200, body = AgreementDetail),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "The step belongs to the other party"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not active, or the step is done"),
        BadRequest, NotFound, Unavailable))]
#[post("/agreements/{number}/onboarding/{step}")]
pub async fn complete_onboarding_step(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (number, step) = path.into_inner();
    let step = OnboardingStep::parse(&step).map_err(|e| ApiError::bad_param("step", e))?;
    agreement_step(req, state, user.0, &number, AgreementStep::Onboard(step)).await
}
