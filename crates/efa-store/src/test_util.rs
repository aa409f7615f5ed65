//! A fresh, migrated database per test, on either backend; dropped when the test ends.
//!
//! PostgreSQL: `EFA_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`) names the
//! server; each `TestDb` creates its own database there and drops it in `Drop`.
//! SQLite: a new file under the system temp dir, removed in `Drop`.

use crate::db::{Backend, DbConn};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use std::path::{Path, PathBuf};

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub struct TestDb {
    url: String,
    backend: Backend,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Pg { admin_url: String, name: String },
}

fn admin_url() -> String {
    std::env::var("EFA_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

fn with_database(url: &str, db: &str) -> String {
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
    format!("{base}/{db}")
}

impl TestDb {
    /// An empty, migrated database.
    pub fn new(backend: Backend) -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let db = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("efa-test-{id}.db"));
                TestDb { url: path.display().to_string(), backend, cleanup: Cleanup::Sqlite(path) }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("efa_test_{id}");
                let mut conn = diesel::PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is not reachable ({e}); start it or set EFA_TEST_PG_URL"));
                conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                TestDb { url: with_database(&admin, &name), backend, cleanup: Cleanup::Pg { admin_url: admin, name } }
            }
        };
        let mut conn = db.conn();
        crate::migrations::run(&mut conn).expect("migrate test database");
        db
    }

    /// A migrated database holding the real seed from `seed-data/`.
    pub fn seeded(backend: Backend) -> TestDb {
        let db = TestDb::new(backend);
        crate::seed::run(&mut db.conn(), &seed_dir()).expect("seed test database");
        db
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> DbConn {
        DbConn::open(&self.url).expect("open test database")
    }

    pub fn pool(&self) -> crate::Pool {
        crate::pool(&self.url, 4)
    }
}

/// The repository's `seed-data/` folder.
pub fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seed-data")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Pg { admin_url, name } => {
                if let Ok(mut conn) = diesel::PgConnection::establish(admin_url) {
                    let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

/// Runs a test body once per backend, each on its own database.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident => $body:expr;)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[test]
                fn sqlite() {
                    ($body)($crate::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    ($body)($crate::Backend::Postgres)
                }
            }
        )+
    };
}
