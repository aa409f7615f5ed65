//! How services become live in the fixtures: published listings, agreements made live
//! through the API (reuse request or framework accession, then onboarding), and agreements
//! written straight to the database (a Kreis's: no endpoint makes one, see `direct_agreement`).

use crate::helpers;
use crate::support::*;
use actix_web::test::TestRequest;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use efa_store::reuse::AgreementRow;
use serde_json::{json, Value};

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
/// Needed for agreements signed and live on given dates in the past (adoption per month,
/// hand-worked fixtures); `through.rs` makes a Kreis agreement through the API.
pub async fn direct_agreement(w: &World, l: &Listing, customer: &str, signatory: &str, d: Dates) -> String {
    let mut conn = w.db.conn();
    let year = efa_domain::calendar::today().year();
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
