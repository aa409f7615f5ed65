//! Errors as pages in the shop's look: 404, 403, 409, 503, 500 — never raw JSON, a stack or
//! an internal message. A page that needs a login sends the person there and back.

use crate::layout::Layout;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use efa_api::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Someone else changed the thing meanwhile, or it is not possible in its state.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Not logged in (or the session expired): to the login, then back to this path.
    #[error("login required")]
    LoginRequired(String),
    #[error("unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> WebError {
        match e {
            ApiError::NotFound { .. } => WebError::NotFound,
            ApiError::Forbidden(m) => WebError::Forbidden(m),
            ApiError::Conflict(m) => WebError::Conflict(m),
            ApiError::Unauthorized(_) => WebError::LoginRequired("/".into()),
            ApiError::Unavailable => WebError::Unavailable,
            ApiError::BadParameter { parameter, message } => WebError::BadRequest(format!("{parameter}: {message}")),
            ApiError::BadRequest(m) => WebError::BadRequest(m),
            ApiError::Unprocessable(errors) => WebError::BadRequest(errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")),
            other => WebError::Internal(anyhow::anyhow!("{other:?}")),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    text: String,
    status: u16,
}

impl WebError {
    fn page(&self) -> (StatusCode, &'static str, String) {
        match self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "Seite nicht gefunden", "Diese Seite gibt es nicht oder nicht mehr. Prüfen Sie die Adresse oder suchen Sie über die Startseite.".into()),
            WebError::Forbidden(_) => (StatusCode::FORBIDDEN, "Kein Zugriff", "Dafür fehlt Ihrer Anmeldung die Berechtigung. Wenden Sie sich an die Administration Ihrer Organisation, wenn Sie sie brauchen.".into()),
            WebError::Conflict(m) => (StatusCode::CONFLICT, "Das ist so nicht mehr möglich", format!("Der Vorgang wurde inzwischen geändert oder ist in seinem Zustand nicht möglich ({}). Laden Sie die Seite neu, um den aktuellen Stand zu sehen.", crate::forms::german(m))),
            WebError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Ungültige Anfrage", "Die Adresse oder das Formular enthält ungültige Angaben. Gehen Sie zurück und prüfen Sie Ihre Eingaben.".into()),
            WebError::LoginRequired(_) => (StatusCode::UNAUTHORIZED, "Anmeldung erforderlich", "Bitte melden Sie sich an.".into()),
            WebError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "Vorübergehend nicht erreichbar", "Der Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.".into()),
            WebError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Ein Fehler ist aufgetreten", "Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut. Der Fehler wurde protokolliert.".into()),
        }
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        self.page().0
    }

    fn error_response(&self) -> HttpResponse {
        if let WebError::LoginRequired(back) = self {
            let to = format!("/anmelden?zurueck={}", crate::pages::urlencode(back));
            return HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish();
        }
        if let WebError::Internal(e) = self {
            tracing::error!(error = %format!("{e:#}"), "shop page failed");
        }
        let (status, heading, text) = self.page();
        error_page(status, heading, text)
    }
}

fn error_page(status: StatusCode, heading: &'static str, text: String) -> HttpResponse {
    let page = ErrorPage { layout: Layout::bare(heading), heading, text, status: status.as_u16() };
    match page.render() {
        Ok(html) => HttpResponse::build(status).content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store")).body(html),
        Err(_) => HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(heading),
    }
}

/// The answer for a path nobody serves: the shop's 404 page (an API path's is a problem document).
pub fn not_found_page(req: &HttpRequest) -> HttpResponse {
    if efa_api::app::is_api_path(req.path()) {
        return ApiError::not_found(format!("no resource at {}", req.path().chars().take(200).collect::<String>())).error_response();
    }
    WebError::NotFound.error_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(res: HttpResponse) -> String {
        let bytes = actix_web::rt::System::new().block_on(actix_web::body::to_bytes(res.into_body())).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn an_internal_error_is_a_page_without_its_message() {
        let res = WebError::Internal(anyhow::anyhow!("connection refused to db.internal:5432")).error_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html")));
        let html = body(res);
        assert!(html.contains("Ein Fehler ist aufgetreten") && html.contains("lang=\"de\""));
        assert!(!html.contains("db.internal"), "no internal message leaves");
    }

    #[test]
    fn forbidden_and_conflict_are_pages_too() {
        let res = WebError::Forbidden("role check failed in policy.rs".into()).error_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = body(res);
        assert!(html.contains("Kein Zugriff") && !html.contains("policy.rs"));
        let res = WebError::Conflict("agreement EFA-2026-000001 is active, not awaiting signatures".into()).error_response();
        assert_eq!(res.status(), StatusCode::CONFLICT);
        assert!(body(res).contains("nicht bereit"));
    }

    #[test]
    fn a_missing_login_goes_to_the_login_and_back() {
        let res = WebError::LoginRequired("/anfragen?status=draft".into()).error_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/anmelden?zurueck=/anfragen%3Fstatus%3Ddraft"));
    }
}
