//! Adoption per month: agreements signed and services gone live, with land, online_service
//! and from/to filters, and a bad month answered 400.

use crate::world_test;
use crate::fixtures::*;
use crate::helpers::{assert_bad_param, items, ok_json};
use crate::support::*;
use chrono::NaiveDate;
use serde_json::Value;

fn months(body: &Value) -> Vec<(String, u64, u64)> {
    items(body).iter().map(|m| (m["month"].as_str().unwrap().to_owned(), m["agreements_signed"].as_u64().unwrap(), m["went_live"].as_u64().unwrap())).collect()
}

fn m(month: &str, signed: u64, live: u64) -> (String, u64, u64) {
    (month.to_owned(), signed, live)
}

struct Fixture {
    /// The month the API-made agreements were signed and went live in (today's).
    now: String,
    familie: Listing,
    hebamme: Listing,
    wohngeld: Listing,
}

/// - Ammerland (Land 03): the Kreis agreement, signed 2025-02-10, live 2025-03-03; Edewecht
///   signed and live this month; Apen signed this month (accession), not live.
/// - Bayern (Land 09): Übersee signed 2024-11-05, live 2024-12-02, since terminated (it was
///   signed and went live all the same); Chieming's agreement is signed by Chieming only, so
///   it is no signed agreement; a pending agreement of Nußdorf with no signature at all.
async fn fixture<A: TestApp>(app: &A, w: &World) -> Fixture {
    let f = ammerland(app, w).await;
    let wohngeld = published(app, w, "Wohngeld Chiemgau", "09", &[WOHNGELD], 3, "agreements").await;
    let live = NaiveDate::from_ymd_opt(2024, 12, 2);
    direct_agreement(w, &wohngeld, &org(UEBERSEE), &org(UEBERSEE), Dates { state: "terminated", signed: Some(at(2024, 11, 5)), live_since: live }).await;
    direct_agreement(w, &wohngeld, &org(NUSSDORF), &org(NUSSDORF), Dates { state: "pending", signed: None, live_since: None }).await;
    let chieming = pending_by_request(app, w, &wohngeld, CHIEMING).await;
    let one_side = post_ok(app, &format!("/api/v1/agreements/{chieming}/sign"), &w.kommune(CHIEMING), None).await;
    assert_eq!((one_side["state"].as_str(), one_side["provider_signed_at"].is_null()), (Some("pending"), true));

    let edewecht = w.agreement_row(&f.edewecht_agreement);
    let now = edewecht.customer_signed_at.expect("signed").format("%Y-%m").to_string();
    assert_eq!(edewecht.live_since.expect("live").format("%Y-%m").to_string(), now);
    w.assert_kept("the adoption fixture");
    Fixture { now, familie: f.familie, hebamme: f.hebamme, wohngeld }
}

world_test!(adoption_counts_signatures_and_go_lives_per_month, |w, app| {
    let f = fixture(app, w).await;
    let body = ok_json(app, "/api/v1/coverage/adoption").await;
    // Months ascending; this month: Edewecht and Apen signed (2), Edewecht went live (1).
    assert_eq!(months(&body), [m("2024-11", 1, 0), m("2024-12", 0, 1), m("2025-02", 1, 0), m("2025-03", 0, 1), m(&f.now, 2, 1)]);

    // By the Land of the customer.
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?land=03").await), [m("2025-02", 1, 0), m("2025-03", 0, 1), m(&f.now, 2, 1)]);
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?land=09").await), [m("2024-11", 1, 0), m("2024-12", 0, 1)]);
    assert!(items(&ok_json(app, "/api/v1/coverage/adoption?land=01").await).is_empty());
    // By service.
    let by = |l: &Listing| format!("/api/v1/coverage/adoption?online_service={}", l.id);
    assert_eq!(months(&ok_json(app, &by(&f.familie)).await), [m("2025-02", 1, 0), m("2025-03", 0, 1)]);
    assert_eq!(months(&ok_json(app, &by(&f.hebamme)).await), [m(&f.now, 2, 1)]);
    assert_eq!(months(&ok_json(app, &by(&f.wohngeld)).await), [m("2024-11", 1, 0), m("2024-12", 0, 1)]);
    // From / to, both inclusive.
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?from=2025-01&to=2025-12").await), [m("2025-02", 1, 0), m("2025-03", 0, 1)]);
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?from=2025-03&to=2025-03").await), [m("2025-03", 0, 1)]);
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?to=2024-12").await), [m("2024-11", 1, 0), m("2024-12", 0, 1)]);
    assert_eq!(months(&ok_json(app, "/api/v1/coverage/adoption?from=2024-12&to=2025-02&land=09").await), [m("2024-12", 0, 1)]);
});

world_test!(adoption_rejects_bad_months_and_parameters, |w, app| {
    for (uri, parameter) in [
        ("/api/v1/coverage/adoption?from=2025-13", "from"),
        ("/api/v1/coverage/adoption?from=2025-00", "from"),
        ("/api/v1/coverage/adoption?to=2025-1", "to"),
        ("/api/v1/coverage/adoption?to=2025-01-15", "to"),
        ("/api/v1/coverage/adoption?from=M%C3%A4rz", "from"),
        ("/api/v1/coverage/adoption?land=17", "land"),
        ("/api/v1/coverage/adoption?online_service=wohngeld", "online_service"),
        ("/api/v1/coverage/adoption?month=2025-01", "month"),
    ] {
        assert_bad_param(app, uri, parameter).await;
    }
    // The seed holds no agreements: nothing adopted yet.
    assert!(items(&ok_json(app, "/api/v1/coverage/adoption").await).is_empty());
});
