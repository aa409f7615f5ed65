//! Conditional GET: detail responses and reports from a snapshot carry a strong ETag;
//! `If-None-Match` answers 304.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::ApiError;

/// 64-bit FNV-1a: stable across processes and releases (unlike std's hasher), cheap.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

pub fn etag_of(body: &[u8]) -> String {
    format!("\"{:016x}\"", fnv1a(body))
}

fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|t| {
        let t = t.trim();
        t == "*" || t == etag || t.strip_prefix("W/") == Some(etag)
    })
}

/// JSON body with an ETag, or 304 when the client already has it.
pub fn json_with_etag<T: Serialize>(req: &HttpRequest, value: &T) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?;
    let etag = etag_of(&body);
    let tag = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.into()))?;
    if matches(req, &etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).finish());
    }
    Ok(HttpResponse::Ok().content_type("application/json").insert_header((header::ETAG, tag)).body(body))
}

/// A tag for a response derived from a read-model snapshot, known before the body is built:
/// it names this process, the snapshot and the request (path, query, the format asked for,
/// and `extra`, e.g. the date a body depends on).
pub fn snapshot_etag(req: &HttpRequest, snapshot: u64, extra: &str) -> String {
    static BOOT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let boot = *BOOT.get_or_init(|| fnv1a(uuid::Uuid::new_v4().as_bytes()));
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let key = format!("{}?{}\n{}\n{}", req.path(), req.query_string(), accept, extra);
    format!("\"s{boot:016x}-{snapshot}-{:016x}\"", fnv1a(key.as_bytes()))
}

/// 304 when the client holds `etag`; else the response `make` builds, with the tag.
pub fn conditional(req: &HttpRequest, etag: &str, make: impl FnOnce() -> Result<HttpResponse, ApiError>) -> Result<HttpResponse, ApiError> {
    let tag = HeaderValue::from_str(etag).map_err(|e| ApiError::Internal(e.into()))?;
    let vary = HeaderValue::from_static("Accept");
    if matches(req, etag) {
        return Ok(HttpResponse::NotModified().insert_header((header::ETAG, tag)).insert_header((header::VARY, vary)).finish());
    }
    let mut res = make()?;
    if res.status().is_success() {
        res.headers_mut().insert(header::ETAG, tag);
        res.headers_mut().insert(header::VARY, vary);
    }
    Ok(res)
}

/// A list response with its RFC 8288 `Link` header. The body is written into a buffer sized
/// for a typical page, not grown from nothing.
pub fn json_with_links<T: Serialize>(value: &T, link: String) -> HttpResponse {
    let mut body = Vec::with_capacity(LIST_BODY_BYTES);
    match serde_json::to_writer(&mut body, value) {
        Ok(()) => json_list(body, link),
        Err(e) => ApiError::Internal(e.into()).error_response(),
    }
}

/// What a list body's buffer starts with: most pages are a few to 16 KB.
pub const LIST_BODY_BYTES: usize = 16 * 1024;

/// A list response from its JSON body, written already, with its RFC 8288 `Link` header.
pub fn json_list(body: Vec<u8>, link: String) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").insert_header((header::LINK, link)).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_is_stable_and_content_dependent() {
        assert_eq!(etag_of(b"abc"), etag_of(b"abc"));
        assert_ne!(etag_of(b"abc"), etag_of(b"abd"));
        assert_eq!(etag_of(b""), "\"cbf29ce484222325\"");
    }
}
