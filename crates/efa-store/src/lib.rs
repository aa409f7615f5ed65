//! Persistence of the EfA Marktplatz: one diesel code path over PostgreSQL and SQLite.

pub mod audit;
pub mod db;
pub mod idempotency;
pub mod listings;
pub mod migrations;
pub mod models;
pub mod reuse;
pub mod schema;
pub mod seed;
pub mod tx;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use db::{pool, Backend, DbConn, Pool, PooledConn};
