//! The shop's pages in process, on both databases: rendered and asserted with CSS selectors
//! (content, links, form errors, values kept, XSS), as docs.rs and GOV.UK's frontends test.

mod support;

mod account;
mod catalogue;
mod coverage;
mod catalogue_versions;
mod cache;
mod foundation;
mod listings;
mod order;
mod requests;
mod agreements;
mod audit;
mod organisations;
mod webhooks;
mod decisions;
