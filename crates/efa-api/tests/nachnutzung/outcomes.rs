//! The other endings of a request: withdrawal until active, rejection by the Land (with a
//! reason, final), decline by the provider (with a reason, final), and who may do each.

use crate::world_test;
use crate::support::*;
use serde_json::json;

world_test!(the_requester_withdraws_until_the_agreement_is_active, |w, app| {
    let service = published_service(app, w).await;
    let (koeln, provider, coord) = (w.kommune(KOELN), w.provider(), w.coordinator("05"));

    // In draft.
    let draft = filed(app, &koeln, &service, &[]).await;
    let v = act_ok(app, &draft, "withdraw", &koeln, None).await;
    assert_eq!(v["state"], "withdrawn");
    assert_eq!(w.request_row(&draft).state, "withdrawn");
    expect(&act(app, &draft, "submit", &koeln, None).await, 409);
    expect(&act(app, &draft, "withdraw", &koeln, None).await, 409);

    // Submitted: only the requester withdraws; then the Land has nothing left to decide.
    let submitted = filed(app, &koeln, &service, &[]).await;
    act_ok(app, &submitted, "submit", &koeln, None).await;
    expect(&act(app, &submitted, "withdraw", &w.kommune(BONN), None).await, 404);
    expect(&act(app, &submitted, "withdraw", &provider, None).await, 403);
    expect(&act(app, &submitted, "withdraw", &coord, None).await, 403);
    assert_eq!(act_ok(app, &submitted, "withdraw", &koeln, None).await["state"], "withdrawn");
    expect(&act(app, &submitted, "approve", &coord, None).await, 409);
    assert_eq!(w.request_row(&submitted).state, "withdrawn");

    // Approved by the Land: still possible; the provider cannot accept afterwards.
    let approved_id = approved(app, w, &service).await;
    assert_eq!(act_ok(app, &approved_id, "withdraw", &koeln, None).await["state"], "withdrawn");
    expect(&act(app, &approved_id, "accept", &provider, Some(json!({}))).await, 409);
    assert_eq!(w.count_agreements(), 0);

    // Active: too late.
    let active = approved(app, w, &service).await;
    act_ok(app, &active, "accept", &provider, Some(json!({"start_date": "2027-01-01"}))).await;
    let n = number(1);
    expect(&agreement_step(app, &n, "sign", &provider, None).await, 200);
    expect(&agreement_step(app, &n, "sign", &koeln, None).await, 200);
    assert_eq!(w.request_row(&active).state, "active");
    let p = expect(&act(app, &active, "withdraw", &koeln, None).await, 409);
    assert!(p["detail"].as_str().unwrap().contains("active"), "{p}");
    assert_eq!(w.request_row(&active).state, "active");
    assert_eq!(w.agreement_row(&n).state, "active");
    let withdrawals = [draft, submitted, approved_id].iter().map(|id| w.actions_of(id).iter().filter(|a| *a == "reuse_request.withdraw").count()).sum::<usize>();
    assert_eq!(withdrawals, 3, "one audit event per withdrawal");
    assert!(!w.actions_of(&active).iter().any(|a| a == "reuse_request.withdraw"), "a refused withdrawal leaves no event");
});

world_test!(a_withdrawal_while_the_agreement_awaits_signatures_leaves_nothing_to_sign, |w, app| {
    let service = published_service(app, w).await;
    let (koeln, provider) = (w.kommune(KOELN), w.provider());
    let id = approved(app, w, &service).await;
    act_ok(app, &id, "accept", &provider, Some(json!({"start_date": "2027-01-01"}))).await;
    let n = number(1);
    expect(&agreement_step(app, &n, "sign", &provider, None).await, 200);
    assert_eq!(act_ok(app, &id, "withdraw", &koeln, None).await["state"], "withdrawn");
    // The request is withdrawn: its agreement must not become active behind its back.
    expect(&agreement_step(app, &n, "sign", &koeln, None).await, 409);
    assert_eq!(w.agreement_row(&n).state, "pending");
    assert_eq!(w.request_row(&id).state, "withdrawn");
});

world_test!(the_land_rejects_only_with_a_reason_and_rejection_is_final, |w, app| {
    let service = published_service(app, w).await;
    let (koeln, provider, coord) = (w.kommune(KOELN), w.provider(), w.coordinator("05"));
    let id = filed(app, &koeln, &service, &[]).await;
    act_ok(app, &id, "submit", &koeln, None).await;

    for body in [json!({}), json!({"reason": "   "}), json!({"reason": null}), json!({"reason": "x".repeat(2001)})] {
        let p = expect(&act(app, &id, "reject", &coord, Some(body)).await, 422);
        assert_eq!(p["errors"][0]["field"], "reason", "{p}");
    }
    assert_eq!(w.request_row(&id).state, "submitted");
    expect(&act(app, &id, "reject", &w.coordinator("09"), Some(json!({"reason": "nein"}))).await, 404);
    expect(&act(app, &id, "reject", &provider, Some(json!({"reason": "nein"}))).await, 403);

    let reason = "Das Land stellt einen eigenen Dienst bereit.";
    let v = act_ok(app, &id, "reject", &coord, Some(json!({"reason": reason}))).await;
    assert_eq!((v["state"].as_str(), v["decision_reason"].as_str()), (Some("land_rejected"), Some(reason)));
    let row = w.request_row(&id);
    assert_eq!((row.state.as_str(), row.decision_reason.as_deref(), row.revision), ("land_rejected", Some(reason), 3));

    // Final: nothing moves it any more.
    expect(&act(app, &id, "approve", &coord, None).await, 409);
    expect(&act(app, &id, "reject", &coord, Some(json!({"reason": "nochmal"}))).await, 409);
    expect(&act(app, &id, "withdraw", &koeln, None).await, 409);
    expect(&act(app, &id, "submit", &koeln, None).await, 409);
    expect(&act(app, &id, "accept", &provider, Some(json!({}))).await, 409);
    assert_eq!(w.request_row(&id), row, "refused actions change nothing");
    assert_eq!(w.count_agreements(), 0);
    assert_eq!(w.actions_of(&id), ["reuse_request.create", "reuse_request.submit", "reuse_request.land_reject"]);
    let event = w.events_of(&id).pop().unwrap();
    let after: serde_json::Value = serde_json::from_str(event.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["reason"], reason);
});

world_test!(the_provider_declines_with_a_reason, |w, app| {
    let service = published_service(app, w).await;
    let (koeln, provider) = (w.kommune(KOELN), w.provider());
    let id = approved(app, w, &service).await;

    expect(&act(app, &id, "decline", &provider, Some(json!({}))).await, 422);
    // Only a publisher of the providing organisation decides: the requester may not, another provider does not even see it.
    expect(&act(app, &id, "decline", &koeln, Some(json!({"reason": "nein"}))).await, 403);
    expect(&act(app, &id, "accept", &koeln, Some(json!({}))).await, 403);
    let bayern_publisher = w.token("by-publisher", &efa_store::seed::seed_id("land", "09"), &[Role::ProviderPublisher], None);
    expect(&act(app, &id, "accept", &bayern_publisher, Some(json!({}))).await, 404);
    assert_eq!(w.request_row(&id).state, "land_approved");

    let reason = "Kapazität für neue Mandanten erst ab 2028.";
    let v = act_ok(app, &id, "decline", &provider, Some(json!({"reason": reason}))).await;
    assert_eq!((v["state"].as_str(), v["decision_reason"].as_str()), (Some("provider_declined"), Some(reason)));
    assert_eq!(v["agreements"], json!([]));
    expect(&act(app, &id, "accept", &provider, Some(json!({}))).await, 409);
    expect(&act(app, &id, "withdraw", &koeln, None).await, 409);
    assert_eq!(w.request_row(&id).state, "provider_declined");
    assert_eq!(w.count_agreements(), 0);
    assert_eq!(w.actions_of(&id).last().map(String::as_str), Some("reuse_request.provider_decline"));
});
