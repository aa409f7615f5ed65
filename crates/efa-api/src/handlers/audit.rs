//! The audit log, read-only: operators read every event, an organisation its own.

use super::{BadRequest, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::extract::Authenticated;
use crate::http::json_with_links;
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_store::audit::AuditQuery;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Id of the resource the events are about.
    #[param(value_type = Option<String>)]
    pub resource: Option<String>,
    /// Subject of the actor.
    #[param(value_type = Option<String>)]
    pub actor: Option<String>,
    /// Id of the organisation the actor acted for.
    #[param(value_type = Option<String>)]
    pub org: Option<String>,
    /// The action, e.g. `reuse_request.submit`.
    #[param(value_type = Option<String>, example = "reuse_request.submit")]
    pub action: Option<String>,
    /// The kind of resource: `online_service`, `reuse_request`, `agreement`, `framework_agreement`, `webhook`.
    #[param(value_type = Option<String>, example = "agreement")]
    pub resource_type: Option<String>,
    /// Only events at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-25T00:00:00Z")]
    pub since: Option<String>,
    /// Only events before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-26T00:00:00Z")]
    pub until: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub actor_org_id: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventsResponse {
    pub items: Vec<AuditEvent>,
    #[serde(flatten)]
    pub meta: PageMeta,
}

/// The kinds of resource the audit log records.
const RESOURCE_TYPES: [&str; 9] = ["online_service", "reuse_request", "agreement", "framework_agreement", "webhook", "catalogue_version", "ozg_leistung", "leika_leistung", "themenfeld"];

/// An action's shape: `<resource>.<verb>`, lower-case words joined by `_`.
fn is_action(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.len() <= 40 && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    matches!(s.split_once('.'), Some((a, b)) if word(a) && word(b))
}

/// Audit events, newest first. Nothing in the API changes or deletes them.
#[utoipa::path(tag = "audit", operation_id = "list_audit_events", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = AuditEventsResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, Unavailable))]
#[get("/audit-events")]
pub async fn list_audit_events(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, q: web::Query<AuditParams>) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let page = Page::parse(&q.page, &q.per_page)?;
    let instant = |name: &str, raw: &Option<String>| params::opt(name, raw, |s| chrono::DateTime::parse_from_rfc3339(s).map(|d| d.naive_utc()).map_err(|_| format!("{s:?} is not an RFC 3339 timestamp")));
    let query = AuditQuery {
        resource_id: params::text("resource", &q.resource)?,
        actor: params::text("actor", &q.actor)?,
        actor_org: params::opt("org", &q.org, |s| uuid::Uuid::parse_str(s).map(|u| u.to_string()).map_err(|_| "is not an organisation id (a UUID)"))?,
        action: params::opt("action", &q.action, |s| if is_action(s) { Ok(s.to_owned()) } else { Err("is not an action (like reuse_request.submit)") })?,
        resource_type: params::opt("resource_type", &q.resource_type, |s| if RESOURCE_TYPES.contains(&s) { Ok(s.to_owned()) } else { Err(format!("is not one of {}", RESOURCE_TYPES.join(", "))) })?,
        since: instant("since", &q.since)?,
        until: instant("until", &q.until)?,
        visible_to_org: None,
        offset: i64::from(page.page - 1).saturating_mul(i64::from(page.per_page)),
        limit: i64::from(page.per_page),
    };
    let (rows, total) = crate::operations::audit::events(&state, &p, query).await?;
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let items = rows
        .into_iter()
        .map(|r| AuditEvent {
            id: r.id,
            occurred_at: chrono::DateTime::from_naive_utc_and_offset(r.occurred_at, chrono::Utc),
            actor: r.actor,
            actor_org_id: r.actor_org_id,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            before: parse(r.before),
            after: parse(r.after),
            request_id: r.request_id,
        })
        .collect();
    Ok(json_with_links(&AuditEventsResponse { items, meta: PageMeta::new(page, total) }, page.link_header(&req, total)))
}
