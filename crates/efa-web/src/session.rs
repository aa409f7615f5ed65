//! What the shop keeps in the (encrypted) session cookie, and the `Shop` extractor every
//! page handler takes: the app state, the session, the logged-in user, the CSRF token.

use crate::errors::WebError;
use crate::WebState;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use efa_api::AppState;
use efa_domain::{Principal, Role};
use serde::{Deserialize, Serialize};
use std::future::{ready, Ready};

/// A logged-in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub principal: Principal,
    pub name: String,
    pub email: Option<String>,
    /// The organisation's name, for the header.
    pub org_name: String,
    /// Logged in through the development login (not an identity provider).
    pub dev: bool,
    /// The ID token, for logging out at the identity provider.
    pub id_token: Option<String>,
}

impl SessionUser {
    pub fn has(&self, role: Role) -> bool {
        self.principal.has(role)
    }

    /// A municipality user or bundler: someone who orders.
    pub fn orders(&self) -> bool {
        self.has(Role::MunicipalityUser) || self.has(Role::Bundler)
    }
}

/// A one-time message shown on the next page (after a form's 303).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub text: String,
}

const USER: &str = "user";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const TRAY: &str = "vergleich";

/// Most services the comparison tray holds.
pub const TRAY_MAX: usize = 4;

/// The request as a page handler sees it.
pub struct Shop {
    pub app: web::Data<AppState>,
    pub web: web::Data<WebState>,
    pub session: Session,
    pub user: Option<SessionUser>,
    pub req: HttpRequest,
}

impl FromRequest for Shop {
    type Error = actix_web::Error;
    type Future = Ready<Result<Shop, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let app = req.app_data::<web::Data<AppState>>().cloned();
        let ws = req.app_data::<web::Data<WebState>>().cloned();
        let (Some(app), Some(web)) = (app, ws) else {
            return ready(Err(WebError::Internal(anyhow::anyhow!("shop state missing")).into()));
        };
        let session = req.get_session();
        // A cookie that cannot be read (another key, tampered) counts as no session.
        let user = session.get::<SessionUser>(USER).unwrap_or(None);
        ready(Ok(Shop { app, web, session, user, req: req.clone() }))
    }
}

impl Shop {
    /// The logged-in user, or a redirect to the login that comes back here.
    pub fn require_user(&self) -> Result<&SessionUser, WebError> {
        self.user.as_ref().ok_or_else(|| WebError::LoginRequired(self.return_path()))
    }

    /// The path and query of this request, to come back to after logging in.
    pub fn return_path(&self) -> String {
        let uri = self.req.uri();
        let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        // After a failed POST, come back to the page the form was on.
        if self.req.method() == actix_web::http::Method::POST {
            if let Some(r) = self.req.headers().get(actix_web::http::header::REFERER).and_then(|v| v.to_str().ok()) {
                if let Some(path) = r.strip_prefix(self.web.config.origin()).filter(|p| p.starts_with('/')) {
                    return path.to_owned();
                }
            }
            return "/".to_owned();
        }
        pq.to_owned()
    }

    /// This session's CSRF token (made on first use).
    pub fn csrf(&self) -> String {
        if let Ok(Some(t)) = self.session.get::<String>(CSRF) {
            return t;
        }
        let t = random_token();
        let _ = self.session.insert(CSRF, &t);
        t
    }

    pub fn csrf_matches(&self, sent: &str) -> bool {
        match self.session.get::<String>(CSRF) {
            Ok(Some(t)) => crate::session::same(t.as_bytes(), sent.as_bytes()),
            _ => false,
        }
    }

    /// Logs in: a fresh session (no fixation), a fresh CSRF token.
    pub fn log_in(&self, user: SessionUser) -> Result<(), WebError> {
        let tray = self.tray();
        // Not purge(): a purged session stays empty for the rest of the request.
        self.session.clear();
        self.session.renew();
        self.session.insert(USER, &user).map_err(|e| WebError::Internal(anyhow::anyhow!("session: {e}")))?;
        let _ = self.session.insert(TRAY, &tray);
        let _ = self.session.insert(CSRF, random_token());
        Ok(())
    }

    pub fn log_out(&self) {
        self.session.purge();
    }

    pub fn flash(&self, kind: &str, text: impl Into<String>) {
        let _ = self.session.insert(FLASH, Flash { kind: kind.into(), text: text.into() });
    }

    /// Whether a message waits to be shown (without taking it).
    pub fn has_flash(&self) -> bool {
        self.session.get::<Flash>(FLASH).ok().flatten().is_some()
    }

    pub fn take_flash(&self) -> Option<Flash> {
        self.session.remove_as::<Flash>(FLASH).and_then(Result::ok)
    }

    /// The online services in the comparison tray, in the order added.
    pub fn tray(&self) -> Vec<String> {
        self.session.get::<Vec<String>>(TRAY).ok().flatten().unwrap_or_default()
    }

    pub fn set_tray(&self, ids: &[String]) {
        let _ = self.session.insert(TRAY, ids);
    }

    /// A request from htmx that wants only the page's main part (not a history restore).
    pub fn is_htmx(&self) -> bool {
        let h = self.req.headers();
        h.contains_key("hx-request") && !h.contains_key("hx-history-restore-request")
    }

    pub fn request_id(&self) -> Option<String> {
        self.req.extensions().get::<efa_api::extract::RequestId>().map(|r| r.0.clone())
    }

    /// The context of a write: this request's id and the form's idempotency key.
    pub fn ctx(&self, key: Option<&str>) -> efa_api::write::Ctx {
        efa_api::write::Ctx { request_id: self.request_id(), idempotency_key: key.filter(|k| !k.is_empty()).map(|k| format!("shop:{k}")) }
    }
}

/// 128 random bits, URL-safe.
pub fn random_token() -> String {
    use base64::Engine;
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).expect("the system RNG works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Equal, compared in time independent of where they differ (tokens, states).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
