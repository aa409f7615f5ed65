//! Persistence of the EfA Marktplatz: one diesel code path over PostgreSQL and SQLite.

pub mod audit;
pub mod catalogue;
pub mod db;
pub mod events;
pub mod idempotency;
pub mod kept;
pub mod listings;
pub mod mail;
pub mod migrations;
pub mod models;
pub mod reuse;
pub mod secrets;
pub mod schema;
pub mod seed;
pub mod synthetic;
pub mod tx;
pub mod union;
pub mod webhooks;
#[cfg(feature = "test-util")]
pub mod test_util;

pub use db::{pool, Backend, DbConn, Pool, PooledConn};

/// Contract number of an agreement (shared by the API and the synthetic data).
pub fn reuse_number(year: i32, seq: i64) -> String {
    efa_domain::reuse::contract_number(year, seq)
}
