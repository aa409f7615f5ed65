//! Assembles the actix application: routes, extractor error handlers, fallbacks, middleware.

use crate::error::{ApiError, ProblemDetails, PROBLEM_JSON};
use crate::handlers::{adoption, agreements, audit, catalogue, catalogue_admin, coverage, dashboard, events, frameworks, listings, ops, organisations, places, reuse, review, services, webhooks};
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, ResponseError};
use std::sync::Arc;
use std::time::Instant;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(catalogue::list_themenfelder)
            .service(catalogue::list_lebenslagen)
            .service(catalogue::list_ozg_leistungen)
            .service(catalogue::get_ozg_leistung)
            .service(catalogue::get_leika_leistung)
            .service(catalogue_admin::get_ozg_leistung_history)
            .service(catalogue_admin::create_ozg_leistung)
            .service(catalogue_admin::update_ozg_leistung)
            .service(catalogue_admin::put_leika_leistung)
            .service(catalogue_admin::update_themenfeld)
            .service(catalogue_admin::import_catalogue)
            .service(catalogue_admin::import_availability)
            .service(catalogue_admin::list_catalogue_versions)
            .service(catalogue_admin::get_catalogue_version)
            .service(services::list_online_services)
            .service(services::get_online_service)
            .service(listings::create_online_service)
            .service(listings::get_listing)
            .service(listings::update_online_service)
            .service(listings::submit_online_service)
            .service(listings::approve_online_service)
            .service(listings::reject_online_service)
            .service(listings::retire_online_service)
            .service(listings::list_online_service_versions)
            .service(listings::list_listings)
            .service(review::list_possible_duplicates)
            .service(audit::list_audit_events)
            .service(events::list_events)
            .service(webhooks::create_webhook)
            .service(webhooks::list_webhooks)
            .service(webhooks::get_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::enable_webhook)
            .service(webhooks::list_webhook_deliveries)
            .service(reuse::create_reuse_request)
            .service(reuse::list_reuse_requests)
            .service(reuse::get_reuse_request)
            .service(reuse::submit_reuse_request)
            .service(reuse::withdraw_reuse_request)
            .service(reuse::approve_reuse_request)
            .service(reuse::reject_reuse_request)
            .service(reuse::accept_reuse_request)
            .service(reuse::decline_reuse_request)
            .service(reuse::list_request_messages)
            .service(reuse::create_request_message)
            .service(agreements::list_agreements)
            .service(agreements::get_agreement)
            .service(agreements::sign_agreement)
            .service(agreements::terminate_agreement)
            .service(agreements::complete_onboarding_step)
            .service(frameworks::create_framework_agreement)
            .service(frameworks::list_framework_agreements)
            .service(frameworks::approve_framework_agreement)
            .service(frameworks::create_accession)
            .service(frameworks::get_cost_estimate)
            .service(coverage::get_gemeinde_coverage)
            .service(coverage::get_next_for_gemeinde)
            .service(coverage::get_kreis_coverage)
            .service(coverage::get_land_coverage)
            .service(coverage::get_ozg_coverage)
            .service(adoption::get_adoption)
            .service(dashboard::get_dashboard_records)
            .service(organisations::list_organisations)
            .service(organisations::get_organisation)
            .service(places::list_laender)
            .service(places::list_kreise)
            .service(places::list_gemeinden)
            .service(places::get_gemeinde),
    )
    .service(ops::healthz)
    .service(ops::readyz)
    .service(ops::metrics);
}

/// The route table without state, for the OpenAPI document.
pub(crate) fn routes_only() -> (App<impl ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>>, utoipa::openapi::OpenApi) {
    let (app, api) = App::new().into_utoipa_app().openapi(crate::openapi::ApiDoc::openapi()).configure(routes).split_for_parts();
    (app, crate::openapi::with_links(api))
}

/// One path template of the route table and the methods it answers.
struct RouteTemplate {
    segments: Vec<Option<String>>,
    methods: Vec<String>,
}

/// Known paths and methods, taken from the OpenAPI document (the route table), so that
/// a wrong method on a known path answers 405 with `Allow` instead of 404.
struct RouteTable(Vec<RouteTemplate>);

impl RouteTable {
    fn from_spec(api: &utoipa::openapi::OpenApi) -> RouteTable {
        let mut routes: Vec<RouteTemplate> = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (m, op) in [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("PATCH", &item.patch), ("DELETE", &item.delete)] {
                    if op.is_some() {
                        methods.push(m.to_owned());
                    }
                }
                let segments = path.split('/').map(|s| if s.starts_with('{') { None } else { Some(s.to_owned()) }).collect();
                RouteTemplate { segments, methods }
            })
            .collect();
        for extra in ["/openapi.json", "/docs"] {
            routes.push(RouteTemplate { segments: extra.split('/').map(|s| Some(s.to_owned())).collect(), methods: vec!["GET".into()] });
        }
        RouteTable(routes)
    }

    fn allowed(&self, path: &str) -> Vec<String> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<String> = self
            .0
            .iter()
            .filter(|r| r.segments.len() == parts.len() && r.segments.iter().zip(&parts).all(|(s, p)| s.as_deref().is_none_or(|s| s == *p)))
            .flat_map(|r| r.methods.iter().cloned())
            .collect();
        if allowed.iter().any(|m| m == "GET") {
            allowed.push("HEAD".to_owned());
        }
        allowed.sort();
        allowed.dedup();
        allowed
    }
}

async fn fallback(req: HttpRequest, table: web::Data<Arc<RouteTable>>, frontend: Option<web::Data<Arc<Frontend>>>) -> HttpResponse {
    if let Some(f) = frontend.filter(|_| !is_api_path(req.path())) {
        return (f.not_found)(&req);
    }
    let allowed = table.allowed(req.path());
    let err = if allowed.is_empty() {
        ApiError::not_found(format!("no resource at {}", truncate(req.path(), 200)))
    } else {
        ApiError::MethodNotAllowed { method: req.method().to_string(), allowed: allowed.join(", ") }
    };
    err.error_response()
}

/// `/docs` leads to the Swagger UI, which lives under `/docs/`.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/docs/")).finish()
}

/// Error answers made outside our handlers (the Swagger UI's empty 404 for an unknown asset,
/// its plain-text 500) get a problem document too: no error leaves as HTML, text or nothing.
fn ensure_problem<B>(res: ServiceResponse<B>, has_frontend: bool) -> ServiceResponse<EitherBody<B>> {
    if has_frontend && !is_api_path(res.request().path()) {
        return res.map_into_left_body();
    }
    let status = res.status();
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return res.map_into_left_body();
    }
    let problem = if status == StatusCode::NOT_FOUND {
        ApiError::not_found(format!("no resource at {}", truncate(res.request().path(), 200))).error_response()
    } else {
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let p = ProblemDetails { kind: "about:blank".into(), detail: title.clone(), title, status: status.as_u16(), parameter: None, errors: Vec::new() };
        HttpResponse::build(status).content_type(PROBLEM_JSON).json(p)
    };
    res.into_response(problem).map_into_right_body()
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    // serde names the offending field: "unknown field `foo`, expected one of …".
    let parameter = message.split('`').nth(1).unwrap_or("query").to_owned();
    ApiError::BadParameter { parameter, message }.into()
}

fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge { limit: BODY_LIMIT }.into(),
        E::ContentType => ApiError::UnsupportedMediaType("the body must be application/json".into()).into(),
        other => ApiError::BadRequest(format!("malformed JSON body: {other}")).into(),
    }
}

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(new_request_id)
}

/// A fresh request id, a version-4 UUID: from a per-thread sequence seeded once by the system's
/// random source and mixed by SplitMix64 (a bijection, so a thread never repeats an id).
/// Request ids must be unique, not secret: no system call per request for them.
fn new_request_id() -> String {
    use std::cell::Cell;
    fn mix(mut z: u64) -> u64 {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    thread_local! {
        static SEQ: Cell<(u64, u64)> = Cell::new(uuid::Uuid::new_v4().as_u64_pair());
    }
    let (hi, lo) = SEQ.with(|s| {
        let (a, b) = s.get();
        let next = (a.wrapping_add(0x9e37_79b9_7f4a_7c15), b.wrapping_add(0x9e37_79b9_7f4a_7c15));
        s.set(next);
        (mix(next.0), mix(next.1))
    });
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

/// A front end served by the same application beside the API (the shop): its routes, mounted
/// after the API's, and the answer for a path neither knows.
pub struct Frontend {
    pub configure: Box<dyn Fn(&mut web::ServiceConfig) + Send + Sync>,
    pub not_found: fn(&HttpRequest) -> HttpResponse,
}

/// Paths the JSON API owns: their errors are problem documents, whatever else is mounted.
pub fn is_api_path(path: &str) -> bool {
    ["/api/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics"].iter().any(|p| path == p.trim_end_matches('/') || path.starts_with(p))
}

/// The application with all routes, docs, fallbacks and middleware.
pub fn app(state: AppState) -> App<impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>> {
    app_with(state, None)
}

/// [`app`] with a front end mounted beside the API.
pub fn app_with(
    state: AppState,
    frontend: Option<Arc<Frontend>>,
) -> App<impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>> {
    let metrics = state.metrics.clone();
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(crate::openapi::ApiDoc::openapi())
        .app_data(web::Data::new(state))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(
            web::JsonConfig::default()
                .limit(BODY_LIMIT)
                // JSON, and JSON merge patch (RFC 7396) for PATCH.
                .content_type(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
                .content_type_required(true)
                .error_handler(json_error),
        )
        .app_data(web::PathConfig::default().error_handler(|err, _| ApiError::BadRequest(err.to_string()).into()))
        .configure(routes)
        .split_for_parts();
    let api = crate::openapi::with_links(api);
    let table = Arc::new(RouteTable::from_spec(&api));
    let has_frontend = frontend.is_some();
    let mut app = app
        .app_data(web::Data::new(table))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .route("/docs", web::get().to(|| async { HttpResponse::PermanentRedirect().insert_header((actix_web::http::header::LOCATION, "/docs/")).finish() }))
        .service(web::resource("/docs").guard(actix_web::guard::Get()).to(docs_redirect));
    if let Some(f) = frontend {
        app = app.configure(|cfg| (f.configure)(cfg)).app_data(web::Data::new(f));
    }
    app.default_service(web::to(fallback))
        .wrap_fn(move |mut req, srv| {
            let started = Instant::now();
            let id = request_id(&req);
            actix_web::HttpMessage::extensions_mut(&req).insert(crate::extract::RequestId(id.clone()));
            let method = crate::metrics::method_label(req.method());
            // HEAD is GET without the body (RFC 9110 §9.3.2): routed as GET; the HTTP codec
            // noted the HEAD when it read the request and leaves the body out of the answer.
            if req.method() == actix_web::http::Method::HEAD {
                req.head_mut().method = actix_web::http::Method::GET;
            }
            let metrics = metrics.clone();
            let fut = srv.call(req);
            async move {
                let mut res = ensure_problem(fut.await?, has_frontend);
                let status = res.status().as_u16();
                let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
                let elapsed = started.elapsed();
                if let Ok(v) = HeaderValue::from_str(&id) {
                    res.headers_mut().insert(HeaderName::from_static("x-request-id"), v);
                }
                tracing::info!(
                    request_id = %id,
                    method = %method,
                    route = %route,
                    status,
                    duration_us = elapsed.as_micros() as u64,
                    "request"
                );
                metrics.observe(route, method, status, elapsed.as_secs_f64());
                Ok(res)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 4)));
    }

    #[test]
    fn route_table_knows_methods_of_templated_paths() {
        let table = RouteTable::from_spec(&crate::openapi::spec());
        assert_eq!(table.allowed("/api/v1/ozg-leistungen/10092"), vec!["GET", "HEAD", "PATCH"]);
        assert_eq!(table.allowed("/api/v1/laender"), vec!["GET", "HEAD"]);
        assert_eq!(table.allowed("/api/v1/reuse-requests/x/submit"), vec!["POST"]);
        assert!(table.allowed("/api/v1/nothing").is_empty());
        assert!(table.allowed("/api/v1/ozg-leistungen/1/extra").is_empty());
    }
}
