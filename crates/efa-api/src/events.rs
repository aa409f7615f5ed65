//! Events out of the outbox: what a write emits (`Emit`, carried by its `AuditNote`), and the
//! feed an organisation follows (`GET /api/v1/events`), with long polling.

use crate::error::ApiError;
use crate::state::AppState;
use chrono::NaiveDateTime;
use efa_domain::events::EventType;
use efa_domain::Principal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One event a write emits, in its transaction.
#[derive(Debug, Clone)]
pub struct Emit {
    pub kind: EventType,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// Who may see it: `efa_domain::events::{request_audience, agreement_audience, org, land, EVERYONE}`.
    pub audience: Vec<String>,
    /// What a follower needs without reading the resource: its state, revision, reasons.
    pub data: Value,
}

impl Emit {
    pub fn new(kind: EventType, resource_type: &'static str, resource_id: impl Into<String>, audience: Vec<String>, data: Value) -> Emit {
        Emit { kind, resource_type, resource_id: resource_id.into(), audience, data }
    }

    pub(crate) fn to_row(&self, actor: &str, actor_org: &str, origin: &str, at: NaiveDateTime) -> efa_store::events::NewEvent {
        let id = uuid::Uuid::new_v4().to_string();
        let body = EventBody {
            id: id.clone(),
            kind: self.kind,
            resource: Resource { kind: self.resource_type.to_owned(), id: self.resource_id.clone() },
            occurred_at: chrono::DateTime::from_naive_utc_and_offset(at, chrono::Utc),
            actor: actor.to_owned(),
            actor_org_id: actor_org.to_owned(),
            data: self.data.clone(),
        };
        efa_store::events::NewEvent {
            id,
            kind: self.kind.as_str().to_owned(),
            resource_type: self.resource_type.to_owned(),
            resource_id: self.resource_id.clone(),
            occurred_at: at,
            origin: origin.to_owned(),
            payload: serde_json::to_string(&body).unwrap_or_default(),
            audience: self.audience.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Resource {
    /// `online_service`, `reuse_request`, `agreement`, `framework_agreement` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// An event as stored (and as a webhook delivers it).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct EventBody {
    /// Unique; the same in the feed and in every webhook delivery (deduplicate by it).
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub resource: Resource,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// Subject of who did it.
    pub actor: String,
    pub actor_org_id: String,
    /// The resource's new state, revision, reason: what a follower needs without reading it.
    pub data: Value,
}

/// An event in the feed: the stored event and its cursor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    /// Increases along the feed: pass the last one seen as `after`.
    pub cursor: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsResponse {
    /// Oldest first.
    pub events: Vec<Event>,
    /// The cursor to pass as `after` next time (the last event's, or `after` when none came).
    pub next_cursor: i64,
}

/// Longest a long poll waits, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 30;

/// The events `p` may see after `after`, at most `limit`; with `wait` > 0 and none there yet,
/// waits up to `wait` for the first.
pub async fn feed(state: &AppState, p: &Principal, after: i64, limit: i64, wait: std::time::Duration) -> Result<EventsResponse, ApiError> {
    let keys = efa_domain::events::keys_of(p);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        // Registered before reading, so a write committing meanwhile wakes this poll.
        let woken = state.events_wake.notified();
        let k = keys.clone();
        let rows = state.db(move |conn| Ok(efa_store::events::feed(conn, k.as_deref(), after, limit)?)).await?;
        let now = tokio::time::Instant::now();
        if !rows.is_empty() || now >= deadline {
            let events: Vec<Event> = rows
                .into_iter()
                .map(|r| serde_json::from_str(&r.payload).map(|body| Event { cursor: r.position, body }).map_err(|e| ApiError::Internal(e.into())))
                .collect::<Result<_, _>>()?;
            let next_cursor = events.last().map_or(after, |e| e.cursor);
            return Ok(EventsResponse { events, next_cursor });
        }
        // A write elsewhere may be visible only once older transactions end: look again at
        // least every 200 ms while waiting.
        let _ = tokio::time::timeout((deadline - now).min(std::time::Duration::from_millis(200)), woken).await;
    }
}
