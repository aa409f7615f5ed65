//! The expectation table: for every operationId of the OpenAPI document, which columns may call
//! it on which resource, and what everyone else gets. A new operation without a row here
//! fails `every_operation_has_a_policy_decision`.
//!
//! An expectation string has one status class per column, in this order:
//!
//! ```text
//! anonymous | municipality own foreign | publisher own foreign | coordinator own foreign | bundler own foreign | operator own foreign
//! ```
//!
//! `2xx` allowed; `401` no token; `403` may know the resource exists but not do this;
//! `404` may not even know it exists (efa_domain::policy). "Own" and "foreign" are explained in
//! [`crate::world::Column::principal`]: the fixtures belong to Köln, Land NRW (provider and
//! Land) and Köln's bundler; the foreign principals to München, Bayern and a bundler of München.

use crate::fixtures::{AgreementStage as A, FrameworkStage as F, Fixtures, ListingStage as L, RequestStage as R, Target};
use crate::world::{kommune, KOELN};
use serde_json::{json, Value};

pub struct Case {
    pub op: &'static str,
    /// What the path parameters name.
    pub target: Target,
    /// `{step}` of an onboarding path.
    pub step: &'static str,
    /// Query string (without `?`).
    pub query: &'static str,
    pub body: Option<fn(&Fixtures) -> Value>,
    /// An allowed call changes its target: it gets a fresh one, so that the shared fixtures
    /// stay in the state every other column is tested against.
    pub fresh: bool,
    pub expect: &'static str,
}

const PUBLIC: &str = "2xx | 2xx 2xx | 2xx 2xx | 2xx 2xx | 2xx 2xx | 2xx 2xx";
const SIGNED_IN: &str = "401 | 2xx 2xx | 2xx 2xx | 2xx 2xx | 2xx 2xx | 2xx 2xx";
/// A draft listing: its organisation (the NRW government: publisher and coordinator) and operators.
const DRAFT_READ: &str = "404 | 404 404 | 2xx 404 | 2xx 404 | 404 404 | 2xx 2xx";
const DRAFT_READ_SIGNED_IN: &str = "401 | 404 404 | 2xx 404 | 2xx 404 | 404 404 | 2xx 2xx";
const LISTING_EDIT: &str = "401 | 404 404 | 2xx 404 | 403 404 | 404 404 | 403 403";
const LISTING_REVIEW: &str = "401 | 404 404 | 403 404 | 403 404 | 404 404 | 2xx 2xx";
const LISTING_RETIRE: &str = "401 | 404 404 | 2xx 404 | 403 404 | 404 404 | 2xx 2xx";
const PUBLISHER_ONLY: &str = "401 | 403 403 | 2xx 403 | 403 403 | 403 403 | 403 403";
/// A submitted request: its parties, the provider, the coordinator of its Land, operators.
const REQUEST_READ: &str = "401 | 2xx 404 | 2xx 404 | 2xx 404 | 2xx 404 | 2xx 2xx";
/// A draft request is the requester's business (and the operators').
const DRAFT_REQUEST_READ: &str = "401 | 2xx 404 | 404 404 | 404 404 | 2xx 404 | 2xx 2xx";
const REQUEST_FILE: &str = "401 | 2xx 403 | 403 403 | 403 403 | 2xx 403 | 403 403";
const REQUESTER_SUBMIT: &str = "401 | 2xx 404 | 404 404 | 404 404 | 2xx 404 | 403 403";
const REQUESTER_WITHDRAW: &str = "401 | 2xx 404 | 403 404 | 403 404 | 2xx 404 | 403 403";
const LAND_DECIDES: &str = "401 | 403 404 | 403 404 | 2xx 404 | 403 404 | 403 403";
const PROVIDER_DECIDES: &str = "401 | 403 404 | 2xx 404 | 403 404 | 403 404 | 403 403";
const AGREEMENT_READ: &str = "401 | 2xx 404 | 2xx 404 | 2xx 404 | 2xx 404 | 2xx 2xx";
const EITHER_SIDE: &str = "401 | 2xx 404 | 2xx 404 | 403 404 | 2xx 404 | 403 403";
const CUSTOMER_SIDE: &str = "401 | 2xx 404 | 403 404 | 403 404 | 2xx 404 | 403 403";
const PROVIDER_SIDE: &str = "401 | 403 404 | 2xx 404 | 403 404 | 403 404 | 403 403";
const COORDINATOR_OF_LAND: &str = "401 | 403 403 | 403 403 | 2xx 403 | 403 403 | 403 403";
/// Köln's webhook endpoint: Köln and operators; for everyone else it does not exist.
const KOELN_ONLY: &str = "401 | 2xx 404 | 404 404 | 404 404 | 404 404 | 2xx 2xx";
/// Keeping the catalogue current: operators only.
const OPERATOR_ONLY: &str = "401 | 403 403 | 403 403 | 403 403 | 403 403 | 2xx 2xx";
const ACCEDE: &str = "401 | 2xx 403 | 403 403 | 403 403 | 2xx 403 | 403 403";

const fn case(op: &'static str, target: Target, expect: &'static str) -> Case {
    Case { op, target, step: "", query: "", body: None, fresh: false, expect }
}

const fn write(op: &'static str, target: Target, body: Option<fn(&Fixtures) -> Value>, expect: &'static str) -> Case {
    Case { op, target, step: "", query: "", body, fresh: true, expect }
}

const fn create(op: &'static str, target: Target, body: fn(&Fixtures) -> Value, expect: &'static str) -> Case {
    Case { op, target, step: "", query: "", body: Some(body), fresh: false, expect }
}

const S: Target = Target::Static;

fn reason(_: &Fixtures) -> Value {
    json!({"reason": "Begründung aus dem Sicherheitstest."})
}

/// A number of its own per call: each operator column's catalogue change changes something.
fn next() -> i32 {
    static NEXT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(90_000);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A new OZG-Leistung with an OZG-ID of its own per call.
fn new_ozg(_: &Fixtures) -> Value {
    json!({"ozg_id": next(), "name": "Sicherheitstest-Leistung", "lebenslage_id": 26, "themenfeld_id": 6})
}

fn empty(_: &Fixtures) -> Value {
    json!({})
}

pub fn cases() -> Vec<Case> {
    vec![
        // --- catalogue, places, organisations, operations: public reads ---
        case("list_themenfelder", S, PUBLIC),
        case("list_lebenslagen", S, PUBLIC),
        case("list_ozg_leistungen", S, PUBLIC),
        case("get_ozg_leistung", S, PUBLIC),
        case("get_leika_leistung", S, PUBLIC),
        case("get_ozg_leistung_history", S, PUBLIC),
        // --- keeping the catalogue current (operators; dry runs and changes that change nothing) ---
        Case { query: "dry_run=true", ..create("import_catalogue", S, |_| json!({"source": "Sicherheitstest", "files": {"ozg_leistungen.csv": "ozg_id,name,lebenslage_id,themenfeld_id\n10092,Wohngeld,21,1\n"}}), OPERATOR_ONLY) },
        Case { query: "dry_run=true", ..create("import_availability", S, |_| json!({"source": "Sicherheitstest", "csv": "leika_key,ars,online_status,aktiv\n99107023000000,053150000000,ok,true\n"}), OPERATOR_ONLY) },
        case("list_catalogue_versions", S, OPERATOR_ONLY),
        case("get_catalogue_version", S, "401 | 403 403 | 403 403 | 403 403 | 403 403 | 404 404"),
        create("create_ozg_leistung", S, new_ozg, OPERATOR_ONLY),
        create("update_ozg_leistung", S, |_| json!({"name": format!("Wohngeld (Sicherheitstest {})", next())}), OPERATOR_ONLY),
        create("put_leika_leistung", S, |_| json!({"ozg_id": 10092, "name": format!("Wohngeld (Sicherheitstest {})", next())}), OPERATOR_ONLY),
        create("update_themenfeld", S, |_| json!({"lead_land_code": "05", "lead_bundesressort": format!("Ressort {}", next())}), OPERATOR_ONLY),
        case("list_laender", S, PUBLIC),
        case("list_kreise", S, PUBLIC),
        case("list_gemeinden", S, PUBLIC),
        case("get_gemeinde", S, PUBLIC),
        case("list_organisations", S, PUBLIC),
        case("get_organisation", S, PUBLIC),
        case("healthz", S, PUBLIC),
        case("readyz", S, PUBLIC),
        case("metrics", S, PUBLIC),
        case("list_online_services", S, PUBLIC),
        case("get_online_service", Target::Listing(L::Published), PUBLIC),
        case("get_online_service", Target::Listing(L::Draft), DRAFT_READ),
        case("list_online_service_versions", Target::Listing(L::Published), PUBLIC),
        case("list_online_service_versions", Target::Listing(L::Draft), DRAFT_READ),
        Case { query: "ags=05315000", ..case("get_cost_estimate", Target::Listing(L::Published), PUBLIC) },
        case("list_framework_agreements", S, PUBLIC),
        case("list_audit_events", S, SIGNED_IN),
        case("list_events", S, SIGNED_IN),
        // --- webhooks ---
        create("create_webhook", S, |_| json!({"url": "https://9.9.9.10/efa"}), SIGNED_IN),
        case("list_webhooks", S, SIGNED_IN),
        case("get_webhook", Target::Webhook, KOELN_ONLY),
        case("list_webhook_deliveries", Target::Webhook, KOELN_ONLY),
        write("enable_webhook", Target::Webhook, None, KOELN_ONLY),
        write("delete_webhook", Target::Webhook, None, KOELN_ONLY),
        // --- coverage: public figures ---
        case("get_gemeinde_coverage", S, PUBLIC),
        case("get_next_for_gemeinde", S, PUBLIC),
        case("get_kreis_coverage", S, PUBLIC),
        case("get_land_coverage", S, PUBLIC),
        case("get_ozg_coverage", S, PUBLIC),
        case("get_adoption", S, PUBLIC),
        case("get_dashboard_records", S, PUBLIC),
        // --- publishing ---
        create("create_online_service", S, |_| crate::fixtures::listing_body("Sicherheitstest Neuanlage"), PUBLISHER_ONLY),
        case("get_listing", Target::Listing(L::Draft), DRAFT_READ_SIGNED_IN),
        write("update_online_service", Target::Listing(L::Draft), Some(|_| json!({"description": "Geändert im Sicherheitstest."})), LISTING_EDIT),
        write("submit_online_service", Target::Listing(L::Draft), None, LISTING_EDIT),
        write("approve_online_service", Target::Listing(L::InReview), None, LISTING_REVIEW),
        write("reject_online_service", Target::Listing(L::InReview), Some(reason), LISTING_REVIEW),
        write("retire_online_service", Target::Listing(L::Published), None, LISTING_RETIRE),
        case("list_listings", S, SIGNED_IN),
        case("list_possible_duplicates", Target::Listing(L::Draft), "401 | 404 404 | 403 404 | 403 404 | 404 404 | 2xx 2xx"),
        // --- reuse requests ---
        create(
            "create_reuse_request",
            S,
            |f| json!({"online_service_id": f.published, "municipalities": [kommune(KOELN)], "note": "Sicherheitstest"}),
            REQUEST_FILE,
        ),
        case("list_reuse_requests", S, SIGNED_IN),
        case("get_reuse_request", Target::Request(R::Submitted), REQUEST_READ),
        case("get_reuse_request", Target::Request(R::Draft), DRAFT_REQUEST_READ),
        write("submit_reuse_request", Target::Request(R::Draft), None, REQUESTER_SUBMIT),
        write("withdraw_reuse_request", Target::Request(R::Submitted), None, REQUESTER_WITHDRAW),
        write("approve_reuse_request", Target::Request(R::Submitted), None, LAND_DECIDES),
        write("reject_reuse_request", Target::Request(R::Submitted), Some(reason), LAND_DECIDES),
        write("accept_reuse_request", Target::Request(R::LandApproved), Some(empty), PROVIDER_DECIDES),
        write("decline_reuse_request", Target::Request(R::LandApproved), Some(reason), PROVIDER_DECIDES),
        case("list_request_messages", Target::Request(R::Submitted), REQUEST_READ),
        case("list_request_messages", Target::Request(R::Draft), DRAFT_REQUEST_READ),
        create("create_request_message", Target::Request(R::Submitted), |_| json!({"body": "Frage aus dem Sicherheitstest."}), REQUEST_READ),
        // --- agreements ---
        case("list_agreements", S, SIGNED_IN),
        case("get_agreement", Target::Agreement(A::Pending), AGREEMENT_READ),
        write("sign_agreement", Target::Agreement(A::Pending), None, EITHER_SIDE),
        write("terminate_agreement", Target::Agreement(A::Active), None, EITHER_SIDE),
        Case { step: "fit_connect_destination", ..write("complete_onboarding_step", Target::Agreement(A::Active), None, CUSTOMER_SIDE) },
        Case { step: "test_case_passed", ..write("complete_onboarding_step", Target::Agreement(A::Active), None, PROVIDER_SIDE) },
        // --- framework agreements ---
        create(
            "create_framework_agreement",
            S,
            |f| json!({"online_service_id": f.published, "land": "05", "terms_text": "Rahmenvertrag aus dem Sicherheitstest.", "terms_version": "1.0"}),
            PUBLISHER_ONLY,
        ),
        write("approve_framework_agreement", Target::Framework(F::Offered), None, COORDINATOR_OF_LAND),
        write("create_accession", Target::Framework(F::Approved), Some(|_| json!({"municipality": kommune(KOELN)})), ACCEDE),
    ]
}

/// The expectation string as one status class per column (`2xx` or the exact status).
pub fn parse(expect: &str) -> Vec<&str> {
    let classes: Vec<&str> = expect.split_whitespace().filter(|t| *t != "|").collect();
    assert_eq!(classes.len(), crate::world::COLUMNS.len(), "expectation {expect:?} needs one class per column");
    for c in &classes {
        assert!(["2xx", "401", "403", "404"].contains(c), "unknown status class {c:?} in {expect:?}");
    }
    classes
}
