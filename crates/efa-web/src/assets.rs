//! The embedded assets, served under content-hashed names with a year's caching.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The URL of an asset by its logical name (`kern.min.css`); panics in tests for a typo.
pub fn url(name: &str) -> &'static str {
    ASSETS.iter().find(|a| a.0 == name).map(|a| a.1).unwrap_or_else(|| {
        debug_assert!(false, "no asset {name}");
        "/assets/missing"
    })
}

pub async fn serve(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let path = format!("/assets/{name}");
    let Some(&(_, _, content_type, bytes, gz)) = ASSETS.iter().find(|a| a.1 == path) else {
        return crate::errors::not_found_page(&req);
    };
    let accepts_gzip = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header(("X-Content-Type-Options", "nosniff"));
    match gz {
        Some(gz) if accepts_gzip => res.insert_header((header::CONTENT_ENCODING, "gzip")).body(gz),
        _ => res.body(bytes),
    }
}
