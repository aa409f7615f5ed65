//! Framework agreements (Rahmenverträge) with accession (Beitritt), as in Schleswig-Holstein's
//! OZG-Shop; and the cost estimate a Gemeinde sees before ordering.

use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::costs::CostEstimate;
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::operations::agreements::AgreementDetail;
use crate::operations::frameworks::{self as op, Accession, FrameworkAgreement, NewFramework};
use crate::params;
use crate::state::AppState;
use crate::write::Ctx;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::{Ags, KreisCode, LandCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

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
    let input: NewFramework = super::parse_optional_body(&body)?;
    Ok(op::offer(&state, &user.0, &Ctx::of(&req), input).await?.into_response())
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
    let items: Vec<FrameworkAgreement> = op::list(&state, land, service).await?;
    Ok(HttpResponse::Ok().json(FrameworksResponse { total: items.len(), items }))
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
    Ok(HttpResponse::Ok().json(op::approve(&state, &user.0, &Ctx::of(&req), &path).await?))
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
    let id = crate::operations::parse_uuid("id", &path)?;
    let raw = body.0.unwrap_or(Value::Null);
    let input: Accession = super::parse_optional_body(&raw)?;
    Ok(op::accede(&state, &user.0, &Ctx::of(&req), &id, input).await?.into_response())
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
    let id = crate::operations::parse_uuid("id", &path)?;
    let ags = params::opt("ags", &q.ags, Ags::parse)?;
    let kreis = params::opt("kreis", &q.kreis, KreisCode::parse)?;
    let start = params::opt("start", &q.start, |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD)")))?;
    Ok(HttpResponse::Ok().json(op::estimate(&state, &id, ags, kreis, start)?))
}
