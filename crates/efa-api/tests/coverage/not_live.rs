//! What must not count: an agreement not yet live (pending, active, onboarding unfinished),
//! a service that is not live (retired, withdrawn, pilot, in development), and an agreement
//! that has ended (a terminated agreement counts until its end date).

use crate::world_test;
use crate::helpers::ok_json;
use crate::support::*;
use serde_json::json;

world_test!(an_agreement_counts_only_once_it_is_live, |w, app| {
    let l = published(app, w, "Wohngeld Chiemgau", "09", &[WOHNGELD], 3, "agreements").await;
    let token = w.kommune(UEBERSEE);
    // Pending: accepted by the provider, no signature yet.
    let number = pending_by_request(app, w, &l, UEBERSEE).await;
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "pending");
    // One signature: still pending.
    post_ok(app, &format!("/api/v1/agreements/{number}/sign"), &w.publisher("09"), None).await;
    assert_eq!(w.agreement_row(&number).state, "pending");
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "signed by one side");
    // Both signatures: active, but not connected yet.
    let a = post_ok(app, &format!("/api/v1/agreements/{number}/sign"), &token, None).await;
    assert_eq!(a["state"], "active");
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "active");
    // Three of four onboarding steps.
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        post_ok(app, &format!("/api/v1/agreements/{number}/onboarding/{step}"), &token, None).await;
        assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "after {step}");
    }
    // The provider's test case: live, and covered at once.
    let live = post_ok(app, &format!("/api/v1/agreements/{number}/onboarding/test_case_passed"), &w.publisher("09"), None).await;
    assert_eq!(live["state"], "live");
    let cov = gemeinde(app, UEBERSEE).await;
    assert_eq!((cov["covered"].as_u64(), item(&cov, WOHNGELD)["agreement"].as_str()), (Some(1), Some(number.as_str())));

    // An accession is active at once, and still not live.
    let fw = framework(app, w, &l, "09").await;
    let chieming = accede(app, &fw, &w.kommune(CHIEMING), None).await;
    post_ok(app, &format!("/api/v1/agreements/{chieming}/onboarding/fit_connect_destination"), &w.kommune(CHIEMING), None).await;
    assert_eq!(w.agreement_row(&chieming).state, "active");
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 0);
    // Where Wohngeld is live: Übersee only (population 4,997).
    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await;
    assert_eq!((o["laender"].as_u64(), o["kreise"].as_u64(), o["gemeinden"].as_u64(), o["population"].as_i64()), (Some(1), Some(1), Some(1), Some(4_997)));
});

world_test!(a_service_that_is_not_live_does_not_count, |w, app| {
    // Two live agreements, one per service.
    let wohngeld = published(app, w, "Wohngeld Chiemgau", "09", &[WOHNGELD], 3, "agreements").await;
    let fw = framework(app, w, &wohngeld, "09").await;
    let uebersee = live_by_accession(app, w, &wohngeld, &fw, UEBERSEE).await;
    let famv = published(app, w, "Familienversicherung Chiemgau", "09", &[OZG_A], 3, "agreements").await;
    let fw2 = framework(app, w, &famv, "09").await;
    let chieming = live_by_accession(app, w, &famv, &fw2, CHIEMING).await;
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 1);
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 1);

    // The provider publishes the Wohngeld service as retired: its agreement stays live, but a
    // retired service reaches nobody.
    let v = republish(app, w, &wohngeld, &json!({"status": "retired"})).await;
    assert_eq!(v["published_version"], 2, "{v}");
    assert_eq!(w.agreement_row(&uebersee).state, "live");
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "retired service");
    assert_eq!(ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await["gemeinden"], 0);
    // Back in operation: the same agreement counts again.
    republish(app, w, &wohngeld, &json!({"status": "live"})).await;
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 1);

    // The Familienversicherung listing is withdrawn from the catalogue altogether.
    post_ok(app, &format!("/api/v1/online-services/{}/retire", famv.id), &w.publisher("09"), None).await;
    assert_eq!(w.agreement_row(&chieming).state, "live");
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 0, "withdrawn listing");

    // Land-wide and nationwide listings that are not live yet reach nobody.
    let mut pilot = listing("Familienpass Nord (Pilot)", "01", &[OZG_C], 2, "land_wide");
    pilot["status"] = json!("pilot");
    publish(app, w, &pilot).await;
    let mut dev = listing("Hebammenhilfe bundesweit (in Entwicklung)", "06", &[OZG_B], 2, "nationwide");
    dev["status"] = json!("in_development");
    publish(app, w, &dev).await;
    assert_eq!(gemeinde(app, KIEL).await["covered"], 0);
    assert_eq!(gemeinde(app, MUENCHEN).await["covered"], 0);
    for ozg in [OZG_B, OZG_C] {
        assert_eq!(ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{ozg}")).await["gemeinden"], 0, "{ozg}");
    }
});

world_test!(a_terminated_agreement_counts_until_its_end, |w, app| {
    let l = published(app, w, "Wohngeld Chiemgau", "09", &[WOHNGELD], 3, "agreements").await;
    let fw = framework(app, w, &l, "09").await;
    let uebersee = live_by_accession(app, w, &l, &fw, UEBERSEE).await;
    let chieming = live_by_accession(app, w, &l, &fw, CHIEMING).await;
    // Kreis Traunstein (09189): 35 Gemeinden, two of them cover 1 of 460.
    let k = ok_json(app, "/api/v1/coverage/kreise/09189").await;
    assert_eq!((k["gemeinden"].as_u64(), k["share_max"].as_f64()), (Some(35), Some(0.0022)));
    assert_eq!(ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await["gemeinden"], 2);

    // Notice cannot be backdated: 422 at the field, nothing changes.
    let yesterday = (efa_domain::calendar::today() - chrono::Duration::days(1)).to_string();
    let p = expect(&post(app, &format!("/api/v1/agreements/{uebersee}/terminate"), &w.kommune(UEBERSEE), Some(&json!({"notice_date": yesterday}))).await, 422);
    assert_eq!(p["errors"][0]["field"], "notice_date", "{p}");
    assert_eq!(w.agreement_row(&uebersee).state, "live");

    // Übersee gives notice today: terminated, but the service runs until the end date.
    let t = post_ok(app, &format!("/api/v1/agreements/{uebersee}/terminate"), &w.kommune(UEBERSEE), None).await;
    assert_eq!(t["state"], "terminated");
    let end: chrono::NaiveDate = t["end_date"].as_str().expect("end date").parse().unwrap();
    assert!(end > efa_domain::calendar::today(), "{end}");
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 1, "still covered until {end}");
    assert_eq!(ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await["gemeinden"], 2);

    // The day after its end it no longer counts (the end date moved into the past here;
    // the server rebuilds coverage when the day changes).
    {
        use diesel::prelude::*;
        use efa_store::schema::agreements as ag;
        diesel::update(ag::table.filter(ag::number.eq(&uebersee)))
            .set(ag::end_date.eq(Some(efa_domain::calendar::today() - chrono::Duration::days(1))))
            .execute(&mut w.db.conn())
            .expect("move the end date");
    }
    w.state.reload_coverage().await.expect("rebuild coverage");
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0);
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 1);
    // Wohngeld is live in Chieming only now (population 4,976).
    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await;
    assert_eq!((o["gemeinden"].as_u64(), o["population"].as_i64()), (Some(1), Some(4_976)));
    // An agreement ending today still counts today.
    post_ok(app, &format!("/api/v1/agreements/{chieming}/terminate"), &w.publisher("09"), None).await;
    {
        use diesel::prelude::*;
        use efa_store::schema::agreements as ag;
        diesel::update(ag::table.filter(ag::number.eq(&chieming))).set(ag::end_date.eq(Some(efa_domain::calendar::today()))).execute(&mut w.db.conn()).unwrap();
    }
    w.state.reload_coverage().await.expect("rebuild coverage");
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 1, "the last day counts");
});
