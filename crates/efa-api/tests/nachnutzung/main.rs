//! Nachnutzung integration tests (issue 5): reuse requests with the right Land in the loop,
//! provider acceptance, licence agreements with frozen terms and fees, signatures,
//! onboarding to live, termination, bundled requests, framework accession, concurrency,
//! Idempotency-Key and the cost estimate.
//!
//! The whole app runs in-process over a fresh seeded database per test; every test runs on
//! SQLite and on PostgreSQL (127.0.0.1:5432, or `EFA_TEST_PG_URL`). Tokens are minted with a
//! per-test Ed25519 key. Expected money and dates are computed in the tests, not taken from
//! the code under test.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

mod support;

mod bundled;
mod concurrency;
mod costs;
mod events;
mod framework;
mod idempotency;
mod individual;
mod integrity;
mod lists;
mod mail;
mod outcomes;
mod webhooks;
