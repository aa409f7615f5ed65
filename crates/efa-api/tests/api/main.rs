//! API integration tests: the whole app in-process over a fresh seeded database per test,
//! every test on SQLite and on PostgreSQL (127.0.0.1:5432, or `EFA_TEST_PG_URL`).

mod helpers;

mod catalogue;
mod errors;
mod ops;
mod openapi_drift;
mod organisations;
mod places;
mod search;
mod services;
