//! Publishing integration tests (issue 4): accounts, roles, the listing lifecycle, review,
//! validation, JWT verification over HTTP, the audit log, concurrent edits and the read model
//! a listing write leaves behind.
//!
//! The whole app runs in-process over a fresh seeded database per test; every test runs on
//! SQLite and on PostgreSQL (127.0.0.1:5432, or `EFA_TEST_PG_URL`). Tokens are minted with a
//! per-test Ed25519 key (and, in `jwt`, with the RSA test-only keys in `tests/fixtures/`).

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

mod support;

mod audit;
mod catalogue_import;
mod concurrency;
mod jwt;
mod lifecycle;
mod lists;
mod policy;
mod read_model;
mod review;
mod validation;
