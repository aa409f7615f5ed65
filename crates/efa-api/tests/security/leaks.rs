//! The list endpoints leak nothing the single-resource endpoints would hide: whatever a column
//! finds in a list, it may also open (and a foreign organisation finds none of the fixtures).

use crate::fixtures::Fixtures;
use crate::world_test;
use crate::world::{call, ok, TestApp, World, COLUMNS};
use actix_web::http::Method;
use serde_json::{json, Value};

async fn get<A: TestApp>(app: &A, w: &World, col: crate::world::Column, uri: &str) -> (u16, Value) {
    let r = call(app, &Method::GET, uri, w.token(col).as_deref(), None).await;
    let status = r.status.as_u16();
    (status, if r.body.is_empty() { Value::Null } else { r.json() })
}

fn field(list: &Value, key: &str) -> Vec<String> {
    list["items"].as_array().unwrap_or_else(|| panic!("no items: {list}")).iter().map(|i| i[key].as_str().expect("key").to_owned()).collect()
}

world_test!(lists_show_nothing_a_caller_may_not_open, |w, app| {
    let f = Fixtures::build(app, w, true).await;
    let nn = f.nn();
    let koeln_token = w.own(efa_domain::Role::MunicipalityUser);
    let message = json!({"body": "Interne Abstimmung"});
    ok(&call(app, &Method::POST, &format!("/api/v1/reuse-requests/{}/messages", nn.koeln.submitted), Some(&koeln_token), Some(&message)).await, "message");
    let requests: Vec<&String> = [&nn.koeln, &nn.bundler].iter().flat_map(|c| [&c.draft, &c.submitted, &c.approved]).collect();
    let agreements: Vec<&String> = [&nn.koeln, &nn.bundler].iter().flat_map(|c| [&c.pending, &c.active]).collect();
    let listings = [&f.draft, &f.in_review, &f.published];
    let mut leaks = Vec::new();
    for col in COLUMNS.iter().filter(|c| c.role.is_some()) {
        let who = col.label();
        let (_, list) = get(app, w, *col, "/api/v1/reuse-requests").await;
        let listed = field(&list, "id");
        for id in requests.iter().filter(|id| listed.contains(id)) {
            let (status, _) = get(app, w, *col, &format!("/api/v1/reuse-requests/{id}")).await;
            if status != 200 {
                leaks.push(format!("{who}: GET /reuse-requests lists {id}, which answers {status} to it"));
            }
        }
        let (_, list) = get(app, w, *col, "/api/v1/agreements").await;
        let listed = field(&list, "number");
        for n in agreements.iter().filter(|n| listed.contains(n)) {
            let (status, _) = get(app, w, *col, &format!("/api/v1/agreements/{n}")).await;
            if status != 200 {
                leaks.push(format!("{who}: GET /agreements lists {n}, which answers {status} to it"));
            }
        }
        let (_, list) = get(app, w, *col, "/api/v1/online-services?q=Sicherheitstest&per_page=100").await;
        let listed = field(&list, "id");
        for id in listings.iter().filter(|id| listed.contains(id)) {
            let (status, _) = get(app, w, *col, &format!("/api/v1/online-services/{id}")).await;
            if status != 200 {
                leaks.push(format!("{who}: the catalogue lists {id}, which answers {status} to it"));
            }
        }
        // The audit trail of a resource is for those who may see the resource.
        for id in requests.iter().chain(agreements.iter()).chain(listings.iter()) {
            let (status, events) = get(app, w, *col, &format!("/api/v1/audit-events?resource={id}&per_page=100")).await;
            assert_eq!(status, 200, "{who}: audit events of {id}");
            let seen = events["total"].as_u64().expect("total");
            if seen > 0 && !col.own && col.role != Some(efa_domain::Role::Operator) {
                leaks.push(format!("{who}: reads {seen} audit event(s) about {id} of another organisation"));
            }
        }
        // So is its event feed: no event about another organisation's request or agreement,
        // and of listings only what is public (published, retired).
        let (status, feed) = get(app, w, *col, "/api/v1/events?limit=1000").await;
        assert_eq!(status, 200, "{who}: event feed");
        for e in feed["events"].as_array().expect("events") {
            let id = e["resource"]["id"].as_str().unwrap_or_default();
            let public = matches!(e["type"].as_str(), Some("listing.published" | "listing.retired" | "framework.approved"));
            let theirs = requests.iter().chain(agreements.iter()).any(|r| r.as_str() == id) || (listings.iter().any(|l| l.as_str() == id) && !public);
            if theirs && !col.own && col.role != Some(efa_domain::Role::Operator) {
                leaks.push(format!("{who}: the event feed shows {} about {id} of another organisation", e["type"]));
            }
        }
        // Messages of the Abstimmung stay between the parties.
        let (status, msgs) = get(app, w, *col, &format!("/api/v1/reuse-requests/{}/messages", nn.koeln.submitted)).await;
        if status == 200 && !col.own && col.role != Some(efa_domain::Role::Operator) {
            leaks.push(format!("{who}: reads the messages of Köln's request: {msgs}"));
        }
    }
    // Anonymous callers see published listings only.
    let (_, list) = get(app, w, COLUMNS[0], "/api/v1/online-services?q=Sicherheitstest&per_page=100").await;
    let listed = field(&list, "id");
    assert!(listed.contains(&f.published), "anonymous catalogue: {listed:?}");
    assert!(!listed.contains(&f.draft) && !listed.contains(&f.in_review), "anonymous catalogue shows a draft: {listed:?}");
    assert!(leaks.is_empty(), "{} leak(s):\n{}", leaks.len(), leaks.join("\n"));
});
