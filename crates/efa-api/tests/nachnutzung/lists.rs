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

world_test!(agreements_come_a_page_at_a_time_narrowed_by_state, |w, app| {
    let service = published_service(app, w).await;
    let bundler = w.bundler();
    // One bundled request for Köln and Bonn: two agreements, both pending.
    let id = filed(app, &bundler, &service, &[org(KOELN), org(BONN)]).await;
    act_ok(app, &id, "submit", &bundler, None).await;
    act_ok(app, &id, "approve", &w.coordinator("05"), None).await;
    let accepted = act_ok(app, &id, "accept", &w.provider(), Some(json!({}))).await;
    let numbers: Vec<&str> = accepted["agreements"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(numbers.len(), 2);

    let provider = w.provider();
    let first = get_as(app, "/api/v1/agreements?per_page=1", Some(&provider)).await;
    let body = expect(&first, 200);
    // Newest number first.
    assert_eq!((total(&body), strs(&body, "number")), (2, vec![numbers[1]]));
    assert_eq!(param(&links(&first)["next"].1, "page"), Some("2"));
    assert_eq!(total(&ok(app, "/api/v1/agreements?state=pending", &provider).await), 2);
    assert_eq!(total(&ok(app, "/api/v1/agreements?state=live,terminated", &provider).await), 0);
    assert_eq!(total(&ok(app, &format!("/api/v1/agreements?online_service={service}"), &provider).await), 2);
    let p = expect(&get_as(app, "/api/v1/agreements?state=signed", Some(&provider)).await, 400);
    assert_eq!(p["parameter"], "state");
});
