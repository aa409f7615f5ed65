//! Persistence of the EfA Marktplatz: one diesel code path over PostgreSQL and SQLite.

pub mod audit;
pub mod db;
pub mod listings;
pub mod migrations;
pub mod models;
pub mod schema;
pub mod seed;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use db::{pool, Backend, DbConn, Pool, PooledConn};
