//! Errors of the coverage endpoints: unknown places 404, malformed codes 400 naming the
//! parameter, unknown or bad query parameters of the endpoints that take parameters
//! (dashboard, adoption) 400 — all as problem+json, also when CSV was asked for.

use crate::world_test;
use crate::helpers::{assert_bad_param, assert_problem, get_problem};
use crate::support::*;

world_test!(unknown_places_answer_404, |w, app| {
    for uri in [
        "/api/v1/coverage/gemeinden/09999999",
        "/api/v1/coverage/gemeinden/09999999/next",
        "/api/v1/coverage/kreise/09999",
        "/api/v1/coverage/ozg-leistungen/99999",
        "/api/v1/coverage/dashboard/099999999999",
        // A 12-digit ARS of no Land, Kreis or Gemeinde: a Gemeindeverband level is not offered.
        "/api/v1/coverage/dashboard/091895166000",
    ] {
        let p = get_problem(app, uri, 404).await;
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/not-found", "{uri}");
    }
});

world_test!(malformed_codes_answer_400_naming_the_parameter, |w, app| {
    for (uri, parameter) in [
        ("/api/v1/coverage/gemeinden/0918915", "ags"),
        ("/api/v1/coverage/gemeinden/17000000", "ags"),
        ("/api/v1/coverage/gemeinden/Übersee", "ags"),
        ("/api/v1/coverage/gemeinden/091891599/next", "ags"),
        ("/api/v1/coverage/kreise/0918", "code"),
        ("/api/v1/coverage/kreise/17001", "code"),
        ("/api/v1/coverage/laender/17", "code"),
        ("/api/v1/coverage/laender/5", "code"),
        ("/api/v1/coverage/ozg-leistungen/0", "ozg_id"),
        ("/api/v1/coverage/ozg-leistungen/wohngeld", "ozg_id"),
        ("/api/v1/coverage/dashboard/0345100040", "ars"),
        ("/api/v1/coverage/dashboard/17000000000A", "ars"),
    ] {
        assert_bad_param(app, &uri.replace("Übersee", "%C3%9Cbersee"), parameter).await;
    }
});

world_test!(bad_and_unknown_query_parameters_answer_400, |w, app| {
    let d = "/api/v1/coverage/dashboard/034510004004";
    for (uri, parameter) in [
        (format!("{d}?includeAbove=yes"), "includeAbove"),
        (format!("{d}?includeBelow=1"), "includeBelow"),
        (format!("{d}?per_page=0"), "per_page"),
        (format!("{d}?per_page=101"), "per_page"),
        (format!("{d}?page=0"), "page"),
        (format!("{d}?include_above=true"), "include_above"),
        (format!("{d}?level=gemeinde"), "level"),
        // A parameter given twice is ambiguous.
        (format!("{d}?includeAbove=true&includeAbove=false"), "includeAbove"),
        ("/api/v1/coverage/adoption?lnd=05".to_owned(), "lnd"),
    ] {
        assert_bad_param(app, &uri, parameter).await;
    }
});

world_test!(errors_stay_problem_json_when_csv_is_asked_for, |w, app| {
    assert_problem(&get_csv(app, "/api/v1/coverage/gemeinden/09999999").await, 404);
    assert_problem(&get_csv(app, "/api/v1/coverage/gemeinden/0918915").await, 400);
    assert_problem(&get_csv(app, "/api/v1/coverage/adoption?from=2025-13").await, 400);
    assert_problem(&get_csv(app, "/api/v1/coverage/dashboard/034510004004?page=0").await, 400);
});
