//! A fresh, migrated database per test, on either backend; dropped when the test ends.
//!
//! PostgreSQL: `EFA_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`) names the
//! server; each `TestDb` creates its own database there and drops it in `Drop`.
//! SQLite: a new file under the system temp dir, removed in `Drop`.

use crate::db::{Backend, DbConn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
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
    ///
    /// Seeding takes a second or two; tests clone a seeded template instead, made once per
    /// content of `migrations/` and `seed-data/` (PostgreSQL: `CREATE DATABASE … TEMPLATE`,
    /// SQLite: a file copy).
    pub fn seeded(backend: Backend) -> TestDb {
        let hash = content_hash();
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let template = std::env::temp_dir().join(format!("efa-template-{hash}.db"));
                with_file_lock(&template.with_extension("lock"), || {
                    if !template.exists() {
                        let partial = template.with_extension("partial");
                        let _ = std::fs::remove_file(&partial);
                        let mut conn = DbConn::open(&partial.display().to_string()).expect("open template");
                        crate::migrations::run(&mut conn).expect("migrate template");
                        crate::seed::run(&mut conn, &seed_dir()).expect("seed template");
                        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;").expect("checkpoint");
                        drop(conn);
                        std::fs::rename(&partial, &template).expect("publish template");
                    }
                });
                let path = std::env::temp_dir().join(format!("efa-test-{id}.db"));
                std::fs::copy(&template, &path).expect("copy template");
                TestDb { url: path.display().to_string(), backend, cleanup: Cleanup::Sqlite(path) }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let template = format!("efa_template_{hash}");
                let mut conn = diesel::PgConnection::establish(&admin).expect("PostgreSQL reachable");
                let key = i64::from_str_radix(&hash[..15], 16).unwrap_or(1);
                conn.batch_execute(&format!("SELECT pg_advisory_lock({key})")).expect("lock");
                let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                    "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"
                )))
                .get_result(&mut conn)
                .expect("look up template");
                if !exists {
                    let building = format!("{template}_building");
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)")).expect("drop stale template");
                    conn.batch_execute(&format!("CREATE DATABASE {building}")).expect("create template");
                    {
                        let mut t = DbConn::open(&with_database(&admin, &building)).expect("open template");
                        crate::migrations::run(&mut t).expect("migrate template");
                        crate::seed::run(&mut t, &seed_dir()).expect("seed template");
                    }
                    conn.batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}")).expect("publish template");
                }
                let name = format!("efa_test_{id}");
                conn.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).expect("clone template");
                conn.batch_execute(&format!("SELECT pg_advisory_unlock({key})")).expect("unlock");
                TestDb { url: with_database(&admin, &name), backend, cleanup: Cleanup::Pg { admin_url: admin, name } }
            }
        }
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

    /// A bundler organisation of `land` acting for the organisations `members`, written
    /// straight to the database (no endpoint creates bundlers).
    pub fn insert_bundler(&self, id: &str, name: &str, land: &str, members: &[String]) {
        use crate::schema::{org_memberships, organisations};
        let mut conn = self.conn();
        let now = chrono::Utc::now().naive_utc();
        diesel::insert_into(organisations::table)
            .values((
                organisations::id.eq(id),
                organisations::name.eq(name),
                organisations::kind.eq("bundler"),
                organisations::land_code.eq(Some(land)),
                organisations::created_at.eq(now),
                organisations::updated_at.eq(now),
            ))
            .execute(&mut conn)
            .expect("insert bundler");
        for m in members {
            diesel::insert_into(org_memberships::table)
                .values((org_memberships::bundler_org_id.eq(id), org_memberships::member_org_id.eq(m)))
                .execute(&mut conn)
                .expect("insert membership");
        }
    }
}

/// FNV-1a over every file of `migrations/` and `seed-data/`: a template is reused only
/// while both are unchanged.
fn content_hash() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    let mut stack = vec![root.join("migrations"), root.join("seed-data")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let p = entry.path();
            if p.is_dir() { stack.push(p) } else { files.push(p) }
        }
    }
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for b in f.strip_prefix(&root).unwrap_or(&f).to_string_lossy().bytes().chain(std::fs::read(&f).expect("read file")) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// A cross-process mutex: the lock file exists while one process holds it.
fn with_file_lock(lock: &Path, f: impl FnOnce()) {
    let started = std::time::Instant::now();
    loop {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(lock) {
            Ok(_) => break,
            // A holder that died leaves the file behind; after a minute take it over.
            Err(_) if started.elapsed() > std::time::Duration::from_secs(60) => {
                let _ = std::fs::remove_file(lock);
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    f();
    let _ = std::fs::remove_file(lock);
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

/// Every count the writes keep equals a recount of the rows ([`crate::kept::mismatches`]).
pub fn assert_kept(conn: &mut DbConn, after: &str) {
    let wrong = crate::kept::mismatches(conn).expect("recount");
    assert!(wrong.is_empty(), "after {after}: {wrong:#?}");
}
