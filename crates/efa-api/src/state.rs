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
    /// Turns of SQLite's single writer (see `write::write_only`).
    pub(crate) writer: Arc<std::sync::Mutex<()>>,
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

    /// Rebuilds the catalogue snapshot from the database, and the coverage built on it.
    pub async fn reload_catalogue(&self) -> Result<(), ApiError> {
        let (rows, next) = self
            .db(|conn| {
                let rows = catalogue::load_rows(conn).map_err(ApiError::Internal)?;
                let next = catalogue::build(&rows).map_err(ApiError::Internal)?;
                Ok((rows, next))
            })
            .await?;
        *self.rows.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(rows));
        self.catalogue.replace(next);
        self.reload_coverage().await
    }

    /// After a listing write: reads the listings again and rebuilds on the cached other rows.
    pub async fn refresh_listings(&self) -> Result<(), ApiError> {
        let cached = self.rows.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(previous) = cached else {
            return self.reload_catalogue().await;
        };
        let (rows, next) = self
            .db(move |conn| {
                let rows = catalogue::reload_listings(conn, &previous).map_err(ApiError::Internal)?;
                let next = catalogue::build(&rows).map_err(ApiError::Internal)?;
                Ok((rows, next))
            })
            .await?;
        *self.rows.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(rows));
        self.catalogue.replace(next);
        self.reload_coverage().await
    }

    /// Rebuilds the coverage index: after an agreement goes live or ends.
    pub async fn reload_coverage(&self) -> Result<(), ApiError> {
        let c = self.catalogue.current();
        if !c.loaded {
            return Ok(());
        }
        let index = self
            .db(move |conn| {
                let live = efa_store::reuse::live_agreements(conn)?;
                Ok(crate::coverage::CoverageIndex::build(c, &live))
            })
            .await?;
        self.coverage.replace(index);
        Ok(())
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
