//! Licence agreements (Nachnutzungsverträge) over HTTP; the rules live in
//! [`crate::operations::agreements`].

use super::{BadRequest, NotFound, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::operations::agreements::{self as op, Agreement, AgreementDetail, AgreementStep, Termination, AGREEMENT_STATES};
use crate::params::{cursor_link_header, next_cursor, PageMeta, RecordList, RecordListParams};
use crate::state::AppState;
use crate::write::Ctx;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use efa_domain::reuse::OnboardingStep;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementsResponse {
    pub items: Vec<Agreement>,
    #[serde(flatten)]
    pub meta: PageMeta,
    /// The cursor of the next page (`after=`), when this page is full.
    pub next_cursor: Option<String>,
}

/// Agreements your organisation is party to (operators: all), newest number first
/// (`sort=number`: oldest first), a page at a time: by `page` or by cursor (`after=` the
/// `next_cursor` of the page before, the last contract number seen).
#[utoipa::path(tag = "nachnutzung", operation_id = "list_agreements", security(("bearer" = [])), params(RecordListParams),
    responses((status = 200, body = AgreementsResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"), BadRequest, Unavailable))]
#[get("/agreements")]
pub async fn list_agreements(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<RecordListParams>) -> Result<HttpResponse, ApiError> {
    let (filter, page) = q.parse(RecordList::Agreements, &AGREEMENT_STATES)?;
    let keyset = filter.after.is_some();
    let (items, total) = op::list(&state, &user.0, filter, page).await?;
    let next = next_cursor(&items, page, |a| a.number.clone());
    let link = if keyset { cursor_link_header(&req, next.as_deref()) } else { page.link_header(&req, total) };
    Ok(crate::http::json_with_links(&AgreementsResponse { items, meta: PageMeta::new(page, total), next_cursor: next }, link))
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
    Ok(HttpResponse::Ok().json(op::get(&state, &user.0, &path).await?))
}

async fn agreement_step(req: HttpRequest, state: web::Data<AppState>, p: efa_domain::Principal, raw: &str, step: AgreementStep) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(op::step(&state, &p, &Ctx::of(&req), raw, step).await?))
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
    |b| super::parse_optional_body::<Termination>(&b.0.unwrap_or(Value::Null)).map(|t| AgreementStep::Terminate(t.notice_date)),
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
