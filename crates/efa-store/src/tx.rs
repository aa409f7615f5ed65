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
    let out = f(conn);
    end(conn, out)
}

/// Commits after success, rolls back after an error.
fn end<T, E: From<diesel::result::Error>>(conn: &mut DbConn, out: Result<T, E>) -> Result<T, E> {
    match out {
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

/// Runs `f`, a series of reads, on one consistent snapshot of the database: on PostgreSQL a
/// `REPEATABLE READ READ ONLY` transaction (every statement sees the database as of the
/// first), on SQLite a deferred transaction (its read snapshot is taken at the first read
/// and kept until it ends, in WAL mode too). Without it, a read model loaded table by table
/// could pair a row committed between two statements with the older rows of another table.
pub fn read_snapshot<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN DEFERRED")?,
    }
    // Nothing was written: ending the transaction either way releases the snapshot.
    let out = f(conn);
    end(conn, out)
}
