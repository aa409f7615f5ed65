//! The security harness: a seeded database per test with two bundlers, the app with a
//! verifier that trusts a per-test key, one principal per matrix column, request helpers and
//! a fingerprint of every table a write touches.

use crate::helpers::{self, Resp};
use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use efa_api::auth::DevKey;
use efa_domain::Role;
use efa_store::schema::{
    agreement_documents, agreements, audit_events, framework_agreements, idempotency_keys, listing_versions, onboarding_steps, online_services,
    request_messages, reuse_request_municipalities, reuse_requests,
};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use efa_store::Backend;
use serde_json::Value;

pub use crate::helpers::TestApp;


pub const KOELN: &str = "05315000";
pub const BONN: &str = "05314000";
pub const MUENCHEN: &str = "09162000";

/// The organisation of a Gemeinde.
pub fn kommune(ags: &str) -> String {
    seed_id("kommune", ags)
}

pub fn land_org(code: &str) -> String {
    seed_id("land", code)
}

/// The bundler of Köln and Bonn.
pub fn own_bundler() -> String {
    seed_id("org", "Zweckverband Sicherheitstest Rheinland")
}

/// A bundler of München only: a stranger to everything of Köln.
pub fn foreign_bundler() -> String {
    seed_id("org", "Zweckverband Sicherheitstest Oberbayern")
}

pub fn fitko() -> String {
    seed_id("org", "FITKO (Föderale IT-Kooperation)")
}

/// Who calls: anonymous, or a role acting for the organisation (or Land) owning the fixture
/// resources ("own") or for an unrelated one ("foreign").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub role: Option<Role>,
    pub own: bool,
}

/// The matrix columns, in the order of the expectation strings.
pub const COLUMNS: [Column; 11] = [
    Column { role: None, own: true },
    Column { role: Some(Role::MunicipalityUser), own: true },
    Column { role: Some(Role::MunicipalityUser), own: false },
    Column { role: Some(Role::ProviderPublisher), own: true },
    Column { role: Some(Role::ProviderPublisher), own: false },
    Column { role: Some(Role::LandCoordinator), own: true },
    Column { role: Some(Role::LandCoordinator), own: false },
    Column { role: Some(Role::Bundler), own: true },
    Column { role: Some(Role::Bundler), own: false },
    Column { role: Some(Role::Operator), own: true },
    Column { role: Some(Role::Operator), own: false },
];

impl Column {
    /// `(subject, organisation, Land)` of the column's principal; `None` for anonymous.
    ///
    /// * municipality_user: Köln (requester and customer of the fixtures) / München.
    /// * provider_publisher: Land NRW (provider of every fixture listing) / Bayern.
    /// * land_coordinator: NRW in the NRW government (Land of every fixture) / Bayern's.
    /// * bundler: the bundler of Köln, requester of its own fixture variants / a bundler of München.
    /// * operator: FITKO / an operator token of another organisation (powers must not depend on it).
    pub fn principal(&self) -> Option<(String, String, Option<&'static str>)> {
        let own = self.own;
        let pick = |a: String, b: String| if own { a } else { b };
        Some(match self.role? {
            Role::MunicipalityUser => (pick("user-koeln".into(), "user-muenchen".into()), pick(kommune(KOELN), kommune(MUENCHEN)), None),
            Role::ProviderPublisher => (pick("publisher-nrw".into(), "publisher-by".into()), pick(land_org("05"), land_org("09")), None),
            Role::LandCoordinator => (pick("coordinator-05".into(), "coordinator-09".into()), pick(land_org("05"), land_org("09")), Some(if own { "05" } else { "09" })),
            Role::Bundler => (pick("bundler-rheinland".into(), "bundler-oberbayern".into()), pick(own_bundler(), foreign_bundler()), None),
            Role::Operator => (pick("operator-fitko".into(), "operator-by".into()), pick(fitko(), land_org("09")), None),
        })
    }

    pub fn label(&self) -> String {
        match self.role {
            None => "anonymous".into(),
            Some(r) => format!("{}/{}", r.as_str(), if self.own { "own" } else { "foreign" }),
        }
    }

    pub fn is_bundler(&self) -> bool {
        self.role == Some(Role::Bundler)
    }
}

pub struct World {
    pub db: TestDb,
    pub key: DevKey,
    /// One connection for the counts (opening one per count is slow on PostgreSQL).
    counter: std::sync::Mutex<Option<efa_store::DbConn>>,
}

/// A seeded database with both bundlers, and the app over it.
pub async fn start(backend: Backend) -> (World, impl TestApp) {
    let db = TestDb::seeded(backend);
    helpers::insert_bundler(&db, &own_bundler(), "Zweckverband Sicherheitstest Rheinland", "05", &[kommune(KOELN), kommune(BONN)]);
    helpers::insert_bundler(&db, &foreign_bundler(), "Zweckverband Sicherheitstest Oberbayern", "09", &[kommune(MUENCHEN)]);
    let key = DevKey::generate().expect("dev key");
    let (_, app) = helpers::keyed_app(&db, &key, None, 4).await;
    (World { db, key, counter: std::sync::Mutex::new(None) }, app)
}

/// Row counts of every table a write can touch: equal fingerprints mean nothing was written.
pub type Fingerprint = Vec<(&'static str, i64)>;

impl World {
    pub fn token(&self, col: Column) -> Option<String> {
        let (sub, org, land) = col.principal()?;
        let role = col.role.expect("a principal has a role");
        Some(helpers::mint(&self.key, &sub, &org, &[role], land))
    }

    /// The token of a role's own-organisation principal.
    pub fn own(&self, role: Role) -> String {
        self.token(Column { role: Some(role), own: true }).expect("token")
    }

    pub fn fingerprint(&self) -> Fingerprint {
        let mut guard = self.counter.lock().expect("counter connection");
        let c = guard.get_or_insert_with(|| self.db.conn());
        macro_rules! count {
            ($($t:ident),+) => {
                vec![$((stringify!($t), $t::table.count().get_result::<i64>(c).expect(stringify!($t)))),+]
            };
        }
        count!(
            audit_events, online_services, listing_versions, reuse_requests, reuse_request_municipalities, request_messages, agreements, agreement_documents,
            onboarding_steps, framework_agreements, idempotency_keys
        )
    }
}

pub fn bearer(req: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => req.insert_header(("authorization", format!("Bearer {t}"))),
        None => req,
    }
}

/// Any method; a JSON body where given (PATCH as a merge patch with `If-Match: *`).
pub async fn call<A: TestApp>(app: &A, method: &Method, uri: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
    let mut req = TestRequest::default().method(method.clone()).uri(uri);
    if *method == Method::PATCH {
        req = req.insert_header(("if-match", "*")).insert_header(("content-type", "application/merge-patch+json"));
        if let Some(b) = body {
            req = req.set_payload(b.to_string());
        }
    } else if let Some(b) = body {
        req = req.set_json(b);
    }
    helpers::send(app, bearer(req, token)).await
}

/// A raw request: any content type and payload bytes.
pub async fn raw<A: TestApp>(app: &A, method: Method, uri: &str, token: Option<&str>, content_type: Option<&str>, payload: Vec<u8>) -> Resp {
    let patch = method == Method::PATCH;
    let mut req = TestRequest::default().method(method).uri(uri).set_payload(payload);
    if patch {
        req = req.insert_header(("if-match", "*"));
    }
    if let Some(ct) = content_type {
        req = req.insert_header(("content-type", ct));
    }
    helpers::send(app, bearer(req, token)).await
}

/// Expects 2xx with a JSON body and returns it.
#[track_caller]
pub fn ok(r: &Resp, what: &str) -> Value {
    assert!(r.status.is_success(), "{what}: {} {}", r.status, r.text());
    r.json()
}
