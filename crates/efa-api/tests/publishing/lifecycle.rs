//! The whole listing lifecycle, with the public view at each step:
//! create → draft hidden → PATCH with If-Match → submit → duplicates → approve → public,
//! version 1 → edit the published listing (public keeps v1) → approve v2 → retire.

use crate::helpers::{assert_problem, items, Resp};
use crate::world_test;
use crate::support::*;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use serde_json::{json, Value};

/// A published NRW service from the seed that implements an OZG-Leistung: (id, OZG-ID).
async fn seeded_nrw_service<S, B>(app: &S) -> (String, i64)
where
    S: Service<crate::helpers::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = ok_as(app, &format!("/api/v1/online-services?provider={}&per_page=100", nrw()), None).await;
    let s = items(&body).iter().find(|s| s["ozg_leistungen"].as_array().is_some_and(|o| !o.is_empty())).expect("a seeded NRW service with an OZG-Leistung");
    (s["id"].as_str().unwrap().to_owned(), s["ozg_leistungen"][0]["ozg_id"].as_i64().unwrap())
}

/// Ids of the catalogue search for `q` as `token` sees it.
async fn search_ids<S, B>(app: &S, q: &str, token: Option<&str>) -> Vec<String>
where
    S: Service<crate::helpers::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let body = ok_as(app, &format!("/api/v1/online-services?q={q}&per_page=100"), token).await;
    items(&body).iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

fn assert_listing(r: &Resp, status: u16, state: &str, revision: i64, published: Value) -> Value {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(r.content_type(), "application/json");
    assert_eq!(r.header("etag"), Some(etag(revision).as_str()), "ETag");
    let b = r.json();
    assert_eq!(b["listing_state"], state, "{b}");
    assert_eq!(b["revision"], revision, "{b}");
    assert_eq!(b["published_version"], published, "{b}");
    b
}

world_test!(full_lifecycle_with_the_public_view_at_each_step, |w, app| {
    let provider = w.nrw_publisher();
    let operator = w.operator();
    let (seeded_id, ozg_id) = seeded_nrw_service(app).await;
    let before = w.counts();

    // 1. Create: 201, Location, ETag "r1", a draft.
    let body = listing(&nrw(), "Zyklustest Wohngeldantrag digital", ozg_id);
    let r = create(app, Some(&provider), &body).await;
    let created = assert_listing(&r, 201, "draft", 1, Value::Null);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(r.header("location"), Some(format!("/api/v1/online-services/{id}").as_str()));
    assert_eq!(created["content"]["name"], "Zyklustest Wohngeldantrag digital");
    assert_eq!(created["content"]["availability"]["laender"], json!(["05", "09"]), "Länder are stored sorted");
    assert_eq!(created["content"]["conformance"][1], json!({"criterion": "MA-02", "level": "partly", "evidence_url": "https://service.example.nrw.de/nachweis/ma-02"}));
    assert!(created["review_note"].is_null());
    assert_eq!(w.row_state(&id), ("draft".to_owned(), 1, None, None));
    assert_eq!(w.counts().services, before.services + 1);

    // 2. The draft is hidden from the public, visible to its provider.
    let public_uri = format!("/api/v1/online-services/{id}");
    assert_problem(&get_as(app, &public_uri, None).await, 404);
    assert!(!search_ids(app, "Zyklustest", None).await.contains(&id), "a draft in the public list");
    assert!(search_ids(app, "Zyklustest", Some(&provider)).await.contains(&id), "the provider lists its draft");
    let own = ok_as(app, &public_uri, Some(&provider)).await;
    assert_eq!((own["listing_state"].as_str(), own["published_version"].is_null()), (Some("draft"), true), "{own}");
    assert_eq!(own["name"], "Zyklustest Wohngeldantrag digital");
    // Another organisation sees neither.
    assert_problem(&get_as(app, &public_uri, Some(&w.by_publisher())).await, 404);
    assert!(!search_ids(app, "Zyklustest", Some(&w.by_publisher())).await.contains(&id));
    let r = get_as(app, &format!("{public_uri}/listing"), Some(&provider)).await;
    assert_listing(&r, 200, "draft", 1, Value::Null);
    assert_unauthorized(&get_as(app, &format!("{public_uri}/listing"), None).await);
    assert_eq!(ok_as(app, &format!("{public_uri}/versions"), Some(&provider)).await["total"], 0);

    // 3. PATCH: 428 without If-Match, 412 when stale, 200 with the current ETag.
    let change = json!({"name": "Zyklustest Wohngeldantrag online", "price": {"annual_fee_cents": 99000}});
    let p = assert_problem(&patch(app, &id, Some(&provider), None, &change).await, 428);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/precondition-required");
    for stale in [etag(0), etag(2), "\"anything\"".to_owned()] {
        let p = assert_problem(&patch(app, &id, Some(&provider), Some(&stale), &change).await, 412);
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/precondition-failed", "{stale}");
    }
    assert_eq!(w.row_state(&id).1, 1, "failed PATCHes changed nothing");
    let r = patch(app, &id, Some(&provider), Some(&etag(1)), &change).await;
    let patched = assert_listing(&r, 200, "draft", 2, Value::Null);
    assert_eq!(patched["content"]["name"], "Zyklustest Wohngeldantrag online");
    assert_eq!(patched["content"]["price"]["annual_fee_cents"], 99000, "merge patch changed the nested field");
    assert_eq!(patched["content"]["price"]["one_off_anbindung_fee_cents"], 250000, "merge patch kept its siblings");
    // The old ETag is stale now.
    assert_problem(&patch(app, &id, Some(&provider), Some(&etag(1)), &change).await, 412);

    // 4. Submit; the operator sees possible duplicates.
    let r = act(app, &id, "submit", Some(&provider)).await;
    assert_listing(&r, 200, "in_review", 3, Value::Null);
    assert_problem(&get_as(app, &public_uri, None).await, 404);
    let dup = ok_as(app, &format!("{public_uri}/possible-duplicates"), Some(&operator)).await;
    let same = items(&dup).iter().find(|d| d["service"]["id"] == seeded_id.as_str()).unwrap_or_else(|| panic!("seeded NRW service with OZG {ozg_id} not among {dup}"));
    assert!(same["reasons"].as_array().unwrap().contains(&json!("same_provider_same_ozg_leistung")), "{same}");
    assert!(items(&dup).iter().all(|d| d["service"]["id"] != id.as_str()), "a listing is no duplicate of itself");
    assert_eq!(dup["total"].as_u64().unwrap() as usize, items(&dup).len());

    // 5. Approve: public, version 1, with its conformance, terms and contact.
    let r = act(app, &id, "approve", Some(&operator)).await;
    assert_listing(&r, 200, "published", 4, json!(1));
    let public = ok_as(app, &public_uri, None).await;
    assert_eq!(public["name"], "Zyklustest Wohngeldantrag online");
    assert_eq!(public["listing_state"], "published");
    assert_eq!(public["published_version"], 1);
    assert_eq!(public["provider"]["id"], nrw().as_str());
    assert_eq!(public["source"], "marketplace");
    assert_eq!(public["conformance"].as_array().unwrap().len(), 3);
    assert_eq!(public["conformance"][0], json!({"criterion": "MA-01", "level": "fulfilled", "evidence_url": "https://service.example.nrw.de/nachweis/ma-01"}));
    assert_eq!(public["terms"], json!({"text": "Nutzungsbedingungen für die Nachnutzung des Online-Dienstes.", "version": "2.1"}));
    assert_eq!(public["contact"]["email"], "efa@example.nrw.de");
    assert_eq!(public["availability"], json!({"nationwide": false, "laender": ["05", "09"]}));
    assert_eq!(public["anbindung_details"]["xoev_standard"], "XWohngeld");
    assert_eq!(public["prices"]["annual_fee_cents"], 99000);
    assert_eq!(public["prices"]["pro_rata_first_year"], true);
    assert_eq!(public["prices"]["koenigsteiner_total_cents"], 50000000);
    assert_eq!(public["price_model"], "annual");
    assert_eq!(public["ozg_leistungen"][0]["ozg_id"], ozg_id);
    assert!(search_ids(app, "Zyklustest", None).await.contains(&id), "published listing in the public list");
    let versions = ok_as(app, &format!("{public_uri}/versions"), None).await;
    assert_eq!(versions["total"], 1);
    assert_eq!(versions["items"][0]["version"], 1);
    assert_eq!(versions["items"][0]["approved_by"], OPERATOR);
    assert_eq!(versions["items"][0]["content"]["name"], "Zyklustest Wohngeldantrag online");
    assert_eq!(w.row_state(&id), ("published".to_owned(), 4, Some(1), None));

    // 6. Editing the published listing starts a draft; the public keeps version 1.
    let r = patch(app, &id, Some(&provider), Some(&etag(4)), &json!({"name": "Zyklustest Wohngeldantrag Version zwei"})).await;
    assert_listing(&r, 200, "draft", 5, json!(1));
    let public = ok_as(app, &public_uri, None).await;
    assert_eq!((public["name"].as_str(), public["published_version"].as_i64()), (Some("Zyklustest Wohngeldantrag online"), Some(1)));
    assert_eq!(public["listing_state"], "published");
    let draft = working_copy(app, &id, &provider).await;
    assert_eq!(draft["content"]["name"], "Zyklustest Wohngeldantrag Version zwei");
    assert_eq!(draft["listing_state"], "draft");
    let own = ok_as(app, &public_uri, Some(&provider)).await;
    assert_eq!(own["name"], "Zyklustest Wohngeldantrag Version zwei", "the provider sees its own working copy");
    assert_eq!(ok_as(app, &format!("{public_uri}/versions"), None).await["total"], 1);

    // 7. Submit and approve: version 2 is public, both versions are kept (newest first).
    act_ok(app, &id, "submit", &provider).await;
    assert_eq!(ok_as(app, &public_uri, None).await["published_version"], 1, "in review: the public still sees v1");
    let r = act(app, &id, "approve", Some(&operator)).await;
    assert_listing(&r, 200, "published", 7, json!(2));
    let public = ok_as(app, &public_uri, None).await;
    assert_eq!((public["name"].as_str(), public["published_version"].as_i64()), (Some("Zyklustest Wohngeldantrag Version zwei"), Some(2)));
    let versions = ok_as(app, &format!("{public_uri}/versions"), None).await;
    assert_eq!(versions["total"], 2);
    assert_eq!(versions["items"][0]["version"], 2);
    assert_eq!(versions["items"][0]["content"]["name"], "Zyklustest Wohngeldantrag Version zwei");
    assert_eq!(versions["items"][1]["version"], 1);
    assert_eq!(versions["items"][1]["content"]["name"], "Zyklustest Wohngeldantrag online");
    assert_eq!(w.counts().versions, before.versions + 2);

    // 8. Retire: gone from the public view and list; the provider keeps its record.
    let r = act(app, &id, "retire", Some(&provider)).await;
    assert_listing(&r, 200, "retired", 8, json!(2));
    assert_problem(&get_as(app, &public_uri, None).await, 404);
    assert_problem(&get_as(app, &public_uri, Some(&provider)).await, 404);
    assert!(!search_ids(app, "Zyklustest", None).await.contains(&id));
    assert!(!search_ids(app, "Zyklustest", Some(&provider)).await.contains(&id));
    assert_eq!(working_copy(app, &id, &provider).await["listing_state"], "retired");
    // Retired is final.
    assert_problem(&act(app, &id, "submit", Some(&provider)).await, 409);
    assert_problem(&patch(app, &id, Some(&provider), Some(&etag(8)), &json!({"name": "Wieder da"})).await, 409);
    assert_eq!(w.row_state(&id), ("retired".to_owned(), 8, Some(2), None));

    // Every successful write left one event; the failed ones (428, 412, 409) none.
    let actions: Vec<String> = w.events_of(&id).into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["listing.create", "listing.update", "listing.submit", "listing.approve", "listing.update", "listing.submit", "listing.approve", "listing.retire"]
    );
    let after = w.counts();
    assert_eq!((after.services, after.events), (before.services + 1, before.events + 8));
});

world_test!(operators_may_retire_and_drafts_can_be_retired_before_publication, |w, app| {
    let provider = w.nrw_publisher();
    let id = created(app, &provider, &listing(&nrw(), "Rückzugstest Hundesteuer", 10092)).await;
    publish(app, w, &id).await;
    assert_eq!(ok_as(app, &format!("/api/v1/online-services/{id}"), None).await["published_version"], 1);
    act_ok(app, &id, "retire", &w.operator()).await;
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}"), None).await, 404);

    let draft = created(app, &provider, &listing(&nrw(), "Rückzugstest Entwurf", 10092)).await;
    let r = act(app, &draft, "retire", Some(&provider)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(w.row_state(&draft).0, "retired");
    // Approving something not in review is a state conflict, not a silent no-op.
    let p = assert_problem(&act(app, &draft, "approve", Some(&w.operator())).await, 409);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/conflict");
});

world_test!(state_changes_honour_an_optional_if_match, |w, app| {
    let provider = w.nrw_publisher();
    let id = created(app, &provider, &listing(&nrw(), "Bedingungstest Meldebescheinigung", 10092)).await;
    let before = w.counts();
    let stale = crate::helpers::send(
        app,
        bearer(actix_web::test::TestRequest::post().uri(&format!("/api/v1/online-services/{id}/submit")).insert_header(("if-match", etag(7))), Some(&provider)),
    )
    .await;
    assert_problem(&stale, 412);
    assert_eq!(w.counts(), before);
    let ok = crate::helpers::send(
        app,
        bearer(actix_web::test::TestRequest::post().uri(&format!("/api/v1/online-services/{id}/submit")).insert_header(("if-match", etag(1))), Some(&provider)),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.text());
    assert_eq!(ok.header("etag"), Some(etag(2).as_str()));
});
