//! Connections: one diesel code path over PostgreSQL and SQLite.
//!
//! The backend is chosen by the URL: `postgres://…` or `postgresql://…` is PostgreSQL,
//! anything else is a SQLite file path (`sqlite://` prefix optional).

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};
use std::time::Duration;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnManager>;
pub type PooledConn = r2d2::PooledConnection<ConnManager>;

/// Runs the same code against the concrete connection of either backend, for the few
/// statements the common `MultiBackend` cannot express (upserts, SQLite batch inserts).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConn::Pg($c) => $body,
            $crate::DbConn::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Pg(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Opens the backend the URL names; SQLite gets its per-connection settings.
    pub fn open(url: &str) -> Result<DbConn, ConnectionError> {
        match Backend::from_url(url) {
            Backend::Postgres => PgConnection::establish(&pg_url(url)).map(DbConn::Pg),
            Backend::Sqlite => {
                sqlite_process_settings();
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside the one writer; synchronous=FULL makes every
                // committed transaction survive a kill -9; the busy timeout queues writers
                // instead of failing them with SQLITE_BUSY. The file is read through a memory
                // map (up to 4 GiB): the pool's connections then share the operating system's
                // cached pages instead of each copying them into its own small page cache with
                // a read(2) per page.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA mmap_size = 4294967296;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// SQLite's process-wide settings, made once before the first connection opens: no memory
/// statistics. With them on (the bundled library's default) every allocation of every
/// connection takes one global mutex, and the pool's connections queue for it under load.
fn sqlite_process_settings() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int; sqlite3_config may only be called
        // before the library is initialised or after sqlite3_shutdown: this runs before this
        // process opens its first connection (and returns SQLITE_MISUSE, harmlessly, if some
        // other code initialised the library first).
        let rc = unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "sqlite3_config(SQLITE_CONFIG_MEMSTATUS) refused: the library was initialised already");
        }
        // SAFETY: `stable_plans` has the signature of an extension entry point; SQLite calls it
        // with each new connection's handle while opening it (after the configuration above:
        // registering initialises the library).
        let rc = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(stable_plans)) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(rc, "sqlite3_auto_extension refused: statements will be planned again whenever their parameters change");
        }
    });
}

/// Turns on SQLite's query planner stability guarantee for a new connection. Without it, a
/// statement whose plan could depend on a bound value (a `LIMIT ?`, or any parameter compared
/// with an indexed column once `ANALYZE` has kept samples) is marked expired when that value
/// is bound, and is parsed and planned again on its next step: diesel's prepared statements
/// would then be prepared anew on every execution (measured: a quarter of a workspace list's
/// time in `sqlite3Reprepare`). With it, each statement is planned once per connection, from
/// the statistics, whatever the values.
unsafe extern "C" fn stable_plans(db: *mut libsqlite3_sys::sqlite3, _err: *mut *mut std::ffi::c_char, _api: *const libsqlite3_sys::sqlite3_api_routines) -> std::ffi::c_int {
    // SAFETY: `db` is the connection being opened; ENABLE_QPSG takes an int and an int* (which
    // may be null).
    unsafe { libsqlite3_sys::sqlite3_db_config(db, libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as std::ffi::c_int, std::ptr::null_mut::<std::ffi::c_int>()) };
    libsqlite3_sys::SQLITE_OK
}

/// `$query` narrowed to the rows whose `$column` is one of `$ids` (a page's requests, people), boxed,
/// so that it stays prepared on both databases. PostgreSQL binds the list as one array (`= ANY($1)`);
/// SQLite's `IN (?, …)` diesel never keeps prepared (its length varies), so each page would be
/// parsed and planned again: there it is `$column = ? OR …`, which SQLite plans as the same IN
/// lookup and diesel keeps, one statement per length.
macro_rules! rows_of {
    ($conn:expr, $query:expr, $column:expr, $ids:expr) => {{
        let ids: &[String] = $ids;
        let mut q = $query.into_boxed::<<crate::DbConn as diesel::Connection>::Backend>();
        match (($conn).backend(), ids.split_first()) {
            (crate::db::Backend::Sqlite, Some((first, rest))) => {
                q = q.filter($column.eq(first.clone()));
                for id in rest {
                    q = q.or_filter($column.eq(id.clone()));
                }
            }
            _ => q = q.filter($column.eq_any(ids.to_vec())),
        }
        q
    }};
}
pub(crate) use rows_of;

/// libpq's default `sslmode=prefer` encrypts even a loopback connection, where TLS protects
/// nothing and costs a share of every round trip. Unless the URL says otherwise, a server on
/// this host is reached without TLS; any other host keeps libpq's default.
pub fn pg_url(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if query.split('&').any(|kv| kv.starts_with("sslmode=")) {
        return url.to_owned();
    }
    let authority = base.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') { host.split(']').next().map(|h| &h[1..]).unwrap_or("") } else { host.split(':').next().unwrap_or("") };
    if matches!(host, "127.0.0.1" | "localhost" | "::1") {
        let sep = if query.is_empty() { "?" } else { "&" };
        format!("{url}{sep}sslmode=disable")
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::pg_url;

    #[test]
    fn loopback_goes_without_tls_unless_the_url_says_otherwise() {
        assert_eq!(pg_url("postgres://postgres@127.0.0.1:5432/db"), "postgres://postgres@127.0.0.1:5432/db?sslmode=disable");
        assert_eq!(pg_url("postgres://u:p@localhost/db?application_name=x"), "postgres://u:p@localhost/db?application_name=x&sslmode=disable");
        assert_eq!(pg_url("postgresql://[::1]:5432/db"), "postgresql://[::1]:5432/db?sslmode=disable");
        assert_eq!(pg_url("postgres://127.0.0.1/db?sslmode=require"), "postgres://127.0.0.1/db?sslmode=require");
        assert_eq!(pg_url("postgres://db.example.org/efa"), "postgres://db.example.org/efa");
    }
}

/// r2d2 manager that opens the right variant for the configured URL.
#[derive(Debug, Clone)]
pub struct ConnManager {
    url: String,
}

impl ManageConnection for ConnManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        DbConn::open(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A connection that died with the database (diesel then marks its transaction manager
    /// broken) is dropped instead of going back to the pool: once the database is back, the
    /// pool opens fresh connections and the server recovers without a restart.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// Builds the pool without connecting: the server starts (and answers /readyz 503)
/// even while the database is down, and recovers once it is back.
pub fn pool(url: &str, max_size: u32) -> Pool {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .build_unchecked(ConnManager { url: url.to_owned() })
}
