//! The shop in process over a freshly seeded database: a browser-like client that keeps the
//! session cookie, sends forms with the page's CSRF token and our Origin, and parses answers.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use efa_store::test_util::TestDb;
use efa_store::Backend;
use scraper::{Html, Selector};
use std::cell::RefCell;

pub use actix_http::Request;

pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// Runs the body on SQLite and on PostgreSQL: `shop_test!(name, |s| { ... })`, `s` a [`Browser`].
#[macro_export]
macro_rules! shop_test {
    ($name:ident, |$s:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let db = $crate::support::seeded(efa_store::Backend::Sqlite);
                let app = $crate::support::app(&db).await;
                let $s = $crate::support::Browser::new(&app, &db);
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let db = $crate::support::seeded(efa_store::Backend::Postgres);
                let app = $crate::support::app(&db).await;
                let $s = $crate::support::Browser::new(&app, &db);
                $body
            }
        }
    };
}

pub fn seeded(backend: Backend) -> TestDb {
    TestDb::seeded(backend)
}

pub async fn state(db: &TestDb) -> efa_api::AppState {
    let state = efa_api::AppState::new(db.pool());
    state.reload_catalogue().await.expect("load the catalogue");
    state.reload_coverage().await.expect("build the coverage");
    state
}

/// The application as `efa serve` builds it: the API and the shop with the development login.
pub async fn app(db: &TestDb) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    app_of(state(db).await, db).await
}

/// The application on a given state (a test that writes through the operations shares it).
pub async fn app_of(state: efa_api::AppState, db: &TestDb) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let config = efa_web::WebConfig::new(Some(ORIGIN.into()), "127.0.0.1:8080", None, efa_web::config::Operator::default()).expect("config");
    let key = efa_web::session_key(&mut db.conn()).expect("session key");
    test::init_service(efa_api::app_with(state, Some(efa_web::frontend(config, key)))).await
}

/// One answer, its body parsed as HTML.
pub struct Page {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: String,
    pub html: Html,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn select(&self, css: &str) -> Vec<scraper::ElementRef<'_>> {
        let sel = Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css}: {e:?}"));
        self.html.select(&sel).collect()
    }

    /// The text of the first match, whitespace collapsed.
    pub fn text(&self, css: &str) -> String {
        self.select(css).first().map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" ")).unwrap_or_else(|| panic!("no {css} in:\n{}", self.body))
    }

    pub fn attr(&self, css: &str, name: &str) -> String {
        self.select(css).first().and_then(|e| e.value().attr(name)).unwrap_or_else(|| panic!("no {css}[{name}] in:\n{}", self.body)).to_owned()
    }

    pub fn has(&self, css: &str) -> bool {
        !self.select(css).is_empty()
    }

    /// Every error-summary link points at a field that exists and describes itself by its
    /// error message; returns the fields in error.
    pub fn assert_error_summary(&self) -> Vec<String> {
        assert!(self.html.select(&Selector::parse("title").unwrap()).next().is_some_and(|t| t.text().collect::<String>().starts_with("Fehler: ")), "title starts with Fehler:\n{}", self.body);
        let links = self.select("#fehler-zusammenfassung a");
        assert!(!links.is_empty(), "an error summary with links:\n{}", self.body);
        let mut fields = Vec::new();
        for a in links {
            let href = a.value().attr("href").expect("href");
            let id = href.strip_prefix('#').expect("fragment link");
            let field = self.select(&format!("[id='{id}']"));
            assert_eq!(field.len(), 1, "exactly one element #{id}");
            let described = field[0].value().attr("aria-describedby").unwrap_or_else(|| panic!("#{id} has aria-describedby"));
            for target in described.split_whitespace() {
                assert!(self.has(&format!("[id='{target}']")), "aria-describedby target #{target} exists");
            }
            assert!(described.contains(&format!("{id}-fehler")), "#{id} is described by its error");
            fields.push(id.trim_start_matches("f-").to_owned());
        }
        fields
    }
}

/// A client holding one session cookie, as a browser would.
pub struct Browser<'a, S> {
    app: &'a S,
    pub db: &'a TestDb,
    cookie: RefCell<Option<String>>,
}

impl<'a, S, B> Browser<'a, S>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub fn new(app: &'a S, db: &'a TestDb) -> Self {
        Browser { app, db, cookie: RefCell::new(None) }
    }

    /// The app this browser talks to (a second browser on it is a second person).
    pub fn app_ref(&self) -> &'a S {
        self.app
    }

    pub async fn send(&self, mut req: TestRequest) -> Page {
        if let Some(c) = self.cookie.borrow().as_ref() {
            req = req.insert_header(("cookie", c.clone()));
        }
        let res = test::call_service(self.app, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap_or_default();
            let pair = v.split(';').next().unwrap_or_default().to_owned();
            if v.contains("Max-Age=0") || pair.ends_with('=') {
                *self.cookie.borrow_mut() = None;
            } else {
                *self.cookie.borrow_mut() = Some(pair);
            }
        }
        let bytes = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let html = Html::parse_document(&body);
        Page { status, headers, body, html }
    }

    pub async fn get(&self, uri: &str) -> Page {
        self.send(TestRequest::get().uri(uri)).await
    }

    /// GET that must answer 200.
    pub async fn page(&self, uri: &str) -> Page {
        let p = self.get(uri).await;
        assert_eq!(p.status, StatusCode::OK, "GET {uri}:\n{}", p.body);
        p
    }

    /// A form POST from our own page: with the session's CSRF token (taken from `from`, a
    /// page holding a form) and our Origin.
    pub async fn post(&self, uri: &str, from: &Page, fields: &[(&str, &str)]) -> Page {
        let csrf = from.attr("input[name=_csrf]", "value");
        let mut pairs: Vec<(String, String)> = vec![("_csrf".into(), csrf)];
        pairs.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let body = serde_urlencoded::to_string(&pairs).expect("form");
        self.send(TestRequest::post().uri(uri).insert_header(("origin", ORIGIN)).insert_header(("content-type", "application/x-www-form-urlencoded")).set_payload(body)).await
    }

    /// Logs in through the development login (organisation as typed: name, AGS, Kreis or Land code).
    pub async fn login(&self, organisation: &str, role: &str) {
        let form = self.page("/anmelden").await;
        let res = self.post("/anmelden", &form, &[("organisation", organisation), ("role", role), ("zurueck", "/")]).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "login as {role} of {organisation}:\n{}", res.body);
    }
}

/// The `Location` of a 303.
pub fn location(p: &Page) -> String {
    assert_eq!(p.status, StatusCode::SEE_OTHER, "expected 303:\n{}", p.body);
    p.header("location").expect("Location").to_owned()
}
