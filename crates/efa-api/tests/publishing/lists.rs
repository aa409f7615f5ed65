//! The lists of listings (`GET /api/v1/listings`): a provider's own organisation's listings,
//! newest change first; the operators' review queue, oldest first; a state filter; keyset
//! paging by `after`/`limit`; bad or unknown parameters are 400 problems naming them.

use crate::helpers::{assert_problem, items, total};
use crate::support::*;
use crate::world_test;

fn names(body: &serde_json::Value) -> Vec<String> {
    items(body).iter().map(|i| i["name"].as_str().expect("name").to_owned()).collect()
}

world_test!(a_provider_sees_its_own_listings_a_page_at_a_time, |w, app| {
    let provider = w.nrw_publisher();
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(created(app, &provider, &listing(&nrw(), &format!("Listentest Nummer {n}"), 10092)).await);
    }
    created(app, &w.by_publisher(), &listing(&bayern(), "Listentest Bayern", 10092)).await;
    act_ok(app, &made[0], "submit", &provider).await;

    // Only NRW's, the last changed first: the submitted one leads.
    let all = ok_as(app, "/api/v1/listings?state=draft", Some(&provider)).await;
    assert_eq!(total(&all), 4);
    let drafts = names(&all);
    assert!(!drafts.iter().any(|n| n.contains("Bayern")), "{drafts:?}");
    let first = ok_as(app, "/api/v1/listings", Some(&provider)).await;
    assert_eq!(items(&first)[0]["id"], made[0].as_str(), "newest change first: {first}");
    assert_eq!(items(&first)[0]["listing_state"], "in_review");
    assert_eq!(items(&first)[0]["revision"], 2);
    assert!(items(&first)[0]["published_version"].is_null());
    assert!(items(&first)[0]["updated_at"].is_string());
    let whole = total(&first);
    assert!(whole >= 5, "the seeded NRW listings too: {whole}");

    // Pages of two, by the cursor, meet every listing once.
    let mut seen: Vec<String> = Vec::new();
    let mut uri = "/api/v1/listings?limit=2".to_owned();
    loop {
        let r = get_as(app, &uri, Some(&provider)).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text());
        let b = r.json();
        assert!(items(&b).len() <= 2);
        assert_eq!(total(&b), whole);
        seen.extend(items(&b).iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match b["next_cursor"].as_str() {
            Some(next) => {
                let link = r.header("link").expect("a Link to the next page").to_owned();
                assert!(link.contains("rel=\"next\"") && link.contains("limit=2"), "{link}");
                uri = format!("/api/v1/listings?limit=2&after={next}");
            }
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, whole);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no listing twice");
    for id in &made {
        assert!(seen.contains(id));
    }
});

world_test!(the_operators_review_queue_is_oldest_first, |w, app| {
    let provider = w.nrw_publisher();
    let a = created(app, &provider, &listing(&nrw(), "Prüfschlange Erster", 10092)).await;
    let b = created(app, &w.by_publisher(), &listing(&bayern(), "Prüfschlange Zweiter", 10092)).await;
    act_ok(app, &a, "submit", &provider).await;
    act_ok(app, &b, "submit", &w.by_publisher()).await;

    let queue = ok_as(app, "/api/v1/listings", Some(&w.operator())).await;
    assert_eq!(total(&queue), 2, "{queue}");
    assert_eq!(names(&queue), vec!["Prüfschlange Erster", "Prüfschlange Zweiter"]);
    let one = ok_as(app, "/api/v1/listings?limit=1", Some(&w.operator())).await;
    let next = one["next_cursor"].as_str().expect("a next page");
    let rest = ok_as(app, &format!("/api/v1/listings?limit=1&after={next}"), Some(&w.operator())).await;
    assert_eq!(names(&rest), vec!["Prüfschlange Zweiter"]);
    assert!(rest["next_cursor"].is_null());

    // Approved, it leaves the queue; the operator can list another state across organisations.
    act_ok(app, &a, "approve", &w.operator()).await;
    assert_eq!(names(&ok_as(app, "/api/v1/listings?state=in_review", Some(&w.operator())).await), vec!["Prüfschlange Zweiter"]);
    let published = ok_as(app, "/api/v1/listings?state=published&limit=100", Some(&w.operator())).await;
    assert!(total(&published) > 1);
    assert!(items(&published).iter().all(|i| i["listing_state"] == "published"));

    // A municipality sees only its own organisation's (none), never the queue.
    let koeln = ok_as(app, "/api/v1/listings?state=in_review", Some(&w.koeln_user())).await;
    assert_eq!(total(&koeln), 0);
});

world_test!(bad_list_parameters_are_problems_naming_them, |w, app| {
    let t = w.nrw_publisher();
    for (query, parameter) in [
        ("state=kaputt", "state"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("after=kein-cursor", "after"),
        ("after=12.a%27b", "after"),
    ] {
        let p = assert_problem(&get_as(app, &format!("/api/v1/listings?{query}"), Some(&t)).await, 400);
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
    }
    let p = assert_problem(&get_as(app, "/api/v1/listings?page=2", Some(&t)).await, 400);
    assert_eq!(p["parameter"], "page", "the unknown parameter is named: {p}");
    assert_unauthorized(&get_as(app, "/api/v1/listings", None).await);
});
