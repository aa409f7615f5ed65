//! Marketplace listings of online services: their lifecycle and their content.

mod content;
mod state;
mod validate;

pub use content::*;
pub use state::*;
pub use validate::{merge_patch, validate_listing, FieldError, ListingRefs};
