//! Domain types and rules of the EfA Marktplatz.
//!
//! Everything here is pure: no database, no HTTP. Values from the outside world
//! (CSV rows, query parameters, JSON bodies) are parsed once into these types,
//! so the rest of the code never sees a malformed AGS or LeiKa key.

pub mod calendar;
pub mod codes;
pub mod costs;
pub mod coverage;
pub mod enums;
pub mod events;
pub mod listing;
pub mod money;
pub mod policy;
pub mod reuse;
pub mod search;

pub use codes::{Ags, Ars, CodeError, KreisCode, LandCode, LeikaKey, OzgId};
pub use enums::{Anbindung, EnumError, OrgKind, PriceModel, Reifegrad, ServiceStatus};
pub use money::Cents;
pub use policy::{decide, Action, Decision, Principal, Role};
pub use search::fold;
