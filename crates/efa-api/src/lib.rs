//! The HTTP API of the EfA Marktplatz.

pub mod app;
pub mod auth;
pub mod catalogue;
pub mod costs;
pub mod coverage;
pub mod error;
pub mod events;
pub mod extract;
pub mod follow;
pub mod handlers;
pub mod http;
pub mod mail;
pub mod memo;
pub mod metrics;
pub mod nachnutzung;
pub mod operations;
pub mod openapi;
pub mod params;
pub mod state;
pub mod views;
pub mod webhooks;
pub mod write;

pub use app::{app, app_with, Frontend};
pub use state::AppState;
