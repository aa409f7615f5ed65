//! The shape of every write: one transaction holding the change and its audit event,
//! then a rebuild of the catalogue snapshot.

use crate::error::ApiError;
use crate::extract::request_id;
use crate::state::AppState;
use actix_web::HttpRequest;
use diesel::Connection;
use efa_domain::Principal;
use efa_store::audit::{self, AuditEventRow};
use efa_store::DbConn;
use serde_json::Value;

/// What a write records about itself.
pub struct AuditNote {
    pub action: &'static str,
    pub resource_type: &'static str,
    pub resource_id: String,
    /// The organisation owning the resource: it may read the event.
    pub owner_org_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Runs `f` in one transaction and appends its audit event in the same transaction:
/// a change that fails leaves no event, an event never exists without its change.
pub async fn write<T, F>(state: &AppState, p: &Principal, req: &HttpRequest, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<(T, AuditNote), ApiError> + Send + 'static,
    T: Send + 'static,
{
    let actor = p.subject.clone();
    let actor_org = p.org_id.clone();
    let rid = request_id(req);
    let out = state
        .db(move |conn| {
            conn.transaction::<T, ApiError, _>(|conn| {
                let (out, note) = f(conn)?;
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
                Ok(out)
            })
        })
        .await?;
    // The change is committed; a failed rebuild must not turn it into an error for the
    // caller. The next write or /readyz retries the rebuild.
    if let Err(e) = state.reload_catalogue().await {
        tracing::error!(error = %e, "catalogue rebuild after a write failed");
    }
    Ok(out)
}

/// Maps a policy decision to the answer the caller gets.
pub fn enforce(decision: efa_domain::Decision, what: &str) -> Result<(), ApiError> {
    match decision {
        efa_domain::Decision::Allow => Ok(()),
        efa_domain::Decision::Forbidden => Err(ApiError::Forbidden(format!("you may not {what}"))),
        efa_domain::Decision::NotFound => Err(ApiError::not_found("no such resource")),
    }
}
