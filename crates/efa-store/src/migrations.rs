//! Embedded migrations, one folder per backend (`migrations/postgres`, `migrations/sqlite`).

use crate::db::DbConn;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies every pending migration; returns the versions applied now.
pub fn run(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES).map(versions),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE).map(versions),
    };
    applied.map_err(|e: BoxError| anyhow::anyhow!("migration failed: {e}"))
}

/// True when the database has every migration this binary knows.
pub fn is_current(conn: &mut DbConn) -> anyhow::Result<bool> {
    let pending = match conn {
        DbConn::Pg(c) => c.pending_migrations(POSTGRES).map(|p| p.len()),
        DbConn::Sqlite(c) => c.pending_migrations(SQLITE).map(|p| p.len()),
    };
    pending.map(|n| n == 0).map_err(|e: BoxError| anyhow::anyhow!("cannot read migration state: {e}"))
}

/// Reverts every migration, newest first (used by the test that proves each `down.sql` works).
pub fn revert_all(conn: &mut DbConn) -> anyhow::Result<()> {
    match conn {
        DbConn::Pg(c) => c.revert_all_migrations(POSTGRES).map(|_| ()),
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE).map(|_| ()),
    }
    .map_err(|e: BoxError| anyhow::anyhow!("revert failed: {e}"))
}

fn versions(v: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    v.into_iter().map(|m| m.to_string()).collect()
}
