//! Secrets all server processes share (the shop's session key), made once by the first
//! process that needs one: the database decides which process's value wins.

use crate::schema::app_secrets as s;
use crate::DbConn;
use diesel::prelude::*;

/// The secret `name`, stored as `make()` returns it if there is none yet. Concurrent callers
/// all get the one value that was stored first.
pub fn get_or_create(conn: &mut DbConn, name: &str, make: impl FnOnce() -> String) -> QueryResult<String> {
    if let Some(v) = s::table.filter(s::name.eq(name)).select(s::value).first::<String>(conn).optional()? {
        return Ok(v);
    }
    let row = (s::name.eq(name), s::value.eq(make()), s::created_at.eq(chrono::Utc::now().naive_utc()));
    crate::per_backend!(conn, |c| diesel::insert_into(s::table).values(row.clone()).on_conflict_do_nothing().execute(c))?;
    s::table.filter(s::name.eq(name)).select(s::value).first(conn)
}
