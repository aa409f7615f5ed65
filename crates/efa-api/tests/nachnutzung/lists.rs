//! The lists of reuse requests and agreements at national scale: a page at a time (with
//! `total` and a Link header), narrowed by state and online service, unknown or wrong
//! parameters refused with 400.

use crate::helpers::{links, param, strs, total};
use crate::support::*;
use crate::world_test;
use serde_json::json;

world_test!(reuse_requests_come_a_page_at_a_time_narrowed_by_state_and_service, |w, app| {
    let wohngeld = published_service(app, w).await;
    let other = publish(app, w, &listing_body("Zweiter Dienst (Listentest)", annual_price())).await;
    let koeln = w.kommune(KOELN);
    // Köln: five requests for Wohngeld (two of them submitted), one for the other service.
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(filed(app, &koeln, &wohngeld, &[]).await);
    }
    for id in &ids[..2] {
        act_ok(app, id, "submit", &koeln, None).await;
    }
    let last = filed(app, &koeln, &other, &[]).await;

    let all = ok(app, "/api/v1/reuse-requests", &koeln).await;
    assert_eq!((total(&all), all["page"].as_u64(), all["per_page"].as_u64()), (6, Some(1), Some(20)));
    // Newest first.
    assert_eq!(strs(&all, "id")[0], last);

    let r = get_as(app, "/api/v1/reuse-requests?per_page=4&page=2", Some(&koeln)).await;
    let page2 = expect(&r, 200);
    assert_eq!((total(&page2), strs(&page2, "id").len()), (6, 2));
    let l = links(&r);
    assert_eq!(param(&l["first"].1, "page"), Some("1"));
    assert_eq!(param(&l["prev"].1, "page"), Some("1"));
    assert!(!l.contains_key("next"), "page 2 of 2");
    // Each item as the detail shows it: municipalities and agreements read per page, not per row.
    let shown = &page2["items"][0];
    let detail = ok(app, &format!("/api/v1/reuse-requests/{}", shown["id"].as_str().unwrap()), &koeln).await;
    assert_eq!(*shown, detail);

    let submitted = ok(app, "/api/v1/reuse-requests?state=submitted", &koeln).await;
    let mut got: Vec<&str> = strs(&submitted, "id");
    got.sort_unstable();
    let mut want: Vec<&str> = ids[..2].iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?state=draft,submitted", &koeln).await), 6);
    let of_other = ok(app, &format!("/api/v1/reuse-requests?online_service={other}"), &koeln).await;
    assert_eq!(strs(&of_other, "id"), [last.as_str()]);
    // The coordinator of NRW sees the two submitted ones of its Land, not the drafts.
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests", &w.coordinator("05")).await), 2);

    for (query, parameter) in [("state=approved_by_mistake", "state"), ("online_service=nope", "online_service"), ("per_page=0", "per_page"), ("page=0", "page"), ("sort=id", "sort")] {
        let p = expect(&get_as(app, &format!("/api/v1/reuse-requests?{query}"), Some(&koeln)).await, 400);
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
    }
});

/// One bundled request for Köln and Bonn, accepted: the numbers of its two agreements, both
/// pending, in the order the request lists them.
async fn two_bundled_agreements<A: crate::helpers::TestApp>(app: &A, w: &World, service: &str) -> Vec<String> {
    let bundler = w.bundler();
    let id = filed(app, &bundler, service, &[org(KOELN), org(BONN)]).await;
    act_ok(app, &id, "submit", &bundler, None).await;
    act_ok(app, &id, "approve", &w.coordinator("05"), None).await;
    let accepted = act_ok(app, &id, "accept", &w.provider(), Some(json!({}))).await;
    let numbers: Vec<String> = accepted["agreements"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers.len(), 2);
    numbers
}

world_test!(agreements_come_a_page_at_a_time_narrowed_by_state, |w, app| {
    let service = published_service(app, w).await;
    let numbers = two_bundled_agreements(app, w, &service).await;

    let provider = w.provider();
    let first = get_as(app, "/api/v1/agreements?per_page=1", Some(&provider)).await;
    let body = expect(&first, 200);
    // Newest number first.
    assert_eq!((total(&body), strs(&body, "number")), (2, vec![numbers[1].as_str()]));
    assert_eq!(param(&links(&first)["next"].1, "page"), Some("2"));
    assert_eq!(total(&ok(app, "/api/v1/agreements?state=pending", &provider).await), 2);
    assert_eq!(total(&ok(app, "/api/v1/agreements?state=live,terminated", &provider).await), 0);
    assert_eq!(total(&ok(app, &format!("/api/v1/agreements?online_service={service}"), &provider).await), 2);
    let p = expect(&get_as(app, "/api/v1/agreements?state=signed", Some(&provider)).await, 400);
    assert_eq!(p["parameter"], "state");
});

/// Every page of a list walked by cursor (`after=` the `next` of the page before), the ids
/// in the order they came; also checks that each page read by cursor has a Link header to
/// the next one (the first page's links are by page number).
async fn walk<A: crate::helpers::TestApp>(app: &A, uri: &str, token: &str, field: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    for _ in 0..50 {
        let url = match &next {
            Some(c) => format!("{uri}&after={c}"),
            None => uri.to_owned(),
        };
        let r = get_as(app, &url, Some(token)).await;
        let body = expect(&r, 200);
        seen.extend(strs(&body, field).into_iter().map(str::to_owned));
        next = body["next_cursor"].as_str().map(str::to_owned);
        let l = links(&r);
        let by_cursor = url != uri;
        match &next {
            Some(c) if by_cursor => assert_eq!(param(&l["next"].1, "after"), Some(c.as_str()), "{url}"),
            Some(_) => assert_eq!(param(&l["next"].1, "page"), Some("2"), "{url}"),
            None => {
                assert!(!by_cursor || !l.contains_key("next"), "{url}");
                return seen;
            }
        }
    }
    panic!("{uri}: more than 50 pages");
}

world_test!(the_coordinator_inbox_narrows_by_kreis_and_comes_oldest_first_page_by_page, |w, app| {
    let service = published_service(app, w).await;
    let other = publish(app, w, &listing_body("Zweiter Dienst (Eingangskorb)", annual_price())).await;
    let (koeln, bonn) = (w.kommune(KOELN), w.kommune(BONN));
    // Köln (Kreis 05315): three submitted, one of them for the other service, and a draft;
    // Bonn (Kreis 05314): two submitted.
    let mut koeln_ids = Vec::new();
    for s in [&service, &other, &service] {
        let id = filed(app, &koeln, s, &[]).await;
        act_ok(app, &id, "submit", &koeln, None).await;
        koeln_ids.push(id);
    }
    let draft = filed(app, &koeln, &other, &[]).await;
    let mut bonn_ids = Vec::new();
    for _ in 0..2 {
        let id = filed(app, &bonn, &service, &[]).await;
        act_ok(app, &id, "submit", &bonn, None).await;
        bonn_ids.push(id);
    }
    let nrw = w.coordinator("05");
    let newest = ok(app, "/api/v1/reuse-requests?state=submitted", &nrw).await;
    let newest: Vec<String> = strs(&newest, "id").into_iter().map(str::to_owned).collect();
    assert_eq!(newest.len(), 5);
    assert!(!newest.contains(&draft));
    let mut oldest = newest.clone();
    oldest.reverse();
    let asc = ok(app, "/api/v1/reuse-requests?state=submitted&sort=created_at", &nrw).await;
    assert_eq!(strs(&asc, "id"), oldest);
    let desc = ok(app, "/api/v1/reuse-requests?state=submitted&sort=-created_at", &nrw).await;
    assert_eq!(strs(&desc, "id"), newest);

    // By Kreis: Köln's and Bonn's apart, each in the list's order; with service and state.
    let in_koeln = ok(app, "/api/v1/reuse-requests?kreis=05315&sort=created_at", &nrw).await;
    assert_eq!(total(&in_koeln), 3);
    let want: Vec<&String> = oldest.iter().filter(|id| koeln_ids.contains(id)).collect();
    assert_eq!(strs(&in_koeln, "id"), want);
    let in_bonn = ok(app, "/api/v1/reuse-requests?kreis=05314", &nrw).await;
    let mut got: Vec<&str> = strs(&in_bonn, "id");
    got.sort_unstable();
    let mut want: Vec<&str> = bonn_ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(total(&ok(app, &format!("/api/v1/reuse-requests?kreis=05315&online_service={other}"), &nrw).await), 1);
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?kreis=05315&state=land_approved", &nrw).await), 0);
    // Köln itself sees its draft under its Kreis too; a Kreis elsewhere has nothing.
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?kreis=05315", &koeln).await), 4);
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?kreis=09162", &nrw).await), 0);

    // Page by page by cursor, both orders: the same rows as one page, none twice; the total
    // stays the whole list's.
    assert_eq!(walk(app, "/api/v1/reuse-requests?state=submitted&per_page=2&sort=created_at", &nrw, "id").await, oldest);
    assert_eq!(walk(app, "/api/v1/reuse-requests?state=submitted&per_page=2", &nrw, "id").await, newest);
    let second = ok(app, &format!("/api/v1/reuse-requests?state=submitted&per_page=2&after={}", expect(&get_as(app, "/api/v1/reuse-requests?state=submitted&per_page=2", Some(&nrw)).await, 200)["next_cursor"].as_str().unwrap()), &nrw).await;
    assert_eq!((total(&second), strs(&second, "id")), (5, newest[2..4].iter().map(String::as_str).collect()));
    // page/per_page work as before.
    let page2 = ok(app, "/api/v1/reuse-requests?state=submitted&per_page=2&page=2&sort=created_at", &nrw).await;
    assert_eq!(strs(&page2, "id"), oldest[2..4].iter().map(String::as_str).collect::<Vec<_>>());

    // A decision moves the request out of the Kreis's submitted ones and into its approved ones.
    act_ok(app, &koeln_ids[0], "approve", &nrw, None).await;
    assert_eq!(strs(&ok(app, "/api/v1/reuse-requests?kreis=05315&state=land_approved", &nrw).await, "id"), [koeln_ids[0].as_str()]);
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?kreis=05315&state=submitted", &nrw).await), 2);
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?state=draft", &koeln).await), 1, "a Gemeinde's own draft, by its state");

    for (query, parameter) in [
        ("kreis=0531", "kreis"),
        ("kreis=053150", "kreis"),
        ("kreis=abcde", "kreis"),
        ("sort=number", "sort"),
        ("sort=oldest", "sort"),
        ("after=yesterday", "after"),
        ("after=1700000000000000.not-a-uuid", "after"),
        ("after=1700000000000000.9b2f2d9e-58a4-4a5e-9f57-4c1a3c8e4f01&page=2", "page"),
    ] {
        let p = expect(&get_as(app, &format!("/api/v1/reuse-requests?{query}"), Some(&nrw)).await, 400);
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
    }
});

world_test!(agreements_come_oldest_number_first_by_cursor_and_by_kreis, |w, app| {
    let service = published_service(app, w).await;
    let mut numbers = two_bundled_agreements(app, w, &service).await;
    numbers.sort();
    let provider = w.provider();
    assert_eq!(walk(app, "/api/v1/agreements?per_page=1&sort=number", &provider, "number").await, numbers);
    let mut desc = numbers.clone();
    desc.reverse();
    assert_eq!(walk(app, "/api/v1/agreements?per_page=1", &provider, "number").await, desc);
    // The customer in Bonn: one of the two.
    let bonn = ok(app, "/api/v1/agreements?kreis=05314", &provider).await;
    assert_eq!(total(&bonn), 1);
    assert_eq!(bonn["items"][0]["customer_org_id"], org(BONN));
    for (query, parameter) in [("sort=created_at", "sort"), ("after=EFA_2026", "after"), ("kreis=5314", "kreis")] {
        let p = expect(&get_as(app, &format!("/api/v1/agreements?{query}"), Some(&provider)).await, 400);
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
    }
});

world_test!(kept_request_counts_equal_a_recount_after_every_kind_of_write, |w, app| {
    use crate::helpers::{join_all, send};
    use actix_web::test::TestRequest;
    let service = published_service(app, w).await;
    w.assert_kept("the seed");
    let (nrw, by) = (w.coordinator("05"), w.coordinator("09"));
    // Drafts in two Länder, then every transition a request takes.
    let mut filed_ids = Vec::new();
    for ags in [KOELN, BONN, MUENCHEN, KOELN, BONN, MUENCHEN] {
        filed_ids.push((ags, filed(app, &w.kommune(ags), &service, &[]).await));
    }
    w.assert_kept("filing drafts");
    for (ags, id) in &filed_ids[..5] {
        act_ok(app, id, "submit", &w.kommune(ags), None).await;
    }
    w.assert_kept("submitting");
    act_ok(app, &filed_ids[0].1, "approve", &nrw, None).await;
    act_ok(app, &filed_ids[1].1, "reject", &nrw, Some(json!({"reason": "Nicht im Haushalt."}))).await;
    act_ok(app, &filed_ids[2].1, "approve", &by, None).await;
    act_ok(app, &filed_ids[3].1, "withdraw", &w.kommune(KOELN), None).await;
    w.assert_kept("approving, rejecting, withdrawing");
    act_ok(app, &filed_ids[0].1, "accept", &w.provider(), Some(json!({}))).await;
    w.assert_kept("accepting (agreements made)");
    // What reads the counts answers as a recount would.
    // NRW: of Köln's and Bonn's four submitted, one approved, one rejected, one withdrawn.
    assert_eq!(total(&ok(app, "/api/v1/reuse-requests?state=submitted", &nrw).await), 1);
    let nrw_all = ok(app, "/api/v1/reuse-requests", &nrw).await;
    assert_eq!(total(&nrw_all) as usize, strs(&nrw_all, "id").len(), "a Land's total is the rows it lists");
    let everything = ok(app, "/api/v1/reuse-requests?per_page=100", &w.operator()).await;
    assert_eq!(total(&everything) as i64, w.count_requests());

    // On PostgreSQL: a second instance writing at the same time as the first, as production
    // runs several `efa serve` on one database.
    if w.db.backend() == efa_store::Backend::Postgres {
        let (_, second) = crate::helpers::keyed_app(&w.db, &w.key, None, 4).await;
        let second = &second;
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(filed(app, &w.kommune(KOELN), &service, &[]).await);
            ids.push(filed(second, &w.kommune(BONN), &service, &[]).await);
        }
        let koeln = w.kommune(KOELN);
        let bonn = w.kommune(BONN);
        let submits: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let token = if i % 2 == 0 { &koeln } else { &bonn };
                let req = bearer(TestRequest::post().uri(&format!("/api/v1/reuse-requests/{id}/submit")), Some(token));
                async move { if i % 2 == 0 { send(app, req).await } else { send(second, req).await } }
            })
            .collect();
        assert!(statuses(&join_all(submits).await).iter().all(|&c| c == 200));
        let approvals: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let req = bearer(TestRequest::post().uri(&format!("/api/v1/reuse-requests/{id}/approve")), Some(&nrw));
                async move { if i % 2 == 1 { send(app, req).await } else { send(second, req).await } }
            })
            .collect();
        assert!(statuses(&join_all(approvals).await).iter().all(|&c| c == 200));
        w.assert_kept("two instances submitting and approving at once");
        // The sixteen of NRW, and München's for the service NRW's government provides.
        assert_eq!(total(&ok(second, "/api/v1/reuse-requests?state=land_approved", &nrw).await), 17);
    }
});
