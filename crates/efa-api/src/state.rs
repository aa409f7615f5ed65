//! What every handler shares: the pool, the catalogue snapshot, the metrics.

use crate::catalogue::{self, Catalogue, CatalogueHandle};
use crate::error::ApiError;
use crate::auth::Verifier;
use crate::metrics::Metrics;
use actix_web::web;
use efa_store::Pool;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub catalogue: CatalogueHandle,
    pub metrics: Arc<Metrics>,
    pub verifier: Arc<Verifier>,
    pub coverage: crate::coverage::CoverageHandle,
    /// The rows of the last full load, reused when only listings changed.
    rows: Arc<std::sync::Mutex<Option<Arc<catalogue::Rows>>>>,
    /// Turns of SQLite's single writer (see [`WriterTurns`]).
    pub(crate) writer: WriterTurns,
    rebuilds: Arc<Rebuilds>,
    /// This instance, as events name their origin (a fresh id per process).
    pub instance: Arc<str>,
    /// Woken when events were written (here, or by another instance): long polls look again.
    pub events_wake: Arc<tokio::sync::Notify>,
    /// How webhook deliveries go out (production defaults; `serve` configures them).
    pub webhooks: Arc<crate::webhooks::Settings>,
    /// One slot per pooled connection: the requests' database work queues here, first come
    /// first served (see [`AppState::db`]).
    db_slots: Arc<tokio::sync::Semaphore>,
}

/// SQLite lets one writer in at a time and makes the others retry with growing sleeps
/// (busy_timeout): under load a writer could wait seconds while others got in. Every writer
/// of this process (the API's writes, the mailer, the webhook dispatcher) takes a turn here
/// instead, and each starts as soon as the last is done. PostgreSQL needs no turns.
#[derive(Clone, Default)]
pub struct WriterTurns(Arc<std::sync::Mutex<()>>);

impl WriterTurns {
    /// The turn to write on `conn`: held until dropped; `None` on PostgreSQL.
    pub fn turn(&self, conn: &efa_store::DbConn) -> Option<std::sync::MutexGuard<'_, ()>> {
        (conn.backend() == efa_store::Backend::Sqlite).then(|| self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rebuild {
    /// Every row of the catalogue read again.
    Full,
    /// The listings read again, the other rows as last read.
    Listings,
    /// The coverage index only (agreements changed).
    Coverage,
}

impl Rebuild {
    fn name(self) -> &'static str {
        match self {
            Rebuild::Full => "full",
            Rebuild::Listings => "listings",
            Rebuild::Coverage => "coverage",
        }
    }
}

/// Counters of the three parts of the read model: the catalogue snapshot, the coverage index,
/// and the live agreements coverage is built from.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    catalogue: u64,
    coverage: u64,
    agreements: u64,
}

/// A writer's ticket: the counts its ask raised (the catalogue's only when it asked for it).
#[derive(Debug, Clone, Copy)]
struct Ticket {
    catalogue: Option<u64>,
    coverage: u64,
}

/// The ticket protocol of the rebuilds. A writer asks after its change is committed; a
/// rebuild, holding the turn, notes what has been asked so far (`begin`), reads the database,
/// and records that much as done. A ticket is served once a rebuild that began after it
/// finished. All counters of one ask are raised together under one lock, and `begin` reads
/// them under the same lock: a rebuild sees all of a ticket or none of it. (With separate
/// atomics raised one after the other, a rebuild could see an agreement writer's coverage
/// ticket but not its agreements ticket, rebuild coverage from the agreements it had cached,
/// and answer the writer as served without its agreement.)
#[derive(Debug, Default)]
struct Tickets {
    asked: std::sync::Mutex<Counts>,
    /// Changed only by the rebuild holding the turn.
    done: std::sync::Mutex<Counts>,
}

impl Tickets {
    fn ask(&self, what: Rebuild) -> Ticket {
        let mut a = self.asked.lock().unwrap_or_else(|p| p.into_inner());
        if what != Rebuild::Coverage {
            a.catalogue += 1;
        }
        a.coverage += 1;
        // Coverage and full rebuilds are asked for when agreements changed.
        if what != Rebuild::Listings {
            a.agreements += 1;
        }
        Ticket { catalogue: (what != Rebuild::Coverage).then_some(a.catalogue), coverage: a.coverage }
    }

    /// What a rebuild beginning now covers: everything asked so far.
    fn begin(&self) -> Counts {
        *self.asked.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn done(&self) -> Counts {
        *self.done.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// (catalogue, coverage): which parts of `t` no finished rebuild has served yet.
    fn due(&self, t: &Ticket) -> (bool, bool) {
        let d = self.done();
        (t.catalogue.is_some_and(|c| d.catalogue < c), d.coverage < t.coverage)
    }

    /// Whether agreements changed since they were last read, up to `upto`.
    fn agreements_stale(&self, upto: &Counts) -> bool {
        self.done().agreements < upto.agreements
    }

    fn finish_catalogue(&self, upto: &Counts) {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).catalogue = upto.catalogue;
    }

    fn finish_agreements(&self, upto: &Counts) {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).agreements = upto.agreements;
    }

    fn finish_coverage(&self, upto: &Counts) {
        self.done.lock().unwrap_or_else(|p| p.into_inner()).coverage = upto.coverage;
    }
}

/// (number, service, customer, signatory) of the agreements a service runs under.
type LiveAgreements = Arc<Vec<(String, String, String, String)>>;

/// Turns and tickets of the read-model rebuilds (see `AppState::rebuild`).
#[derive(Default)]
struct Rebuilds {
    lock: std::sync::Mutex<()>,
    tickets: Tickets,
    /// The live agreements the last coverage index was built from, and the day (in Berlin)
    /// they were read for: a terminated agreement stops counting after its end date.
    live: std::sync::Mutex<Option<(chrono::NaiveDate, LiveAgreements)>>,
}

impl AppState {
    pub fn with_verifier(pool: Pool, verifier: Verifier) -> AppState {
        let slots = usize::try_from(pool.max_size()).unwrap_or(1).max(1);
        AppState {
            db_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            pool,
            catalogue: CatalogueHandle::default(),
            metrics: Arc::new(Metrics::default()),
            verifier: Arc::new(verifier),
            coverage: crate::coverage::CoverageHandle::default(),
            rows: Arc::default(),
            writer: WriterTurns::default(),
            rebuilds: Arc::default(),
            instance: uuid::Uuid::new_v4().to_string().into(),
            events_wake: Arc::default(),
            webhooks: Arc::default(),
        }
    }

    /// State whose verifier trusts a key nobody holds: every token is refused (fails closed).
    pub fn new(pool: Pool) -> AppState {
        let verifier = crate::auth::DevKey::generate()
            .and_then(|k| Verifier::from_jwks(&k.jwks(), crate::auth::DEV_ISSUER, crate::auth::DEFAULT_AUDIENCE))
            .unwrap_or_else(|e| panic!("cannot create a key: {e}"));
        AppState::with_verifier(pool, verifier)
    }

    /// Runs blocking database work off the async workers.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut efa_store::DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        // Waiting for a connection happens here, in a fair queue, not in the pool: there a
        // returned connection goes to whichever blocked thread the scheduler runs first, and
        // under load some requests waited for many turns (p99 several times p50). With one
        // slot per connection, a blocking thread starts only when a connection is free.
        let _slot = self.db_slots.acquire().await.map_err(|e| ApiError::Internal(e.into()))?;
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Puts a read model built before serving in place (the start-up path), with the rows and
    /// live agreements (as of `day`) it was built from, so that the first rebuild after a
    /// write reuses them.
    pub fn install(&self, rows: catalogue::Rows, next: Catalogue, day: chrono::NaiveDate, live: Vec<(String, String, String, String)>) {
        *self.rows.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(rows.without_listings()));
        self.catalogue.replace(next);
        let live = Arc::new(live);
        *self.rebuilds.live.lock().unwrap_or_else(|p| p.into_inner()) = Some((day, live.clone()));
        self.coverage.replace(crate::coverage::CoverageIndex::build(self.catalogue.current(), &live));
    }

    /// Rebuilds coverage when the day (in Berlin) has changed since the live agreements were
    /// read: agreements that ended yesterday no longer count. The server calls it every minute.
    pub async fn refresh_if_day_changed(&self) -> Result<(), ApiError> {
        let read_for = self.rebuilds.live.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|(day, _)| *day);
        match read_for {
            Some(day) if day != efa_domain::calendar::today() => self.reload_coverage().await,
            _ => Ok(()),
        }
    }

    /// Rebuilds the catalogue snapshot from all its rows, and the coverage built on it.
    pub async fn reload_catalogue(&self) -> Result<(), ApiError> {
        self.rebuild(Rebuild::Full).await
    }

    /// Rebuilds the coverage index: after an agreement goes live or ends.
    pub async fn reload_coverage(&self) -> Result<(), ApiError> {
        self.rebuild(Rebuild::Coverage).await
    }

    /// After a committed write: rebuilds what it changed. A failed rebuild must not turn the
    /// write into an error for its caller; it is retried in the background (1 s, 2 s, … up to
    /// 30 s apart) until one succeeds, so the read model catches up once the database answers.
    pub async fn rebuild_after_write(&self, listings: bool) {
        let what = if listings { Rebuild::Listings } else { Rebuild::Coverage };
        if let Err(e) = self.rebuild(what).await {
            tracing::error!(error = %e, what = what.name(), "read-model rebuild after a write failed; retrying in the background");
            let state = self.clone();
            actix_web::rt::spawn(async move {
                let mut wait = std::time::Duration::from_secs(1);
                loop {
                    actix_web::rt::time::sleep(wait).await;
                    match state.rebuild(what).await {
                        Ok(()) => {
                            tracing::info!(what = what.name(), "read model rebuilt after an earlier failure");
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, what = what.name(), "read-model rebuild still failing"),
                    }
                    wait = (wait * 2).min(std::time::Duration::from_secs(30));
                }
            });
        }
    }

    /// Rebuilds run one at a time, each reading the database after it has its turn. So a later
    /// snapshot never gives way to an earlier one, and a change committed before a rebuild
    /// began reading is in it: the writers that asked meanwhile have nothing left to rebuild.
    async fn rebuild(&self, what: Rebuild) -> Result<(), ApiError> {
        let r = self.rebuilds.clone();
        // Tickets are taken after the caller's change is committed.
        let ticket = r.tickets.ask(what);
        let (pool, handle, coverage, rows_cache, metrics) = (self.pool.clone(), self.catalogue.clone(), self.coverage.clone(), self.rows.clone(), self.metrics.clone());
        web::block(move || -> Result<(), ApiError> {
            let _turn = r.lock.lock().unwrap_or_else(|p| p.into_inner());
            let (catalogue_due, coverage_due) = r.tickets.due(&ticket);
            if !catalogue_due && !coverage_due {
                return Ok(());
            }
            // Everything asked for up to now is covered by what is read from here on.
            let upto = r.tickets.begin();
            let started = std::time::Instant::now();
            let ms = |t: std::time::Instant| t.elapsed().as_secs_f64() * 1000.0;
            let mut conn = pool.get()?;
            // A write to a working copy changes no published service: coverage stays as it is.
            let mut published_unchanged = false;
            if catalogue_due {
                let cached = rows_cache.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let rows = match (what, cached) {
                    (Rebuild::Listings, Some(previous)) => catalogue::reload_listings(&mut conn, &previous),
                    _ => catalogue::load_rows(&mut conn),
                }
                .map_err(ApiError::Internal)?;
                let read_ms = ms(started);
                let previous = handle.current();
                let next = catalogue::rebuild(&rows, &previous).map_err(ApiError::Internal)?;
                tracing::debug!(?what, read_ms, built_ms = ms(started), "catalogue rebuilt");
                *rows_cache.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(rows.without_listings()));
                published_unchanged = what == Rebuild::Listings && previous.loaded && previous.published_fingerprint == next.published_fingerprint;
                handle.replace(next);
                r.tickets.finish_catalogue(&upto);
            }
            let c = handle.current();
            let today = efa_domain::calendar::today();
            let mut cached = r.live.lock().unwrap_or_else(|p| p.into_inner());
            // The live agreements are read again when agreements changed, or when the day
            // changed (an agreement that ended yesterday no longer counts).
            let fresh = cached.as_ref().filter(|(day, _)| *day == today && !r.tickets.agreements_stale(&upto)).map(|(_, live)| live.clone());
            let keep = published_unchanged && fresh.is_some() && coverage.current().is_some();
            if c.loaded && !keep {
                // A listing write leaves the agreements as they were: their rows are read again
                // only when agreements changed (or on a full reload).
                let live = match fresh {
                    Some(live) => live,
                    None => Arc::new(efa_store::reuse::live_agreements(&mut conn, today)?),
                };
                *cached = Some((today, live.clone()));
                r.tickets.finish_agreements(&upto);
                drop(cached);
                coverage.replace(crate::coverage::CoverageIndex::build(c, &live));
                tracing::debug!(?what, total_ms = ms(started), live_agreements = live.len(), "coverage rebuilt");
            } else {
                drop(cached);
            }
            r.tickets.finish_coverage(&upto);
            metrics.observe_rebuild(what.name(), started.elapsed().as_secs_f64());
            release_freed_memory();
            Ok(())
        })
        .await?
    }

    /// The current snapshot, made to hold the published service `id` if the database has it:
    /// another instance may have published it a moment ago, before this one heard of it.
    pub async fn catalogue_with(&self, id: &str) -> Result<Arc<Catalogue>, ApiError> {
        let c = self.catalogue()?;
        if c.service(id).is_some() {
            return Ok(c);
        }
        let wanted = id.to_owned();
        let published = self.db(move |conn| Ok(efa_store::listings::find(conn, &wanted)?.is_some_and(|r| r.published_version.is_some() && r.listing_state != "retired"))).await?;
        if published {
            self.rebuild(Rebuild::Listings).await?;
        }
        self.catalogue()
    }

    /// The current coverage index (503 until the catalogue is loaded).
    pub fn coverage(&self) -> Result<Arc<crate::coverage::CoverageIndex>, ApiError> {
        self.coverage.current().ok_or(ApiError::Unavailable)
    }

    /// The current snapshot. Until the first load succeeds the API answers 503, not an
    /// empty catalogue that would look like "no results".
    pub fn catalogue(&self) -> Result<Arc<Catalogue>, ApiError> {
        let c = self.catalogue.current();
        if c.loaded { Ok(c) } else { Err(ApiError::Unavailable) }
    }
}

/// A rebuild frees the previous snapshot (tens of megabytes) at once; glibc keeps freed pages
/// in its arenas unless asked to give them back, and the resident size would creep up with
/// every write. Elsewhere the allocator decides.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free memory to the system; it takes no pointers.
        unsafe {
            malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// One rebuild as `AppState::rebuild` runs it, over a simulated database whose agreements
    /// are a version number: the agreements version the coverage was built from.
    fn rebuild(turn: &std::sync::Mutex<u64>, t: &Tickets, ticket: Ticket, db_agreements: &AtomicU64) {
        let mut built_from = turn.lock().unwrap();
        let (catalogue_due, coverage_due) = t.due(&ticket);
        if !catalogue_due && !coverage_due {
            return;
        }
        let upto = t.begin();
        if catalogue_due {
            t.finish_catalogue(&upto);
        }
        if t.agreements_stale(&upto) {
            *built_from = db_agreements.load(Ordering::SeqCst);
            t.finish_agreements(&upto);
        }
        t.finish_coverage(&upto);
    }

    #[test]
    fn a_ticket_asked_during_a_rebuild_is_not_served_by_it() {
        let t = Tickets::default();
        let listing = t.ask(Rebuild::Listings);
        let upto = t.begin();
        // An agreement writer commits and asks while that rebuild reads the database.
        let agreement = t.ask(Rebuild::Coverage);
        t.finish_catalogue(&upto);
        t.finish_coverage(&upto);
        assert_eq!(t.due(&listing), (false, false), "the listing writer is served");
        assert_eq!(t.due(&agreement), (false, true), "the agreement writer is not");
        // Its own rebuild reads the agreements again.
        let upto = t.begin();
        assert!(t.agreements_stale(&upto));
        t.finish_agreements(&upto);
        t.finish_coverage(&upto);
        assert_eq!(t.due(&agreement), (false, false));
        assert!(!t.agreements_stale(&t.begin()));
    }

    #[test]
    fn a_listing_ticket_leaves_the_agreements_as_read() {
        let t = Tickets::default();
        let first = t.ask(Rebuild::Full);
        let upto = t.begin();
        t.finish_catalogue(&upto);
        t.finish_agreements(&upto);
        t.finish_coverage(&upto);
        assert_eq!(t.due(&first), (false, false));
        let listing = t.ask(Rebuild::Listings);
        assert_eq!(t.due(&listing), (true, true));
        assert!(!t.agreements_stale(&t.begin()), "a listing write changes no agreement");
    }

    /// Many agreement and listing writers at once, each committing, asking, and rebuilding
    /// (or being served by another's rebuild): when a writer's rebuild returns, coverage was
    /// built from agreements at least as new as its own commit. Runs every interleaving the
    /// scheduler offers, many times.
    #[test]
    fn served_writers_always_see_their_own_agreements() {
        for _ in 0..50 {
            let t = Arc::new(Tickets::default());
            let turn = Arc::new(std::sync::Mutex::new(0u64));
            let db = Arc::new(AtomicU64::new(0));
            let writers: Vec<_> = (0..8)
                .map(|i| {
                    let (t, turn, db) = (t.clone(), turn.clone(), db.clone());
                    std::thread::spawn(move || {
                        for _ in 0..200 {
                            if i % 2 == 0 {
                                let mine = db.fetch_add(1, Ordering::SeqCst) + 1;
                                let ticket = t.ask(Rebuild::Coverage);
                                rebuild(&turn, &t, ticket, &db);
                                let built_from = *turn.lock().unwrap();
                                assert!(built_from >= mine, "served with agreements {built_from}, committed {mine}");
                            } else {
                                let ticket = t.ask(Rebuild::Listings);
                                rebuild(&turn, &t, ticket, &db);
                            }
                        }
                    })
                })
                .collect();
            for w in writers {
                w.join().expect("writer");
            }
        }
    }
}
