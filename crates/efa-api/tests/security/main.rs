//! Security suite (issue 7): the authorisation matrix generated from the route table, leaks
//! between organisations through the list endpoints, and hostile input on every text field
//! and filter.
//!
//! The whole app runs in-process over a fresh seeded database per test; every test that
//! touches a database runs on SQLite and on PostgreSQL (127.0.0.1:5432, or `EFA_TEST_PG_URL`).
//! Tokens are minted with a per-test Ed25519 key; every fixture is made through the API.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

mod fixtures;
mod routes;
mod table;
mod world;
/// The name `world_test!` looks for.
use world as support;

mod hostile;
mod hostile_body;
mod leaks;
mod matrix;
