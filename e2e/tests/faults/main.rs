//! Faults, against the real `efa` binary (issue 7):
//!
//! * `kill -9` in the middle of a burst of orders (reuse requests, some carried through
//!   submission, approval and acceptance into agreements), then a restart on the same
//!   database: every request that was answered 2xx is there, nothing is half-written, agreement
//!   numbers have no gaps, and a retry with the same `Idempotency-Key` never orders twice.
//!   On SQLite (WAL, synchronous=FULL) and on PostgreSQL.
//! * The database becomes unreachable (a TCP proxy in front of PostgreSQL is cut): `/readyz`
//!   and writes answer 503 problem+json; once it is back the same process recovers.
//!
//! * Webhooks: `kill -9` while a delivery is in flight loses nothing (the delivery is taken up
//!   again after its lease, signed as before and verified with the reference implementation),
//!   and two instances on one PostgreSQL deliver every event once.
//!
//! Needs the binary (`cargo build -p efa`) and, for PostgreSQL, `createdb`/`dropdb` and a
//! server at 127.0.0.1:5432 (trust auth, user postgres; `EFA_TEST_PG_HOST`/`_PORT` override).


mod harness;
mod kill9;
mod outage;
mod webhooks;
