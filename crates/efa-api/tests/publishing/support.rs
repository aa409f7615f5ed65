//! The publishing harness: a seeded database per test, the app with a verifier that trusts a
//! per-test key, tokens per role, request helpers and direct database counts.

use crate::helpers::{self, assert_problem, Request, Resp};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use efa_api::auth::{claims_for, Claims, DevKey, DEFAULT_AUDIENCE, DEV_ISSUER};
pub use efa_domain::Role;
use efa_store::audit::AuditEventRow;
use efa_store::schema::{audit_events, listing_versions, online_services};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::{json, Value};


pub const NRW_PUBLISHER: &str = "nrw-publisher";
pub const BY_PUBLISHER: &str = "by-publisher";
pub const OPERATOR: &str = "fitko-operator";
pub const KOELN_USER: &str = "koeln-user";

/// Land NRW (government), the provider of most listings here.
pub fn nrw() -> String {
    seed_id("land", "05")
}

/// Freistaat Bayern (government): a second provider organisation.
pub fn bayern() -> String {
    seed_id("land", "09")
}

/// Stadt Köln: a municipality.
pub fn koeln() -> String {
    seed_id("kommune", "05315000")
}

/// FITKO: the platform operator's organisation.
pub fn fitko() -> String {
    seed_id("org", "FITKO (Föderale IT-Kooperation)")
}

pub struct World {
    pub db: TestDb,
    pub key: DevKey,
}

/// A seeded database and the app over it, trusting a fresh Ed25519 dev key.
pub async fn start(backend: Backend) -> (World, impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>) {
    let key = DevKey::generate().expect("dev key");
    let jwks = key.jwks();
    start_with_jwks(backend, key, &jwks).await
}

/// As [`start`], with the verifier built from `jwks` (which may hold more keys than `key`'s).
pub async fn start_with_jwks(
    backend: Backend,
    key: DevKey,
    jwks: &str,
) -> (World, impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>) {
    start_with(backend, key, jwks, 4).await
}

/// As [`start_with_jwks`], with a connection pool of `pool_size` (racing writers need more
/// connections than the default four to be inside their transactions at the same time).
pub async fn start_with(
    backend: Backend,
    key: DevKey,
    jwks: &str,
    pool_size: u32,
) -> (World, impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>) {
    let db = TestDb::seeded(backend);
    let (_, app) = helpers::keyed_app(&db, &key, Some(jwks), pool_size).await;
    (World { db, key }, app)
}

/// As [`start`], with the app's state too: for tests that look at the read model itself.
pub async fn start_with_state(backend: Backend) -> (World, efa_api::AppState, impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>) {
    let key = DevKey::generate().expect("dev key");
    let db = TestDb::seeded(backend);
    let (state, app) = helpers::keyed_app(&db, &key, None, 4).await;
    (World { db, key }, state, app)
}

/// How many rows the tables a write touches hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub services: i64,
    pub events: i64,
    pub versions: i64,
}

impl World {
    pub fn claims(&self, sub: &str, org: &str, roles: &[Role]) -> Claims {
        claims_for(sub, org, roles, None, DEV_ISSUER, DEFAULT_AUDIENCE, 3600)
    }

    pub fn mint(&self, claims: &Claims) -> String {
        self.key.mint(claims).expect("mint")
    }

    pub fn token(&self, sub: &str, org: &str, roles: &[Role]) -> String {
        self.mint(&self.claims(sub, org, roles))
    }

    pub fn nrw_publisher(&self) -> String {
        self.token(NRW_PUBLISHER, &nrw(), &[Role::ProviderPublisher])
    }

    pub fn by_publisher(&self) -> String {
        self.token(BY_PUBLISHER, &bayern(), &[Role::ProviderPublisher])
    }

    pub fn operator(&self) -> String {
        self.token(OPERATOR, &fitko(), &[Role::Operator])
    }

    pub fn koeln_user(&self) -> String {
        self.token(KOELN_USER, &koeln(), &[Role::MunicipalityUser])
    }

    pub fn conn(&self) -> efa_store::DbConn {
        self.db.conn()
    }

    pub fn counts(&self) -> Counts {
        let mut c = self.conn();
        Counts {
            services: online_services::table.count().get_result(&mut c).expect("count services"),
            events: audit_events::table.count().get_result(&mut c).expect("count events"),
            versions: listing_versions::table.count().get_result(&mut c).expect("count versions"),
        }
    }

    /// The audit events about one resource, oldest first, read straight from the database.
    pub fn events_of(&self, resource: &str) -> Vec<AuditEventRow> {
        audit_events::table
            .filter(audit_events::resource_id.eq(resource))
            .order(audit_events::occurred_at.asc())
            .select(AuditEventRow::as_select())
            .load(&mut self.conn())
            .expect("load events")
    }

    /// `listing_state`, `revision`, `published_version` and `review_note` of a row.
    pub fn row_state(&self, id: &str) -> (String, i32, Option<i32>, Option<String>) {
        online_services::table
            .find(id)
            .select((online_services::listing_state, online_services::revision, online_services::published_version, online_services::review_note))
            .first(&mut self.conn())
            .expect("online service row")
    }
}

/// `"r<revision>"`, the ETag of a working copy.
pub fn etag(revision: i64) -> String {
    format!("\"r{revision}\"")
}

pub fn bearer(req: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
        None => req,
    }
}

pub async fn get_as<S, B>(app: &S, uri: &str, token: Option<&str>) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    helpers::send(app, bearer(TestRequest::get().uri(uri), token)).await
}

/// GET expecting 200 JSON.
pub async fn ok_as<S, B>(app: &S, uri: &str, token: Option<&str>) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = get_as(app, uri, token).await;
    assert_eq!(r.status.as_u16(), 200, "GET {uri}: {}", r.text());
    r.json()
}

pub async fn post_json<S, B>(app: &S, uri: &str, token: Option<&str>, body: &Value) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    helpers::send(app, bearer(TestRequest::post().uri(uri).set_json(body), token)).await
}

/// POST /api/v1/online-services.
pub async fn create<S, B>(app: &S, token: Option<&str>, body: &Value) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    post_json(app, "/api/v1/online-services", token, body).await
}

/// Creates a listing, expecting 201; returns its id.
pub async fn created<S, B>(app: &S, token: &str, body: &Value) -> String
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = create(app, Some(token), body).await;
    assert_eq!(r.status.as_u16(), 201, "create: {}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// A JSON merge patch (`application/merge-patch+json`) with an optional `If-Match`.
pub fn patch_request(id: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> TestRequest {
    let mut req = TestRequest::patch()
        .uri(&format!("/api/v1/online-services/{id}"))
        .insert_header(("content-type", "application/merge-patch+json"))
        .set_payload(body.to_string());
    if let Some(m) = if_match {
        req = req.insert_header(("if-match", m));
    }
    bearer(req, token)
}

pub async fn patch<S, B>(app: &S, id: &str, token: Option<&str>, if_match: Option<&str>, body: &Value) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    helpers::send(app, patch_request(id, token, if_match, body)).await
}

/// POST /api/v1/online-services/{id}/{action} (submit, approve, retire) without a body.
pub async fn act<S, B>(app: &S, id: &str, action: &str, token: Option<&str>) -> Resp
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    helpers::send(app, bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/{action}")), token)).await
}

/// An action expecting 200; returns the listing.
pub async fn act_ok<S, B>(app: &S, id: &str, action: &str, token: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = act(app, id, action, Some(token)).await;
    assert_eq!(r.status.as_u16(), 200, "{action}: {}", r.text());
    r.json()
}

/// The working copy (`/listing`) as its provider sees it.
pub async fn working_copy<S, B>(app: &S, id: &str, token: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    ok_as(app, &format!("/api/v1/online-services/{id}/listing"), Some(token)).await
}

/// Submit (provider) and approve (operator).
pub async fn publish<S, B>(app: &S, w: &World, id: &str) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    act_ok(app, id, "submit", &w.nrw_publisher()).await;
    act_ok(app, id, "approve", &w.operator()).await
}

/// A 401 problem document with a Bearer challenge.
pub fn assert_unauthorized(r: &Resp) -> Value {
    let p = assert_problem(r, 401);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/unauthorized", "{p}");
    let challenge = r.header("www-authenticate").unwrap_or_else(|| panic!("401 without WWW-Authenticate: {p}"));
    assert!(challenge.starts_with("Bearer "), "challenge {challenge:?}");
    p
}

/// A complete, valid listing body with every content field of issue 4.
pub fn listing(provider_org: &str, name: &str, ozg_id: i64) -> Value {
    json!({
        "name": name,
        "description": "Antrag vollständig online, mit Nachweisupload und Bescheid ins Postfach.",
        "provider_org_id": provider_org,
        "ozg_ids": [ozg_id],
        "lead_land": "05",
        "efa": true,
        "status": "live",
        "reifegrad": 3,
        "anbindung": ["fit_connect", "xoev_standard"],
        "url": "https://service.example.nrw.de/antrag",
        "price": {
            "model": "annual",
            "one_off_anbindung_fee_cents": 250000,
            "annual_fee_cents": 120000,
            "pro_rata_first_year": true,
            "per_inhabitant_cents": 2,
            "koenigsteiner_total_cents": 50000000,
            "per_use_cents": 0
        },
        "conformance": [
            {"criterion": "MA-01", "level": "fulfilled", "evidence_url": "https://service.example.nrw.de/nachweis/ma-01"},
            {"criterion": "MA-02", "level": "partly", "evidence_url": "https://service.example.nrw.de/nachweis/ma-02"},
            {"criterion": "MA-03", "level": "unknown"}
        ],
        "terms": {"text": "Nutzungsbedingungen für die Nachnutzung des Online-Dienstes.", "version": "2.1"},
        "contact": {"name": "EfA-Servicedesk NRW", "email": "efa@example.nrw.de", "phone": "+49 211 000000"},
        "availability": {"nationwide": false, "laender": ["09", "05"]},
        "anbindung_details": {
            "fit_connect_destination_required": true,
            "xoev_standard": "XWohngeld",
            "xoev_version": "1.2",
            "fachverfahren_interfaces": ["DiWo", "Wohngeld-Fachverfahren NRW"]
        }
    })
}
