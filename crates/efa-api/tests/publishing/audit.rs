//! The audit log: one event per successful write, none for a failed one; operators read
//! all events, an organisation its own; filters; nothing can change an event.

use crate::helpers::{assert_problem, items, send};
use crate::world_test;
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

fn with_request_id(req: TestRequest, id: &str) -> TestRequest {
    req.insert_header(("x-request-id", id))
}

/// The ids of the events in a list body.
fn event_ids(body: &Value) -> Vec<String> {
    items(body).iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

world_test!(each_write_appends_exactly_one_complete_event, |w, app| {
    let provider = w.nrw_publisher();
    let operator = w.operator();
    let c0 = w.counts();

    // Create, with a request id.
    let req = with_request_id(bearer(TestRequest::post().uri("/api/v1/online-services").set_json(listing(&nrw(), "Prüfpfad Wohnberechtigungsschein", 10092)), Some(&provider)), "req-create-1");
    let r = send(app, req).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    assert_eq!(r.header("x-request-id"), Some("req-create-1"), "the request id is echoed");
    let id = r.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(w.counts().events, c0.events + 1);
    let e = &w.events_of(&id)[0];
    assert_eq!((e.actor.as_str(), e.actor_org_id.as_deref(), e.owner_org_id.as_deref()), (NRW_PUBLISHER, Some(nrw().as_str()), Some(nrw().as_str())));
    assert_eq!((e.action.as_str(), e.resource_type.as_str(), e.resource_id.as_str()), ("listing.create", "online_service", id.as_str()));
    assert_eq!(e.request_id.as_deref(), Some("req-create-1"));
    assert!(e.before.is_none());
    let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["name"], "Prüfpfad Wohnberechtigungsschein");

    // A PATCH: before and after hold both versions of the content.
    let req = with_request_id(patch_request(&id, Some(&provider), Some(&etag(1)), &json!({"name": "Prüfpfad WBS digital"})), "req-patch-1");
    assert_eq!(send(app, req).await.status.as_u16(), 200);
    assert_eq!(w.counts().events, c0.events + 2);
    let e = w.events_of(&id).pop().unwrap();
    assert_eq!((e.action.as_str(), e.request_id.as_deref()), ("listing.update", Some("req-patch-1")));
    let before: Value = serde_json::from_str(e.before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert_eq!((before["name"].as_str(), after["name"].as_str()), (Some("Prüfpfad Wohnberechtigungsschein"), Some("Prüfpfad WBS digital")));

    // Failed writes leave no event: 428, 412 (stale), 422, 403, 404, 409.
    let failing = [
        (patch_request(&id, Some(&provider), None, &json!({"name": "x"})), 428),
        (with_request_id(patch_request(&id, Some(&provider), Some(&etag(1)), &json!({"name": "x"})), "req-stale"), 412),
        (patch_request(&id, Some(&provider), Some(&etag(2)), &json!({"url": "http://x.example.de"})), 422),
        (bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/approve")), Some(&provider)), 403),
        (bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/submit")), Some(&w.by_publisher())), 404),
        (bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/approve")), Some(&operator)), 409),
    ];
    for (req, status) in failing {
        assert_problem(&send(app, req).await, status);
    }
    assert_eq!(w.counts().events, c0.events + 2, "failed writes appended events");
    assert!(w.events_of(&id).iter().all(|e| e.request_id.as_deref() != Some("req-stale")));

    // Submit and approve by the operator: the operator's organisation acts, NRW owns.
    act_ok(app, &id, "submit", &provider).await;
    let req = with_request_id(bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/approve")), Some(&operator)), "req-approve-1");
    assert_eq!(send(app, req).await.status.as_u16(), 200);
    assert_eq!(w.counts().events, c0.events + 4);
    let e = w.events_of(&id).pop().unwrap();
    assert_eq!((e.action.as_str(), e.actor.as_str(), e.actor_org_id.as_deref(), e.owner_org_id.as_deref()), ("listing.approve", OPERATOR, Some(fitko().as_str()), Some(nrw().as_str())));
    let before: Value = serde_json::from_str(e.before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
    assert_eq!((before["listing_state"].as_str(), after["listing_state"].as_str()), (Some("in_review"), Some("published")));
    assert_eq!(after["published_version"], 1);

    // The same event through the API, as the operator sees it.
    let body = ok_as(app, &format!("/api/v1/audit-events?resource={id}"), Some(&operator)).await;
    assert_eq!(body["total"], 4);
    let newest = &items(&body)[0];
    assert_eq!(newest["action"], "listing.approve");
    assert_eq!(newest["actor"], OPERATOR);
    assert_eq!(newest["actor_org_id"], fitko().as_str());
    assert_eq!(newest["resource_type"], "online_service");
    assert_eq!(newest["resource_id"], id.as_str());
    assert_eq!(newest["request_id"], "req-approve-1");
    assert_eq!(newest["after"]["listing_state"], "published");
    assert_eq!(newest["before"]["listing_state"], "in_review");
    let actions: Vec<&str> = items(&body).iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["listing.approve", "listing.submit", "listing.update", "listing.create"], "newest first");
    assert_eq!(items(&body)[3]["request_id"], "req-create-1");
});

world_test!(organisations_see_their_own_events_and_filters_work, |w, app| {
    let nrw_token = w.nrw_publisher();
    let by_token = w.by_publisher();
    let operator = w.operator();
    let mine = created(app, &nrw_token, &listing(&nrw(), "Sichttest Nordrhein", 10092)).await;
    let theirs = created(app, &by_token, &listing(&bayern(), "Sichttest Bayern", 10000)).await;
    act_ok(app, &mine, "submit", &nrw_token).await;
    act_ok(app, &mine, "approve", &operator).await;
    act_ok(app, &theirs, "submit", &by_token).await;
    let total = w.counts().events;
    assert!(total >= 5);

    // The operator sees every event.
    let all = ok_as(app, "/api/v1/audit-events?per_page=100", Some(&operator)).await;
    assert_eq!(all["total"], total);
    let resources: Vec<&str> = items(&all).iter().map(|e| e["resource_id"].as_str().unwrap()).collect();
    assert!(resources.contains(&mine.as_str()) && resources.contains(&theirs.as_str()));

    // NRW sees its own, including the operator's approval of its listing; not Bayern's.
    let nrw_view = ok_as(app, "/api/v1/audit-events?per_page=100", Some(&nrw_token)).await;
    assert_eq!(nrw_view["total"], 3, "{nrw_view}");
    assert!(items(&nrw_view).iter().all(|e| e["resource_id"] == mine.as_str()), "{nrw_view}");
    assert!(items(&nrw_view).iter().any(|e| e["action"] == "listing.approve" && e["actor"] == OPERATOR));
    // Asking for Bayern's resource by id does not help.
    let probe = ok_as(app, &format!("/api/v1/audit-events?resource={theirs}"), Some(&nrw_token)).await;
    assert_eq!(probe["total"], 0);
    assert!(items(&probe).is_empty());
    let probe = ok_as(app, &format!("/api/v1/audit-events?actor={BY_PUBLISHER}"), Some(&nrw_token)).await;
    assert_eq!(probe["total"], 0);
    // Bayern sees its two.
    let by_view = ok_as(app, "/api/v1/audit-events", Some(&by_token)).await;
    assert_eq!(by_view["total"], 2);
    assert!(items(&by_view).iter().all(|e| e["resource_id"] == theirs.as_str() && e["actor"] == BY_PUBLISHER));
    // A municipality with no activity sees nothing.
    assert_eq!(ok_as(app, "/api/v1/audit-events", Some(&w.koeln_user())).await["total"], 0);

    // Filters: resource, actor, since.
    let by_resource = ok_as(app, &format!("/api/v1/audit-events?resource={mine}"), Some(&operator)).await;
    assert_eq!(by_resource["total"], 3);
    let by_actor = ok_as(app, &format!("/api/v1/audit-events?actor={OPERATOR}"), Some(&operator)).await;
    assert_eq!(by_actor["total"], 1);
    assert_eq!(items(&by_actor)[0]["action"], "listing.approve");
    let both = ok_as(app, &format!("/api/v1/audit-events?resource={mine}&actor={NRW_PUBLISHER}"), Some(&operator)).await;
    assert_eq!(both["total"], 2);
    // since: the approval's own instant includes it and what follows, not what came before.
    let approve_at = items(&by_actor)[0]["occurred_at"].as_str().unwrap().to_owned();
    let since = ok_as(app, &format!("/api/v1/audit-events?since={approve_at}&per_page=100"), Some(&operator)).await;
    let since_ids = event_ids(&since);
    assert!(since_ids.contains(&items(&by_actor)[0]["id"].as_str().unwrap().to_owned()), "since is inclusive: {since}");
    let submit_theirs = items(&by_view).iter().find(|e| e["action"] == "listing.submit").unwrap()["id"].as_str().unwrap().to_owned();
    assert!(since_ids.contains(&submit_theirs), "later events included");
    let create_mine = items(&by_resource).iter().find(|e| e["action"] == "listing.create").unwrap()["id"].as_str().unwrap().to_owned();
    assert!(!since_ids.contains(&create_mine), "earlier events excluded");
    assert_eq!(since["total"], 2);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(ok_as(app, &format!("/api/v1/audit-events?since={future}"), Some(&operator)).await["total"], 0);
    let p = assert_problem(&get_as(app, "/api/v1/audit-events?since=yesterday", Some(&operator)).await, 400);
    assert_eq!(p["parameter"], "since");
    assert_eq!(assert_problem(&get_as(app, "/api/v1/audit-events?owner=x", Some(&operator)).await, 400)["parameter"], "owner");

    // Paging: the Link header and per_page work as elsewhere.
    let page = ok_as(app, "/api/v1/audit-events?per_page=2", Some(&operator)).await;
    assert_eq!(items(&page).len(), 2);
    assert_eq!(page["total"], total);
});

world_test!(nothing_in_the_api_changes_or_deletes_an_event, |w, app| {
    let id = created(app, &w.nrw_publisher(), &listing(&nrw(), "Unveränderlich Test", 10092)).await;
    let before = w.counts();
    let event = w.events_of(&id).pop().unwrap();
    let operator = w.operator();
    for req in [TestRequest::put(), TestRequest::patch(), TestRequest::delete(), TestRequest::post()] {
        let r = send(app, bearer(req.uri("/api/v1/audit-events").set_json(json!({"id": event.id, "action": "nothing"})), Some(&operator))).await;
        assert_problem(&r, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    for req in [TestRequest::get(), TestRequest::put(), TestRequest::delete()] {
        let r = send(app, bearer(req.uri(&format!("/api/v1/audit-events/{}", event.id)), Some(&operator))).await;
        assert_problem(&r, 404);
    }
    assert_eq!(w.counts(), before);
    assert_eq!(w.events_of(&id), vec![event]);
});

world_test!(events_filter_by_organisation_action_kind_and_until, |w, app| {
    let nrw_token = w.nrw_publisher();
    let by_token = w.by_publisher();
    let operator = w.operator();
    let mine = created(app, &nrw_token, &listing(&nrw(), "Filtertest Nordrhein", 10092)).await;
    let theirs = created(app, &by_token, &listing(&bayern(), "Filtertest Bayern", 10000)).await;
    act_ok(app, &mine, "submit", &nrw_token).await;
    act_ok(app, &theirs, "submit", &by_token).await;
    act_ok(app, &mine, "approve", &operator).await;

    // The organisation the actor acted for: Bayern's two steps, the operator's approval.
    let by_org = ok_as(app, &format!("/api/v1/audit-events?org={}&per_page=100", bayern()), Some(&operator)).await;
    assert_eq!(by_org["total"], 2);
    assert!(items(&by_org).iter().all(|e| e["resource_id"] == theirs.as_str()));
    let by_fitko = ok_as(app, &format!("/api/v1/audit-events?org={}", fitko()), Some(&operator)).await;
    assert_eq!(event_ids(&by_fitko).len(), 1);
    // A full page takes its total from the counts the writes keep (the whole log, what an
    // organisation's people did, an organisation's own view), not from what it read: the same
    // totals as the pages that read everything.
    let all = ok_as(app, "/api/v1/audit-events?per_page=100", Some(&operator)).await["total"].clone();
    assert_eq!(ok_as(app, "/api/v1/audit-events?per_page=1", Some(&operator)).await["total"], all);
    assert_eq!(ok_as(app, &format!("/api/v1/audit-events?org={}&per_page=1", bayern()), Some(&operator)).await["total"], 2);
    let own = ok_as(app, "/api/v1/audit-events?per_page=1", Some(&nrw_token)).await;
    assert_eq!((items(&own).len(), &own["total"]), (1, &json!(3)), "NRW's create and submit, the operator's approval: {own}");
    // Past the end: nothing read, still the total.
    assert_eq!(ok_as(app, "/api/v1/audit-events?per_page=2&page=9", Some(&by_token)).await["total"], 2);
    efa_store::test_util::assert_kept(&mut w.conn(), "the audit log");
    assert_eq!(items(&by_fitko)[0]["action"], "listing.approve");
    // The action, and the kind of resource.
    let submits = ok_as(app, "/api/v1/audit-events?action=listing.submit&per_page=100", Some(&operator)).await;
    assert_eq!(submits["total"], 2);
    assert!(items(&submits).iter().all(|e| e["action"] == "listing.submit"));
    assert_eq!(ok_as(app, "/api/v1/audit-events?resource_type=webhook", Some(&operator)).await["total"], 0);
    let services = ok_as(app, &format!("/api/v1/audit-events?resource_type=online_service&org={}", nrw()), Some(&operator)).await;
    assert_eq!(services["total"], 2, "NRW created and submitted");
    // until: before the approval's instant, not at it.
    let approve_at = items(&by_fitko)[0]["occurred_at"].as_str().unwrap().to_owned();
    let until = ok_as(app, &format!("/api/v1/audit-events?resource={mine}&until={approve_at}"), Some(&operator)).await;
    assert_eq!(until["total"], 2, "until is exclusive: {until}");
    assert_eq!(assert_problem(&get_as(app, "/api/v1/audit-events?until=morgen", Some(&operator)).await, 400)["parameter"], "until");
    for (bad, param) in [("org=FITKO", "org"), ("action=listing%20submit", "action"), ("action=listing", "action"), ("resource_type=Vertrag", "resource_type")] {
        assert_eq!(assert_problem(&get_as(app, &format!("/api/v1/audit-events?{bad}"), Some(&operator)).await, 400)["parameter"], param, "{bad}");
    }
    // The filters narrow what an organisation may read, never widen it.
    assert_eq!(ok_as(app, &format!("/api/v1/audit-events?org={}", bayern()), Some(&nrw_token)).await["total"], 0);
});
