//! Correctness under concurrency: of 50 racing approvals exactly one succeeds (one audit
//! event, one state change); 20 racing accessions get 20 gapless, unique contract numbers.

use crate::framework::{accede_uri, offer};
use crate::helpers::{send, Resp};
use crate::world_test;
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::json;

fn bodies(rs: &[Resp]) -> Vec<String> {
    rs.iter().map(|r| format!("{} {}", r.status.as_u16(), r.text())).collect()
}

world_test!(fifty_racing_approvals_approve_once, |w, app| {
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let id = filed(app, &koeln, &service, &[]).await;
    act_ok(app, &id, "submit", &koeln, None).await;
    let coord = w.coordinator("05");
    let uri = format!("/api/v1/reuse-requests/{id}/approve");

    let requests: Vec<_> = (0..50).map(|_| send(app, bearer(TestRequest::post().uri(&uri), Some(&coord)))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "exactly one winner: {:?}", bodies(&responses));
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 49, "the others are told it changed: {:?}", bodies(&responses));
    for r in responses.iter().filter(|r| r.status.as_u16() == 409) {
        assert_eq!(r.content_type(), "application/problem+json");
    }
    let winner = responses.iter().find(|r| r.status.as_u16() == 200).unwrap().json();
    assert_eq!((winner["state"].as_str(), winner["revision"].as_i64()), (Some("land_approved"), Some(3)));

    let row = w.request_row(&id);
    assert_eq!((row.state.as_str(), row.revision), ("land_approved", 3), "one transition, one revision step");
    let approvals = w.actions_of(&id).into_iter().filter(|a| a == "reuse_request.land_approve").count();
    assert_eq!(approvals, 1, "one audit event");
    assert_eq!(w.actions_of(&id), ["reuse_request.create", "reuse_request.submit", "reuse_request.land_approve"]);
});

world_test!(racing_acceptances_make_one_set_of_agreements, |w, app| {
    let service = published_service(app, w).await;
    let id = filed(app, &w.bundler(), &service, &[org(KOELN), org(BONN)]).await;
    act_ok(app, &id, "submit", &w.bundler(), None).await;
    act_ok(app, &id, "approve", &w.coordinator("05"), None).await;
    let provider = w.provider();
    let uri = format!("/api/v1/reuse-requests/{id}/accept");
    let body = json!({"start_date": "2027-01-01"});
    let requests: Vec<_> = (0..10).map(|_| send(app, bearer(TestRequest::post().uri(&uri).set_json(&body), Some(&provider)))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{:?}", bodies(&responses));
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 9, "{:?}", bodies(&responses));
    // The losers' numbers were rolled back with them: 1 and 2, no gap, no more.
    assert_eq!(w.agreement_numbers(), [number(1), number(2)]);
    assert_eq!(w.actions_of(&id).iter().filter(|a| *a == "reuse_request.provider_accept").count(), 1);
});

world_test!(twenty_racing_accessions_get_gapless_unique_numbers, |w, app| {
    let service = published_service(app, w).await;
    let framework = offer(app, w, &service, "01").await;
    expect(&post(app, &format!("/api/v1/framework-agreements/{framework}/approve"), Some(&w.coordinator("01")), None).await, 200);

    let gemeinden: Vec<String> = gemeinden_of("01").into_iter().take(20).map(|(ags, _)| ags).collect();
    assert_eq!(gemeinden.len(), 20);
    let tokens: Vec<String> = gemeinden.iter().map(|ags| w.kommune(ags)).collect();
    let uri = accede_uri(&framework);
    let requests: Vec<_> = tokens.iter().map(|t| send(app, bearer(TestRequest::post().uri(&uri), Some(t)))).collect();
    let responses = join_all(requests).await;
    assert!(statuses(&responses).iter().all(|&c| c == 201), "{:?}", bodies(&responses));

    let mut numbers: Vec<String> = responses.iter().map(|r| r.json()["number"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(number).collect();
    assert_eq!(numbers, expected, "1 to 20, no gap, no duplicate");
    assert_eq!(w.agreement_numbers(), expected);
    // Each Gemeinde got exactly one, under its own number.
    let mut customers: Vec<String> = responses.iter().map(|r| r.json()["customer_org_id"].as_str().unwrap().to_owned()).collect();
    customers.sort();
    customers.dedup();
    assert_eq!(customers.len(), 20);
    for r in &responses {
        let a = r.json();
        let row = w.agreement_row(a["number"].as_str().unwrap());
        assert_eq!(row.customer_org_id, a["customer_org_id"].as_str().unwrap());
        assert_eq!((row.state.as_str(), row.framework_agreement_id.as_deref()), ("active", Some(framework.as_str())));
    }
    // The next one continues the sequence.
    let twenty_first = gemeinden_of("01").into_iter().nth(20).unwrap().0;
    let next = expect(&post(app, &uri, Some(&w.kommune(&twenty_first)), None).await, 201);
    assert_eq!(next["number"], number(21));
});
