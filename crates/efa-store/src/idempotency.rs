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
    /// Hash of method, path and body: the same key with another request is an error.
    pub request_hash: String,
    pub status: i32,
    pub response_body: String,
    pub location: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, org: &str, key: &str) -> QueryResult<Option<IdempotencyRow>> {
    ik::table.find((org, key)).select(IdempotencyRow::as_select()).first(conn).optional()
}

pub fn insert(conn: &mut DbConn, row: &IdempotencyRow) -> QueryResult<()> {
    diesel::insert_into(ik::table).values(row).execute(conn).map(|_| ())
}
