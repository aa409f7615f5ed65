//! Integrity under races and at the edges (issue 12): one open agreement per Gemeinde and
//! service whatever the interleaving, amounts capped and summed without overflow, the whole
//! history in the contract folder, no database message in an answer.

use crate::framework::{accede_uri, offer};
use crate::helpers::{send, Resp};
use crate::support::*;
use crate::world_test;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::{json, Value};

/// The largest amount of money a listing may state, in cents (100 million euros).
const MAX_CENTS: i64 = 10_000_000_000;

fn texts(rs: &[Resp]) -> Vec<String> {
    rs.iter().map(|r| format!("{} {}", r.status.as_u16(), r.text())).collect()
}

/// A 409 tells the caller what is in the way in words, never the database's own message.
fn assert_clean_conflict(r: &Resp) {
    let p = expect(r, 409);
    let detail = p["detail"].as_str().unwrap_or_default().to_lowercase();
    for leak in ["duplicate key", "unique constraint", "constraint", "agreements_", "idempotency_keys", "violates"] {
        assert!(!detail.contains(leak), "the answer leaks the database message ({leak}): {p}");
    }
}

world_test!(racing_accessions_of_one_gemeinde_make_one_agreement, |w, app| {
    let service = published_service(app, w).await;
    let framework = offer(app, w, &service, "01").await;
    expect(&post(app, &format!("/api/v1/framework-agreements/{framework}/approve"), Some(&w.coordinator("01")), None).await, 200);
    let kiel = w.kommune(KIEL);
    let uri = accede_uri(&framework);
    // Twenty tabs of one Gemeinde accede at once, each without an Idempotency-Key.
    let requests: Vec<_> = (0..20).map(|_| send(app, bearer(TestRequest::post().uri(&uri), Some(&kiel)))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 201).count(), 1, "exactly one accession: {:?}", texts(&responses));
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 19, "{:?}", texts(&responses));
    for r in responses.iter().filter(|r| r.status.as_u16() == 409) {
        assert_clean_conflict(r);
        assert!(r.json()["detail"].as_str().unwrap().contains("already has an agreement"), "{}", r.text());
    }
    assert_eq!(w.count_agreements(), 1, "one agreement row");
    assert_eq!(w.agreement_numbers(), [number(1)], "the losers' numbers were given back");
});

world_test!(racing_acceptances_of_two_requests_for_one_gemeinde_make_one_agreement, |w, app| {
    let service = published_service(app, w).await;
    // Köln files twice (two departments); both are approved; the provider accepts both at once.
    let first = approved(app, w, &service).await;
    let second = approved(app, w, &service).await;
    let provider = w.provider();
    let body = json!({"start_date": "2027-01-01"});
    let accept = |id: &str| send(app, bearer(TestRequest::post().uri(&format!("/api/v1/reuse-requests/{id}/accept")).set_json(&body), Some(&provider)));
    let responses = join_all(vec![accept(&first), accept(&second)]).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{:?}", texts(&responses));
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 1, "{:?}", texts(&responses));
    assert_clean_conflict(responses.iter().find(|r| r.status.as_u16() == 409).unwrap());
    assert_eq!(w.count_agreements(), 1);
    // The loser's request is still approved (its transaction rolled back whole).
    let states: Vec<String> = [&first, &second].iter().map(|id| w.request_row(id).state).collect();
    assert!(states.contains(&"land_approved".to_owned()) && states.contains(&"agreement_pending".to_owned()), "{states:?}");
});

world_test!(amounts_are_capped_and_named, |w, app| {
    let provider = w.provider();
    let before = w.count_listings();
    for (field, value) in [("annual_fee_cents", i64::MAX), ("one_off_anbindung_fee_cents", MAX_CENTS + 1), ("per_inhabitant_cents", MAX_CENTS + 1)] {
        let mut price = json!({"model": "annual", "annual_fee_cents": 120000, "pro_rata_first_year": false});
        if field == "per_inhabitant_cents" {
            price = json!({"model": "per_inhabitant", "pro_rata_first_year": false});
        }
        price[field] = json!(value);
        let r = post(app, "/api/v1/online-services", Some(&provider), Some(&listing_body("Zu teuer", price))).await;
        let p = expect(&r, 422);
        let errors = p["errors"].as_array().unwrap_or_else(|| panic!("{p}"));
        let hit = errors.iter().find(|e| e["field"] == format!("price.{field}")).unwrap_or_else(|| panic!("no error at price.{field}: {p}"));
        assert!(hit["message"].as_str().unwrap().contains("10000000000"), "the message names the maximum: {hit}");
    }
    assert_eq!(w.count_listings(), before, "nothing written");
});

world_test!(the_largest_amounts_add_up_without_overflow, |w, app| {
    // Every fee at the maximum, per inhabitant too: Berlin's cost estimate is exact.
    let price = json!({"model": "per_inhabitant", "per_inhabitant_cents": MAX_CENTS, "annual_fee_cents": MAX_CENTS, "one_off_anbindung_fee_cents": MAX_CENTS, "pro_rata_first_year": false});
    let service = publish(app, w, &listing_body("Teuer, aber erlaubt", price)).await;
    let berlin = "11000000";
    let e = expect(&get_as(app, &format!("/api/v1/online-services/{service}/cost-estimate?ags={berlin}&start=2027-01-01"), None).await, 200);
    let people = e["population"].as_i64().expect("population");
    let annual = MAX_CENTS + MAX_CENTS * people;
    assert_eq!(e["following_year"]["annual_fee_cents"].as_i64(), Some(annual), "{e}");
    assert_eq!(e["first_year"]["total_cents"].as_i64(), Some(annual + MAX_CENTS), "{e}");
});

world_test!(the_contract_folder_holds_the_whole_history, |w, app| {
    let service = published_service(app, w).await;
    let id = approved(app, w, &service).await;
    // A long Abstimmung: 1,200 messages' audit events (written straight to the log).
    let t0 = chrono::Utc::now().naive_utc();
    let rows: Vec<efa_store::audit::AuditEventRow> = (0..1200)
        .map(|i| efa_store::audit::AuditEventRow {
            id: uuid::Uuid::new_v4().to_string(),
            occurred_at: t0 + chrono::Duration::milliseconds(i),
            actor: format!("user-{KOELN}"),
            actor_org_id: Some(org(KOELN)),
            action: "reuse_request.message".into(),
            resource_type: "reuse_request".into(),
            resource_id: id.clone(),
            owner_org_id: Some(org(KOELN)),
            before: None,
            after: Some(json!({"body": format!("Nachricht {i}")}).to_string()),
            request_id: None,
        })
        .collect();
    let mut conn = w.conn();
    for chunk in rows.chunks(200) {
        efa_store::per_backend!(&mut conn, |c| diesel::insert_into(efa_store::schema::audit_events::table).values(chunk).execute(c)).expect("insert audit rows");
    }
    let accepted = act_ok(app, &id, "accept", &w.provider(), Some(json!({"start_date": "2027-01-01"}))).await;
    let n = accepted["agreements"][0].as_str().unwrap().to_owned();
    let folder: Vec<Value> = ok(app, &format!("/api/v1/agreements/{n}"), &w.kommune(KOELN)).await["folder"].as_array().unwrap().clone();
    let decisions: Vec<&str> = folder.iter().filter(|d| d["kind"] == "decision").map(|d| d["title"].as_str().unwrap()).collect();
    assert_eq!(
        decisions,
        [
            format!("reuse_request.create by user-{KOELN}"),
            format!("reuse_request.submit by user-{KOELN}"),
            "reuse_request.land_approve by coordinator-05".to_owned(),
            format!("reuse_request.provider_accept by {PROVIDER}"),
        ],
        "the oldest decisions are not cut off"
    );
});
