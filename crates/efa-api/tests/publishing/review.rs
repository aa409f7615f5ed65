//! Review by the operator: reject with a reason (shown to the provider), approve, duplicates.

use crate::helpers::{assert_problem, items};
use crate::world_test;
use crate::support::*;
use serde_json::json;

world_test!(reject_sends_the_listing_back_with_its_reason, |w, app| {
    let provider = w.nrw_publisher();
    let operator = w.operator();
    let id = created(app, &provider, &listing(&nrw(), "Ablehnungstest Bewohnerparkausweis", 10092)).await;
    act_ok(app, &id, "submit", &provider).await;
    let reject_uri = format!("/api/v1/online-services/{id}/reject");

    // Invalid reasons: 422 naming `reason`; nothing changes, no event.
    let before = w.counts();
    for body in [json!({"reason": ""}), json!({"reason": "   \n "}), json!({}), json!({"reason": 42}), json!({"reason": "ok", "extra": 1}), json!({"reason": "x".repeat(2001)})] {
        let r = post_json(app, &reject_uri, Some(&operator), &body).await;
        let p = assert_problem(&r, 422);
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/validation-failed");
        assert_eq!(p["errors"][0]["field"], "reason", "{body}: {p}");
        assert!(p["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(w.counts(), before);
    assert_eq!(w.row_state(&id).0, "in_review");

    // The provider cannot reject (nor approve) its own listing.
    assert_problem(&post_json(app, &reject_uri, Some(&provider), &json!({"reason": "selbst"})).await, 403);

    // The operator rejects: back to draft, with the reason.
    let reason = "Die Preisangaben zur Anbindung fehlen; bitte ergänzen.";
    let r = post_json(app, &reject_uri, Some(&operator), &json!({"reason": format!("  {reason}  ")})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.header("etag"), Some(etag(3).as_str()));
    let b = r.json();
    assert_eq!((b["listing_state"].as_str(), b["review_note"].as_str()), (Some("draft"), Some(reason)), "reason is trimmed: {b}");
    assert_eq!(w.row_state(&id), ("draft".to_owned(), 3, None, Some(reason.to_owned())));

    // The provider sees the reason on its working copy; the public sees nothing.
    let copy = working_copy(app, &id, &provider).await;
    assert_eq!(copy["review_note"], reason);
    assert_eq!(copy["listing_state"], "draft");
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}"), None).await, 404);
    // Another provider does not.
    assert_problem(&get_as(app, &format!("/api/v1/online-services/{id}/listing"), Some(&w.by_publisher())).await, 404);

    // Rejecting a draft is a state conflict.
    assert_problem(&post_json(app, &reject_uri, Some(&operator), &json!({"reason": "noch einmal"})).await, 409);

    // The event records the reason.
    let events = w.events_of(&id);
    let last = events.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor.as_str()), ("listing.reject", OPERATOR));
    let after: serde_json::Value = serde_json::from_str(last.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["review_note"], reason);
    assert_eq!(after["listing_state"], "draft");

    // Fix, resubmit, approve: the note is gone once the listing moves on.
    let r = patch(app, &id, Some(&provider), Some(&etag(3)), &json!({"price": {"one_off_anbindung_fee_cents": 100000}})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    act_ok(app, &id, "submit", &provider).await;
    let approved = act_ok(app, &id, "approve", &operator).await;
    assert!(approved["review_note"].is_null(), "{approved}");
    assert_eq!(ok_as(app, &format!("/api/v1/online-services/{id}"), None).await["prices"]["one_off_anbindung_fee_cents"], 100000);
});

world_test!(possible_duplicates_across_providers_by_name, |w, app| {
    let mine = created(app, &w.nrw_publisher(), &listing(&nrw(), "Doppeltest Fischereischein Online Antrag", 10092)).await;
    let theirs = created(app, &w.by_publisher(), &listing(&bayern(), "Doppeltest Fischereischein Antrag Online", 10000)).await;
    let unrelated = created(app, &w.by_publisher(), &listing(&bayern(), "Ganz anderer Dienst Hundesteuer", 10000)).await;
    act_ok(app, &mine, "submit", &w.nrw_publisher()).await;
    let dup = ok_as(app, &format!("/api/v1/online-services/{mine}/possible-duplicates"), Some(&w.operator())).await;
    let hit = items(&dup).iter().find(|d| d["service"]["id"] == theirs.as_str()).unwrap_or_else(|| panic!("Bayern's near-identical listing missing: {dup}"));
    assert_eq!(hit["reasons"], json!(["similar_name"]));
    assert_eq!(hit["name_similarity"], 1.0);
    assert_eq!(hit["service"]["provider"]["id"], bayern().as_str());
    assert!(items(&dup).iter().all(|d| d["service"]["id"] != unrelated.as_str()), "{dup}");
    // Sorted by similarity, highest first.
    let sims: Vec<f64> = items(&dup).iter().map(|d| d["name_similarity"].as_f64().unwrap()).collect();
    assert!(sims.windows(2).all(|p| p[0] >= p[1]), "{sims:?}");
});
