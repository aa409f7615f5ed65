//! The coverage harness: a seeded database per test with a bundler in Bayern, the app with a
//! verifier that trusts a per-test key, published listings, agreements made live through the
//! API (reuse request or framework accession, then onboarding), Kreis agreements written
//! straight to the database (no endpoint makes one, see `kreis_agreement`), and the seed
//! facts the hand arithmetic of the tests starts from.

use crate::helpers::{self, assert_problem, Request, Resp};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use efa_api::auth::{claims_for, DevKey, Verifier, DEFAULT_AUDIENCE, DEV_ISSUER};
use efa_domain::Role;
use efa_store::reuse::AgreementRow;
use efa_store::schema::{org_memberships, organisations};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The in-process app, whatever its body type.
pub trait TestApp: Service<Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error> {
    type Body: MessageBody;
}

impl<S, B: MessageBody> TestApp for S
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    type Body = B;
}

/// Runs a test body on SQLite and on PostgreSQL, each on its own seeded database.
/// `cov_test!(name, |w, app| { ... })`: `w` is the [`World`], `app` the service.
#[macro_export]
macro_rules! cov_test {
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

// ---- places of the fixtures (AGS, from seed-data/gemeinden.csv) ----

/// Bayern, Landkreis Traunstein (09189): no Land-wide service in Bayern.
pub const UEBERSEE: &str = "09189159";
pub const NUSSDORF: &str = "09189130";
pub const CHIEMING: &str = "09189114";
pub const MUENCHEN: &str = "09162000";
/// Niedersachsen, Landkreis Ammerland (03451): six Gemeinden.
pub const AMMERLAND: &str = "03451";
pub const APEN: &str = "03451001";
pub const EDEWECHT: &str = "03451004";
/// Schleswig-Holstein.
pub const KIEL: &str = "01002000";
/// Nordrhein-Westfalen: the seeded WSP services are live Land-wide here.
pub const KOELN: &str = "05315000";

// ---- OZG-Leistungen of the fixtures (seed-data/ozg_leistungen.csv, leika_typen in brackets) ----

/// Familienversicherung [2/3], one LeiKa key.
pub const OZG_A: i32 = 10002;
/// Hebammenhilfe [2/3], two LeiKa keys.
pub const OZG_B: i32 = 10004;
/// Familienpass [4], one LeiKa key.
pub const OZG_C: i32 = 10016;
/// Wohngeld [2/3], nine LeiKa keys.
pub const WOHNGELD: i32 = 10092;
/// Kinderzuschlag [1]: executed by the Bund, never in scope for a Gemeinde.
pub const KINDERZUSCHLAG: i32 = 10020;
/// Osterfeuer [5]: one of the OZG-Leistungen of the seeded NRW WSP services.
pub const OSTERFEUER: i32 = 10147;

pub const BUNDLER_NAME: &str = "Zweckverband Coveragetest Chiemgau";

pub fn org(ags: &str) -> String {
    seed_id("kommune", ags)
}

pub fn kreis_org(code: &str) -> String {
    seed_id("kreis", code)
}

pub fn land_org(land: &str) -> String {
    seed_id("land", land)
}

pub fn bundler_org() -> String {
    seed_id("org", BUNDLER_NAME)
}

pub struct World {
    pub db: TestDb,
    pub key: DevKey,
    /// The app's state (clones share the catalogue and coverage handles).
    pub state: efa_api::AppState,
}

/// A seeded database with a bundler of Nußdorf, and the app over it.
pub async fn start(backend: Backend) -> (World, impl TestApp) {
    let db = TestDb::seeded(backend);
    let now = chrono::Utc::now().naive_utc();
    let mut conn = db.conn();
    diesel::insert_into(organisations::table)
        .values((
            organisations::id.eq(bundler_org()),
            organisations::name.eq(BUNDLER_NAME),
            organisations::kind.eq("bundler"),
            organisations::land_code.eq(Some("09")),
            organisations::created_at.eq(now),
            organisations::updated_at.eq(now),
        ))
        .execute(&mut conn)
        .expect("insert bundler");
    diesel::insert_into(org_memberships::table)
        .values((org_memberships::bundler_org_id.eq(bundler_org()), org_memberships::member_org_id.eq(org(NUSSDORF))))
        .execute(&mut conn)
        .expect("insert membership");
    drop(conn);
    let key = DevKey::generate().expect("dev key");
    let verifier = Verifier::from_jwks(&key.jwks(), DEV_ISSUER, DEFAULT_AUDIENCE).expect("verifier");
    let state = efa_api::AppState::with_verifier(db.pool(), verifier);
    state.reload_catalogue().await.expect("load the catalogue");
    let app = helpers::init_with(state.clone()).await;
    (World { db, key, state }, app)
}

impl World {
    pub fn token(&self, sub: &str, org: &str, roles: &[Role], land: Option<&str>) -> String {
        self.key.mint(&claims_for(sub, org, roles, land, DEV_ISSUER, DEFAULT_AUDIENCE, 3600)).expect("mint")
    }

    /// A provider_publisher of the government of `land` (the provider of the fixture listings).
    pub fn publisher(&self, land: &str) -> String {
        self.token(&format!("publisher-{land}"), &land_org(land), &[Role::ProviderPublisher], None)
    }

    pub fn operator(&self) -> String {
        self.token("fitko-operator", &seed_id("org", "FITKO (Föderale IT-Kooperation)"), &[Role::Operator], None)
    }

    pub fn coordinator(&self, land: &str) -> String {
        self.token(&format!("coordinator-{land}"), &land_org(land), &[Role::LandCoordinator], Some(land))
    }

    pub fn kommune(&self, ags: &str) -> String {
        self.token(&format!("user-{ags}"), &org(ags), &[Role::MunicipalityUser], None)
    }

    pub fn bundler(&self) -> String {
        self.token("bundler-user", &bundler_org(), &[Role::Bundler], None)
    }

    pub fn agreement_row(&self, number: &str) -> AgreementRow {
        efa_store::reuse::find_agreement(&mut self.db.conn(), number).expect("read agreement").expect("agreement row")
    }
}

// ---- requests ----

pub fn bearer(req: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
        None => req,
    }
}

pub async fn post<A: TestApp>(app: &A, uri: &str, token: &str, body: Option<&Value>) -> Resp {
    let req = TestRequest::post().uri(uri);
    let req = match body {
        Some(b) => req.set_json(b),
        None => req,
    };
    helpers::send(app, bearer(req, Some(token))).await
}

/// Asserts `status`; returns the JSON body (for errors: a checked problem document).
pub fn expect(r: &Resp, status: u16) -> Value {
    if status >= 400 {
        return assert_problem(r, status);
    }
    assert_eq!(r.status.as_u16(), status, "body: {}", r.text());
    r.json()
}

pub async fn post_ok<A: TestApp>(app: &A, uri: &str, token: &str, body: Option<&Value>) -> Value {
    expect(&post(app, uri, token, body).await, 200)
}

/// GET with `Accept: text/csv`.
pub async fn get_csv<A: TestApp>(app: &A, uri: &str) -> Resp {
    helpers::send(app, TestRequest::get().uri(uri).insert_header(("accept", "text/csv"))).await
}

/// A CSV answer parsed back: the header row and every row as header → value.
pub fn parse_csv(r: &Resp) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    let mut reader = csv::Reader::from_reader(r.text().as_bytes());
    let header: Vec<String> = reader.headers().expect("header row").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|rec| {
            let rec = rec.expect("CSV record");
            assert_eq!(rec.len(), header.len(), "every row as wide as the header");
            header.iter().cloned().zip(rec.iter().map(str::to_owned)).collect()
        })
        .collect();
    (header, rows)
}

// ---- coverage reads ----

pub async fn gemeinde<A: TestApp>(app: &A, ags: &str) -> Value {
    helpers::ok_json(app, &format!("/api/v1/coverage/gemeinden/{ags}")).await
}

/// The item of one OZG-Leistung in a Gemeinde's coverage.
pub fn item(cov: &Value, ozg: i32) -> &Value {
    helpers::items(cov).iter().find(|i| i["ozg_id"] == ozg).unwrap_or_else(|| panic!("OZG {ozg} not in scope: {}", cov["ags"]))
}

/// The covered OZG-IDs of a Gemeinde's coverage, ascending.
pub fn covered_ids(cov: &Value) -> Vec<i64> {
    let mut v: Vec<i64> = helpers::items(cov).iter().filter(|i| i["covered"] == true).map(|i| i["ozg_id"].as_i64().unwrap()).collect();
    v.sort_unstable();
    v
}

/// Rounds to four decimals, as the API rounds shares.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn assert_share(actual: &Value, expected: f64, what: &str) {
    let a = actual.as_f64().unwrap_or_else(|| panic!("{what}: {actual} is no number"));
    assert!((a - round4(expected)).abs() < 1e-9, "{what}: {a} ≠ {} (= round4({expected}))", round4(expected));
}

// ---- seed facts ----

/// In scope for a Gemeinde: a LeiKa type under which a Kommune executes (2/3, 3, 4, 5).
pub fn municipal(leika_typen: &str) -> bool {
    leika_typen.split([';', ',']).map(str::trim).any(|t| matches!(t, "2/3" | "3" | "4" | "5"))
}

/// The OZG-IDs in scope for every Gemeinde, from seed-data/ozg_leistungen.csv.
pub fn in_scope_ids() -> Vec<i64> {
    let mut v: Vec<i64> =
        helpers::seed_csv("ozg_leistungen.csv").into_iter().filter(|r| municipal(&r["leika_typen"])).map(|r| r["ozg_id"].parse().unwrap()).collect();
    v.sort_unstable();
    v
}

/// How many OZG-Leistungen are in scope (460 in the seed: 557 minus 95 of type "1",
/// one "1;2" and one "1;6").
pub fn in_scope() -> usize {
    in_scope_ids().len()
}

/// A Gemeinde of the seed (not gemeindefrei).
#[derive(Debug, Clone)]
pub struct Place {
    pub ags: String,
    pub ars: String,
    pub name: String,
    pub kreis: String,
    pub population: i64,
}

pub fn gemeinden() -> Vec<Place> {
    helpers::seed_csv("gemeinden.csv")
        .into_iter()
        .filter(|g| g["gemeindefrei"] != "true")
        .map(|g| Place { ags: g["ags"].clone(), ars: g["ars"].clone(), name: g["name"].clone(), kreis: g["kreis_code"].clone(), population: g["einwohner"].parse().unwrap() })
        .collect()
}

pub fn place(ags: &str) -> Place {
    gemeinden().into_iter().find(|g| g.ags == ags).unwrap_or_else(|| panic!("{ags} not in gemeinden.csv"))
}

/// How many LeiKa keys the OZG-Leistung has (seed-data/ozg_leika_leistungen.csv).
pub fn leika_keys(ozg: i32) -> usize {
    let id = ozg.to_string();
    helpers::seed_csv("ozg_leika_leistungen.csv").iter().filter(|l| l["ozg_id"] == id && !l["leika_schluessel"].is_empty()).count()
}

// ---- listings ----

/// A complete listing provided by the government of `lead_land`.
pub fn listing(name: &str, lead_land: &str, ozg_ids: &[i32], reifegrad: u8, reach: &str) -> Value {
    json!({
        "name": name,
        "description": "Antrag vollständig online, mit Nachweisupload und Bescheid ins Postfach.",
        "provider_org_id": land_org(lead_land),
        "ozg_ids": ozg_ids,
        "lead_land": lead_land,
        "efa": true,
        "status": "live",
        "reifegrad": reifegrad,
        "reach": reach,
        "anbindung": ["fit_connect"],
        "url": format!("https://dienste.example.de/{}", name.to_lowercase().replace(' ', "-")),
        "price": {"model": "annual", "annual_fee_cents": 120000, "one_off_anbindung_fee_cents": 50000, "pro_rata_first_year": false},
        "terms": {"text": "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.", "version": "1.0"},
        "contact": {"name": "Servicedesk", "email": "efa@example.de"},
    })
}

/// A published listing: its id and the Land whose government provides it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub id: String,
    pub land: String,
}

/// Creates, submits and (as the operator) approves a listing.
pub async fn publish<A: TestApp>(app: &A, w: &World, body: &Value) -> Listing {
    let land = body["lead_land"].as_str().expect("lead_land").to_owned();
    let provider = w.publisher(&land);
    let created = expect(&post(app, "/api/v1/online-services", &provider, Some(body)).await, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    post_ok(app, &format!("/api/v1/online-services/{id}/submit"), &provider, None).await;
    post_ok(app, &format!("/api/v1/online-services/{id}/approve"), &w.operator(), None).await;
    Listing { id, land }
}

/// Publishes `listing(name, lead_land, ozg_ids, reifegrad, reach)`.
pub async fn published<A: TestApp>(app: &A, w: &World, name: &str, lead_land: &str, ozg_ids: &[i32], reifegrad: u8, reach: &str) -> Listing {
    publish(app, w, &listing(name, lead_land, ozg_ids, reifegrad, reach)).await
}

/// Changes a published listing by a merge patch and publishes the change.
pub async fn republish<A: TestApp>(app: &A, w: &World, l: &Listing, patch: &Value) -> Value {
    let provider = w.publisher(&l.land);
    let current = helpers::send(app, bearer(TestRequest::get().uri(&format!("/api/v1/online-services/{}/listing", l.id)), Some(&provider))).await;
    let etag = current.header("etag").expect("ETag").to_owned();
    let req = TestRequest::patch()
        .uri(&format!("/api/v1/online-services/{}", l.id))
        .insert_header(("content-type", "application/merge-patch+json"))
        .insert_header(("if-match", etag))
        .set_payload(patch.to_string());
    expect(&helpers::send(app, bearer(req, Some(&provider))).await, 200);
    post_ok(app, &format!("/api/v1/online-services/{}/submit", l.id), &provider, None).await;
    post_ok(app, &format!("/api/v1/online-services/{}/approve", l.id), &w.operator(), None).await
}

// ---- agreements through the API ----

/// The provider offers a framework agreement for `l` in `land`; that Land's coordinator approves it.
pub async fn framework<A: TestApp>(app: &A, w: &World, l: &Listing, land: &str) -> String {
    let body = json!({"online_service_id": l.id, "land": land, "terms_text": "Rahmenvertrag für die Nachnutzung.", "terms_version": "RV-1"});
    let f = expect(&post(app, "/api/v1/framework-agreements", &w.publisher(&l.land), Some(&body)).await, 201);
    let id = f["id"].as_str().unwrap().to_owned();
    post_ok(app, &format!("/api/v1/framework-agreements/{id}/approve"), &w.coordinator(land), None).await;
    id
}

/// Accedes to a framework as `token` (for `municipality` when a bundler accedes): an active agreement.
pub async fn accede<A: TestApp>(app: &A, framework: &str, token: &str, municipality: Option<&str>) -> String {
    let body = municipality.map(|m| json!({"municipality": m}));
    let a = expect(&post(app, &format!("/api/v1/framework-agreements/{framework}/accessions"), token, body.as_ref()).await, 201);
    assert_eq!(a["state"], "active");
    a["number"].as_str().unwrap().to_owned()
}

/// The four onboarding steps: three by the customer side, the test case by the provider → live.
pub async fn onboard<A: TestApp>(app: &A, w: &World, number: &str, customer: &str, l: &Listing) {
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        post_ok(app, &format!("/api/v1/agreements/{number}/onboarding/{step}"), customer, None).await;
    }
    let live = post_ok(app, &format!("/api/v1/agreements/{number}/onboarding/test_case_passed"), &w.publisher(&l.land), None).await;
    assert_eq!(live["state"], "live", "{live}");
}

/// The Gemeinde `ags` accedes to `framework` of `l` and onboards: a live agreement of its own.
pub async fn live_by_accession<A: TestApp>(app: &A, w: &World, l: &Listing, framework: &str, ags: &str) -> String {
    let token = w.kommune(ags);
    let n = accede(app, framework, &token, None).await;
    onboard(app, w, &n, &token, l).await;
    n
}

/// The reuse request path up to the agreement awaiting signatures: the Gemeinde files and
/// submits, the coordinator of its Land approves, the provider accepts. The pending agreement.
pub async fn pending_by_request<A: TestApp>(app: &A, w: &World, l: &Listing, ags: &str) -> String {
    let token = w.kommune(ags);
    let r = expect(&post(app, "/api/v1/reuse-requests", &token, Some(&json!({"online_service_id": l.id}))).await, 201);
    let id = r["id"].as_str().unwrap().to_owned();
    post_ok(app, &format!("/api/v1/reuse-requests/{id}/submit"), &token, None).await;
    post_ok(app, &format!("/api/v1/reuse-requests/{id}/approve"), &w.coordinator(&ags[..2]), None).await;
    let accepted = post_ok(app, &format!("/api/v1/reuse-requests/{id}/accept"), &w.publisher(&l.land), Some(&json!({}))).await;
    let number = accepted["agreements"][0].as_str().expect("agreement number").to_owned();
    assert_eq!(w.agreement_row(&number).state, "pending");
    number
}

/// Both sides sign a pending agreement: active.
pub async fn sign_both<A: TestApp>(app: &A, w: &World, number: &str, customer: &str, l: &Listing) {
    post_ok(app, &format!("/api/v1/agreements/{number}/sign"), &w.publisher(&l.land), None).await;
    let a = post_ok(app, &format!("/api/v1/agreements/{number}/sign"), customer, None).await;
    assert_eq!(a["state"], "active");
}

/// The whole reuse request path to a live agreement of the Gemeinde `ags`.
pub async fn live_by_request<A: TestApp>(app: &A, w: &World, l: &Listing, ags: &str) -> String {
    let n = pending_by_request(app, w, l, ags).await;
    let token = w.kommune(ags);
    sign_both(app, w, &n, &token, l).await;
    onboard(app, w, &n, &token, l).await;
    n
}

// ---- agreements written to the database ----

/// Dates of an agreement written directly.
pub struct Dates {
    pub state: &'static str,
    pub signed: Option<NaiveDateTime>,
    pub live_since: Option<NaiveDate>,
}

pub fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(10, 30, 0).unwrap()
}

/// Writes an agreement of `customer` (signed by `signatory`) for `l` straight into the
/// database and rebuilds the coverage, as the agreement endpoints do after going live.
///
/// Needed for a Kreis: every endpoint that makes an agreement requires the customer to be a
/// Gemeinde (`nachnutzung::create_agreement`: "… is not a Gemeinde"), while the coverage rule
/// counts live agreements of a Kreis for all its Gemeinden.
pub async fn direct_agreement(w: &World, l: &Listing, customer: &str, signatory: &str, d: Dates) -> String {
    let mut conn = w.db.conn();
    let year = chrono::Utc::now().year();
    let seq = efa_store::reuse::next_contract_seq(&mut conn, year).expect("contract seq");
    let now = chrono::Utc::now().naive_utc();
    let a = AgreementRow {
        id: uuid::Uuid::new_v4().to_string(),
        number: efa_store::reuse_number(year, seq),
        request_id: None,
        framework_agreement_id: None,
        framework_version: None,
        parent_agreement_id: None,
        online_service_id: l.id.clone(),
        listing_version: 1,
        listing_content: "{}".into(),
        terms_text: "Nachnutzungsvertrag des Kreises.".into(),
        terms_version: "1.0".into(),
        provider_org_id: land_org(&l.land),
        customer_org_id: customer.to_owned(),
        signatory_org_id: signatory.to_owned(),
        one_off_fee_cents: 0,
        annual_fee_cents: 0,
        first_year_fee_cents: 0,
        cost_key: "test fixture".into(),
        start_date: d.signed.map(|s| s.date()).unwrap_or(now.date()),
        minimum_term_months: 12,
        notice_months: 3,
        end_date: None,
        state: d.state.into(),
        provider_signed_at: d.signed,
        provider_signed_by: d.signed.map(|_| "provider".to_owned()),
        customer_signed_at: d.signed,
        customer_signed_by: d.signed.map(|_| "customer".to_owned()),
        live_since: d.live_since,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    efa_store::reuse::insert_agreement(&mut conn, &a).expect("insert agreement");
    drop(conn);
    w.state.reload_coverage().await.expect("rebuild coverage");
    a.number
}

/// A live agreement of the Kreis `code` for `l`, signed by the Kreis itself.
pub async fn kreis_agreement(w: &World, l: &Listing, code: &str, signed: NaiveDateTime, live: NaiveDate) -> String {
    let k = kreis_org(code);
    direct_agreement(w, l, &k, &k, Dates { state: "live", signed: Some(signed), live_since: Some(live) }).await
}
