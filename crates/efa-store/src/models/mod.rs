//! Rows as stored, one struct per table. Rows hold column types; conversion into
//! domain types happens once, when the read model is built or a form is validated.

mod catalogue;
mod places;
mod services;

pub use catalogue::*;
pub use places::*;
pub use services::*;
