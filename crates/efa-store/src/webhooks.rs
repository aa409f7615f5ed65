//! Webhook endpoints, their deliveries (written in the transaction of the event, like the event
//! itself) and the log of every attempt.

use crate::schema::{webhook_attempts as wa, webhook_deliveries as wd, webhook_endpoints as we};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = we, treat_none_as_default_value = false)]
pub struct EndpointRow {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub event_types: String,
    pub audiences: String,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    /// Whether this endpoint takes an event of `kind` seen by `audience`.
    pub fn wants(&self, kind: &str, audience: &[String]) -> bool {
        let typed = self.event_types.is_empty() || self.event_types.split(' ').any(|t| t == kind);
        let sees = self.audiences == "*" || self.audiences.split(' ').any(|k| audience.iter().any(|a| a == k));
        self.enabled && typed && sees
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = wd, treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_position: i64,
    pub event_type: String,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = wa, treat_none_as_default_value = false)]
pub struct AttemptRow {
    pub delivery_id: String,
    pub attempt: i32,
    pub attempted_at: NaiveDateTime,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

pub fn insert_endpoint(conn: &mut DbConn, e: &EndpointRow) -> QueryResult<()> {
    diesel::insert_into(we::table).values(e).execute(conn).map(|_| ())
}

pub fn find_endpoint(conn: &mut DbConn, id: &str) -> QueryResult<Option<EndpointRow>> {
    we::table.find(id).select(EndpointRow::as_select()).first(conn).optional()
}

/// The endpoints of `org` (`None`: of every organisation), oldest first.
pub fn endpoints_of(conn: &mut DbConn, org: Option<&str>) -> QueryResult<Vec<EndpointRow>> {
    let mut q = we::table.into_boxed();
    if let Some(o) = org {
        q = q.filter(we::org_id.eq(o.to_owned()));
    }
    q.order((we::created_at, we::id)).select(EndpointRow::as_select()).load(conn)
}

pub fn enabled_endpoints(conn: &mut DbConn) -> QueryResult<Vec<EndpointRow>> {
    we::table.filter(we::enabled.eq(true)).order(we::id).select(EndpointRow::as_select()).load(conn)
}

pub fn delete_endpoint(conn: &mut DbConn, id: &str) -> QueryResult<bool> {
    Ok(diesel::delete(we::table.find(id)).execute(conn)? == 1)
}

pub fn set_enabled(conn: &mut DbConn, id: &str, enabled: bool, reason: Option<&str>, at: NaiveDateTime) -> QueryResult<bool> {
    Ok(diesel::update(we::table.find(id)).set((we::enabled.eq(enabled), we::disabled_reason.eq(reason), we::updated_at.eq(at))).execute(conn)? == 1)
}

pub fn insert_deliveries(conn: &mut DbConn, rows: &[DeliveryRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    crate::per_backend!(conn, |c| diesel::insert_into(wd::table).values(rows).execute(c)).map(|_| ())
}

/// Whether any delivery is due at `now`: a plain read, so an idle dispatcher round takes no
/// write lock.
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        wd::table.filter(wd::state.eq("pending")).filter(wd::next_attempt_at.le(now)).filter(wd::lease_until.is_null().or(wd::lease_until.lt(now))),
    ))
    .get_result(conn)
}

/// Takes up to `limit` due deliveries for this instance for `lease` and counts the attempt:
/// pending, due, and not leased by an instance still within its lease. On PostgreSQL the rows
/// are locked `FOR UPDATE SKIP LOCKED`, so instances claiming at once take different ones.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, lease_until: NaiveDateTime, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    crate::tx::write_transaction(conn, |conn| {
        let due = wd::table
            .filter(wd::state.eq("pending"))
            .filter(wd::next_attempt_at.le(now))
            .filter(wd::lease_until.is_null().or(wd::lease_until.lt(now)))
            .order((wd::next_attempt_at, wd::event_position))
            .limit(limit)
            .select(wd::id);
        let ids: Vec<String> = match conn {
            DbConn::Pg(c) => due.for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(wd::table.filter(wd::id.eq_any(&ids))).set((wd::lease_until.eq(Some(lease_until)), wd::attempts.eq(wd::attempts + 1))).execute(conn)?;
        wd::table.filter(wd::id.eq_any(&ids)).order((wd::next_attempt_at, wd::event_position)).select(DeliveryRow::as_select()).load(conn)
    })
}

/// Records how an attempt went and what comes next: delivered, failed for good, or retried at
/// `next` (`None`).
pub fn record_attempt(conn: &mut DbConn, d: &DeliveryRow, attempt: &AttemptRow, outcome: Outcome) -> QueryResult<()> {
    diesel::insert_into(wa::table).values(attempt).execute(conn)?;
    let base = diesel::update(wd::table.find(&d.id));
    match outcome {
        Outcome::Delivered(at) => base.set((wd::state.eq("delivered"), wd::delivered_at.eq(Some(at)), wd::lease_until.eq(None::<NaiveDateTime>), wd::last_status.eq(attempt.status), wd::last_error.eq(None::<String>))).execute(conn)?,
        Outcome::Retry(next) => base.set((wd::next_attempt_at.eq(next), wd::lease_until.eq(None::<NaiveDateTime>), wd::last_status.eq(attempt.status), wd::last_error.eq(&attempt.error))).execute(conn)?,
        Outcome::Failed => base.set((wd::state.eq("failed"), wd::lease_until.eq(None::<NaiveDateTime>), wd::last_status.eq(attempt.status), wd::last_error.eq(&attempt.error))).execute(conn)?,
    };
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Delivered(NaiveDateTime),
    Retry(NaiveDateTime),
    Failed,
}

/// The deliveries of an endpoint, newest first, one page, with their total.
pub fn deliveries_of(conn: &mut DbConn, endpoint: &str, offset: i64, limit: i64) -> QueryResult<(Vec<DeliveryRow>, i64)> {
    let total = wd::table.filter(wd::endpoint_id.eq(endpoint)).count().get_result(conn)?;
    let rows = wd::table.filter(wd::endpoint_id.eq(endpoint)).order((wd::created_at.desc(), wd::id.desc())).offset(offset).limit(limit).select(DeliveryRow::as_select()).load(conn)?;
    Ok((rows, total))
}

pub fn attempts_of(conn: &mut DbConn, deliveries: &[String]) -> QueryResult<Vec<AttemptRow>> {
    wa::table.filter(wa::delivery_id.eq_any(deliveries)).order((wa::delivery_id, wa::attempt)).select(AttemptRow::as_select()).load(conn)
}
