//! Reading the audit log: operators read every event, anyone else the events their
//! organisation acted in or that are about its own resources.

use crate::error::ApiError;
use crate::state::AppState;
use crate::write::enforce;
use efa_domain::{decide, Action, Principal, Role};
use efa_store::audit::{self, AuditEventRow, AuditQuery};

/// The events matching `query` that the caller may read (its `visible_to_org` is set here),
/// newest first, and how many there are in all.
pub async fn events(state: &AppState, p: &Principal, mut query: AuditQuery) -> Result<(Vec<AuditEventRow>, usize), ApiError> {
    query.visible_to_org = if p.has(Role::Operator) {
        enforce(decide(Some(p), &Action::ReadAudit { org: None }), "read all audit events")?;
        None
    } else {
        enforce(decide(Some(p), &Action::ReadAudit { org: Some(&p.org_id) }), "read audit events")?;
        Some(p.org_id.clone())
    };
    let (rows, total) = state.db(move |conn| Ok(audit::list(conn, &query)?)).await?;
    Ok((rows, usize::try_from(total).unwrap_or(0)))
}
