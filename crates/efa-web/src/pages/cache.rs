//! Rendered catalogue pages for visitors without personal state (not logged in, nothing in the
//! comparison tray, no message pending), kept per read-model snapshot: a page is rendered once
//! per catalogue and coverage snapshot and address, then served from here. An entry is valid
//! only while the snapshots it was rendered from are the current ones, so a rebuild after any
//! write replaces it — the page is never older than the read model the API answers from. The
//! one per-session value, the CSRF token of the comparison forms, is put in when serving.

use crate::session::Shop;
use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use std::pin::Pin;
use std::task::{Context, Poll};
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
    page: Arc<Split>,
}

/// A page cut at its CSRF slots: served without copying, the token between the parts.
struct Split {
    parts: Vec<Bytes>,
    len: usize,
}

impl Split {
    fn new(html: &str) -> Split {
        let parts: Vec<Bytes> = html.split(CSRF_SLOT).map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
        let len = parts.iter().map(Bytes::len).sum();
        Split { parts, len }
    }
}

/// The body of a cached page: its parts with the session's token between them.
struct Served {
    page: Arc<Split>,
    token: Bytes,
    next: usize,
}

impl MessageBody for Served {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        let slots = self.page.parts.len().saturating_sub(1);
        BodySize::Sized((self.page.len + slots * self.token.len()) as u64)
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        let n = this.page.parts.len();
        // Chunks alternate: part 0, token, part 1, token, …, last part.
        while this.next < 2 * n - 1 {
            let i = this.next;
            this.next += 1;
            let chunk = if i % 2 == 0 { this.page.parts[i / 2].clone() } else { this.token.clone() };
            if !chunk.is_empty() {
                return Poll::Ready(Some(Ok(chunk)));
            }
        }
        Poll::Ready(None)
    }
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

fn respond(status: StatusCode, page: Arc<Split>, csrf: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(Served { page, token: Bytes::from(csrf), next: 0 })
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
            current.then(|| (e.status, e.page.clone()))
        }?;
        Some(respond(hit.0, hit.1, shop.csrf()))
    }

    /// Keeps `html` (rendered with [`CSRF_SLOT`] for the token) and answers it.
    pub fn store(&self, shop: &Shop, from: &Snapshots, status: StatusCode, html: String) -> HttpResponse {
        let page = Arc::new(Split::new(&html));
        {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            // Entries of replaced snapshots are worthless: drop them first, then make room.
            entries.retain(|_, e| e.catalogue.strong_count() > 0 && e.coverage.strong_count() > 0);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key(shop), Entry { catalogue: Arc::downgrade(&from.catalogue), coverage: Arc::downgrade(&from.coverage), status, page: page.clone() });
        }
        respond(status, page, shop.csrf())
    }
}
