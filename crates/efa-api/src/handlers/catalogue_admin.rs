//! Keeping the catalogue current (operators): catalogue imports with a dry run, corrections of
//! one OZG-Leistung, LeiKa link or Themenfeld, the dashboard's export of what is online where,
//! the catalogue versions, and (public) the history of an OZG-Leistung.

use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::operations::catalogue::{
    self as op, AvailabilityImportBody, AvailabilityReport, CatalogueImportBody, CatalogueVersion, HistoryEntry, ImportReport, LeikaLink, NewOzgLeistung,
    OzgLeistungChange, ThemenfeldLeadReport, ThemenfeldLead,
};
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use crate::write::{enforce, Ctx};
use actix_web::http::header;
use actix_web::{get, patch, post, put, web, HttpRequest, HttpResponse};
use efa_domain::{decide, Action};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The largest import body: the whole 2019 catalogue's files are about 1.2 MB.
pub const IMPORT_LIMIT: usize = 32 * 1024 * 1024;

/// Reads a JSON body of up to [`IMPORT_LIMIT`] bytes (the API's other bodies stop at 64 KiB).
async fn big_json(req: &HttpRequest, payload: web::Payload) -> Result<Value, ApiError> {
    let essence = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).map(|v| v.trim().to_ascii_lowercase());
    if !essence.is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))) {
        return Err(ApiError::UnsupportedMediaType("the body must be application/json".into()));
    }
    let body = payload
        .to_bytes_limited(IMPORT_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit: IMPORT_LIMIT })?
        .map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
    serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: compare and answer the difference, write nothing.
    #[param(value_type = Option<bool>)]
    pub dry_run: Option<String>,
}

fn report_response(report: &ImportReport) -> HttpResponse {
    match &report.version {
        Some(v) => HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/catalogue/versions/{}", v.id))).json(report),
        None => HttpResponse::Ok().json(report),
    }
}

/// Import a newer OZG catalogue (operator): files in the shape of `seed-data/`. Answers the
/// difference to the current catalogue; with `dry_run=true` nothing is written, else it is
/// applied in one transaction and recorded as a catalogue version (201). OZG-Leistungen left
/// out are retired, never deleted; their listings are flagged for their providers.
#[utoipa::path(tag = "catalogue-admin", operation_id = "import_catalogue", security(("bearer" = [])), params(ImportParams), request_body = CatalogueImportBody,
    responses((status = 200, body = ImportReport, description = "Dry run, or nothing changed"), (status = 201, body = ImportReport, headers(("Location" = String)), description = "Applied"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "A file is malformed or of another shape: `file:line: column: message`"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/catalogue/imports")]
pub async fn import_catalogue(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<ImportParams>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let dry_run = params::boolean("dry_run", &q.dry_run)?.unwrap_or(false);
    enforce(decide(Some(&user.0), &Action::ManageCatalogue), "change the catalogue")?;
    let body: CatalogueImportBody = super::parse_body(&big_json(&req, payload).await?)?;
    Ok(report_response(&op::import(&state, &user.0, &Ctx::of(&req), body, dry_run).await?))
}

/// Import the federal dashboard's per-ARS export (operator): the open-pvog CSV of
/// bundesAPI/digitale-verwaltung-api. Its online records replace the previous export's as
/// "known online elsewhere", shown in coverage beside what agreements provide.
#[utoipa::path(tag = "catalogue-admin", operation_id = "import_availability", security(("bearer" = [])), params(ImportParams), request_body = AvailabilityImportBody,
    responses((status = 200, body = AvailabilityReport, description = "Dry run"), (status = 201, body = AvailabilityReport, headers(("Location" = String)), description = "Applied"),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "The export is malformed or of another shape: `file:line: column: message`"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/availability/imports")]
pub async fn import_availability(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<ImportParams>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let dry_run = params::boolean("dry_run", &q.dry_run)?.unwrap_or(false);
    enforce(decide(Some(&user.0), &Action::ManageCatalogue), "change the catalogue")?;
    let body: AvailabilityImportBody = super::parse_body(&big_json(&req, payload).await?)?;
    let report = op::import_availability(&state, &user.0, &Ctx::of(&req), body, dry_run).await?;
    Ok(match &report.version {
        Some(v) => HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/catalogue/versions/{}", v.id))).json(&report),
        None => HttpResponse::Ok().json(&report),
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionsParams {
    /// `import`, `edit` or `availability`.
    #[param(value_type = Option<String>)]
    pub kind: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueVersionsResponse {
    pub items: Vec<CatalogueVersion>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// The catalogue versions, newest first (operator).
#[utoipa::path(tag = "catalogue-admin", operation_id = "list_catalogue_versions", security(("bearer" = [])), params(VersionsParams),
    responses((status = 200, body = CatalogueVersionsResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        BadRequest, Unavailable))]
#[get("/catalogue/versions")]
pub async fn list_catalogue_versions(state: web::Data<AppState>, user: Authenticated, q: web::Query<VersionsParams>) -> Result<HttpResponse, ApiError> {
    enforce(decide(Some(&user.0), &Action::ManageCatalogue), "read the catalogue versions")?;
    let kind = params::opt("kind", &q.kind, |s| if ["import", "edit", "availability"].contains(&s) { Ok(s.to_owned()) } else { Err("is not import, edit or availability".to_owned()) })?;
    let page = Page::parse(&q.page, &q.per_page)?;
    let (items, total) = op::versions(&state, kind, page.offset(), i64::from(page.per_page)).await?;
    Ok(HttpResponse::Ok().json(CatalogueVersionsResponse { items, meta: PageMeta::new(page, usize::try_from(total).unwrap_or(0)) }))
}

/// One catalogue version (operator).
#[utoipa::path(tag = "catalogue-admin", operation_id = "get_catalogue_version", security(("bearer" = [])),
    params(("id" = String, Path, description = "Version id (UUID)", format = Uuid)),
    responses((status = 200, body = CatalogueVersion),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        BadRequest, NotFound, Unavailable))]
#[get("/catalogue/versions/{id}")]
pub async fn get_catalogue_version(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    enforce(decide(Some(&user.0), &Action::ManageCatalogue), "read the catalogue versions")?;
    let id = crate::operations::parse_uuid("id", &path)?;
    let v = state.db(move |conn| Ok(efa_store::catalogue::find_version(conn, &id)?)).await?.ok_or_else(|| ApiError::not_found("no such catalogue version"))?;
    Ok(HttpResponse::Ok().json(CatalogueVersion::from(v)))
}

#[derive(Serialize, ToSchema)]
pub struct OzgHistoryResponse {
    pub ozg_id: i32,
    /// Oldest first.
    pub items: Vec<HistoryEntry>,
}

/// Every change to one OZG-Leistung since the seed, oldest first: added, renamed or moved,
/// LeiKa-Leistungen added, moved away or removed, retired (with successor), reinstated.
#[utoipa::path(tag = "catalogue", operation_id = "get_ozg_leistung_history",
    params(("ozg_id" = i32, Path, description = "OZG-ID", example = 10092)),
    responses((status = 200, body = OzgHistoryResponse), BadRequest, NotFound, Unavailable))]
#[get("/ozg-leistungen/{ozg_id}/history")]
pub async fn get_ozg_leistung_history(state: web::Data<AppState>, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let items = op::history(&state, &path).await.map_err(|e| match e {
        ApiError::BadParameter { message, .. } => ApiError::BadParameter { parameter: "ozg_id".into(), message },
        other => other,
    })?;
    let ozg_id = path.parse().unwrap_or_default();
    Ok(HttpResponse::Ok().json(OzgHistoryResponse { ozg_id, items }))
}

/// Add one OZG-Leistung (operator); recorded as a catalogue version of kind `edit`.
#[utoipa::path(tag = "catalogue-admin", operation_id = "create_ozg_leistung", security(("bearer" = [])), request_body = NewOzgLeistung,
    responses((status = 201, body = ImportReport, headers(("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "The OZG-ID exists"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/ozg-leistungen")]
pub async fn create_ozg_leistung(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let input: NewOzgLeistung = super::parse_body(&body)?;
    let id = input.ozg_id;
    let report = op::create_ozg(&state, &user.0, &Ctx::of(&req), input).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, format!("/api/v1/ozg-leistungen/{id}"))).json(report))
}

/// Correct one OZG-Leistung (operator): name, Lebenslage, Themenfeld; `retired: true` retires
/// it (with `successor_ozg_id`; its listings are flagged), `retired: false` takes it back.
#[utoipa::path(tag = "catalogue-admin", operation_id = "update_ozg_leistung", security(("bearer" = [])), request_body = OzgLeistungChange,
    params(("ozg_id" = i32, Path, description = "OZG-ID", example = 10092)),
    responses((status = 200, body = ImportReport),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[patch("/ozg-leistungen/{ozg_id}")]
pub async fn update_ozg_leistung(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let input: OzgLeistungChange = super::parse_body(&body)?;
    let report = op::update_ozg(&state, &user.0, &Ctx::of(&req), &path, input).await.map_err(|e| match e {
        ApiError::BadParameter { message, .. } => ApiError::BadParameter { parameter: "ozg_id".into(), message },
        other => other,
    })?;
    Ok(HttpResponse::Ok().json(report))
}

/// Link a LeiKa key to an OZG-Leistung, or add a new key (operator).
#[utoipa::path(tag = "catalogue-admin", operation_id = "put_leika_leistung", security(("bearer" = [])), request_body = LeikaLink,
    params(("key" = String, Path, description = "14-digit LeiKa key", example = "99107023000000", pattern = "^[0-9]{14}$")),
    responses((status = 200, body = ImportReport),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[put("/leika/{key}")]
pub async fn put_leika_leistung(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let input: LeikaLink = super::parse_body(&body)?;
    Ok(HttpResponse::Ok().json(op::put_leika(&state, &user.0, &Ctx::of(&req), &path, input).await?))
}

/// Set a Themenfeld's lead Land and Bundesressort (operator).
#[utoipa::path(tag = "catalogue-admin", operation_id = "update_themenfeld", security(("bearer" = [])), request_body = ThemenfeldLead,
    params(("id" = i32, Path, description = "Themenfeld id", example = 6)),
    responses((status = 200, body = ThemenfeldLeadReport),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[patch("/themenfelder/{id}")]
pub async fn update_themenfeld(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let input: ThemenfeldLead = super::parse_body(&body)?;
    Ok(HttpResponse::Ok().json(op::set_themenfeld_lead(&state, &user.0, &Ctx::of(&req), &path, input).await?))
}
