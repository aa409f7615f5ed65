//! What every handler shares: the pool, the catalogue snapshot, the metrics.

use crate::catalogue::{self, Catalogue, CatalogueHandle};
use crate::error::ApiError;
use crate::auth::Verifier;
use crate::metrics::Metrics;
use actix_web::web;
use efa_store::Pool;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Turns of SQLite's single writer (see `write::write_only`).
    pub(crate) writer: Arc<std::sync::Mutex<()>>,
    rebuilds: Arc<Rebuilds>,
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

/// Turns and tickets of the read-model rebuilds (see `AppState::rebuild`).
#[derive(Default)]
struct Rebuilds {
    lock: std::sync::Mutex<()>,
    catalogue_asked: AtomicU64,
    catalogue_done: AtomicU64,
    coverage_asked: AtomicU64,
    coverage_done: AtomicU64,
    /// Changes of agreements (coverage or full rebuilds asked for): the live agreements are
    /// read again only when one is newer than the rows below.
    agreements_asked: AtomicU64,
    agreements_done: AtomicU64,
    /// The live agreements the last coverage index was built from.
    live: std::sync::Mutex<Option<Arc<Vec<(String, String, String, String)>>>>,
}

impl AppState {
    pub fn with_verifier(pool: Pool, verifier: Verifier) -> AppState {
        AppState {
            pool,
            catalogue: CatalogueHandle::default(),
            metrics: Arc::new(Metrics::default()),
            verifier: Arc::new(verifier),
            coverage: crate::coverage::CoverageHandle::default(),
            rows: Arc::default(),
            writer: Arc::default(),
            rebuilds: Arc::default(),
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
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Puts a read model built before serving in place (the start-up path), with the rows and
    /// live agreements it was built from, so that the first rebuild after a write reuses them.
    pub fn install(&self, rows: catalogue::Rows, next: Catalogue, live: Vec<(String, String, String, String)>) {
        *self.rows.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(rows.without_listings()));
        self.catalogue.replace(next);
        let live = Arc::new(live);
        *self.rebuilds.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(live.clone());
        self.coverage.replace(crate::coverage::CoverageIndex::build(self.catalogue.current(), &live));
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
        let catalogue_ticket = (what != Rebuild::Coverage).then(|| r.catalogue_asked.fetch_add(1, Ordering::SeqCst) + 1);
        let coverage_ticket = r.coverage_asked.fetch_add(1, Ordering::SeqCst) + 1;
        if what != Rebuild::Listings {
            r.agreements_asked.fetch_add(1, Ordering::SeqCst);
        }
        let (pool, handle, coverage, rows_cache, metrics) = (self.pool.clone(), self.catalogue.clone(), self.coverage.clone(), self.rows.clone(), self.metrics.clone());
        web::block(move || -> Result<(), ApiError> {
            let _turn = r.lock.lock().unwrap_or_else(|p| p.into_inner());
            let catalogue_due = catalogue_ticket.is_some_and(|t| r.catalogue_done.load(Ordering::SeqCst) < t);
            if !catalogue_due && r.coverage_done.load(Ordering::SeqCst) >= coverage_ticket {
                return Ok(());
            }
            // Everything asked for up to now is covered by what is read from here on.
            let (catalogue_upto, coverage_upto) = (r.catalogue_asked.load(Ordering::SeqCst), r.coverage_asked.load(Ordering::SeqCst));
            let agreements_upto = r.agreements_asked.load(Ordering::SeqCst);
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
                r.catalogue_done.store(catalogue_upto, Ordering::SeqCst);
            }
            let c = handle.current();
            let agreements_changed = r.agreements_done.load(Ordering::SeqCst) < agreements_upto;
            let keep = published_unchanged && !agreements_changed && coverage.current().is_some();
            if c.loaded && !keep {
                // A listing write leaves the agreements as they were: their rows are read again
                // only when agreements changed (or on a full reload).
                let mut cached = r.live.lock().unwrap_or_else(|p| p.into_inner());
                let live = match &*cached {
                    Some(live) if r.agreements_done.load(Ordering::SeqCst) >= agreements_upto => live.clone(),
                    _ => Arc::new(efa_store::reuse::live_agreements(&mut conn)?),
                };
                *cached = Some(live.clone());
                r.agreements_done.store(agreements_upto, Ordering::SeqCst);
                drop(cached);
                coverage.replace(crate::coverage::CoverageIndex::build(c, &live));
                tracing::debug!(?what, total_ms = ms(started), live_agreements = live.len(), "coverage rebuilt");
            }
            r.coverage_done.store(coverage_upto, Ordering::SeqCst);
            metrics.observe_rebuild(what.name(), started.elapsed().as_secs_f64());
            release_freed_memory();
            Ok(())
        })
        .await?
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
