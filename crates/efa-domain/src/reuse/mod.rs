//! Nachnutzung: reuse requests, licence agreements, onboarding.

mod agreement;
mod onboarding;
mod request;

pub use agreement::*;
pub use onboarding::*;
pub use request::*;
