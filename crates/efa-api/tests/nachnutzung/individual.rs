//! The individual path, one whole life: Köln asks, only the NRW coordinator sees and decides,
//! the provider accepts, one agreement with frozen terms and fees, both sign, the listing
//! changes without touching the agreement, onboarding by the right parties, live, the
//! contract folder and the audit trail in order, termination with the right end date.

use crate::helpers::send;
use crate::world_test;
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::json;

world_test!(a_municipality_goes_from_request_to_live_and_to_termination, |w, app| {
    let service = published_service(app, w).await;
    let (koeln, provider, nrw_coord, by_coord) = (w.kommune(KOELN), w.provider(), w.coordinator("05"), w.coordinator("09"));

    // Köln asks: a draft, for its own Gemeinde, decided in NRW.
    let r = file(app, &koeln, &service, &[]).await;
    let created = expect(&r, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(r.header("location"), Some(format!("/api/v1/reuse-requests/{id}").as_str()));
    assert_eq!(created["state"], "draft");
    assert_eq!(created["land"], "05");
    assert_eq!(created["municipalities"], json!([org(KOELN)]));
    assert_eq!(created["requester_org_id"], org(KOELN));
    assert_eq!(created["listing_version"], 1);
    assert_eq!(created["agreements"], json!([]));
    let row = w.request_row(&id);
    assert_eq!((row.state.as_str(), row.revision, row.land_code.as_str()), ("draft", 1, "05"));
    let uri = format!("/api/v1/reuse-requests/{id}");

    // A draft is Köln's own business: even the NRW coordinator does not see it yet.
    expect(&get_as(app, &uri, Some(&nrw_coord)).await, 404);
    expect(&act(app, &id, "approve", &nrw_coord, None).await, 404);

    let submitted = act_ok(app, &id, "submit", &koeln, None).await;
    assert_eq!((submitted["state"].clone(), submitted["revision"].clone()), (json!("submitted"), json!(2)));

    // Bayern's coordinator can neither see nor decide it; nothing changes.
    expect(&get_as(app, &uri, Some(&by_coord)).await, 404);
    expect(&act(app, &id, "approve", &by_coord, None).await, 404);
    expect(&act(app, &id, "reject", &by_coord, Some(json!({"reason": "nicht zuständig"}))).await, 404);
    let listed = ok(app, "/api/v1/reuse-requests", &by_coord).await;
    assert!(!crate::helpers::strs(&listed, "id").contains(&id.as_str()), "another Land's coordinator lists it: {listed}");
    assert_eq!(w.request_row(&id).state, "submitted");
    // The requester and the provider cannot approve; the provider cannot accept before the Land.
    expect(&act(app, &id, "approve", &koeln, None).await, 403);
    expect(&act(app, &id, "approve", &provider, None).await, 403);
    expect(&act(app, &id, "accept", &provider, Some(json!({}))).await, 409);

    // NRW's coordinator sees it in its list and approves.
    let listed = ok(app, "/api/v1/reuse-requests", &nrw_coord).await;
    assert!(crate::helpers::strs(&listed, "id").contains(&id.as_str()));
    assert_eq!(ok(app, &uri, &nrw_coord).await["state"], "submitted");
    let approved = act_ok(app, &id, "approve", &nrw_coord, None).await;
    assert_eq!(approved["state"], "land_approved");
    assert_eq!(w.request_row(&id).state, "land_approved");

    // Abstimmung: the provider writes, everyone party to it reads.
    let msg = json!({"body": "Bitte FIT-Connect-Zustellpunkt vorab einrichten."});
    expect(&post(app, &format!("{uri}/messages"), Some(&provider), Some(&msg)).await, 201);
    expect(&post(app, &format!("{uri}/messages"), Some(&by_coord), Some(&msg)).await, 404);
    let messages = ok(app, &format!("{uri}/messages"), &koeln).await;
    assert_eq!(crate::helpers::total(&messages), 1);
    // The request counts its messages, alone and in the lists of both sides.
    assert_eq!(ok(app, &uri, &koeln).await["message_count"], 1);
    for who in [&koeln, &nrw_coord] {
        let listed = ok(app, "/api/v1/reuse-requests", who).await;
        let row = crate::helpers::items(&listed).iter().find(|i| i["id"] == id.as_str()).cloned().expect("the request in the list");
        assert_eq!(row["message_count"], 1, "{row}");
    }

    // The provider accepts: exactly one agreement, number 1 of this year.
    let start = date(2027, 3, 1);
    let accepted = act_ok(app, &id, "accept", &provider, Some(json!({"start_date": "2027-03-01"}))).await;
    let n = number(1);
    assert_eq!(accepted["state"], "agreement_pending");
    assert_eq!(accepted["agreements"], json!([n]));
    assert_eq!(w.count_agreements(), 1);
    expect(&act(app, &id, "accept", &provider, Some(json!({}))).await, 409);
    assert_eq!(w.count_agreements(), 1, "a second accept makes no second agreement");

    // Terms and fees frozen: one-off 500 €, first year pro rata by days, then 1,200 € a year.
    let a_uri = format!("/api/v1/agreements/{n}");
    let a = ok(app, &a_uri, &koeln).await;
    let first_year = pro_rata(120_000, start);
    assert_eq!(first_year, 100_603, "306 of 365 days of 1,200.00 €");
    assert_eq!(a["state"], "pending");
    assert_eq!(a["terms_version"], "1.0");
    assert_eq!(a["terms_text"], "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.");
    assert_eq!(a["listing_version"], 1);
    assert_eq!((a["one_off_fee_cents"].as_i64(), a["first_year_fee_cents"].as_i64(), a["annual_fee_cents"].as_i64()), (Some(50_000), Some(first_year), Some(120_000)));
    assert_eq!((a["start_date"].as_str(), a["minimum_term_months"].as_i64(), a["notice_months"].as_i64()), (Some("2027-03-01"), Some(12), Some(3)));
    assert_eq!((a["provider_org_id"].as_str(), a["customer_org_id"].as_str(), a["signatory_org_id"].as_str()), (Some(nrw().as_str()), Some(org(KOELN).as_str()), Some(org(KOELN).as_str())));
    assert_eq!(a["request_id"], id.as_str());
    assert_eq!(a["listing"]["price"]["annual_fee_cents"], 120_000);
    let row = w.agreement_row(&n);
    assert_eq!((row.one_off_fee_cents, row.first_year_fee_cents, row.annual_fee_cents, row.terms_version.as_str()), (50_000, first_year, 120_000, "1.0"));
    // Strangers do not see it; the coordinator of its Land does.
    expect(&get_as(app, &a_uri, Some(&w.kommune(BONN))).await, 404);
    expect(&get_as(app, &a_uri, Some(&by_coord)).await, 404);
    ok(app, &a_uri, &nrw_coord).await;
    let mine = ok(app, "/api/v1/agreements", &koeln).await;
    assert_eq!(crate::helpers::strs(&mine, "number"), vec![n.as_str()]);
    assert_eq!(crate::helpers::total(&ok(app, "/api/v1/agreements", &w.kommune(BONN)).await), 0);

    // Both sides sign → active; the request follows.
    expect(&agreement_step(app, &n, "sign", &w.kommune(BONN), None).await, 404);
    let signed = expect(&agreement_step(app, &n, "sign", &provider, None).await, 200);
    assert_eq!(signed["state"], "pending");
    assert!(signed["provider_signed_at"].is_string() && signed["customer_signed_at"].is_null());
    w.assert_kept("the provider's signature");
    expect(&agreement_step(app, &n, "sign", &provider, None).await, 409);
    // Onboarding waits for the signatures.
    expect(&agreement_step(app, &n, "onboarding/fit_connect_destination", &koeln, None).await, 409);
    let active = expect(&agreement_step(app, &n, "sign", &koeln, None).await, 200);
    assert_eq!(active["state"], "active");
    assert_eq!(w.agreement_row(&n).state, "active");
    w.assert_kept("both signatures");
    assert_eq!(ok(app, &uri, &koeln).await["state"], "active");
    assert_eq!(w.request_row(&id).state, "active");

    // The provider changes terms and price of the listing and publishes version 2 …
    let r = get_as(app, &format!("/api/v1/online-services/{service}/listing"), Some(&provider)).await;
    let etag = r.header("etag").expect("ETag").to_owned();
    let patch = json!({"terms": {"text": "Nutzungsbedingungen 2.0, deutlich teurer.", "version": "2.0"}, "price": {"annual_fee_cents": 240000, "one_off_anbindung_fee_cents": 90000}});
    let req = TestRequest::patch()
        .uri(&format!("/api/v1/online-services/{service}"))
        .insert_header(("content-type", "application/merge-patch+json"))
        .insert_header(("if-match", etag))
        .set_payload(patch.to_string());
    let r = send(app, bearer(req, Some(&provider))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    expect(&post(app, &format!("/api/v1/online-services/{service}/submit"), Some(&provider), None).await, 200);
    let v2 = expect(&post(app, &format!("/api/v1/online-services/{service}/approve"), Some(&w.operator()), None).await, 200);
    assert_eq!(v2["published_version"], 2, "{v2}");
    let estimate = expect(&get_as(app, &format!("/api/v1/online-services/{service}/cost-estimate?ags={KOELN}&start=2028-01-01"), None).await, 200);
    assert_eq!(estimate["following_year"]["annual_fee_cents"], 240_000, "new orders see the new price");
    // … and the agreement keeps what was agreed.
    let a = ok(app, &a_uri, &koeln).await;
    assert_eq!((a["terms_version"].as_str(), a["listing_version"].as_i64()), (Some("1.0"), Some(1)));
    assert_eq!(a["terms_text"], "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.");
    assert_eq!((a["one_off_fee_cents"].as_i64(), a["first_year_fee_cents"].as_i64(), a["annual_fee_cents"].as_i64()), (Some(50_000), Some(first_year), Some(120_000)));
    assert_eq!(a["listing"]["price"]["annual_fee_cents"], 120_000);
    assert_eq!(w.agreement_row(&n).terms_text, "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.");

    // Onboarding: each step by its party; the test case belongs to the provider.
    for step in ["fit_connect_destination", "pvog_responsibility"] {
        expect(&agreement_step(app, &n, &format!("onboarding/{step}"), &koeln, None).await, 200);
    }
    expect(&agreement_step(app, &n, "onboarding/fachverfahren_connected", &provider, None).await, 403);
    expect(&agreement_step(app, &n, "onboarding/pvog_responsibility", &koeln, None).await, 409);
    let before_live = expect(&agreement_step(app, &n, "onboarding/fachverfahren_connected", &koeln, None).await, 200);
    assert_eq!(before_live["state"], "active");
    expect(&agreement_step(app, &n, "onboarding/test_case_passed", &koeln, None).await, 403);
    assert_eq!(w.agreement_row(&n).state, "active");
    let live = expect(&agreement_step(app, &n, "onboarding/test_case_passed", &provider, None).await, 200);
    let today = efa_domain::calendar::today().to_string();
    assert_eq!((live["state"].as_str(), live["live_since"].as_str()), (Some("live"), Some(today.as_str())));
    assert!(live["onboarding"].as_array().unwrap().iter().all(|s| s["done_by"].is_string()), "{}", live["onboarding"]);
    assert_eq!(live["onboarding"].as_array().unwrap().iter().find(|s| s["step"] == "test_case_passed").unwrap()["done_by"], PROVIDER);
    assert_eq!(w.agreement_row(&n).live_since, Some(efa_domain::calendar::today()));
    w.assert_kept("going live");
    assert_eq!(ok(app, &uri, &koeln).await["state"], "live");
    // No withdrawal once active.
    expect(&act(app, &id, "withdraw", &koeln, None).await, 409);

    // The contract folder: decisions, the Abstimmung, the agreement, signatures, onboarding, in time order.
    let folder = ok(app, &a_uri, &provider).await["folder"].as_array().unwrap().clone();
    let kinds: Vec<&str> = folder.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    let first = |k: &str| kinds.iter().position(|x| *x == k).unwrap_or_else(|| panic!("no {k} in {kinds:?}"));
    assert_eq!(kinds.iter().filter(|k| **k == "message").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "agreement").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "signature").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "onboarding").count(), 4, "{kinds:?}");
    assert!(first("decision") < first("agreement") && first("agreement") < first("signature") && first("signature") < first("onboarding"), "{kinds:?}");
    let decisions: Vec<&str> = folder.iter().filter(|d| d["kind"] == "decision").map(|d| d["title"].as_str().unwrap()).collect();
    assert_eq!(
        decisions,
        [
            format!("reuse_request.create by user-{KOELN}"),
            format!("reuse_request.submit by user-{KOELN}"),
            "reuse_request.land_approve by coordinator-05".to_owned(),
            format!("reuse_request.provider_accept by {PROVIDER}"),
        ]
    );
    assert!(first("message") < first("agreement"), "{kinds:?}");
    let times: Vec<&str> = folder.iter().map(|d| d["created_at"].as_str().unwrap()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> = times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|p| p[0] <= p[1]), "folder not in time order: {times:?}");

    // Termination: notice on 15 June 2027 with 3 months runs to 15 September 2027, but the
    // 12-month minimum term from 1 March 2027 lasts to 29 February 2028 (a leap day) → that
    // month's end, 29 February 2028.
    expect(&agreement_step(app, &n, "terminate", &w.kommune(BONN), Some(json!({"notice_date": "2027-06-15"}))).await, 404);
    let ended = expect(&agreement_step(app, &n, "terminate", &koeln, Some(json!({"notice_date": "2027-06-15"}))).await, 200);
    assert_eq!((ended["state"].as_str(), ended["end_date"].as_str()), (Some("terminated"), Some("2028-02-29")));
    assert_eq!(w.agreement_row(&n).end_date, Some(date(2028, 2, 29)));
    assert_eq!(ok(app, &uri, &koeln).await["state"], "terminated");
    expect(&agreement_step(app, &n, "terminate", &provider, Some(json!({"notice_date": "2027-07-01"}))).await, 409);
    assert_eq!(ended["folder"].as_array().unwrap().last().unwrap()["kind"], "termination");

    // The audit trail of the whole life, complete and in order.
    assert_eq!(
        w.actions_of(&id),
        ["reuse_request.create", "reuse_request.submit", "reuse_request.land_approve", "reuse_request.message", "reuse_request.provider_accept"]
    );
    let mut expected = vec!["agreement.sign", "agreement.sign"];
    expected.extend(["agreement.onboarding"; 4]);
    expected.push("agreement.terminate");
    assert_eq!(w.actions_of(&n), expected);
    let actors: Vec<String> = w.events_of(&n).into_iter().map(|e| e.actor).collect();
    assert_eq!(actors.first().map(String::as_str), Some(PROVIDER));
    assert_eq!(actors.last().map(String::as_str), Some(format!("user-{KOELN}").as_str()));
});

world_test!(termination_after_the_minimum_term_runs_the_notice_to_a_month_end, |w, app| {
    let service = published_service(app, w).await;
    let id = approved(app, w, &service).await;
    let provider = w.provider();
    act_ok(app, &id, "accept", &provider, Some(json!({"start_date": "2027-01-01", "minimum_term_months": 6, "notice_months": 2}))).await;
    let n = number(1);
    let a = ok(app, &format!("/api/v1/agreements/{n}"), &provider).await;
    // Starting on 1 January: the full annual fee in the first year.
    assert_eq!((a["first_year_fee_cents"].as_i64(), a["minimum_term_months"].as_i64(), a["notice_months"].as_i64()), (Some(120_000), Some(6), Some(2)));
    // Not active yet: no termination.
    expect(&agreement_step(app, &n, "terminate", &provider, Some(json!({"notice_date": "2027-11-15"}))).await, 409);
    expect(&agreement_step(app, &n, "sign", &provider, None).await, 200);
    expect(&agreement_step(app, &n, "sign", &w.kommune(KOELN), None).await, 200);
    // Notice on 15 November 2027 + 2 months = 15 January 2028 (the minimum term ended on
    // 30 June 2027) → 31 January 2028. The provider may give notice too.
    let ended = expect(&agreement_step(app, &n, "terminate", &provider, Some(json!({"notice_date": "2027-11-15"}))).await, 200);
    assert_eq!(ended["end_date"], "2028-01-31");
    assert_eq!(w.request_row(&id).state, "terminated");
    // Invalid terms are refused before anything changes.
    let other = approved(app, w, &service).await;
    expect(&act(app, &other, "accept", &provider, Some(json!({"minimum_term_months": -1}))).await, 422);
    expect(&act(app, &other, "accept", &provider, Some(json!({"notice_months": 25}))).await, 422);
    expect(&act(app, &other, "accept", &provider, Some(json!({"start": "2027-01-01"}))).await, 422);
    assert_eq!(w.request_row(&other).state, "land_approved");
    assert_eq!(w.count_agreements(), 1);
});
