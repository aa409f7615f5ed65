//! The Nachnutzung journey against the real `efa` binary, over plain HTTP, on SQLite and on
//! PostgreSQL: a provider publishes, a Gemeinde (Köln) finds the service without logging in,
//! asks what it would cost, orders; the coordinator of its Land approves, the provider
//! accepts, both sign, onboarding runs to live; then the coverage of Köln, its Land and the
//! federal dashboard records say so, the adoption report counts it, and the audit log holds
//! every step. A Kreis (Kleve) orders for all its Gemeinden the same way.

#[allow(dead_code)]
#[path = "faults/harness.rs"]
mod harness;

use e2e::{encode, http_get};
use harness::*;
use serde_json::{json, Value};

const WOHNGELD: i64 = 10092;

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items")
}

/// Köln's item for Wohngeld in its coverage.
fn wohngeld_of(cov: &Value) -> &Value {
    items(cov).iter().find(|i| i["ozg_id"] == WOHNGELD).expect("Wohngeld is in scope for a Gemeinde")
}

/// Order → approve → accept → sign → onboard: the live agreement's number.
fn order_to_live(s: &Server, t: &Tokens, customer: &str, service: &str) -> String {
    let r = s.call("POST", "/api/v1/reuse-requests", customer, Some(&json!({"online_service_id": service, "note": "Bitte um Nachnutzung."})), Some("journey-order-1")).expect("order");
    assert_eq!(r.status, 201, "{r:?}");
    let id = r.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(r.header("location"), Some(format!("/api/v1/reuse-requests/{id}").as_str()));
    // The same order sent again with its key is answered from the first, not placed twice.
    let again = s.call("POST", "/api/v1/reuse-requests", customer, Some(&json!({"online_service_id": service, "note": "Bitte um Nachnutzung."})), Some("journey-order-1")).expect("retry");
    assert_eq!((again.status, again.header("idempotency-replayed")), (201, Some("true")));
    assert_eq!(again.json()["id"], id.as_str());

    s.expect("POST", &format!("/api/v1/reuse-requests/{id}/submit"), customer, None, 200);
    // The coordinator finds it in the Land's queue.
    let queue = s.expect("GET", "/api/v1/reuse-requests?state=submitted", &t.coordinator, None, 200);
    assert!(items(&queue).iter().any(|r| r["id"] == id.as_str()), "{queue}");
    s.expect("POST", &format!("/api/v1/reuse-requests/{id}/approve"), &t.coordinator, None, 200);
    let accepted = s.expect("POST", &format!("/api/v1/reuse-requests/{id}/accept"), &t.provider, Some(&json!({})), 200);
    assert_eq!(accepted["state"], "agreement_pending");
    let number = accepted["agreements"][0].as_str().expect("agreement number").to_owned();
    s.expect("POST", &format!("/api/v1/agreements/{number}/sign"), &t.provider, None, 200);
    assert_eq!(s.expect("POST", &format!("/api/v1/agreements/{number}/sign"), customer, None, 200)["state"], "active");
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        s.expect("POST", &format!("/api/v1/agreements/{number}/onboarding/{step}"), customer, None, 200);
    }
    let live = s.expect("POST", &format!("/api/v1/agreements/{number}/onboarding/test_case_passed"), &t.provider, None, 200);
    assert_eq!(live["state"], "live", "{live}");
    assert_eq!(s.expect("GET", &format!("/api/v1/reuse-requests/{id}"), customer, None, 200)["state"], "live");
    number
}

fn journey(postgres: bool) {
    let db = Db::new(postgres);
    db.migrate_and_seed();
    let s = Server::start(&db, None);
    let t = Tokens::mint(&db);
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let service = publish(&s, &t, "Wohngeld Reisedienst");

    // Without logging in: the search finds it, the detail and the estimate for Köln show.
    let found = http_get(s.addr, &format!("/api/v1/online-services?q={}&status=live", encode("wohngeld reisedienst")), &[]).expect("search");
    assert_eq!(found.status, 200);
    assert_eq!(found.json()["items"][0]["id"], service.as_str(), "{found:?}");
    let estimate = http_get(s.addr, &format!("/api/v1/online-services/{service}/cost-estimate?ags=05315000&start=2027-01-01"), &[]).expect("estimate");
    assert_eq!(estimate.status, 200, "{estimate:?}");
    // 500.00 € Anbindung + a full year (starting 1 January, pro rata is the whole year) of 1,200.00 €.
    assert_eq!(estimate.json()["first_year"]["total_cents"], 170_000);
    let before = s.expect("GET", "/api/v1/coverage/gemeinden/05315000", &koeln, None, 200);
    assert_eq!(wohngeld_of(&before)["covered"], false);

    let number = order_to_live(&s, &t, &koeln, &service);

    let after = s.expect("GET", "/api/v1/coverage/gemeinden/05315000", &koeln, None, 200);
    let w = wohngeld_of(&after);
    assert_eq!((w["covered"].as_bool(), w["through"].as_str(), w["agreement"].as_str()), (Some(true), Some("own_agreement"), Some(number.as_str())));
    assert_eq!(after["covered"].as_u64(), before["covered"].as_u64().map(|n| n + 1));
    let o = s.expect("GET", &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}"), &koeln, None, 200);
    assert_eq!((o["gemeinden"].as_u64(), o["laender"].as_u64()), (Some(1), Some(1)));
    // The federal dashboard's records for Köln name the service's URL.
    let mut mine: Vec<Value> = Vec::new();
    for page in 1.. {
        let records = s.expect("GET", &format!("/api/v1/coverage/dashboard/053150000000?includeAbove=false&per_page=100&page={page}"), &koeln, None, 200);
        if items(&records).is_empty() {
            break;
        }
        mine.extend(items(&records).iter().filter(|r| r["ozgid"] == WOHNGELD).cloned());
    }
    assert!(!mine.is_empty(), "Köln has records for Wohngeld");
    for r in &mine {
        assert_eq!((r["url"].as_str(), r["online_status"].as_str(), r["art_flaechendeckung"].as_str()), (Some("https://service.example.nrw.de/antrag"), Some("ok"), Some("kreisweit flächendeckend")), "{r}");
    }
    let adoption = s.expect("GET", "/api/v1/coverage/adoption?land=05", &koeln, None, 200);
    let signed: u64 = items(&adoption).iter().map(|m| m["agreements_signed"].as_u64().unwrap()).sum();
    let went_live: u64 = items(&adoption).iter().map(|m| m["went_live"].as_u64().unwrap()).sum();
    assert_eq!((signed, went_live), (1, 1), "{adoption}");
    // Every step left its audit event.
    let events = s.expect("GET", "/api/v1/audit-events?per_page=100", &t.operator, None, 200);
    let actions: Vec<&str> = items(&events).iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "agreement.onboarding", "agreement.onboarding", "agreement.onboarding", "agreement.onboarding", "agreement.sign", "agreement.sign",
            "reuse_request.provider_accept", "reuse_request.land_approve", "reuse_request.submit", "reuse_request.create",
            "listing.approve", "listing.submit", "listing.create",
        ],
        "newest first; the replayed order added nothing"
    );

    // The Kreis Kleve orders for its 16 Gemeinden: each of them has Wohngeld through it.
    let kleve = db.token("kreis:05154", "municipality_user", None);
    assert_eq!(claim(&kleve, "org"), kreis_org_of(&s, &t, "05154"));
    let kreis_number = order_to_live(&s, &t, &kleve, &service);
    let k = s.expect("GET", "/api/v1/coverage/kreise/05154", &kleve, None, 200);
    assert_eq!(k["gemeinden"], 16);
    let shares: Vec<f64> = k["per_gemeinde"].as_array().unwrap().iter().map(|g| g["covered"].as_f64().unwrap()).collect();
    assert!(shares.iter().all(|&n| n >= 1.0), "every Gemeinde of Kleve has at least Wohngeld: {k}");
    let goch = s.expect("GET", "/api/v1/coverage/gemeinden/05154016", &kleve, None, 200);
    let w = wohngeld_of(&goch);
    assert_eq!((w["through"].as_str(), w["agreement"].as_str()), (Some("kreis"), Some(kreis_number.as_str())));
    let o = s.expect("GET", &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}"), &koeln, None, 200);
    assert_eq!((o["gemeinden"].as_u64(), o["kreise"].as_u64()), (Some(17), Some(2)));
}

/// The organisation id of the Kreis `code` (kind kommune, ARS of the Kreis).
fn kreis_org_of(s: &Server, t: &Tokens, code: &str) -> String {
    let orgs = s.expect("GET", "/api/v1/organisations?kind=kommune&land=05&q=kleve&per_page=100", &t.operator, None, 200);
    let ars = format!("{code}0000000");
    let org = items(&orgs).iter().find(|o| o["ars"] == ars.as_str()).unwrap_or_else(|| panic!("no organisation with ARS {ars}: {orgs}"));
    org["id"].as_str().unwrap().to_owned()
}

#[test]
fn nachnutzung_journey_sqlite() {
    journey(false);
}

#[test]
fn nachnutzung_journey_postgres() {
    journey(true);
}
