//! Write transactions. On SQLite a write transaction starts with `BEGIN IMMEDIATE`, taking
//! the write lock before the first read: two writers that read the same row and then both
//! try to write would otherwise fail with SQLITE_BUSY instead of queueing (busy_timeout).

use crate::DbConn;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

type Manager = <DbConn as Connection>::TransactionManager;

pub fn write_transaction<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    } else {
        Manager::begin_transaction(conn)?;
    }
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The error that ended the transaction matters more than a failed rollback;
            // a broken connection is discarded by the pool's checks.
            let _ = Manager::rollback_transaction(conn);
            Err(e)
        }
    }
}
