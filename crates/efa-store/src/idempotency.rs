//! Stored first responses of creating POSTs, keyed by organisation and `Idempotency-Key`.

use crate::schema::idempotency_keys as ik;
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ik, treat_none_as_default_value = false)]
pub struct IdempotencyRow {
    pub org_id: String,
    pub idem_key: String,
    /// SHA-256 (hex) of the operation and its input: the same key with another request is an error.
    pub request_hash: String,
    pub status: i32,
    pub response_body: String,
    pub location: Option<String>,
    pub created_at: NaiveDateTime,
}

/// How long a key holds: a retry within this time gets the first answer; afterwards the key
/// is forgotten and may be used again (documented in docs/api-conventions.md).
pub const KEEP_HOURS: i64 = 24;

/// The first request's row for `key`, if it is younger than [`KEEP_HOURS`] at `now`.
pub fn find(conn: &mut DbConn, org: &str, key: &str, now: NaiveDateTime) -> QueryResult<Option<IdempotencyRow>> {
    let cutoff = now - chrono::Duration::hours(KEEP_HOURS);
    ik::table.find((org, key)).filter(ik::created_at.ge(cutoff)).select(IdempotencyRow::as_select()).first(conn).optional()
}

/// Claims `row.idem_key` for a request now being made, before the request's work: the keys of
/// every organisation older than [`KEEP_HOURS`] are purged, then the row is inserted.
/// `false` when the key is taken: on PostgreSQL a racing request with the same key holds it
/// until its transaction ends, and this insert waits for that, then fails (the caller's
/// transaction is then aborted and must end).
pub fn claim(conn: &mut DbConn, row: &IdempotencyRow) -> QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    let cutoff = row.created_at - chrono::Duration::hours(KEEP_HOURS);
    diesel::delete(ik::table.filter(ik::created_at.lt(cutoff))).execute(conn)?;
    match diesel::insert_into(ik::table).values(row).execute(conn) {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records the answer of the request that claimed the key.
pub fn complete(conn: &mut DbConn, org: &str, key: &str, status: i32, body: &str, location: Option<&str>) -> QueryResult<()> {
    diesel::update(ik::table.find((org, key))).set((ik::status.eq(status), ik::response_body.eq(body), ik::location.eq(location))).execute(conn).map(|_| ())
}
