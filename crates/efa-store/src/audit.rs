//! The audit log: appended in the same transaction as the change it records, never changed.

use crate::schema::audit_events as a;
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = a, treat_none_as_default_value = false)]
pub struct AuditEventRow {
    pub id: String,
    pub occurred_at: NaiveDateTime,
    pub actor: String,
    pub actor_org_id: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub owner_org_id: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
}

pub fn append(conn: &mut DbConn, event: &AuditEventRow) -> QueryResult<()> {
    diesel::insert_into(a::table).values(event).execute(conn).map(|_| ())
}

#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub resource_id: Option<String>,
    pub actor: Option<String>,
    /// The organisation the actor acted for.
    pub actor_org: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub since: Option<NaiveDateTime>,
    /// Only events before this instant.
    pub until: Option<NaiveDateTime>,
    /// Only events an organisation may read: it acted, or the resource is its own.
    pub visible_to_org: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Matching events, newest first, and their total count.
pub fn list(conn: &mut DbConn, q: &AuditQuery) -> QueryResult<(Vec<AuditEventRow>, i64)> {
    let filtered = || {
        let mut query = a::table.into_boxed();
        if let Some(r) = &q.resource_id {
            query = query.filter(a::resource_id.eq(r.clone()));
        }
        if let Some(actor) = &q.actor {
            query = query.filter(a::actor.eq(actor.clone()));
        }
        if let Some(org) = &q.actor_org {
            query = query.filter(a::actor_org_id.eq(org.clone()));
        }
        if let Some(action) = &q.action {
            query = query.filter(a::action.eq(action.clone()));
        }
        if let Some(t) = &q.resource_type {
            query = query.filter(a::resource_type.eq(t.clone()));
        }
        if let Some(since) = q.since {
            query = query.filter(a::occurred_at.ge(since));
        }
        if let Some(until) = q.until {
            query = query.filter(a::occurred_at.lt(until));
        }
        if let Some(org) = &q.visible_to_org {
            query = query.filter(a::actor_org_id.eq(org.clone()).or(a::owner_org_id.eq(org.clone())));
        }
        query
    };
    let rows = filtered().order((a::occurred_at.desc(), a::id.desc())).offset(q.offset).limit(q.limit).select(AuditEventRow::as_select()).load(conn)?;
    let read = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    // A page read short of its limit ends the log: the total is known without counting.
    let total = if (0 < read || q.offset == 0) && read < q.limit {
        q.offset + read
    } else if let Some(scope) = q.kept_scope() {
        kept_count(conn, &scope)?
    } else {
        filtered().count().get_result(conn)?
    };
    Ok((rows, total))
}

impl AuditQuery {
    /// The kept count (`audit_counts`) that answers this query's total, when it filters by
    /// nothing but the organisation whose log it is or whose people acted.
    fn kept_scope(&self) -> Option<String> {
        let narrowed = self.resource_id.is_some() || self.actor.is_some() || self.action.is_some() || self.resource_type.is_some() || self.since.is_some() || self.until.is_some();
        match (narrowed, &self.actor_org, &self.visible_to_org) {
            (true, _, _) | (false, Some(_), Some(_)) => None,
            (false, None, None) => Some(String::new()),
            (false, Some(org), None) => Some(format!("actor:{org}")),
            (false, None, Some(org)) => Some(format!("visible:{org}")),
        }
    }
}

/// The events of one scope of `audit_counts`, summed over its slots.
fn kept_count(conn: &mut DbConn, scope: &str) -> QueryResult<i64> {
    use crate::schema::audit_counts as c;
    c::table.filter(c::scope.eq(scope)).select(crate::union::sum_n()).first(conn)
}

/// Every event about one resource, oldest first, leaving out the actions in `except`: the
/// whole history, however long (a contract folder must not lose its first decisions).
pub fn history_of(conn: &mut DbConn, resource_id: &str, except: &[&str]) -> QueryResult<Vec<AuditEventRow>> {
    a::table
        .filter(a::resource_id.eq(resource_id))
        .filter(a::action.ne_all(except.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()))
        .order((a::occurred_at.asc(), a::id.asc()))
        .select(AuditEventRow::as_select())
        .load(conn)
}
