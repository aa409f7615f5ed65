//! The coverage read model: which in-scope OZG-Leistungen are live for which Gemeinde.
//! Built from the catalogue snapshot and the live agreements; rebuilt when either changes.
//! The rule itself is efa_domain::coverage.

pub mod index;
pub mod reports;

pub use index::{Best, Cover, CoverageIndex};

use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct CoverageHandle(Arc<RwLock<Option<Arc<CoverageIndex>>>>);

impl CoverageHandle {
    pub fn current(&self) -> Option<Arc<CoverageIndex>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn replace(&self, next: CoverageIndex) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(next));
    }
}
