//! Framework agreements (Rahmenverträge) with accession (Beitritt), as in Schleswig-Holstein's
//! OZG-Shop; and the cost estimate a Gemeinde sees before ordering.

use super::agreements::{detail, load, AgreementDetail};
use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::costs::{self, CostEstimate};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::nachnutzung::{self as nn, now, AgreementDraft};
use crate::params;
use crate::state::AppState;
use crate::write::{create, enforce, write_only, AuditNote, Created};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::FieldError;
use efa_domain::{decide, Action, Ags, KreisCode, LandCode, Role};
use efa_store::reuse::{self as store, FrameworkRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable(vec![FieldError { field: field.into(), message: message.into() }])
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
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/framework-agreements")]
pub async fn create_framework_agreement(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let input: NewFramework = super::agreements::parse_body(&body)?;
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
    params(("id" = String, Path, description = "Framework agreement id", format = Uuid)),
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
    params(("id" = String, Path, description = "Framework agreement id", format = Uuid), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation")),
    responses((status = 201, body = AgreementDetail, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a municipality of the framework's Land"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Framework not approved"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, NotFound, Unavailable))]
#[post("/framework-agreements/{id}/accessions")]
pub async fn create_accession(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: crate::extract::OptionalJson) -> Result<HttpResponse, ApiError> {
    let id = framework_id(&path)?;
    let raw = body.0.unwrap_or(Value::Null);
    let input: Accession = super::agreements::parse_body(&raw)?;
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
    /// AGS of the Gemeinde (give this or `kreis`).
    #[param(value_type = Option<String>, example = "05315000")]
    pub ags: Option<String>,
    /// Code of a Kreis ordering for all its Gemeinden (give this or `ags`).
    #[param(value_type = Option<String>, example = "05334")]
    pub kreis: Option<String>,
    /// Start date (default today).
    #[param(value_type = Option<String>, format = Date, example = "2027-07-01")]
    pub start: Option<String>,
}

/// What this Gemeinde (or Kreis) would pay in the first and the following year, before ordering.
#[utoipa::path(tag = "nachnutzung", operation_id = "get_cost_estimate", params(("id" = String, Path, description = "Online service id", format = Uuid), EstimateParams),
    responses((status = 200, body = CostEstimate), BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/cost-estimate")]
pub async fn get_cost_estimate(state: web::Data<AppState>, path: web::Path<String>, q: web::Query<EstimateParams>) -> Result<HttpResponse, ApiError> {
    let id = uuid::Uuid::parse_str(&path).map_err(|_| ApiError::bad_param("id", "is not a UUID"))?.to_string();
    let ags = params::opt("ags", &q.ags, Ags::parse)?;
    let kreis = params::opt("kreis", &q.kreis, KreisCode::parse)?;
    let start = params::opt("start", &q.start, |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)")))?
        .unwrap_or_else(|| now().date());
    let c = state.catalogue()?;
    let s = c.service(&id).ok_or_else(|| ApiError::not_found(format!("online service {id} does not exist")))?;
    let payer = match (&ags, &kreis) {
        (Some(ags), None) => costs::Payer::gemeinde(c.gemeinde(ags.as_str()).ok_or_else(|| ApiError::not_found(format!("Gemeinde {ags} does not exist")))?),
        (None, Some(k)) => costs::Payer::kreis(c.kreis(k.as_str()).ok_or_else(|| ApiError::not_found(format!("Kreis {k} does not exist")))?),
        _ => return Err(ApiError::bad_param("ags", "give exactly one of ags (a Gemeinde) and kreis (a Kreis)")),
    };
    Ok(HttpResponse::Ok().json(costs::estimate(&c, s, payer, start)))
}
