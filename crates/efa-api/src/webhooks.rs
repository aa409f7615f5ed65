//! Webhooks: an organisation registers endpoints; every event it may see (of the types it
//! chose) becomes a delivery in the transaction that wrote the event, and a dispatcher in every
//! instance delivers it at least once, signed as the Standard Webhooks specification says
//! (`webhook-id`: the event id, for deduplication; `webhook-timestamp`; `webhook-signature`:
//! `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the endpoint's secret).
//!
//! Failed attempts are retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (Standard
//! Webhooks' schedule: the last attempt comes more than 27 hours after the first); when that
//! fails too the delivery is given up, the endpoint disabled and a `webhook.disabled` event
//! written. Requests time out after 10 s, follow no redirect, read at most 4 KiB of an answer;
//! in production the endpoint's address must be public (no loopback, private, link-local, …).

use crate::error::ApiError;
use crate::events::Emit;
use crate::operations::{invalid, parse_uuid, utc};
use crate::params::Page;
use crate::state::AppState;
use crate::write::{create, enforce, write_only, AuditNote, Created, Creation, Ctx};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::NaiveDateTime;
use efa_domain::events::{self, EventType};
use efa_domain::{decide, Action, Principal, Role};
use efa_store::webhooks::{self as store, AttemptRow, DeliveryRow, EndpointRow, Outcome};
use efa_store::DbConn;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;
use utoipa::ToSchema;

/// How deliveries go out; the defaults are production's.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Endpoints on loopback, private or link-local addresses (development and tests only).
    pub allow_private: bool,
    /// Multiplies the retry schedule (tests make it short).
    pub retry_scale: f64,
    /// How long an instance holds a delivery it is sending; after that another may take it.
    pub lease: Duration,
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { allow_private: false, retry_scale: 1.0, lease: Duration::from_secs(60), timeout: Duration::from_secs(10) }
    }
}

/// Waits after the 1st, 2nd, … failed attempt (Standard Webhooks' schedule).
pub const RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// The most of an endpoint's answer that is read (and kept in the log).
const ANSWER_LIMIT: u64 = 4096;

// ---- registration ------------------------------------------------------------------------

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where deliveries are POSTed: https (http only in development), a public address.
    pub url: String,
    /// Event types to deliver (see `GET /api/v1/events`); empty or absent: every type.
    #[serde(default)]
    #[schema(value_type = Vec<EventType>)]
    pub event_types: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Why it was disabled (after persistent failure).
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The answer of a registration: the endpoint and, this once, its signing secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// `whsec_` + base64 key: verify `webhook-signature` with it. Shown only here.
    pub secret: String,
}

impl From<EndpointRow> for Endpoint {
    fn from(e: EndpointRow) -> Endpoint {
        Endpoint {
            id: e.id,
            org_id: e.org_id,
            url: e.url,
            event_types: e.event_types.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            created_by: e.created_by,
            created_at: utc(e.created_at),
            updated_at: utc(e.updated_at),
        }
    }
}

/// Whether an address is one the public internet reaches: not loopback, private (RFC 1918,
/// unique local), link-local, shared (CGNAT), unspecified, multicast, broadcast or reserved
/// for documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback() || v6.is_unspecified() || v6.is_multicast() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80 || s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}

/// The addresses `url` may be reached at, each checked: a host resolving to any address that
/// is not public is refused (unless `allow_private`).
fn addresses(host: &str, port: u16, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let found: Vec<SocketAddr> = (host.trim_start_matches('[').trim_end_matches(']'), port).to_socket_addrs().map_err(|_| format!("the host {host} cannot be resolved"))?.collect();
    if found.is_empty() {
        return Err(format!("the host {host} has no address"));
    }
    if !allow_private {
        if let Some(a) = found.iter().find(|a| !is_public(a.ip())) {
            return Err(format!("{host} resolves to {}, which is not a public address", a.ip()));
        }
    }
    Ok(found)
}

fn check_url(raw: &str, allow_private: bool) -> Result<url::Url, ApiError> {
    let bad = |m: String| invalid("url", m);
    if raw.len() > 2000 {
        return Err(bad("must be at most 2000 characters".into()));
    }
    let u = url::Url::parse(raw.trim()).map_err(|e| bad(format!("is not a URL ({e})")))?;
    match u.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(bad("must use https".into())),
        other => return Err(bad(format!("must be an https URL, not {other}:"))),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not carry credentials".into()));
    }
    let host = u.host_str().ok_or_else(|| bad("has no host".into()))?;
    addresses(host, u.port_or_known_default().unwrap_or(443), allow_private).map_err(bad)?;
    Ok(u)
}

fn new_secret() -> Result<String, ApiError> {
    let mut key = [0u8; 24];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key).map_err(|_| ApiError::Internal(anyhow::anyhow!("no randomness")))?;
    Ok(format!("whsec_{}", B64.encode(key)))
}

/// Registers an endpoint for the caller's organisation. It receives what the caller could
/// read in the event feed.
pub async fn register(state: &AppState, p: &Principal, ctx: &Ctx, input: NewEndpoint) -> Result<Creation, ApiError> {
    let url = check_url(&input.url, state.webhooks.allow_private)?;
    let mut types = input.event_types.iter().enumerate().map(|(i, t)| EventType::parse(t).map_err(|e| invalid(&format!("event_types[{i}]"), e.to_string()))).collect::<Result<Vec<_>, _>>()?;
    types.sort_unstable();
    types.dedup();
    let print = crate::operations::fingerprint(&input)?;
    let actor = p.clone();
    create(state, p, ctx, "POST /api/v1/webhooks", &print, move |conn| {
        let now = chrono::Utc::now().naive_utc();
        let row = EndpointRow {
            id: uuid::Uuid::new_v4().to_string(),
            org_id: actor.org_id.clone(),
            url: url.to_string(),
            event_types: types.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" "),
            audiences: events::keys_of(&actor).map_or_else(|| "*".to_owned(), |k| k.join(" ")),
            secret: new_secret()?,
            enabled: true,
            disabled_reason: None,
            created_by: actor.subject.clone(),
            created_at: now,
            updated_at: now,
        };
        store::insert_endpoint(conn, &row)?;
        let (id, secret) = (row.id.clone(), row.secret.clone());
        let endpoint = Endpoint::from(row);
        let audit = serde_json::json!({"url": endpoint.url, "event_types": endpoint.event_types});
        let body = serde_json::to_value(CreatedEndpoint { endpoint, secret }).map_err(|e| ApiError::Internal(e.into()))?;
        let note = AuditNote { action: "webhook.create", resource_type: "webhook", resource_id: id.clone(), owner_org_id: Some(actor.org_id.clone()), before: None, after: Some(audit), events: Vec::new() };
        Ok((Created { body, location: format!("/api/v1/webhooks/{id}") }, note))
    })
    .await
}

/// The caller's organisation's endpoints (operators: every organisation's).
pub async fn list(state: &AppState, p: &Principal) -> Result<Vec<Endpoint>, ApiError> {
    let org = (!p.has(Role::Operator)).then(|| p.org_id.clone());
    let rows = state.db(move |conn| Ok(store::endpoints_of(conn, org.as_deref())?)).await?;
    Ok(rows.into_iter().map(Endpoint::from).collect())
}

fn load(conn: &mut DbConn, p: &Principal, id: &str) -> Result<EndpointRow, ApiError> {
    let e = store::find_endpoint(conn, id)?.ok_or_else(|| ApiError::not_found("no such webhook endpoint"))?;
    enforce(decide(Some(p), &Action::ManageWebhook { org: &e.org_id }), "manage this webhook endpoint")?;
    Ok(e)
}

pub async fn get(state: &AppState, p: &Principal, raw_id: &str) -> Result<Endpoint, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let p = p.clone();
    state.db(move |conn| load(conn, &p, &id).map(Endpoint::from)).await
}

/// Removes an endpoint and its pending deliveries.
pub async fn remove(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str) -> Result<(), ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let actor = p.clone();
    write_only(state, p, ctx, move |conn| {
        let e = load(conn, &actor, &id)?;
        store::delete_endpoint(conn, &id)?;
        let note = AuditNote { action: "webhook.delete", resource_type: "webhook", resource_id: id, owner_org_id: Some(e.org_id), before: Some(serde_json::json!({"url": e.url})), after: None, events: Vec::new() };
        Ok(((), note))
    })
    .await
}

/// Enables a disabled endpoint again (after its receiver was repaired).
pub async fn enable(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str) -> Result<Endpoint, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let actor = p.clone();
    write_only(state, p, ctx, move |conn| {
        let e = load(conn, &actor, &id)?;
        store::set_enabled(conn, &id, true, None, chrono::Utc::now().naive_utc())?;
        let after = store::find_endpoint(conn, &id)?.ok_or_else(|| ApiError::not_found("gone"))?;
        let note = AuditNote { action: "webhook.enable", resource_type: "webhook", resource_id: id, owner_org_id: Some(e.org_id), before: Some(serde_json::json!({"enabled": e.enabled})), after: Some(serde_json::json!({"enabled": true})), events: Vec::new() };
        Ok((Endpoint::from(after), note))
    })
    .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    pub attempt: i32,
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    /// The endpoint's HTTP status, if it answered.
    pub status: Option<i32>,
    /// What went wrong (or the start of the endpoint's answer to a non-2xx).
    pub error: Option<String>,
    pub duration_ms: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    /// The event's id: `webhook-id` of every attempt.
    pub event_id: String,
    pub event_type: String,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (given up).
    pub state: String,
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The delivery log of an endpoint, newest first.
pub async fn deliveries(state: &AppState, p: &Principal, raw_id: &str, page: Page) -> Result<(Vec<Delivery>, usize), ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let p = p.clone();
    state
        .db(move |conn| {
            load(conn, &p, &id)?;
            let (rows, total) = store::deliveries_of(conn, &id, page.offset(), i64::from(page.per_page))?;
            let attempts = store::attempts_of(conn, &rows.iter().map(|d| d.id.clone()).collect::<Vec<_>>())?;
            let out = rows
                .into_iter()
                .map(|d| Delivery {
                    attempts: attempts
                        .iter()
                        .filter(|a| a.delivery_id == d.id)
                        .map(|a| Attempt { attempt: a.attempt, attempted_at: utc(a.attempted_at), status: a.status, error: a.error.clone(), duration_ms: a.duration_ms })
                        .collect(),
                    next_attempt_at: (d.state == "pending").then(|| utc(d.next_attempt_at)),
                    id: d.id,
                    event_id: d.event_id,
                    event_type: d.event_type,
                    state: d.state,
                    created_at: utc(d.created_at),
                    delivered_at: d.delivered_at.map(utc),
                })
                .collect();
            Ok((out, usize::try_from(total).unwrap_or(0)))
        })
        .await
}

// ---- fan-out -----------------------------------------------------------------------------

/// One delivery per endpoint that wants each event (appended at `positions`), written in the
/// events' transaction.
pub(crate) fn fan_out(conn: &mut DbConn, events: &[efa_store::events::NewEvent], positions: &[i64]) -> Result<(), diesel::result::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let endpoints = store::enabled_endpoints(conn)?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let now = chrono::Utc::now().naive_utc();
    let rows: Vec<DeliveryRow> = events
        .iter()
        .zip(positions)
        .flat_map(|(e, &position)| {
            endpoints.iter().filter(|ep| ep.wants(&e.kind, &e.audience)).map(move |ep| DeliveryRow {
                id: uuid::Uuid::new_v4().to_string(),
                endpoint_id: ep.id.clone(),
                event_id: e.id.clone(),
                event_position: position,
                event_type: e.kind.clone(),
                payload: e.payload.clone(),
                state: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                lease_until: None,
                last_status: None,
                last_error: None,
                created_at: now,
                delivered_at: None,
            })
        })
        .collect();
    store::insert_deliveries(conn, &rows)
}

// ---- delivery ----------------------------------------------------------------------------

/// The `webhook-signature` of a delivery: `v1,` + base64 HMAC-SHA256 of `{id}.{ts}.{body}`
/// under the secret's key.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = B64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).map_err(|_| "the secret is not base64".to_owned())?;
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", B64.encode(tag.as_ref())))
}

/// One attempt at one delivery: `Ok(status)` for an answer (any status), `Err` for no answer.
fn attempt(settings: &Settings, endpoint: &EndpointRow, d: &DeliveryRow) -> (Option<u16>, Option<String>) {
    let url = match url::Url::parse(&endpoint.url) {
        Ok(u) => u,
        Err(e) => return (None, Some(format!("bad URL: {e}"))),
    };
    let allow_private = settings.allow_private;
    // The connection goes only to addresses checked here, at delivery time (a host may have
    // changed its address since it was registered).
    let resolver = move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
        let (host, port) = netloc.rsplit_once(':').and_then(|(h, p)| p.parse::<u16>().ok().map(|p| (h, p))).ok_or_else(|| std::io::Error::other("no port"))?;
        addresses(host, port, allow_private).map_err(std::io::Error::other)
    };
    let agent = ureq::AgentBuilder::new().timeout(settings.timeout).redirects(0).resolver(resolver).user_agent("EfA-Marktplatz-Webhooks/1").build();
    let timestamp = chrono::Utc::now().timestamp();
    let signed = match signature(&endpoint.secret, &d.event_id, timestamp, &d.payload) {
        Ok(s) => s,
        Err(e) => return (None, Some(e)),
    };
    let sent = agent
        .post(url.as_str())
        .set("content-type", "application/json")
        .set("webhook-id", &d.event_id)
        .set("webhook-timestamp", &timestamp.to_string())
        .set("webhook-signature", &signed)
        .send_string(&d.payload);
    let read = |r: ureq::Response| {
        use std::io::Read;
        let mut text = String::new();
        let _ = r.into_reader().take(ANSWER_LIMIT).read_to_string(&mut text);
        text
    };
    match sent {
        Ok(r) => {
            let status = r.status();
            drop(read(r));
            (Some(status), None)
        }
        Err(ureq::Error::Status(status, r)) => (Some(status), Some(format!("answered {status}: {}", read(r).chars().take(500).collect::<String>()))),
        Err(ureq::Error::Transport(t)) => (None, Some(t.to_string().chars().take(500).collect())),
    }
}

/// When the next attempt after `failed` failed attempts comes, or `None` to give up.
fn next_attempt(settings: &Settings, failed: i32, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let wait = RETRY_SCHEDULE.get(usize::try_from(failed).ok()?.checked_sub(1)?)?;
    let scaled = wait.mul_f64(settings.retry_scale.max(0.0));
    Some(now + chrono::Duration::from_std(scaled).unwrap_or(chrono::Duration::zero()))
}

/// Claims and delivers what is due now; returns how many attempts were made. The dispatcher
/// calls it in a loop; tests call it directly.
pub fn deliver_due(state: &AppState) -> Result<usize, ApiError> {
    let settings = state.webhooks.clone();
    let mut conn = state.pool.get()?;
    let now = chrono::Utc::now().naive_utc();
    let lease_until = now + chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(60));
    if !store::any_due(&mut conn, now)? {
        return Ok(0);
    }
    // SQLite's one writer: the dispatcher's writes take their turn with the API's.
    let claimed = {
        let _turn = state.writer.turn(&conn);
        store::claim_due(&mut conn, now, lease_until, 16)?
    };
    for d in &claimed {
        let Some(endpoint) = store::find_endpoint(&mut conn, &d.endpoint_id)? else { continue };
        let started = std::time::Instant::now();
        let (status, error) = if endpoint.enabled { attempt(&settings, &endpoint, d) } else { (None, Some("the endpoint is disabled".to_owned())) };
        let done = chrono::Utc::now().naive_utc();
        let row = AttemptRow {
            delivery_id: d.id.clone(),
            attempt: d.attempts,
            attempted_at: done,
            status: status.map(i32::from),
            error: error.clone(),
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let outcome = match (delivered, endpoint.enabled) {
            (true, _) => Outcome::Delivered(done),
            (false, true) => next_attempt(&settings, d.attempts, done).map_or(Outcome::Failed, Outcome::Retry),
            (false, false) => Outcome::Failed,
        };
        let origin = state.instance.to_string();
        let _turn = state.writer.turn(&conn);
        efa_store::tx::write_transaction::<(), ApiError>(&mut conn, |conn| {
            store::record_attempt(conn, d, &row, outcome)?;
            if matches!(outcome, Outcome::Failed) && endpoint.enabled {
                disable(conn, &endpoint, d, &origin, done)?;
            }
            Ok(())
        })?;
        tracing::debug!(endpoint = %endpoint.id, event = %d.event_id, attempt = d.attempts, ?status, delivered, "webhook attempt");
    }
    Ok(claimed.len())
}

/// Gives up on an endpoint whose delivery failed through the whole schedule: disabled, and an
/// event (and audit entry) saying so, for its organisation.
fn disable(conn: &mut DbConn, endpoint: &EndpointRow, d: &DeliveryRow, origin: &str, at: NaiveDateTime) -> Result<(), ApiError> {
    let reason = format!("every attempt to deliver event {} failed for more than 24 hours", d.event_id);
    store::set_enabled(conn, &endpoint.id, false, Some(&reason), at)?;
    let emit = Emit::new(EventType::WebhookDisabled, "webhook", &endpoint.id, vec![events::org(&endpoint.org_id)], serde_json::json!({"url": endpoint.url, "reason": reason}));
    let row = emit.to_row("efa-webhooks", &endpoint.org_id, origin, at);
    let positions = efa_store::events::append(conn, std::slice::from_ref(&row))?;
    fan_out(conn, std::slice::from_ref(&row), &positions)?;
    efa_store::audit::append(
        conn,
        &efa_store::audit::AuditEventRow {
            id: uuid::Uuid::new_v4().to_string(),
            occurred_at: at,
            actor: "efa-webhooks".into(),
            actor_org_id: None,
            action: "webhook.disable".into(),
            resource_type: "webhook".into(),
            resource_id: endpoint.id.clone(),
            owner_org_id: Some(endpoint.org_id.clone()),
            before: Some(serde_json::json!({"enabled": true}).to_string()),
            after: Some(serde_json::json!({"enabled": false, "reason": reason}).to_string()),
            request_id: None,
        },
    )?;
    Ok(())
}

/// Starts this instance's dispatcher: it looks for due deliveries every 250 ms (at once again
/// after a busy round). Instances share the work through the database.
pub fn spawn(state: AppState) {
    std::thread::Builder::new()
        .name("efa-webhooks".into())
        .spawn(move || loop {
            match deliver_due(&state) {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook dispatcher round failed"),
            }
            std::thread::sleep(Duration::from_millis(250));
        })
        .expect("start the webhook dispatcher thread");
}
