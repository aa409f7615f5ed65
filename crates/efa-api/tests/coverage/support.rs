//! The coverage harness: a seeded database per test with a bundler in Bayern, the app with a
//! verifier that trusts a per-test key, tokens, request and CSV helpers, coverage reads, and
//! the seed facts the hand arithmetic of the tests starts from. How the fixtures' services
//! become live is in `live.rs` (re-exported here).

use crate::helpers::{self, assert_problem, Resp};
use actix_web::test::TestRequest;
use efa_api::auth::DevKey;
use efa_domain::Role;
pub use crate::live::*;
use efa_store::reuse::AgreementRow;
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::Value;
use std::collections::HashMap;

pub use crate::helpers::TestApp;


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
    helpers::insert_bundler(&db, &bundler_org(), BUNDLER_NAME, "09", &[org(NUSSDORF)]);
    let key = DevKey::generate().expect("dev key");
    let (state, app) = helpers::keyed_app(&db, &key, None, 4).await;
    (World { db, key, state }, app)
}

impl World {
    pub fn token(&self, sub: &str, org: &str, roles: &[Role], land: Option<&str>) -> String {
        helpers::mint(&self.key, sub, org, roles, land)
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

    /// Every count the writes keep equals a recount of the rows (`efa_store::kept`).
    pub fn assert_kept(&self, after: &str) {
        efa_store::test_util::assert_kept(&mut self.db.conn(), after);
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
