//! The outbox: events written in the transaction of the change they record, read back as the
//! feed in the order of `position`.

use crate::schema::{event_audience as ea, events as ev};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ev, treat_none_as_default_value = false)]
pub struct EventRow {
    pub position: i64,
    pub id: String,
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub occurred_at: NaiveDateTime,
    pub origin: String,
    pub payload: String,
}

/// An event to append: the row without its position, and who may see it.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub occurred_at: NaiveDateTime,
    pub origin: String,
    pub payload: String,
    pub audience: Vec<String>,
}

/// Bits of a position below the transaction id (PostgreSQL): room for a million events per
/// transaction.
const INDEX_BITS: u32 = 20;

/// Appends `events` inside the caller's (write) transaction, in order. On PostgreSQL the
/// positions come from the transaction's id, and the other instances are notified when the
/// transaction commits.
pub fn append(conn: &mut DbConn, events: &[NewEvent]) -> QueryResult<Vec<i64>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let base: i64 = match conn {
        DbConn::Pg(c) => {
            let xid: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>("pg_current_xact_id()::text::bigint")).get_result(c)?;
            xid << INDEX_BITS
        }
        // One writer at a time: the next positions follow the last.
        DbConn::Sqlite(c) => ev::table.select(diesel::dsl::max(ev::position)).first::<Option<i64>>(c)?.unwrap_or(0) + 1,
    };
    let mut positions = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        let position = base + i as i64;
        let row = EventRow {
            position,
            id: e.id.clone(),
            kind: e.kind.clone(),
            resource_type: e.resource_type.clone(),
            resource_id: e.resource_id.clone(),
            occurred_at: e.occurred_at,
            origin: e.origin.clone(),
            payload: e.payload.clone(),
        };
        diesel::insert_into(ev::table).values(&row).execute(conn)?;
        let audience: Vec<_> = e.audience.iter().map(|a| (ea::audience.eq(a.clone()), ea::position.eq(position))).collect();
        crate::per_backend!(conn, |c| diesel::insert_into(ea::table).values(&audience).execute(c))?;
        positions.push(position);
    }
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT pg_notify('efa_events', '')").execute(c)?;
    }
    Ok(positions)
}

/// The oldest transaction of this database still running (its 32-bit id from
/// `pg_stat_activity` widened to 64 bits against the snapshot's `xmax`), or `xmax` when none
/// runs. Transactions of other databases of the same server write no events here and do not
/// count (a long `CREATE DATABASE` or seed elsewhere would otherwise hold the feed back).
const OLDEST_RUNNING: &str = "WITH s AS (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax) \
     SELECT LEAST(s.xmax, COALESCE(min(s.xmax - ((s.xmax - a.backend_xid::text::bigint) % 4294967296 + 4294967296) % 4294967296), s.xmax)) AS oldest \
     FROM s LEFT JOIN pg_stat_activity a ON a.datname = current_database() AND a.backend_xid IS NOT NULL GROUP BY s.xmax";

#[derive(QueryableByName)]
struct Oldest {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    oldest: i64,
}

/// The highest position a reader may pass: on PostgreSQL just below the oldest transaction of
/// this database still running (its events, and every later one's, will have larger
/// positions); on SQLite every committed event. It must be read in a statement of its own
/// before the events are: a transaction not running when this one looked has committed (or
/// rolled back) before the next statement's snapshot, so that statement sees all its events.
/// The database role must see the other sessions' `backend_xid` (it does for its own role).
fn horizon(conn: &mut DbConn) -> QueryResult<i64> {
    match conn {
        DbConn::Pg(c) => Ok(diesel::sql_query(OLDEST_RUNNING).get_result::<Oldest>(c)?.oldest << INDEX_BITS),
        DbConn::Sqlite(_) => Ok(i64::MAX),
    }
}

/// Events after `after` that `keys` may see (`None`: every event, as another instance or the
/// mailer follows them), oldest first, at most `limit`.
pub fn feed(conn: &mut DbConn, keys: Option<&[String]>, after: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    let horizon = horizon(conn)?;
    let mut q = ev::table.filter(ev::position.gt(after)).filter(ev::position.lt(horizon)).into_boxed();
    if let Some(keys) = keys {
        let seen = ea::table.filter(ea::audience.eq_any(keys.to_vec())).select(ea::position);
        q = q.filter(ev::position.eq_any(seen));
    }
    q.order(ev::position).limit(limit).select(EventRow::as_select()).load(conn)
}

/// The newest position a reader may pass now (0 before the first event).
pub fn head(conn: &mut DbConn) -> QueryResult<i64> {
    let horizon = horizon(conn)?;
    Ok(ev::table.filter(ev::position.lt(horizon)).select(diesel::dsl::max(ev::position)).first::<Option<i64>>(conn)?.unwrap_or(0))
}

