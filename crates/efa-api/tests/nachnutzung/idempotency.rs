//! Idempotency-Key on creating POSTs: a retry with the same key and body answers the first
//! response and creates nothing; the same key with another body is a 422; keys belong to
//! an organisation.

use crate::framework::{accede_uri, offer};
use crate::helpers::send;
use crate::world_test;
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::json;

const URI: &str = "/api/v1/reuse-requests";

world_test!(a_retried_request_is_answered_from_the_first_and_creates_nothing, |w, app| {
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let body = json!({"online_service_id": service, "note": "Bitte um Nachnutzung."});

    let first = post_keyed(app, URI, &koeln, "order-koeln-1", &body).await;
    let created = expect(&first, 201);
    assert_eq!(first.header("idempotency-replayed"), None);
    assert_eq!(w.count_requests(), 1);
    let events = w.events_of(created["id"].as_str().unwrap()).len();

    // The retry: same status, body and Location, marked as a replay; nothing new.
    let retry = post_keyed(app, URI, &koeln, "order-koeln-1", &body).await;
    assert_eq!(retry.status.as_u16(), 201, "{}", retry.text());
    assert_eq!(retry.header("idempotency-replayed"), Some("true"));
    assert_eq!(retry.json(), created);
    assert_eq!(retry.header("location"), first.header("location"));
    assert!(retry.content_type().starts_with("application/json"));
    assert_eq!(w.count_requests(), 1, "still one request row");
    assert_eq!(w.events_of(created["id"].as_str().unwrap()).len(), events, "no second audit event");
    // The same body with its keys in another order is the same request.
    let reordered: serde_json::Value = serde_json::from_str(&format!(r#"{{"note": "Bitte um Nachnutzung.", "online_service_id": "{service}"}}"#)).unwrap();
    let again = post_keyed(app, URI, &koeln, "order-koeln-1", &reordered).await;
    assert_eq!((again.status.as_u16(), again.header("idempotency-replayed")), (201, Some("true")), "{}", again.text());

    // The same key with another body: 422, nothing created.
    let other = json!({"online_service_id": service, "note": "Eine andere Anfrage."});
    let p = expect(&post_keyed(app, URI, &koeln, "order-koeln-1", &other).await, 422);
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
    assert_eq!(w.count_requests(), 1);

    // Another organisation's key space is its own: Bonn's same key and body is a new request.
    let bonn = post_keyed(app, URI, &w.kommune(BONN), "order-koeln-1", &body).await;
    let bonn_created = expect(&bonn, 201);
    assert_eq!(bonn.header("idempotency-replayed"), None);
    assert_ne!(bonn_created["id"], created["id"]);
    assert_eq!(bonn_created["requester_org_id"], org(BONN));
    assert_eq!(w.count_requests(), 2);

    // Without a key, every POST creates; a malformed key is refused.
    expect(&post(app, URI, Some(&koeln), Some(&body)).await, 201);
    assert_eq!(w.count_requests(), 3);
    let bad = send(app, bearer(TestRequest::post().uri(URI).insert_header(("idempotency-key", "mit leerzeichen")).set_json(&body), Some(&koeln))).await;
    expect(&bad, 400);
    let long = "k".repeat(201);
    expect(&post_keyed(app, URI, &koeln, &long, &body).await, 400);
    assert_eq!(w.count_requests(), 3);

    // A failed first attempt stores nothing: the key stays usable.
    let forbidden = json!({"online_service_id": service, "municipalities": [org(BONN)]});
    expect(&post_keyed(app, URI, &koeln, "order-koeln-2", &forbidden).await, 403);
    expect(&post_keyed(app, URI, &koeln, "order-koeln-2", &body).await, 201);
    assert_eq!(w.count_requests(), 4);
});

world_test!(racing_retries_with_one_key_create_one_request, |w, app| {
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let body = json!({"online_service_id": service});
    let requests: Vec<_> = (0..10)
        .map(|_| send(app, bearer(TestRequest::post().uri(URI).insert_header(("idempotency-key", "race")).set_json(&body), Some(&koeln))))
        .collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    // The retries wait for the first and are answered with its response: no 409 with a
    // database message, no second request.
    assert!(codes.iter().all(|&c| c == 201), "{codes:?}: {:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    let fresh: Vec<_> = responses.iter().filter(|r| r.status.as_u16() == 201 && r.header("idempotency-replayed").is_none()).collect();
    assert_eq!(fresh.len(), 1, "{codes:?}");
    let id = fresh[0].json()["id"].clone();
    for r in responses.iter().filter(|r| r.status.as_u16() == 201) {
        assert_eq!(r.json()["id"], id, "every success names the one request");
    }
    assert_eq!(w.count_requests(), 1);
});

world_test!(a_retried_accession_makes_one_agreement, |w, app| {
    let service = published_service(app, w).await;
    let framework = offer(app, w, &service, "01").await;
    expect(&post(app, &format!("/api/v1/framework-agreements/{framework}/approve"), Some(&w.coordinator("01")), None).await, 200);
    let kiel = w.kommune(KIEL);
    let body = json!({"start_date": "2027-04-01"});
    let first = post_keyed(app, &accede_uri(&framework), &kiel, "beitritt-kiel", &body).await;
    let a = expect(&first, 201);
    let retry = post_keyed(app, &accede_uri(&framework), &kiel, "beitritt-kiel", &body).await;
    assert_eq!((retry.status.as_u16(), retry.header("idempotency-replayed")), (201, Some("true")));
    assert_eq!(retry.json()["number"], a["number"]);
    assert_eq!(w.count_agreements(), 1);
    assert_eq!(w.agreement_numbers(), [number(1)], "the retry took no number");
    // The same key for another framework's accession is another request: 422.
    let other = offer(app, w, &service, "01").await;
    expect(&post_keyed(app, &accede_uri(&other), &kiel, "beitritt-kiel", &body).await, 422);
    // First year from 1 April 2027: 275 of 365 days.
    assert_eq!(a["first_year_fee_cents"].as_i64(), Some(pro_rata(120_000, date(2027, 4, 1))));
    assert_eq!(pro_rata(120_000, date(2027, 4, 1)), 90_411);
});

world_test!(a_retried_listing_is_created_once, |w, app| {
    let provider = w.provider();
    let body = listing_body("Wohngeld digital (Wiederholung)", annual_price());
    let first = post_keyed(app, "/api/v1/online-services", &provider, "listing-1", &body).await;
    let created = expect(&first, 201);
    let listings = w.count_listings();
    let retry = post_keyed(app, "/api/v1/online-services", &provider, "listing-1", &body).await;
    assert_eq!((retry.status.as_u16(), retry.header("idempotency-replayed")), (201, Some("true")), "{}", retry.text());
    assert_eq!(retry.json()["id"], created["id"]);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(w.count_listings(), listings, "no second listing");
    assert_eq!(w.events_of(created["id"].as_str().unwrap()).len(), 1, "one audit event");
    // Another body under the same key: 422 at the key.
    let other = listing_body("Ein anderer Dienst", annual_price());
    let p = expect(&post_keyed(app, "/api/v1/online-services", &provider, "listing-1", &other).await, 422);
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key", "{p}");
    assert_eq!(w.count_listings(), listings);
});

world_test!(keys_are_fingerprinted_with_sha256_and_kept_a_day, |w, app| {
    use diesel::prelude::*;
    use efa_store::schema::idempotency_keys as ik;
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let body = json!({"online_service_id": service, "note": "Erste Anfrage."});
    expect(&post_keyed(app, URI, &koeln, "day-key", &body).await, 201);
    let hash: String = ik::table.filter(ik::idem_key.eq("day-key")).select(ik::request_hash).first(&mut w.conn()).expect("key row");
    assert_eq!(hash.len(), 64, "a SHA-256 in hex: {hash}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");

    // 23 hours later the key still holds: another body is refused.
    let age = |hours: i64| {
        diesel::update(ik::table.filter(ik::idem_key.eq("day-key")))
            .set(ik::created_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(hours)))
            .execute(&mut w.conn())
            .expect("age the key");
    };
    age(23);
    let other = json!({"online_service_id": service, "note": "Zweite Anfrage."});
    expect(&post_keyed(app, URI, &koeln, "day-key", &other).await, 422);
    assert_eq!(w.count_requests(), 1);
    // After 24 hours it is forgotten: the same key makes a new request.
    age(25);
    let again = post_keyed(app, URI, &koeln, "day-key", &other).await;
    let fresh = expect(&again, 201);
    assert_eq!(again.header("idempotency-replayed"), None);
    assert_eq!(fresh["note"], "Zweite Anfrage.");
    assert_eq!(w.count_requests(), 2);
    let rows: i64 = ik::table.filter(ik::idem_key.eq("day-key")).count().get_result(&mut w.conn()).unwrap();
    assert_eq!(rows, 1, "the expired key was replaced");
});
