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
}

impl AppState {
    pub fn with_verifier(pool: Pool, verifier: Verifier) -> AppState {
        AppState { pool, catalogue: CatalogueHandle::default(), metrics: Arc::new(Metrics::default()), verifier: Arc::new(verifier) }
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

    /// Rebuilds the catalogue snapshot from the database.
    pub async fn reload_catalogue(&self) -> Result<(), ApiError> {
        let next = self.db(|conn| catalogue::load(conn).map_err(ApiError::Internal)).await?;
        self.catalogue.replace(next);
        Ok(())
    }

    /// The current snapshot. Until the first load succeeds the API answers 503, not an
    /// empty catalogue that would look like "no results".
    pub fn catalogue(&self) -> Result<Arc<Catalogue>, ApiError> {
        let c = self.catalogue.current();
        if c.loaded { Ok(c) } else { Err(ApiError::Unavailable) }
    }
}
