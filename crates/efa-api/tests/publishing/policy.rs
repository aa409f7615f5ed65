//! Who may do what, over HTTP: the organisation boundary (404 for what another organisation
//! may not see), roles (403), unknown organisations (403) and missing tokens (401).

use crate::helpers::assert_problem;
use crate::world_test;
use crate::support::*;
use serde_json::json;

world_test!(another_organisation_cannot_see_or_change_a_draft, |w, app| {
    let provider = w.nrw_publisher();
    let id = created(app, &provider, &listing(&nrw(), "Grenztest Gewerbeanmeldung", 10092)).await;
    let other = w.by_publisher();
    let base = format!("/api/v1/online-services/{id}");
    let missing = uuid_like();
    let before = w.counts();

    // Existence is hidden: each answer is the one for an id that does not exist at all.
    let change = json!({"name": "Übernommen"});
    let cases = [
        (patch(app, &id, Some(&other), Some(&etag(1)), &change).await, patch(app, &missing, Some(&other), Some(&etag(1)), &change).await),
        (act(app, &id, "submit", Some(&other)).await, act(app, &missing, "submit", Some(&other)).await),
        (act(app, &id, "retire", Some(&other)).await, act(app, &missing, "retire", Some(&other)).await),
        (act(app, &id, "approve", Some(&other)).await, act(app, &missing, "approve", Some(&other)).await),
        (get_as(app, &format!("{base}/listing"), Some(&other)).await, get_as(app, &format!("/api/v1/online-services/{missing}/listing"), Some(&other)).await),
        (get_as(app, &format!("{base}/versions"), Some(&other)).await, get_as(app, &format!("/api/v1/online-services/{missing}/versions"), Some(&other)).await),
        (get_as(app, &format!("{base}/versions"), None).await, get_as(app, &format!("/api/v1/online-services/{missing}/versions"), None).await),
        (get_as(app, &format!("{base}/possible-duplicates"), Some(&other)).await, get_as(app, &format!("/api/v1/online-services/{missing}/possible-duplicates"), Some(&other)).await),
        (get_as(app, &base, Some(&other)).await, get_as(app, &format!("/api/v1/online-services/{missing}"), Some(&other)).await),
    ];
    for (i, (foreign, absent)) in cases.iter().enumerate() {
        let p = assert_problem(foreign, 404);
        let q = assert_problem(absent, 404);
        // Apart from the id in the text, the two answers must not differ.
        let strip = |v: &serde_json::Value, id: &str| v["detail"].as_str().unwrap().replace(id, "<id>");
        assert_eq!(strip(&p, &id), strip(&q, &missing), "case {i}: a foreign draft must look like a missing one");
        assert_eq!(p["type"], q["type"], "case {i}");
    }
    // A municipality of another Land does not see it either.
    assert_problem(&get_as(app, &format!("{base}/listing"), Some(&w.koeln_user())).await, 404);
    assert_eq!(w.counts(), before, "nothing written");
    assert_eq!(w.row_state(&id), ("draft".to_owned(), 1, None, None));
});

world_test!(roles_decide_who_may_create_edit_and_review, |w, app| {
    let provider = w.nrw_publisher();
    let operator = w.operator();
    let before = w.counts();

    // A municipality user cannot create a listing, even for its own organisation.
    let r = create(app, Some(&w.koeln_user()), &listing(&koeln(), "Rollentest Kommune", 10092)).await;
    let p = assert_problem(&r, 403);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/forbidden");
    // A publisher cannot create for another organisation; an operator cannot create at all.
    assert_problem(&create(app, Some(&provider), &listing(&bayern(), "Rollentest Fremd", 10092)).await, 403);
    assert_problem(&create(app, Some(&operator), &listing(&fitko(), "Rollentest Betreiber", 10092)).await, 403);
    // A land coordinator of NRW is not a publisher of the NRW government.
    let mut coordinator = w.claims("nrw-coordinator", &nrw(), &[Role::LandCoordinator]);
    coordinator.land = Some("05".into());
    assert_problem(&create(app, Some(&w.mint(&coordinator)), &listing(&nrw(), "Rollentest Koordination", 10092)).await, 403);
    assert_eq!(w.counts(), before, "no forbidden create wrote anything");

    let id = created(app, &provider, &listing(&nrw(), "Rollentest Gewerbeabmeldung", 10092)).await;
    // The same organisation without the publisher role: may see, may not edit (403).
    let colleague = w.token("nrw-reader", &nrw(), &[Role::MunicipalityUser]);
    assert_eq!(working_copy(app, &id, &colleague).await["id"], id.as_str());
    assert_problem(&patch(app, &id, Some(&colleague), Some(&etag(1)), &json!({"name": "x"})).await, 403);
    assert_problem(&act(app, &id, "submit", Some(&colleague)).await, 403);
    // The operator may read a draft but not edit or submit it.
    assert_eq!(working_copy(app, &id, &operator).await["listing_state"], "draft");
    assert_problem(&patch(app, &id, Some(&operator), Some(&etag(1)), &json!({"name": "x"})).await, 403);
    assert_problem(&act(app, &id, "submit", Some(&operator)).await, 403);

    act_ok(app, &id, "submit", &provider).await;
    let before = w.counts();
    // The provider cannot approve its own listing; duplicates are for operators.
    assert_problem(&act(app, &id, "approve", Some(&provider)).await, 403);
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}/possible-duplicates"), Some(&provider)).await, 403);
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}/possible-duplicates"), Some(&w.koeln_user())).await, 404);
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}/possible-duplicates"), Some(&w.by_publisher())).await, 404);
    assert_problem(&act(app, &id, "approve", Some(&w.by_publisher())).await, 404);
    let bundler = w.token("bundler", &seed_org_kdn(), &[Role::Bundler]);
    assert_problem(&act(app, &id, "approve", Some(&bundler)).await, 404);
    assert_eq!(w.counts(), before);
    assert_eq!(w.row_state(&id).0, "in_review");
    assert!(ok_as(app, &format!("/api/v1/online-services/{id}/possible-duplicates"), Some(&operator)).await["total"].is_u64());

    // Once published, a foreign approve is 403: the listing is public, its existence no secret.
    act_ok(app, &id, "approve", &operator).await;
    assert_problem(&act(app, &id, "approve", Some(&w.by_publisher())).await, 403);
    // A foreign publisher still cannot edit or retire it.
    assert_problem(&patch(app, &id, Some(&w.by_publisher()), Some(&etag(3)), &json!({"name": "x"})).await, 404);
    assert_problem(&act(app, &id, "retire", Some(&w.by_publisher())).await, 404);
    assert_eq!(w.row_state(&id), ("published".to_owned(), 3, Some(1), None));
});

world_test!(an_unknown_organisation_is_403_and_no_token_is_401, |w, app| {
    let before = w.counts();
    let ghost = w.token("ghost", "00000000-0000-4000-8000-000000000000", &[Role::ProviderPublisher]);
    let body = listing("00000000-0000-4000-8000-000000000000", "Geistertest", 10092);
    let p = assert_problem(&create(app, Some(&ghost), &body).await, 403);
    assert!(p["detail"].as_str().unwrap().contains("not registered"), "{p}");
    assert_problem(&get_as(app, "/api/v1/audit-events", Some(&ghost)).await, 403);
    // Even a read with such a token is refused rather than treated as anonymous.
    assert_problem(&get_as(app, "/api/v1/online-services", Some(&ghost)).await, 403);

    let id = created(app, &w.nrw_publisher(), &listing(&nrw(), "Anonymtest Hundeanmeldung", 10092)).await;
    let before_anon = w.counts();
    assert_unauthorized(&create(app, None, &listing(&nrw(), "Anonymtest", 10092)).await);
    assert_unauthorized(&patch(app, &id, None, Some(&etag(1)), &json!({"name": "x"})).await);
    for action in ["submit", "approve", "retire"] {
        assert_unauthorized(&act(app, &id, action, None).await);
    }
    assert_unauthorized(&post_json(app, &format!("/api/v1/online-services/{id}/reject"), None, &json!({"reason": "x"})).await);
    assert_unauthorized(&get_as(app, "/api/v1/audit-events", None).await);
    assert_unauthorized(&get_as(app, &format!("/api/v1/online-services/{id}/possible-duplicates"), None).await);
    assert_eq!(w.counts(), before_anon);
    assert_eq!(w.counts().services, before.services + 1);
    // The anonymous public catalogue needs no token.
    assert_eq!(get_as(app, "/api/v1/online-services", None).await.status.as_u16(), 200);
});

/// A syntactically valid id that names nothing.
fn uuid_like() -> String {
    "7d9f3c1e-2b4a-4c6d-8e0f-1a2b3c4d5e6f".to_owned()
}

/// KDN (a Zweckverband in the seed), used as a bundler's organisation.
fn seed_org_kdn() -> String {
    efa_store::seed::seed_id("org", "KDN – Dachverband kommunaler IT-Dienstleister")
}
