//! Framework agreements (Rahmenvertrag): the provider offers one in a Land, only that Land's
//! coordinator approves it, once; then a Gemeinde of that Land accedes and has an active
//! agreement at once, recording the framework and its version. Other Länder cannot accede,
//! nor can anyone accede to a framework not yet approved.

use crate::helpers::{items, strs};
use crate::world_test;
use crate::support::*;
use serde_json::{json, Value};

pub const FRAMEWORK_TERMS: &str = "Rahmenvertrag OZG-Shop Schleswig-Holstein: Beitritt durch Beitrittserklärung.";

/// The NRW publisher offers a framework for `service` in Land `land`; its id.
pub async fn offer<A: TestApp>(app: &A, w: &World, service: &str, land: &str) -> String {
    let body = json!({"online_service_id": service, "land": land, "terms_text": FRAMEWORK_TERMS, "terms_version": "RV-2026.1"});
    let v = expect(&post(app, "/api/v1/framework-agreements", Some(&w.provider()), Some(&body)).await, 201);
    assert_eq!((v["state"].as_str(), v["version"].as_i64(), v["land"].as_str()), (Some("offered"), Some(1), Some(land)));
    v["id"].as_str().unwrap().to_owned()
}

pub fn accede_uri(framework: &str) -> String {
    format!("/api/v1/framework-agreements/{framework}/accessions")
}

world_test!(a_gemeinde_accedes_to_an_approved_framework_of_its_land, |w, app| {
    let service = published_service(app, w).await;
    let kiel = w.kommune(KIEL);

    // Only a publisher of the listing's provider offers a framework for it.
    let body = json!({"online_service_id": service, "land": "01", "terms_text": FRAMEWORK_TERMS, "terms_version": "RV-2026.1"});
    expect(&post(app, "/api/v1/framework-agreements", Some(&kiel), Some(&body)).await, 403);
    expect(&post(app, "/api/v1/framework-agreements", Some(&w.provider()), Some(&json!({"online_service_id": service, "land": "17", "terms_text": "x", "terms_version": "1"}))).await, 422);
    let id = offer(app, w, &service, "01").await;

    // Not approved yet: no accession.
    let p = expect(&post(app, &accede_uri(&id), Some(&kiel), None).await, 409);
    assert!(p["detail"].as_str().unwrap().contains("offered"), "{p}");
    assert_eq!(w.count_agreements(), 0);

    // NRW's coordinator is not Schleswig-Holstein's; nor is the provider a coordinator.
    expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.coordinator("05")), None).await, 403);
    expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.provider()), None).await, 403);
    let approved = expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.coordinator("01")), None).await, 200);
    assert_eq!(approved["state"], "approved");
    assert!(approved["approved_at"].is_string());
    // Once.
    expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.coordinator("01")), None).await, 409);
    assert_eq!(w.actions_of(&id), ["framework.offer", "framework.approve"]);
    let listed = expect(&get_as(app, "/api/v1/framework-agreements?land=01", None).await, 200);
    assert_eq!(strs(&listed, "id"), [id.as_str()]);
    assert_eq!(items(&expect(&get_as(app, "/api/v1/framework-agreements?land=05", None).await, 200)).len(), 0);

    // Kiel accedes: an active agreement at once, under the framework's terms.
    let r = post(app, &accede_uri(&id), Some(&kiel), Some(&json!({"start_date": "2027-01-01"}))).await;
    let a = expect(&r, 201);
    let n = number(1);
    assert_eq!(r.header("location"), Some(format!("/api/v1/agreements/{n}").as_str()));
    assert_eq!((a["number"].as_str(), a["state"].as_str()), (Some(n.as_str()), Some("active")));
    assert_eq!((a["framework_agreement_id"].as_str(), a["framework_version"].as_i64()), (Some(id.as_str()), Some(1)));
    assert_eq!((a["terms_text"].as_str(), a["terms_version"].as_str()), (Some(FRAMEWORK_TERMS), Some("RV-2026.1")));
    assert_eq!((a["customer_org_id"].as_str(), a["signatory_org_id"].as_str(), a["provider_org_id"].as_str()), (Some(org(KIEL).as_str()), Some(org(KIEL).as_str()), Some(nrw().as_str())));
    assert!(a["request_id"].is_null());
    assert!(a["customer_signed_at"].is_string() && a["provider_signed_at"].is_string());
    assert_eq!((a["one_off_fee_cents"].as_i64(), a["first_year_fee_cents"].as_i64(), a["annual_fee_cents"].as_i64()), (Some(50_000), Some(120_000), Some(120_000)));
    let kinds: Vec<&str> = a["folder"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["agreement", "accession"]);
    let row = w.agreement_row(&n);
    assert_eq!((row.state.as_str(), row.framework_agreement_id.as_deref(), row.framework_version), ("active", Some(id.as_str()), Some(1)));
    assert_eq!(w.actions_of(&n), ["framework.accede"]);
    assert_eq!(w.count_requests(), 0, "no per-request approval");
    assert_eq!(strs(&ok(app, "/api/v1/agreements", &kiel).await, "number"), [n.as_str()]);
    ok(app, &format!("/api/v1/agreements/{n}"), &w.coordinator("01")).await;
    // (NRW's coordinator sits in the provider organisation here; Bayern's is a stranger.)
    expect(&get_as(app, &format!("/api/v1/agreements/{n}"), Some(&w.coordinator("09"))).await, 404);

    // Active at once: onboarding can start, and a second signature is refused.
    expect(&agreement_step(app, &n, "sign", &kiel, None).await, 409);
    expect(&agreement_step(app, &n, "onboarding/fit_connect_destination", &kiel, None).await, 200);

    // Köln lies in NRW: not its framework. Kiel cannot accede for Köln either.
    expect(&post(app, &accede_uri(&id), Some(&w.kommune(KOELN)), None).await, 403);
    expect(&post(app, &accede_uri(&id), Some(&kiel), Some(&json!({"municipality": org(KOELN)}))).await, 403);
    // A coordinator or provider is no Gemeinde.
    expect(&post(app, &accede_uri(&id), Some(&w.coordinator("01")), None).await, 422);
    // Unknown frameworks.
    expect(&post(app, &accede_uri(&uuid::Uuid::new_v4().to_string()), Some(&kiel), None).await, 404);
    expect(&post(app, &accede_uri("not-a-uuid"), Some(&kiel), None).await, 400);
    assert_eq!(w.count_agreements(), 1);
});

world_test!(a_framework_names_the_land_it_is_offered_in, |w, app| {
    let service = published_service(app, w).await;
    let id = offer(app, w, &service, "05").await;
    // The framework is for NRW: Schleswig-Holstein's coordinator cannot approve it, Kiel cannot accede.
    expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.coordinator("01")), None).await, 403);
    expect(&post(app, &format!("/api/v1/framework-agreements/{id}/approve"), Some(&w.coordinator("05")), None).await, 200);
    expect(&post(app, &accede_uri(&id), Some(&w.kommune(KIEL)), None).await, 403);
    // The bundler accedes for a member, and signs for it.
    let a: Value = expect(&post(app, &accede_uri(&id), Some(&w.bundler()), Some(&json!({"municipality": org(BONN)}))).await, 201);
    assert_eq!((a["customer_org_id"].as_str(), a["signatory_org_id"].as_str()), (Some(org(BONN).as_str()), Some(bundler_org().as_str())));
    expect(&post(app, &accede_uri(&id), Some(&w.bundler()), Some(&json!({"municipality": org("05334002")}))).await, 403);
    assert_eq!(w.count_agreements(), 1);
});
