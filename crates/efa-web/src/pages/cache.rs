//! Rendered catalogue pages for visitors without personal state (not logged in, nothing in the
//! comparison tray, no message pending), kept per read-model snapshot: a page is rendered once
//! per catalogue and coverage snapshot and address, then served from here. An entry is valid
//! only while the snapshots it was rendered from are the current ones, so a rebuild after any
//! write replaces it — the page is never older than the read model the API answers from. The
//! one per-session value, the CSRF token of the comparison forms, is put in when serving.

use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use efa_api::catalogue::Catalogue;
use efa_api::coverage::CoverageIndex;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// Stands for the session's CSRF token in a cached page.
pub const CSRF_SLOT: &str = "\u{1}csrf\u{1}";

/// Most pages kept (about 30–50 KB each): the cache stays a few megabytes.
const MAX_ENTRIES: usize = 256;

struct Entry {
    catalogue: Weak<Catalogue>,
    coverage: Weak<CoverageIndex>,
    status: StatusCode,
    html: Arc<str>,
}

#[derive(Default)]
pub struct PageCache {
    entries: Mutex<HashMap<String, Entry>>,
}

/// The snapshots a page is rendered from.
pub struct Snapshots {
    pub catalogue: Arc<Catalogue>,
    pub coverage: Arc<CoverageIndex>,
}

impl Snapshots {
    pub fn of(shop: &Shop) -> Result<Snapshots, efa_api::error::ApiError> {
        Ok(Snapshots { catalogue: shop.app.catalogue()?, coverage: shop.app.coverage()? })
    }
}

fn key(shop: &Shop) -> String {
    shop.req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default()
}

/// Whether this request sees the page everyone without personal state sees.
pub fn applies(shop: &Shop) -> bool {
    shop.user.is_none() && !shop.is_htmx() && shop.tray().is_empty() && !shop.has_flash()
}

fn respond(status: StatusCode, html: &str, csrf: &str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html.replace(CSRF_SLOT, csrf))
}

impl PageCache {
    /// The cached page for this request, if it applies and is current.
    pub fn lookup(&self, shop: &Shop, now: &Snapshots) -> Option<HttpResponse> {
        if !applies(shop) {
            return None;
        }
        let hit = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            let e = entries.get(&key(shop))?;
            let current = Weak::ptr_eq(&e.catalogue, &Arc::downgrade(&now.catalogue)) && Weak::ptr_eq(&e.coverage, &Arc::downgrade(&now.coverage));
            current.then(|| (e.status, e.html.clone()))
        }?;
        Some(respond(hit.0, &hit.1, &shop.csrf()))
    }

    /// Keeps `html` (rendered with [`CSRF_SLOT`] for the token) and answers it.
    pub fn store(&self, shop: &Shop, from: &Snapshots, status: StatusCode, html: String) -> HttpResponse {
        let html: Arc<str> = html.into();
        {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            // Entries of replaced snapshots are worthless: drop them first, then make room.
            entries.retain(|_, e| e.catalogue.strong_count() > 0 && e.coverage.strong_count() > 0);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key(shop), Entry { catalogue: Arc::downgrade(&from.catalogue), coverage: Arc::downgrade(&from.coverage), status, html: html.clone() });
        }
        respond(status, &html, &shop.csrf())
    }
}
