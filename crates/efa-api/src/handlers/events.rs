//! The event feed: what happened to the caller's organisation's listings, requests and
//! agreements, in order, without polling every resource.

use super::{BadRequest, Unavailable};
use crate::error::{ApiError, ProblemDetails};
use crate::events::{EventsResponse, MAX_WAIT_SECONDS};
use crate::extract::Authenticated;
use crate::params;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// The `next_cursor` of the last answer (default 0: from the beginning).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub after: Option<String>,
    /// At most this many events (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// Long poll: when no event is there yet, wait up to this many seconds for the next one
    /// (default 0: answer at once).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 30)]
    pub wait: Option<String>,
}

/// Events the caller's organisation may see (operators: all), oldest first. Types:
/// `listing.published`, `listing.retired` (everyone); `listing.created`, `.updated`,
/// `.submitted`, `.rejected` (the provider); `request.created`, `.submitted`, `.approved`,
/// `.rejected`, `.accepted`, `.declined`, `.withdrawn`, `.active`, `.live`, `.terminated`,
/// `request.message` (who may see the request); `agreement.created`, `.signed`, `.active`,
/// `.onboarding_step`, `.live`, `.terminated` (who may see the agreement);
/// `framework.offered`, `framework.approved`, `framework.accession`; `webhook.disabled`.
/// Each event has an `id` (the same in webhook deliveries) and a `cursor`.
#[utoipa::path(tag = "events", operation_id = "list_events", security(("bearer" = [])), params(EventParams),
    responses((status = 200, body = EventsResponse),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, Unavailable))]
#[get("/events")]
pub async fn list_events(state: web::Data<AppState>, user: Authenticated, q: web::Query<EventParams>) -> Result<HttpResponse, ApiError> {
    let after = params::opt("after", &q.after, |s| s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or("must be a cursor (a whole number, 0 or more)"))?.unwrap_or(0);
    let limit = params::opt("limit", &q.limit, |s| s.parse::<i64>().ok().filter(|n| (1..=1000).contains(n)).ok_or("must be 1 to 1000"))?.unwrap_or(100);
    let wait = params::opt("wait", &q.wait, |s| s.parse::<u64>().ok().filter(|n| *n <= MAX_WAIT_SECONDS).ok_or("must be 0 to 30 seconds"))?.unwrap_or(0);
    let out = crate::events::feed(&state, &user.0, after, limit, std::time::Duration::from_secs(wait)).await?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(out))
}
