//! Bundled requests: a bundler files for its member Gemeinden (not for others), the Land
//! decides once, the provider's acceptance makes one agreement per Gemeinde with consecutive
//! numbers, and the bundler signs the customer side of each.

use crate::helpers::strs;
use crate::world_test;
use crate::support::*;
use serde_json::json;

world_test!(a_bundler_files_for_its_members_only, |w, app| {
    let service = published_service(app, w).await;
    let bundler = w.bundler();
    let before = w.count_requests();

    // Not a member: München (Bayern).
    let p = expect(&file(app, &bundler, &service, &[org(MUENCHEN)]).await, 403);
    assert!(p["detail"].as_str().unwrap().contains("reuse request"), "{p}");
    // One member and one stranger is no better.
    expect(&file(app, &bundler, &service, &[org(KOELN), org("05334002")]).await, 403);
    // Gemeinden of two Länder never share a request.
    let p = expect(&file(app, &bundler, &service, &[org(KOELN), org(MUENCHEN)]).await, 422);
    assert_eq!(p["errors"][0]["field"], "municipalities[1]", "{p}");
    // A Gemeinde named twice is a mistake, not two orders.
    let p = expect(&file(app, &bundler, &service, &[org(KOELN), org(BONN), org(KOELN)]).await, 422);
    assert_eq!((p["errors"][0]["field"].as_str(), p["errors"][0]["message"].as_str()), (Some("municipalities[2]"), Some("names a Gemeinde already listed")), "{p}");
    // A bundler must name its Gemeinden; a Land is not one.
    expect(&file(app, &bundler, &service, &[]).await, 422);
    expect(&file(app, &bundler, &service, &[nrw()]).await, 422);
    // A municipality user files only for its own Gemeinde.
    expect(&file(app, &w.kommune(KOELN), &service, &[org(BONN)]).await, 403);
    expect(&file(app, &w.kommune(KOELN), &service, &[org(KOELN), org(BONN)]).await, 403);
    assert_eq!(w.count_requests(), before, "refused requests leave no row");

    let r = file(app, &bundler, &service, &[org(KOELN), org(BONN)]).await;
    let v = expect(&r, 201);
    let mut members = vec![org(KOELN), org(BONN)];
    members.sort();
    assert_eq!(v["municipalities"], json!(members));
    assert_eq!((v["requester_org_id"].as_str(), v["land"].as_str(), v["state"].as_str()), (Some(bundler_org().as_str()), Some("05"), Some("draft")));
    assert_eq!(w.count_requests(), before + 1);
    // The members see the request filed for them.
    let id = v["id"].as_str().unwrap();
    ok(app, &format!("/api/v1/reuse-requests/{id}"), &w.kommune(BONN)).await;
    expect(&get_as(app, &format!("/api/v1/reuse-requests/{id}"), Some(&w.kommune(MUENCHEN))).await, 404);
});

world_test!(a_bundled_request_makes_one_agreement_per_gemeinde_signed_by_the_bundler, |w, app| {
    let service = published_service(app, w).await;
    let (bundler, provider, coord) = (w.bundler(), w.provider(), w.coordinator("05"));
    let id = filed(app, &bundler, &service, &[org(KOELN), org(BONN)]).await;
    // Only the requester (the bundler) submits, not a member.
    expect(&act(app, &id, "submit", &w.kommune(KOELN), None).await, 403);
    act_ok(app, &id, "submit", &bundler, None).await;
    act_ok(app, &id, "approve", &coord, None).await;
    let accepted = act_ok(app, &id, "accept", &provider, Some(json!({"start_date": "2027-07-01", "minimum_term_months": 24, "notice_months": 6}))).await;
    assert_eq!(accepted["state"], "agreement_pending");

    // Two agreements, consecutive numbers, each for its own Gemeinde, signed for by the bundler.
    let numbers: Vec<String> = accepted["agreements"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers, [number(1), number(2)]);
    assert_eq!(w.agreement_numbers(), numbers);
    let mut customers = Vec::new();
    for n in &numbers {
        let row = w.agreement_row(n);
        assert_eq!(row.signatory_org_id, bundler_org());
        assert_eq!(row.request_id.as_deref(), Some(id.as_str()));
        assert_eq!((row.start_date, row.minimum_term_months, row.notice_months), (date(2027, 7, 1), 24, 6));
        // 1 July 2027: 184 of 365 days.
        assert_eq!((row.one_off_fee_cents, row.first_year_fee_cents, row.annual_fee_cents), (50_000, pro_rata(120_000, date(2027, 7, 1)), 120_000));
        assert_eq!(row.first_year_fee_cents, 60_493);
        customers.push(row.customer_org_id);
    }
    customers.sort();
    let mut members = vec![org(KOELN), org(BONN)];
    members.sort();
    assert_eq!(customers, members);

    // Everyone sees what is theirs: the bundler both, each Gemeinde its own.
    assert_eq!(strs(&ok(app, "/api/v1/agreements", &bundler).await, "number").len(), 2);
    let koeln_number = numbers.iter().find(|n| w.agreement_row(n).customer_org_id == org(KOELN)).unwrap().clone();
    let bonn_number = numbers.iter().find(|n| **n != koeln_number).unwrap().clone();
    assert_eq!(strs(&ok(app, "/api/v1/agreements", &w.kommune(KOELN)).await, "number"), [koeln_number.as_str()]);
    expect(&get_as(app, &format!("/api/v1/agreements/{koeln_number}"), Some(&w.kommune(BONN))).await, 404);

    // The bundler signs the customer side of both, the provider its side → active.
    for n in &numbers {
        let v = expect(&agreement_step(app, n, "sign", &bundler, None).await, 200);
        assert!(v["customer_signed_at"].is_string());
        assert_eq!(v["state"], "pending");
        expect(&agreement_step(app, n, "sign", &bundler, None).await, 409);
        // Bonn's own user cannot sign again for the customer side.
        expect(&agreement_step(app, n, "sign", &w.kommune(BONN), None).await, if *n == bonn_number { 409 } else { 404 });
    }
    assert_eq!(w.request_row(&id).state, "agreement_pending", "active only once every agreement is");
    expect(&agreement_step(app, &numbers[0], "sign", &provider, None).await, 200);
    assert_eq!(w.request_row(&id).state, "agreement_pending");
    expect(&agreement_step(app, &numbers[1], "sign", &provider, None).await, 200);
    for n in &numbers {
        let row = w.agreement_row(n);
        assert_eq!(row.state, "active");
        assert_eq!(row.customer_signed_by.as_deref(), Some(BUNDLER));
        assert_eq!(row.provider_signed_by.as_deref(), Some(PROVIDER));
    }
    assert_eq!(w.request_row(&id).state, "active");

    // Onboarding of the customer's steps: the bundler acts for the member too.
    expect(&agreement_step(app, &bonn_number, "onboarding/fit_connect_destination", &bundler, None).await, 200);
    expect(&agreement_step(app, &bonn_number, "onboarding/pvog_responsibility", &w.kommune(BONN), None).await, 200);

    // Each agreement ends on its own: one terminated leaves the request active.
    // Notice 15 January 2028 + 6 months = 15 July 2028, before the 24-month minimum term
    // (to 30 June 2029) → 30 June 2029.
    let ended = expect(&agreement_step(app, &koeln_number, "terminate", &bundler, Some(json!({"notice_date": "2028-01-15"}))).await, 200);
    assert_eq!(ended["end_date"], "2029-06-30");
    assert_eq!(w.request_row(&id).state, "active");
    expect(&agreement_step(app, &bonn_number, "terminate", &bundler, Some(json!({"notice_date": "2029-03-10"}))).await, 200);
    // Notice 10 March 2029 + 6 months = 10 September 2029 → 30 September 2029.
    assert_eq!(w.agreement_row(&bonn_number).end_date, Some(date(2029, 9, 30)));
    assert_eq!(w.request_row(&id).state, "terminated");
    w.assert_kept("terminating both agreements");
});
