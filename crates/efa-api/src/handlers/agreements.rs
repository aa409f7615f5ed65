//! Licence agreements (Nachnutzungsverträge), framework agreements (Rahmenverträge) with
//! accession (Beitritt), onboarding until live, and the cost estimate before ordering.

use super::{BadRequest, NotFound, Unavailable};
use crate::costs::{self, CostEstimate};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::nachnutzung::{self as nn, now, AgreementDraft};
use crate::params;
use crate::state::AppState;
use crate::write::{create, enforce, write_only, AuditNote, Created};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::FieldError;
use efa_domain::reuse::{onboarding_complete, termination_end, OnboardingStep, Party};
use efa_domain::{decide, Action, Ags, LandCode, Role};
use efa_store::reuse::{self as store, AgreementRow, FrameworkRow, OnboardingRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![FieldError { field: field.into(), message: message.into() }])
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
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
    pub total: usize,
}

/// Agreements your organisation is party to (operators: all).
#[utoipa::path(tag = "nachnutzung", operation_id = "list_agreements", security(("bearer" = [])),
    responses((status = 200, body = AgreementsResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"), Unavailable))]
#[get("/agreements")]
pub async fn list_agreements(state: web::Data<AppState>, user: Authenticated) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let rows = state.db(move |conn| Ok(store::list_agreements(conn, (!p.has(Role::Operator)).then_some(p.org_id.as_str()))?)).await?;
    let items: Vec<Agreement> = rows.into_iter().map(Agreement::from).collect();
    Ok(HttpResponse::Ok().json(AgreementsResponse { total: items.len(), items }))
}

fn detail(conn: &mut efa_store::DbConn, a: AgreementRow) -> Result<AgreementDetail, ApiError> {
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

fn load(conn: &mut efa_store::DbConn, number: &str) -> Result<AgreementRow, ApiError> {
    store::find_agreement(conn, number)?.ok_or_else(|| ApiError::not_found(format!("agreement {number} does not exist")))
}

fn check_number(raw: &str) -> Result<String, ApiError> {
    efa_domain::reuse::parse_contract_number(raw).map(|_| raw.to_owned()).ok_or_else(|| ApiError::bad_param("number", "is not a contract number like EFA-2026-000123"))
}

/// One agreement with its contract folder and onboarding (its parties, the coordinator of the
/// customer's Land, operators).
#[utoipa::path(tag = "nachnutzung", operation_id = "get_agreement", security(("bearer" = [])),
    params(("number" = String, Path, description = "Contract number", example = "EFA-2026-000001")),
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
        if let Err(e) = state.reload_coverage().await {
            tracing::error!(error = %e, "coverage rebuild failed");
        }
    }
    Ok(HttpResponse::Ok().json(d))
}

macro_rules! agreement_endpoint {
    ($name:ident, $path:literal, $op:literal, $doc:literal, |$b:ident| $step:expr, $($body:tt)*) => {
        #[doc = $doc]
        #[utoipa::path(tag = "nachnutzung", operation_id = $op, security(("bearer" = [])), $($body)*
            params(("number" = String, Path, description = "Contract number")),
            responses((status = 200, body = AgreementDetail),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not your side of the agreement"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the agreement's state"),
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, $b: Option<web::Json<Value>>) -> Result<HttpResponse, ApiError> {
            let step = $step;
            agreement_step(req, state, user.0, &path, step?).await
        }
    };
}

agreement_endpoint!(sign_agreement, "/agreements/{number}/sign", "sign_agreement",
    "Sign your side (provider, or the municipality / its bundler); both signed → active.", |_b| Ok::<_, ApiError>(AgreementStep::Sign),);
agreement_endpoint!(terminate_agreement, "/agreements/{number}/terminate", "terminate_agreement",
    "Terminate with notice; the end date follows from notice period and minimum term.",
    |b| parse_body::<Termination>(&b.map(|j| j.into_inner()).unwrap_or(Value::Null)).map(|t| AgreementStep::Terminate(t.notice_date)),
    request_body = Option<Termination>,);

/// Mark an onboarding step done (by the party it belongs to); all done → live.
#[utoipa::path(tag = "nachnutzung", operation_id = "complete_onboarding_step", security(("bearer" = [])),
    params(("number" = String, Path, description = "Contract number"), ("step" = OnboardingStep, Path, description = "Onboarding step")),
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

// ---- framework agreements ----

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkAgreement {
    pub id: String,
    pub online_service_id: String,
    pub provider_org_id: String,
    pub land: String,
    /// offered → approved (by the Land's coordinator) → municipalities accede.
    pub state: String,
    pub version: i32,
    pub terms_text: String,
    pub terms_version: String,
    pub approved_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<FrameworkRow> for FrameworkAgreement {
    fn from(f: FrameworkRow) -> Self {
        FrameworkAgreement {
            id: f.id,
            online_service_id: f.online_service_id,
            provider_org_id: f.provider_org_id,
            land: f.land_code,
            state: f.state,
            version: f.version,
            terms_text: f.terms_text,
            terms_version: f.terms_version,
            approved_at: f.approved_at.map(utc),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFramework {
    pub online_service_id: String,
    /// The Land whose municipalities may accede.
    pub land: String,
    pub terms_text: String,
    pub terms_version: String,
}

/// Offer a framework agreement for your listing in one Land (provider).
#[utoipa::path(tag = "nachnutzung", operation_id = "create_framework_agreement", security(("bearer" = [])), request_body = NewFramework,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = FrameworkAgreement, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a publisher of the listing's provider"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, Unavailable))]
#[post("/framework-agreements")]
pub async fn create_framework_agreement(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let input: NewFramework = parse_body(&body)?;
    let c = state.catalogue()?;
    let service = uuid::Uuid::parse_str(&input.online_service_id).ok().and_then(|u| c.service(&u.to_string())).ok_or_else(|| invalid("online_service_id", "is not a published online service"))?;
    let land = LandCode::parse(&input.land).map_err(|e| invalid("land", e.to_string()))?;
    let (text, version) = (input.terms_text.trim().to_owned(), input.terms_version.trim().to_owned());
    if text.is_empty() || text.chars().count() > 20_000 {
        return Err(invalid("terms_text", "must be 1 to 20000 characters"));
    }
    if version.is_empty() || version.chars().count() > 100 {
        return Err(invalid("terms_version", "must be 1 to 100 characters"));
    }
    let provider = service.detail.service.provider.id.clone();
    enforce(decide(Some(&p), &Action::OfferFramework { provider_org: &provider }), "offer a framework agreement for this listing")?;
    let service_id = service.detail.service.id.clone();
    create(&state, &p, &req, &body, move |conn| {
        let t = now();
        let f = FrameworkRow {
            id: uuid::Uuid::new_v4().to_string(),
            online_service_id: service_id,
            provider_org_id: provider.clone(),
            land_code: land.to_string(),
            state: "offered".into(),
            version: 1,
            terms_text: text,
            terms_version: version,
            revision: 1,
            approved_by: None,
            approved_at: None,
            created_at: t,
            updated_at: t,
        };
        store::insert_framework(conn, &f)?;
        let id = f.id.clone();
        let body = serde_json::to_value(FrameworkAgreement::from(f)).map_err(|e| ApiError::Internal(e.into()))?;
        let note = AuditNote { action: "framework.offer", resource_type: "framework_agreement", resource_id: id.clone(), owner_org_id: Some(provider), before: None, after: Some(body.clone()) };
        Ok((Created { body, location: format!("/api/v1/framework-agreements/{id}") }, note))
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FrameworkParams {
    #[param(value_type = Option<String>, example = "01")]
    pub land: Option<String>,
    #[param(value_type = Option<String>)]
    pub online_service: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworksResponse {
    pub items: Vec<FrameworkAgreement>,
    pub total: usize,
}

/// Framework agreements, public: a municipality sees what it can accede to.
#[utoipa::path(tag = "nachnutzung", operation_id = "list_framework_agreements", params(FrameworkParams),
    responses((status = 200, body = FrameworksResponse), BadRequest, Unavailable))]
#[get("/framework-agreements")]
pub async fn list_framework_agreements(state: web::Data<AppState>, q: web::Query<FrameworkParams>) -> Result<HttpResponse, ApiError> {
    let land = params::opt("land", &q.land, LandCode::parse)?.map(|l| l.to_string());
    let service = params::opt("online_service", &q.online_service, uuid::Uuid::parse_str)?.map(|u| u.to_string());
    let rows = state.db(move |conn| Ok(store::list_frameworks(conn, land.as_deref(), service.as_deref())?)).await?;
    let items: Vec<FrameworkAgreement> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(FrameworksResponse { total: items.len(), items }))
}

fn framework_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::bad_param("id", "is not a UUID"))
}

/// Approve a framework agreement once for the Land (coordinator of that Land).
#[utoipa::path(tag = "nachnutzung", operation_id = "approve_framework_agreement", security(("bearer" = [])),
    params(("id" = String, Path, description = "Framework agreement id")),
    responses((status = 200, body = FrameworkAgreement),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not the coordinator of its Land"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Already approved"),
        BadRequest, NotFound, Unavailable))]
#[post("/framework-agreements/{id}/approve")]
pub async fn approve_framework_agreement(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let p = user.0;
    let actor = p.clone();
    let f = write_only(&state, &p, &req, move |conn| {
        let f = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("no such framework agreement"))?;
        enforce(decide(Some(&actor), &Action::ApproveFramework { land: &f.land_code }), "approve this framework agreement")?;
        if !store::approve_framework(conn, &id, f.revision, &actor.subject, now())? {
            return Err(ApiError::Conflict(format!("the framework agreement is {}, not offered", f.state)));
        }
        let after = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("gone"))?;
        let note = AuditNote { action: "framework.approve", resource_type: "framework_agreement", resource_id: id, owner_org_id: Some(f.provider_org_id.clone()), before: Some(serde_json::json!({"state": f.state})), after: Some(serde_json::json!({"state": after.state})) };
        Ok((FrameworkAgreement::from(after), note))
    })
    .await?;
    Ok(HttpResponse::Ok().json(f))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Accession {
    /// The Gemeinde's organisation (default: the caller's own).
    pub municipality: Option<String>,
    pub start_date: Option<chrono::NaiveDate>,
}

/// Accede to an approved framework agreement (Beitrittserklärung): the agreement is made
/// at once, without a per-request approval, and records the framework and its version.
#[utoipa::path(tag = "nachnutzung", operation_id = "create_accession", security(("bearer" = [])), request_body = Option<Accession>,
    params(("id" = String, Path, description = "Framework agreement id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = AgreementDetail, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a municipality of the framework's Land"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Framework not approved"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, NotFound, Unavailable))]
#[post("/framework-agreements/{id}/accessions")]
pub async fn create_accession(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: Option<web::Json<Value>>) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let raw = body.map(|b| b.into_inner()).unwrap_or(Value::Null);
    let input: Accession = parse_body(&raw)?;
    let p = user.0;
    let c = state.catalogue()?;
    let municipality = input.municipality.clone().unwrap_or_else(|| p.org_id.clone());
    let org = c.org(&municipality).filter(|o| o.view.ags.is_some()).ok_or_else(|| invalid("municipality", "is not a Gemeinde's organisation"))?;
    let municipality_land = org.view.land.as_ref().map(|l| l.code.clone()).unwrap_or_default();
    let members_ok = if p.has(Role::Bundler) {
        let (b, m) = (p.org_id.clone(), municipality.clone());
        state
            .db(move |conn| {
                use diesel::prelude::*;
                use efa_store::schema::org_memberships as om;
                Ok(om::table.filter(om::bundler_org_id.eq(b)).filter(om::member_org_id.eq(m)).count().get_result::<i64>(conn)? == 1)
            })
            .await?
    } else {
        false
    };
    let actor = p.clone();
    create(&state, &p, &req, &raw, move |conn| {
        let f = store::find_framework(conn, &id)?.ok_or_else(|| ApiError::not_found("no such framework agreement"))?;
        enforce(
            decide(Some(&actor), &Action::Accede { municipality: &municipality, municipality_land: &municipality_land, framework_land: &f.land_code, members_ok }),
            "accede to this framework agreement for this Gemeinde",
        )?;
        if f.state != "approved" {
            return Err(ApiError::Conflict(format!("the framework agreement is {}; only approved ones can be acceded to", f.state)));
        }
        let start = input.start_date.unwrap_or_else(|| now().date());
        let mut a = nn::create_agreement(
            conn,
            &c,
            &AgreementDraft {
                service_id: &f.online_service_id,
                customer_org: &municipality,
                signatory_org: &actor.org_id,
                request_id: None,
                framework: Some((&f.id, f.version, &f.terms_text, &f.terms_version)),
                parent_agreement_id: None,
                start,
                minimum_term_months: 12,
                notice_months: 3,
                actor: &actor.subject,
            },
        )?;
        // The Beitrittserklärung is the customer's signature; the provider signed by offering
        // the framework and the Land by approving it: the agreement is active at once.
        let t = now();
        let mut next = a.clone();
        next.customer_signed_at = Some(t);
        next.customer_signed_by = Some(actor.subject.clone());
        next.provider_signed_at = f.approved_at.or(Some(t));
        next.provider_signed_by = Some(format!("framework agreement {} version {}", f.id, f.version));
        next.state = "active".into();
        next.updated_at = t;
        if !store::update_agreement(conn, &next, a.revision)? {
            return Err(ApiError::Conflict("the agreement changed meanwhile".into()));
        }
        nn::document(conn, &a.id, "accession", "Beitrittserklärung", format!("{} accedes to framework agreement {} version {}", actor.subject, f.id, f.version), &actor.subject, t)?;
        a = load(conn, &a.number)?;
        let number = a.number.clone();
        let d = detail(conn, a)?;
        let body = serde_json::to_value(&d).map_err(|e| ApiError::Internal(e.into()))?;
        let note = AuditNote { action: "framework.accede", resource_type: "agreement", resource_id: number.clone(), owner_org_id: Some(municipality.clone()), before: None, after: Some(serde_json::json!({"framework": f.id, "version": f.version, "state": "active"})) };
        Ok((Created { body, location: format!("/api/v1/agreements/{number}") }, note))
    })
    .await
}

// ---- cost estimate ----

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EstimateParams {
    /// AGS of the Gemeinde.
    #[param(value_type = String, example = "05315000")]
    pub ags: Option<String>,
    /// Start date (default today).
    #[param(value_type = Option<String>, format = Date, example = "2027-07-01")]
    pub start: Option<String>,
}

/// What this Gemeinde would pay in the first and the following year, before ordering.
#[utoipa::path(tag = "nachnutzung", operation_id = "get_cost_estimate", params(("id" = String, Path, description = "Online service id"), EstimateParams),
    responses((status = 200, body = CostEstimate), BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/cost-estimate")]
pub async fn get_cost_estimate(state: web::Data<AppState>, path: web::Path<String>, q: web::Query<EstimateParams>) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&path).map_err(|_| ApiError::bad_param("id", "is not a UUID"))?.to_string();
    let ags = params::opt("ags", &q.ags, Ags::parse)?.ok_or_else(|| ApiError::bad_param("ags", "is required"))?;
    let start = params::opt("start", &q.start, |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)")))?
        .unwrap_or_else(|| now().date());
    let c = state.catalogue()?;
    let s = c.service(&id).ok_or_else(|| ApiError::not_found(format!("online service {id} does not exist")))?;
    let g = c.gemeinde(ags.as_str()).ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))?;
    Ok(HttpResponse::Ok().json(costs::estimate(&c, s, g, start)))
}
