//! The shop: a German, accessible web front end for every role, served by `efa serve` beside
//! the JSON API. Pages are rendered on the server (askama templates compiled into the binary,
//! KERN's markup and CSS) and work without JavaScript; htmx only enhances. Every rule runs in
//! the same operations as the API ([`efa_api::operations`], the catalogue and coverage read
//! models); a page never calls the API over HTTP.

pub mod assets;
pub mod auth;
pub mod config;
pub mod errors;
pub mod forms;
pub mod layout;
pub mod pages;
pub mod session;

pub use config::WebConfig;

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{time::Duration as CookieDuration, Key, SameSite};
use actix_web::dev::Service;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use std::sync::Arc;

/// Everything the shop's handlers share, the same in every process: configuration, the
/// session key (kept in the database, so any instance reads any instance's cookies) and the
/// identity provider's metadata (discovered once per process, the same for all).
pub struct WebState {
    pub config: WebConfig,
    pub session_key: Key,
    pub oidc: auth::oidc::Provider,
    /// The EfA-Mindestanforderungen's criteria: seed data, the same in every process, read once.
    criteria: std::sync::OnceLock<Arc<Vec<efa_store::models::MindestanforderungRow>>>,
    /// Catalogue pages as visitors without personal state see them, per read-model snapshot.
    pub pages: pages::cache::PageCache,
}

impl WebState {
    /// The criteria of the EfA-Mindestanforderungen (read from the database on first use).
    pub async fn criteria(&self, app: &efa_api::AppState) -> Result<Arc<Vec<efa_store::models::MindestanforderungRow>>, efa_api::error::ApiError> {
        if let Some(c) = self.criteria.get() {
            return Ok(c.clone());
        }
        let rows = Arc::new(app.db(|conn| Ok(efa_store::models::MindestanforderungRow::all(conn)?)).await?);
        // Two first requests may both read; either result is the same.
        let _ = self.criteria.set(rows.clone());
        Ok(rows)
    }
}

/// How long a login lasts without activity.
pub const SESSION_HOURS: i64 = 8;

/// The shop, to mount beside the API with [`efa_api::app_with`].
pub fn frontend(config: WebConfig, session_key: Key) -> Arc<efa_api::Frontend> {
    let web_state = web::Data::new(WebState { oidc: auth::oidc::Provider::new(config.oidc.clone()), config, session_key, criteria: std::sync::OnceLock::new(), pages: pages::cache::PageCache::default() });
    Arc::new(efa_api::Frontend {
        configure: Box::new(move |cfg: &mut web::ServiceConfig| configure(cfg, web_state.clone())),
        not_found: errors::not_found_page,
    })
}

fn configure(cfg: &mut web::ServiceConfig, ws: web::Data<WebState>) {
    let secure = ws.config.secure_cookies();
    let sessions = SessionMiddleware::builder(CookieSessionStore::default(), ws.session_key.clone())
        .cookie_name(ws.config.session_cookie_name().to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(PersistentSession::default().session_ttl(CookieDuration::hours(SESSION_HOURS)))
        .build();
    let csp = ws.config.content_security_policy();
    cfg.service(web::resource("/assets/{name}").route(web::get().to(assets::serve)));
    cfg.service(
        web::scope("")
            .app_data(ws)
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .app_data(web::PathConfig::default().error_handler(|_, _| errors::WebError::NotFound.into()))
            .app_data(web::QueryConfig::default().error_handler(|e, _| errors::WebError::BadRequest(e.to_string()).into()))
            .configure(pages::routes)
            .default_service(web::to(|req: HttpRequest| async move { errors::not_found_page(&req) }))
            .wrap(sessions)
            .wrap(actix_web::middleware::Compress::default())
            .wrap_fn(move |req, srv| {
                let csp = csp.clone();
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    let h = res.headers_mut();
                    if let Ok(v) = HeaderValue::from_str(&csp) {
                        h.insert(header::CONTENT_SECURITY_POLICY, v);
                    }
                    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
                    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
                    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
                    h.append(header::VARY, HeaderValue::from_static("HX-Request"));
                    if !h.contains_key(header::CACHE_CONTROL) {
                        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
                    }
                    Ok(res)
                }
            }),
    );
}

/// A 303 See Other to `to` (the answer to every successful form POST).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// The key that encrypts session cookies: made once, kept in the database, the same for
/// every instance on that database.
pub fn session_key(conn: &mut efa_store::DbConn) -> anyhow::Result<Key> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let stored = efa_store::secrets::get_or_create(conn, "shop_session_key", || {
        let mut k = [0u8; 64];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut k).expect("the system RNG works");
        b64.encode(k)
    })?;
    let bytes = b64.decode(stored.trim())?;
    Key::try_from(bytes.as_slice()).map_err(|e| anyhow::anyhow!("the stored session key is unusable: {e}"))
}
