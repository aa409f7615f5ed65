//! The shape of every write: one transaction holding the change and its audit event,
//! then a rebuild of the catalogue snapshot.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::HttpRequest;
use efa_domain::Principal;
use efa_store::audit::{self, AuditEventRow};
use efa_store::DbConn;
use serde_json::Value;

/// Who asks, beyond the principal: the request id the audit event records, and the
/// `Idempotency-Key` a creating operation honours. The JSON API takes both from headers; the
/// shop from its own request id and a key carried in each form, so a double submit creates once.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub request_id: Option<String>,
    /// As sent (checked by [`create`]: 1 to 200 visible ASCII characters).
    pub idempotency_key: Option<String>,
}

impl Ctx {
    /// From the JSON API's request: its id and its `Idempotency-Key` header.
    pub fn of(req: &HttpRequest) -> Ctx {
        Ctx {
            request_id: crate::extract::request_id(req),
            idempotency_key: req.headers().get("idempotency-key").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        }
    }
}

/// What a write records about itself: its audit event, and the events it emits (the outbox;
/// see `crate::events`).
pub struct AuditNote {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The organisation owning the resource: it may read the audit event.
    pub owner_org_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub events: Vec<crate::events::Emit>,
}

/// Runs `f` in one transaction and appends its audit event in the same transaction:
/// a change that fails leaves no event, an event never exists without its change.
/// Then rebuilds the catalogue snapshot (listings change what the catalogue shows); a failed
/// rebuild is retried in the background, the committed write still answers success.
pub async fn write<T, F>(state: &AppState, p: &Principal, ctx: &Ctx, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<(T, AuditNote), ApiError> + Send + 'static,
    T: Send + 'static,
{
    let out = write_only(state, p, ctx, f).await?;
    state.rebuild_after_write(true).await;
    Ok(out)
}

/// As [`write`], for changes the catalogue snapshot does not show (requests, agreements).
pub async fn write_only<T, F>(state: &AppState, p: &Principal, ctx: &Ctx, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<(T, AuditNote), ApiError> + Send + 'static,
    T: Send + 'static,
{
    let actor = p.subject.clone();
    let actor_org = p.org_id.clone();
    let rid = ctx.request_id.clone();
    let writer = state.writer.clone();
    let origin = state.instance.clone();
    let (out, emitted) = state
        .db(move |conn| {
            let _turn = writer.turn(conn);
            efa_store::tx::write_transaction::<(T, bool), ApiError>(conn, |conn| {
                let (out, note) = f(conn)?;
                let occurred_at = chrono::Utc::now().naive_utc();
                let events: Vec<_> = note.events.iter().map(|e| e.to_row(&actor, &actor_org, &origin, occurred_at)).collect();
                let positions = efa_store::events::append(conn, &events)?;
                crate::webhooks::fan_out(conn, &events, &positions)?;
                let json = |v: Option<Value>| v.map(|v| v.to_string());
                audit::append(
                    conn,
                    &AuditEventRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        occurred_at: chrono::Utc::now().naive_utc(),
                        actor,
                        actor_org_id: Some(actor_org),
                        action: note.action.to_owned(),
                        resource_type: note.resource_type.to_owned(),
                        resource_id: note.resource_id,
                        owner_org_id: note.owner_org_id,
                        before: json(note.before),
                        after: json(note.after),
                        request_id: rid,
                    },
                )?;
                Ok((out, !events.is_empty()))
            })
        })
        .await?;
    if emitted {
        // Long polls of the event feed on this instance look again (the others hear of it
        // through the database).
        state.events_wake.notify_waiters();
    }
    Ok(out)
}

/// What a creating POST made: its representation and where it lives.
pub struct Created {
    pub body: Value,
    pub location: String,
}

/// The answer of a creating operation: made now, or the first answer replayed for a retry.
pub enum Creation {
    Fresh(Created),
    Replay { status: u16, body: String, location: Option<String> },
}

impl Creation {
    /// The created resource's representation (the first one, for a replay).
    pub fn body(&self) -> Result<Value, ApiError> {
        match self {
            Creation::Fresh(c) => Ok(c.body.clone()),
            Creation::Replay { body, .. } => serde_json::from_str(body).map_err(|e| ApiError::Internal(e.into())),
        }
    }

    pub fn is_replay(&self) -> bool {
        matches!(self, Creation::Replay { .. })
    }

    /// The JSON API's answer: 201 with `Location`, or the replayed first answer.
    pub fn into_response(self) -> actix_web::HttpResponse {
        use actix_web::http::{header, StatusCode};
        match self {
            Creation::Fresh(c) => actix_web::HttpResponse::Created().insert_header((header::LOCATION, c.location)).json(c.body),
            Creation::Replay { status, body, location } => {
                let mut res = actix_web::HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED));
                res.insert_header(("Idempotency-Replayed", "true"));
                if let Some(l) = location {
                    res.insert_header((header::LOCATION, l));
                }
                res.content_type("application/json").body(body)
            }
        }
    }
}

/// The idempotency key, if any: at most 200 visible ASCII characters.
fn idempotency_key(ctx: &Ctx) -> Result<Option<String>, ApiError> {
    match &ctx.idempotency_key {
        None => Ok(None),
        Some(k) if !k.is_empty() && k.len() <= 200 && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k.clone())),
        Some(_) => Err(ApiError::bad_param("Idempotency-Key", "must be 1 to 200 visible ASCII characters")),
    }
}

/// The fingerprint of a creating request: SHA-256 over the operation (`scope`) and its
/// input, in hex.
fn request_hash(scope: &str, input: &Value) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, format!("{scope} {input}").as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored first answer for `key`, as the answer to a retry: replayed when the retry is the
/// same request, a 422 when the key was used for another.
fn replay(prior: efa_store::idempotency::IdempotencyRow, hash: &str) -> ApiError {
    if prior.request_hash != hash {
        return ApiError::Unprocessable(vec![efa_domain::listing::FieldError {
            field: "Idempotency-Key".into(),
            message: "this key was already used for a different request".into(),
        }]);
    }
    ApiError::Replay { status: prior.status as u16, body: prior.response_body, location: prior.location }
}

/// A creating operation: like [`write_only`], and honouring the idempotency key. A retry with
/// the same key and the same request (`scope`, the operation's route, and its input) within
/// 24 hours returns the first answer and creates nothing; the same key with another request is
/// a 422. The key is claimed before the work: a retry racing the first request waits for it
/// (PostgreSQL) or queues behind it (SQLite), then gets its answer.
pub async fn create<F>(state: &AppState, p: &Principal, ctx: &Ctx, scope: &str, input: &Value, f: F) -> Result<Creation, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<(Created, AuditNote), ApiError> + Send + 'static,
{
    let key = idempotency_key(ctx)?;
    let hash = request_hash(scope, input);
    let org = p.org_id.clone();
    let (claim_org, claim_key, claim_hash) = (org.clone(), key.clone(), hash.clone());
    let outcome = write_only(state, p, ctx, move |conn| {
        if let Some(k) = &claim_key {
            let now = chrono::Utc::now().naive_utc();
            if let Some(prior) = efa_store::idempotency::find(conn, &claim_org, k, now)? {
                return Err(replay(prior, &claim_hash));
            }
            let row = efa_store::idempotency::IdempotencyRow {
                org_id: claim_org.clone(),
                idem_key: k.clone(),
                request_hash: claim_hash.clone(),
                status: 0,
                response_body: String::new(),
                location: None,
                created_at: now,
            };
            if !efa_store::idempotency::claim(conn, &row)? {
                return Err(ApiError::KeyTaken);
            }
        }
        let (created, note) = f(conn)?;
        if let Some(k) = &claim_key {
            efa_store::idempotency::complete(conn, &claim_org, k, 201, &created.body.to_string(), Some(&created.location))?;
        }
        Ok((Creation::Fresh(created), note))
    })
    .await;
    match outcome {
        Ok(c) => Ok(c),
        Err(ApiError::Replay { status, body, location }) => Ok(Creation::Replay { status, body, location }),
        // A racing request with the same key committed first: its answer is the answer.
        Err(ApiError::KeyTaken) => {
            let Some(k) = key else { return Err(ApiError::Internal(anyhow::anyhow!("a key was taken without a key"))) };
            let prior = state.db(move |conn| Ok(efa_store::idempotency::find(conn, &org, &k, chrono::Utc::now().naive_utc())?)).await?;
            match prior.map(|prior| replay(prior, &hash)) {
                Some(ApiError::Replay { status, body, location }) => Ok(Creation::Replay { status, body, location }),
                Some(other) => Err(other),
                None => Err(ApiError::Conflict("a request with this Idempotency-Key is being made; try again shortly".into())),
            }
        }
        Err(e) => Err(e),
    }
}

/// Maps a policy decision to the answer the caller gets.
pub fn enforce(decision: efa_domain::Decision, what: &str) -> Result<(), ApiError> {
    match decision {
        efa_domain::Decision::Allow => Ok(()),
        efa_domain::Decision::Forbidden => Err(ApiError::Forbidden(format!("you may not {what}"))),
        efa_domain::Decision::NotFound => Err(ApiError::not_found("no such resource")),
    }
}
