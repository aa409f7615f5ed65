//! Coverage integration tests (issue 6): which in-scope OZG-Leistungen are live for a
//! Gemeinde and through what; Kreis, Land and OZG-Leistung aggregates; CSV; what to order
//! next; the federal dashboard's records; adoption per month; errors; the real seed.
//!
//! The whole app runs in-process over a fresh seeded database per test; every test runs on
//! SQLite and on PostgreSQL (127.0.0.1:5432, or `EFA_TEST_PG_URL`). The expected numbers are
//! worked out by hand from small fixtures (the arithmetic is in the comments) and from the
//! seed files, never taken from the code under test.

#[allow(dead_code, unused_imports)]
#[path = "../api/helpers.rs"]
mod helpers;

mod fixtures;
mod live;
mod support;

mod adoption;
mod areas;
mod csv_output;
mod dashboard;
mod errors;
mod next;
mod not_live;
mod seed;
mod through;
