//! The harness: a fresh database per test (on both backends), the app in-process, and
//! typed helpers for requests, JSON bodies, problem documents and Link headers.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web::Bytes;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::Value;
use std::collections::HashMap;

pub use actix_http::Request;

/// The in-process app, whatever its body type (the other test binaries name it).
#[allow(dead_code)]
pub trait TestApp: Service<Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error> {
    type Body: MessageBody;
}

impl<S, B: MessageBody> TestApp for S
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Body = B;
}

/// For test binaries with a world of their own (`crate::support::start(backend)` returning the
/// world and the app): runs the body on SQLite and on PostgreSQL, each on its own database.
/// `world_test!(name, |w, app| { ... })`.
#[macro_export]
macro_rules! world_test {
    ($name:ident, |$w:ident, $app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let (world, app) = $crate::support::start(efa_store::Backend::Sqlite).await;
                #[allow(unused_variables)]
                let ($w, $app) = (&world, &app);
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let (world, app) = $crate::support::start(efa_store::Backend::Postgres).await;
                #[allow(unused_variables)]
                let ($w, $app) = (&world, &app);
                $body
            }
        }
    };
}

/// Runs a test body on SQLite and on PostgreSQL, each on its own freshly seeded database.
///
/// `api_test!(name, |app| { ... })`: `app` is the initialised service (a reference).
/// `api_test!(name, |app, backend| { ... })`: also names the backend.
/// `backend_test!(name, |backend| { ... })`: no database or app is made; the body builds its own.
#[macro_export]
macro_rules! api_test {
    ($name:ident, |$app:ident| $body:block) => {
        $crate::api_test!($name, |$app, _backend| $body);
    };
    ($name:ident, |$app:ident, $backend:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let $backend = efa_store::Backend::Sqlite;
                let _db = $crate::helpers::seeded($backend);
                let app = $crate::helpers::init(&_db).await;
                #[allow(unused_variables)]
                let $app = &app;
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let $backend = efa_store::Backend::Postgres;
                let _db = $crate::helpers::seeded($backend);
                let app = $crate::helpers::init(&_db).await;
                #[allow(unused_variables)]
                let $app = &app;
                $body
            }
        }
    };
}

#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$backend:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let $backend = efa_store::Backend::Sqlite;
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let $backend = efa_store::Backend::Postgres;
                $body
            }
        }
    };
}

pub fn seeded(backend: Backend) -> TestDb {
    TestDb::seeded(backend)
}

/// The app over `db`, with its catalogue loaded. Keep `db` alive while the app is used.
pub async fn init(
    db: &TestDb,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    let state = efa_api::AppState::new(db.pool());
    state.reload_catalogue().await.expect("load the catalogue");
    init_with(state).await
}

/// The app over a state the test prepared (e.g. a pool on an unmigrated database).
pub async fn init_with(
    state: efa_api::AppState,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(efa_api::app(state)).await
}

/// A whole response, body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("ASCII header"))
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

pub async fn send<S, B>(app: &S, req: TestRequest) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Resp { status, headers, body }
}

pub async fn get<S, B>(app: &S, uri: &str) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, TestRequest::get().uri(uri)).await
}

/// GET with a JSON body expected (any status); checks the content type.
pub async fn get_json<S, B>(app: &S, uri: &str) -> (StatusCode, HeaderMap, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = get(app, uri).await;
    assert!(r.content_type().starts_with("application/") && r.content_type().contains("json"), "{uri}: content-type {:?}", r.content_type());
    let body = r.json();
    (r.status, r.headers, body)
}

/// GET expecting 200 with a JSON body; returns the body.
pub async fn ok_json<S, B>(app: &S, uri: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.content_type(), "application/json", "{uri}");
    r.json()
}

/// Asserts an RFC 9457 problem document with `status`; returns its body.
pub fn assert_problem(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status.as_u16(), status, "status; body: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.content_type(), "application/problem+json", "content-type of a {status} answer");
    let p = r.json();
    let t = p["type"].as_str().unwrap_or_else(|| panic!("problem without type: {p}"));
    assert!(t.starts_with("https://efa-marktplatz.de/problems/"), "type {t}");
    assert_eq!(p["title"], StatusCode::from_u16(status).unwrap().canonical_reason().unwrap(), "title: {p}");
    assert_eq!(p["status"], status, "status field: {p}");
    assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "detail: {p}");
    p
}

/// GET expecting a problem with `status`.
pub async fn get_problem<S, B>(app: &S, uri: &str, status: u16) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = get(app, uri).await;
    assert_problem(&r, status)
}

/// GET expecting 400 naming `parameter` (in `parameter` and at the start of `detail`).
pub async fn assert_bad_param<S, B>(app: &S, uri: &str, parameter: &str)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let p = get_problem(app, uri, 400).await;
    assert_eq!(p["parameter"], parameter, "{uri}: {p}");
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/invalid-parameter", "{uri}");
    assert!(p["detail"].as_str().unwrap().contains(parameter), "{uri}: detail names {parameter}: {p}");
}

/// The `items` array of a list body.
pub fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().unwrap_or_else(|| panic!("no items array: {body}"))
}

pub fn total(body: &Value) -> u64 {
    body["total"].as_u64().unwrap_or_else(|| panic!("no total: {body}"))
}

/// A field of every item, as i64.
pub fn ids(body: &Value, field: &str) -> Vec<i64> {
    items(body).iter().map(|i| i[field].as_i64().unwrap_or_else(|| panic!("{field} in {i}"))).collect()
}

pub fn strs<'a>(body: &'a Value, field: &str) -> Vec<&'a str> {
    items(body).iter().map(|i| i[field].as_str().unwrap_or_else(|| panic!("{field} in {i}"))).collect()
}

/// RFC 8288 `Link` header: rel → (path, query pairs).
pub fn links(r: &Resp) -> HashMap<String, (String, Vec<(String, String)>)> {
    let header = r.header("link").expect("Link header");
    header
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; ").unwrap_or_else(|| panic!("link part {part:?}"));
            let url = url.strip_prefix('<').and_then(|u| u.strip_suffix('>')).unwrap_or_else(|| panic!("link url {url:?}"));
            let rel = rel.strip_prefix("rel=\"").and_then(|r| r.strip_suffix('"')).unwrap_or_else(|| panic!("rel {rel:?}"));
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("link query");
            (rel.to_owned(), (path.to_owned(), pairs))
        })
        .collect()
}

/// The value of `name` in query pairs.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Rows of a seed-data CSV file, as header → value maps.
pub fn seed_csv(file: &str) -> Vec<HashMap<String, String>> {
    let path = efa_store::test_util::seed_dir().join(file);
    let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader.headers().expect("header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv record");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

// ---- worlds with tokens: the other test binaries build on these ----

/// A fresh signing key and the app trusting it (its JWKS, or `jwks` when given), over `db`
/// with a pool of `pool_size`, catalogue loaded. The state is returned for tests that rebuild
/// read models themselves.
#[allow(dead_code)]
pub async fn keyed_app(
    db: &TestDb,
    key: &efa_api::auth::DevKey,
    jwks: Option<&str>,
    pool_size: u32,
) -> (efa_api::AppState, impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>) {
    use efa_api::auth::{Verifier, DEFAULT_AUDIENCE, DEV_ISSUER};
    let jwks = jwks.map_or_else(|| key.jwks(), str::to_owned);
    let verifier = Verifier::from_jwks(&jwks, DEV_ISSUER, DEFAULT_AUDIENCE).expect("verifier from JWKS");
    let state = efa_api::AppState::with_verifier(efa_store::pool(db.url(), pool_size), verifier);
    state.reload_catalogue().await.expect("load the catalogue");
    let app = init_with(state.clone()).await;
    (state, app)
}

/// A token signed with `key` for the dev issuer and audience, valid for an hour.
#[allow(dead_code)]
pub fn mint(key: &efa_api::auth::DevKey, sub: &str, org: &str, roles: &[efa_domain::Role], land: Option<&str>) -> String {
    use efa_api::auth::{claims_for, DEFAULT_AUDIENCE, DEV_ISSUER};
    key.mint(&claims_for(sub, org, roles, land, DEV_ISSUER, DEFAULT_AUDIENCE, 3600)).expect("mint")
}

/// A bundler organisation of `land` acting for the organisations `members`, written straight
/// to the database (no endpoint creates bundlers).
#[allow(dead_code)]
pub fn insert_bundler(db: &TestDb, id: &str, name: &str, land: &str, members: &[String]) {
    db.insert_bundler(id, name, land, members);
}

/// Polls all futures together on this task until every one is done (like `join_all`): the
/// in-process service runs their database work on the blocking pool, so they truly race.
#[allow(dead_code)]
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut pending: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (f, slot) in pending.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    done.into_iter().map(|v| v.expect("every future finished")).collect()
}

// ---- listings the Nachnutzung and security tests order ----

/// A complete listing of Land NRW with the given price.
#[allow(dead_code)]
pub fn listing_body(name: &str, price: Value) -> Value {
    serde_json::json!({
        "name": name,
        "description": "Antrag vollständig online, mit Nachweisupload und Bescheid ins Postfach.",
        "provider_org_id": efa_store::seed::seed_id("land", "05"),
        "ozg_ids": [10092],
        "lead_land": "05",
        "efa": true,
        "status": "live",
        "reifegrad": 3,
        "anbindung": ["fit_connect"],
        "url": "https://service.example.nrw.de/antrag",
        "price": price,
        "terms": {"text": "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.", "version": "1.0"},
        "contact": {"name": "EfA-Servicedesk NRW", "email": "efa@example.nrw.de"},
        "availability": {"nationwide": true}
    })
}

/// The price of most tests: 1,200.00 € a year (pro rata in the first), 500.00 € Anbindung.
#[allow(dead_code)]
pub fn annual_price() -> Value {
    serde_json::json!({"model": "annual", "annual_fee_cents": 120000, "one_off_anbindung_fee_cents": 50000, "pro_rata_first_year": true})
}
