//! The Nachnutzung harness: a seeded database per test with a bundler and its members, the app
//! with a verifier that trusts a per-test key, tokens per role, request helpers, published
//! listings with prices, direct database reads, and the hand arithmetic the tests check against.

use crate::helpers::{self, assert_problem, Resp};
use actix_web::test::TestRequest;
use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use efa_api::auth::DevKey;
pub use efa_domain::Role;
use efa_store::audit::AuditEventRow;
use efa_store::reuse::{AgreementRow, ReuseRequestRow};
use efa_store::schema::{agreements, audit_events, reuse_requests};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::{json, Value};

pub use crate::helpers::{annual_price, join_all, listing_body, TestApp};


pub const KOELN: &str = "05315000";
pub const BONN: &str = "05314000";
pub const MUENCHEN: &str = "09162000";
pub const KIEL: &str = "01002000";
pub const PROVIDER: &str = "nrw-publisher";
pub const BUNDLER: &str = "bundler-user";

/// Land NRW (government): provider of the listings here, and the NRW coordinator's organisation.
pub fn nrw() -> String {
    seed_id("land", "05")
}

/// The organisation of a Gemeinde.
pub fn org(ags: &str) -> String {
    seed_id("kommune", ags)
}

/// The test bundler (Bündelnde Organisation) of Köln and Bonn.
pub fn bundler_org() -> String {
    seed_id("org", "Zweckverband Nachnutzungstest Rheinland")
}

pub fn fitko() -> String {
    seed_id("org", "FITKO (Föderale IT-Kooperation)")
}

/// The year contract numbers carry: the year the agreement is made.
pub fn this_year() -> i32 {
    efa_domain::calendar::today().year()
}

pub fn number(seq: i64) -> String {
    format!("EFA-{}-{seq:06}", this_year())
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Pro rata by days, computed here independently: the days from `start` to 31 December
/// inclusive over the days of the year, rounded half up to the cent.
pub fn pro_rata(annual: i64, start: NaiveDate) -> i64 {
    let year_days = (date(start.year() + 1, 1, 1) - date(start.year(), 1, 1)).num_days();
    let remaining = (date(start.year(), 12, 31) - start).num_days() + 1;
    let (whole, rest) = ((annual * remaining) / year_days, (annual * remaining) % year_days);
    if 2 * rest >= year_days { whole + 1 } else { whole }
}

pub struct World {
    pub db: TestDb,
    pub key: DevKey,
}

/// A seeded database with a bundler of Köln and Bonn, and the app over it.
pub async fn start(backend: Backend) -> (World, impl TestApp) {
    let db = TestDb::seeded(backend);
    helpers::insert_bundler(&db, &bundler_org(), "Zweckverband Nachnutzungstest Rheinland", "05", &[org(KOELN), org(BONN)]);
    let key = DevKey::generate().expect("dev key");
    let (_, app) = helpers::keyed_app(&db, &key, None, 4).await;
    (World { db, key }, app)
}

impl World {
    pub fn token(&self, sub: &str, org: &str, roles: &[Role], land: Option<&str>) -> String {
        helpers::mint(&self.key, sub, org, roles, land)
    }

    /// A provider_publisher of Land NRW.
    pub fn provider(&self) -> String {
        self.token(PROVIDER, &nrw(), &[Role::ProviderPublisher], None)
    }

    pub fn operator(&self) -> String {
        self.token("fitko-operator", &fitko(), &[Role::Operator], None)
    }

    /// The land_coordinator of `land`, in that Land's government.
    pub fn coordinator(&self, land: &str) -> String {
        self.token(&format!("coordinator-{land}"), &seed_id("land", land), &[Role::LandCoordinator], Some(land))
    }

    /// A municipality_user of the Gemeinde `ags`.
    pub fn kommune(&self, ags: &str) -> String {
        self.token(&format!("user-{ags}"), &org(ags), &[Role::MunicipalityUser], None)
    }

    pub fn bundler(&self) -> String {
        self.token(BUNDLER, &bundler_org(), &[Role::Bundler], None)
    }

    pub fn conn(&self) -> efa_store::DbConn {
        self.db.conn()
    }

    /// Every count the writes keep equals a recount of the rows (`efa_store::kept`).
    pub fn assert_kept(&self, after: &str) {
        efa_store::test_util::assert_kept(&mut self.conn(), after);
    }

    pub fn request_row(&self, id: &str) -> ReuseRequestRow {
        efa_store::reuse::find_request(&mut self.conn(), id).expect("read request").expect("request row")
    }

    pub fn agreement_row(&self, number: &str) -> AgreementRow {
        efa_store::reuse::find_agreement(&mut self.conn(), number).expect("read agreement").expect("agreement row")
    }

    pub fn count_requests(&self) -> i64 {
        reuse_requests::table.count().get_result(&mut self.conn()).expect("count requests")
    }

    pub fn count_listings(&self) -> i64 {
        efa_store::schema::online_services::table.count().get_result(&mut self.conn()).expect("count listings")
    }

    pub fn count_agreements(&self) -> i64 {
        agreements::table.count().get_result(&mut self.conn()).expect("count agreements")
    }

    /// Every agreement number, ascending.
    pub fn agreement_numbers(&self) -> Vec<String> {
        agreements::table.order(agreements::number).select(agreements::number).load(&mut self.conn()).expect("numbers")
    }

    /// The audit events about one resource, oldest first, straight from the database.
    pub fn events_of(&self, resource: &str) -> Vec<AuditEventRow> {
        audit_events::table
            .filter(audit_events::resource_id.eq(resource))
            .order((audit_events::occurred_at.asc(), audit_events::id.asc()))
            .select(AuditEventRow::as_select())
            .load(&mut self.conn())
            .expect("load events")
    }

    pub fn actions_of(&self, resource: &str) -> Vec<String> {
        self.events_of(resource).into_iter().map(|e| e.action).collect()
    }
}

pub fn bearer(req: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
        None => req,
    }
}

pub async fn get_as<A: TestApp>(app: &A, uri: &str, token: Option<&str>) -> Resp {
    helpers::send(app, bearer(TestRequest::get().uri(uri), token)).await
}

/// POST with an optional JSON body.
pub async fn post<A: TestApp>(app: &A, uri: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
    let req = TestRequest::post().uri(uri);
    let req = match body {
        Some(b) => req.set_json(b),
        None => req,
    };
    helpers::send(app, bearer(req, token)).await
}

/// POST with a JSON body and an `Idempotency-Key`.
pub async fn post_keyed<A: TestApp>(app: &A, uri: &str, token: &str, key: &str, body: &Value) -> Resp {
    helpers::send(app, bearer(TestRequest::post().uri(uri).insert_header(("idempotency-key", key)).set_json(body), Some(token))).await
}

/// Asserts `status`; returns the JSON body (for errors: a checked problem document).
pub fn expect(r: &Resp, status: u16) -> Value {
    if status >= 400 {
        return assert_problem(r, status);
    }
    assert_eq!(r.status.as_u16(), status, "body: {}", r.text());
    assert!(r.content_type().starts_with("application/json"), "content-type {:?}", r.content_type());
    r.json()
}

pub async fn ok<A: TestApp>(app: &A, uri: &str, token: &str) -> Value {
    expect(&get_as(app, uri, Some(token)).await, 200)
}


/// Creates (as the NRW publisher), submits and approves (as the operator) a listing; its id.
pub async fn publish<A: TestApp>(app: &A, w: &World, body: &Value) -> String {
    let provider = w.provider();
    let created = expect(&post(app, "/api/v1/online-services", Some(&provider), Some(body)).await, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    expect(&post(app, &format!("/api/v1/online-services/{id}/submit"), Some(&provider), None).await, 200);
    expect(&post(app, &format!("/api/v1/online-services/{id}/approve"), Some(&w.operator()), None).await, 200);
    id
}

pub async fn published_service<A: TestApp>(app: &A, w: &World) -> String {
    publish(app, w, &listing_body("Wohngeld digital (Nachnutzungstest)", annual_price())).await
}

/// POST /reuse-requests; the raw response.
pub async fn file<A: TestApp>(app: &A, token: &str, service: &str, municipalities: &[String]) -> Resp {
    let mut body = json!({"online_service_id": service, "note": "Wir möchten den Dienst nachnutzen."});
    if !municipalities.is_empty() {
        body["municipalities"] = json!(municipalities);
    }
    post(app, "/api/v1/reuse-requests", Some(token), Some(&body)).await
}

/// Files a request expecting 201; its id.
pub async fn filed<A: TestApp>(app: &A, token: &str, service: &str, municipalities: &[String]) -> String {
    let v = expect(&file(app, token, service, municipalities).await, 201);
    v["id"].as_str().expect("id").to_owned()
}

/// POST /reuse-requests/{id}/{action}, with a JSON body where given.
pub async fn act<A: TestApp>(app: &A, id: &str, action: &str, token: &str, body: Option<Value>) -> Resp {
    post(app, &format!("/api/v1/reuse-requests/{id}/{action}"), Some(token), body.as_ref()).await
}

/// An action expecting 200; the request afterwards.
pub async fn act_ok<A: TestApp>(app: &A, id: &str, action: &str, token: &str, body: Option<Value>) -> Value {
    expect(&act(app, id, action, token, body).await, 200)
}

/// Köln files a request for `service`, submits it, and the NRW coordinator approves it.
pub async fn approved<A: TestApp>(app: &A, w: &World, service: &str) -> String {
    let koeln = w.kommune(KOELN);
    let id = filed(app, &koeln, service, &[]).await;
    act_ok(app, &id, "submit", &koeln, None).await;
    act_ok(app, &id, "approve", &w.coordinator("05"), None).await;
    id
}

pub async fn agreement_step<A: TestApp>(app: &A, number: &str, step: &str, token: &str, body: Option<Value>) -> Resp {
    post(app, &format!("/api/v1/agreements/{number}/{step}"), Some(token), body.as_ref()).await
}


pub fn statuses(rs: &[Resp]) -> Vec<u16> {
    rs.iter().map(|r| r.status.as_u16()).collect()
}

/// Gemeinden of the seed (not gemeindefrei) as (Land, AGS, population), in file order;
/// read once per test binary.
fn gemeinden() -> &'static [(String, String, i64)] {
    static ROWS: std::sync::OnceLock<Vec<(String, String, i64)>> = std::sync::OnceLock::new();
    ROWS.get_or_init(|| {
        helpers::seed_csv("gemeinden.csv")
            .into_iter()
            .filter(|g| g["gemeindefrei"] != "true")
            .map(|g| (g["land_code"].clone(), g["ags"].clone(), g["einwohner"].parse().expect("einwohner")))
            .collect()
    })
}

/// Gemeinden of the seed (not gemeindefrei) in `land`, as (AGS, population), in file order.
pub fn gemeinden_of(land: &str) -> Vec<(String, i64)> {
    gemeinden().iter().filter(|(l, _, _)| l == land).map(|(_, ags, people)| (ags.clone(), *people)).collect()
}

pub fn population(ags: &str) -> i64 {
    let land = &ags[..2];
    gemeinden_of(land).into_iter().find(|(a, _)| a == ags).map(|(_, p)| p).unwrap_or_else(|| panic!("{ags} not in gemeinden.csv"))
}
