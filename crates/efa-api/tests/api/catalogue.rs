//! Themenfelder, Lebenslagen, OZG-Leistungen (filters, sorting, pagination, detail), LeiKa.

use crate::helpers::*;
use crate::api_test;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use serde_json::Value;

const OZG_TOTAL: u64 = 557;

api_test!(themenfelder_lists_all_14_with_counts_and_lead_land, |app| {
    let body = ok_json(app, "/api/v1/themenfelder").await;
    assert_eq!(items(&body).len(), 14);
    assert_eq!(total(&body), 14);
    let sum: u64 = items(&body).iter().map(|t| t["ozg_leistungen_count"].as_u64().unwrap()).sum();
    assert_eq!(sum, OZG_TOTAL, "every OZG-Leistung belongs to exactly one Themenfeld");

    let familie = items(&body).iter().find(|t| t["name"] == "Familie & Kind").expect("Familie & Kind");
    assert_eq!(familie["lead_land"]["code"], "04");
    assert_eq!(familie["lead_land"]["name"], "Bremen");
    assert_eq!(familie["lead_bundesressort"], "BMFSFJ");
    // Themenfelder without a known lead Land say so with null, not a guess.
    let querschnitt = items(&body).iter().find(|t| t["name"] == "Querschnitt").expect("Querschnitt");
    assert!(querschnitt["lead_land"].is_null());

    // Counts agree with the OZG-Leistungen list filtered by the same Themenfeld.
    let id = familie["id"].as_i64().unwrap();
    let filtered = ok_json(app, &format!("/api/v1/ozg-leistungen?themenfeld={id}")).await;
    assert_eq!(total(&filtered), familie["ozg_leistungen_count"].as_u64().unwrap());
    let services = ok_json(app, &format!("/api/v1/online-services?themenfeld={id}")).await;
    assert_eq!(total(&services), familie["online_services_count"].as_u64().unwrap());
});

api_test!(lebenslagen_lists_55_and_filters_by_themenfeld, |app| {
    let all = ok_json(app, "/api/v1/lebenslagen").await;
    assert_eq!(items(&all).len(), 55);
    assert_eq!(total(&all), 55);
    let sum: u64 = items(&all).iter().map(|l| l["ozg_leistungen_count"].as_u64().unwrap()).sum();
    assert_eq!(sum, OZG_TOTAL);

    // Familie & Kind is Themenfeld 6 in the seed.
    let expected = seed_csv("ozg_lebenslagen.csv").iter().filter(|r| r["themenfeld_id"] == "6").count();
    assert!(expected > 1);
    let six = ok_json(app, "/api/v1/lebenslagen?themenfeld=6").await;
    assert_eq!(items(&six).len(), expected);
    assert!(items(&six).iter().all(|l| l["themenfeld"]["id"] == 6 && l["themenfeld"]["name"] == "Familie & Kind"), "{six}");
    assert!(strs(&six, "name").contains(&"Geburt"));

    assert_eq!(items(&ok_json(app, "/api/v1/lebenslagen?themenfeld=999").await).len(), 0);
});

api_test!(lebenslagen_rejects_a_malformed_themenfeld, |app| {
    assert_bad_param(app, "/api/v1/lebenslagen?themenfeld=x", "themenfeld").await;
    assert_bad_param(app, "/api/v1/lebenslagen?themenfeld=1.5", "themenfeld").await;
});

api_test!(ozg_leistungen_filters_by_themenfeld_and_lebenslage, |app| {
    let tf = ok_json(app, "/api/v1/ozg-leistungen?themenfeld=6&per_page=100").await;
    let expected = seed_csv("ozg_leistungen.csv").iter().filter(|r| r["themenfeld_id"] == "6").count() as u64;
    assert_eq!(total(&tf), expected);
    assert!(items(&tf).iter().all(|o| o["themenfeld"]["id"] == 6));
    assert!(ids(&tf, "ozg_id").contains(&10000), "Elterngeld is in Familie & Kind");

    // Lebenslage 26 (Geburt) lies inside Themenfeld 6.
    let ll = ok_json(app, "/api/v1/ozg-leistungen?lebenslage=26&per_page=100").await;
    let expected = seed_csv("ozg_leistungen.csv").iter().filter(|r| r["lebenslage_id"] == "26").count() as u64;
    assert_eq!(total(&ll), expected);
    assert!(items(&ll).iter().all(|o| o["lebenslage"]["id"] == 26 && o["lebenslage"]["name"] == "Geburt"));
    let both = ok_json(app, "/api/v1/ozg-leistungen?lebenslage=26&themenfeld=6").await;
    assert_eq!(total(&both), total(&ll));
    let none = ok_json(app, "/api/v1/ozg-leistungen?lebenslage=26&themenfeld=1").await;
    assert_eq!(total(&none), 0, "filters combine with AND");

    assert_bad_param(app, "/api/v1/ozg-leistungen?lebenslage=geburt", "lebenslage").await;
    assert_bad_param(app, "/api/v1/ozg-leistungen?themenfeld=x", "themenfeld").await;
});

api_test!(ozg_leistungen_has_online_service_partitions_the_catalogue, |app| {
    let with = ok_json(app, "/api/v1/ozg-leistungen?has_online_service=true&per_page=100").await;
    let without = ok_json(app, "/api/v1/ozg-leistungen?has_online_service=false&per_page=100").await;
    assert!(total(&with) > 0 && total(&without) > 0);
    assert_eq!(total(&with) + total(&without), OZG_TOTAL);
    assert!(items(&with).iter().all(|o| o["online_services_count"].as_u64().unwrap() > 0));
    assert!(items(&without).iter().all(|o| o["online_services_count"] == 0));
    assert!(ids(&with, "ozg_id").contains(&10519), "Digitaler Bauantrag implements 10519");
    assert_bad_param(app, "/api/v1/ozg-leistungen?has_online_service=yes", "has_online_service").await;
});

/// Every OZG-Leistung, following pages of 100.
async fn all_pages<S, B>(app: &S, query: &str) -> Vec<Value>
where
    S: actix_web::dev::Service<Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut all = Vec::new();
    for page in 1.. {
        let body = ok_json(app, &format!("/api/v1/ozg-leistungen?{query}&per_page=100&page={page}")).await;
        if items(&body).is_empty() {
            break;
        }
        all.extend(items(&body).iter().cloned());
    }
    all
}

api_test!(ozg_leistungen_sort_by_name_and_by_descending_ozg_id, |app| {
    let by_name = all_pages(app, "sort=name").await;
    assert_eq!(by_name.len() as u64, OZG_TOTAL);
    let folded: Vec<String> = by_name.iter().map(|o| efa_domain::fold(o["name"].as_str().unwrap())).collect();
    assert!(folded.windows(2).all(|w| w[0] <= w[1]), "sorted by folded name");
    assert_ne!(by_name[0]["ozg_id"], 10000, "not the ozg_id order");

    let desc = ok_json(app, "/api/v1/ozg-leistungen?sort=-ozg_id").await;
    let got = ids(&desc, "ozg_id");
    assert_eq!(got.len(), 20);
    assert!(got.windows(2).all(|w| w[0] > w[1]), "{got:?}");
    let max = seed_csv("ozg_leistungen.csv").iter().map(|r| r["ozg_id"].parse::<i64>().unwrap()).max().unwrap();
    assert_eq!(got[0], max);

    // Default without q: ascending OZG-ID, starting at 10000 Elterngeld.
    let default = ok_json(app, "/api/v1/ozg-leistungen").await;
    assert_eq!(ids(&default, "ozg_id")[0], 10000);
    assert!(ids(&default, "ozg_id").windows(2).all(|w| w[0] < w[1]));
    assert_bad_param(app, "/api/v1/ozg-leistungen?sort=price", "sort").await;
});

api_test!(ozg_leistungen_pagination_bounds, |app| {
    let first = ok_json(app, "/api/v1/ozg-leistungen").await;
    assert_eq!(total(&first), OZG_TOTAL);
    assert_eq!(items(&first).len(), 20, "default per_page");
    assert_eq!(first["per_page"], 20);
    assert_eq!(first["page"], 1);

    let hundred = ok_json(app, "/api/v1/ozg-leistungen?per_page=100").await;
    assert_eq!(items(&hundred).len(), 100);
    let second = ok_json(app, "/api/v1/ozg-leistungen?per_page=100&page=2").await;
    assert!(ids(&second, "ozg_id")[0] > ids(&hundred, "ozg_id")[99], "page 2 continues page 1");
    let last = ok_json(app, "/api/v1/ozg-leistungen?per_page=100&page=6").await;
    assert_eq!(items(&last).len() as u64, OZG_TOTAL - 500);

    for bad in ["0", "1000", "101", "-1", "ten"] {
        assert_bad_param(app, &format!("/api/v1/ozg-leistungen?per_page={bad}"), "per_page").await;
    }
    for bad in ["0", "-1", "x"] {
        assert_bad_param(app, &format!("/api/v1/ozg-leistungen?page={bad}"), "page").await;
    }

    let past = get(app, "/api/v1/ozg-leistungen?page=99").await;
    assert_eq!(past.status, StatusCode::OK);
    let body = past.json();
    assert!(items(&body).is_empty());
    assert_eq!(total(&body), OZG_TOTAL, "total still counts every match");
    let l = links(&past);
    assert!(!l.contains_key("next"), "no next page past the end");
    assert_eq!(param(&l["last"].1, "page"), Some("28"));
});

api_test!(ozg_leistungen_link_header_keeps_the_other_parameters, |app| {
    let n = seed_csv("ozg_leistungen.csv").iter().filter(|r| r["themenfeld_id"] == "6").count();
    let last_page = n.div_ceil(5).to_string();
    let r = get(app, "/api/v1/ozg-leistungen?themenfeld=6&per_page=5&page=2&sort=-name").await;
    assert_eq!(r.status, StatusCode::OK);
    let l = links(&r);
    for (rel, page) in [("first", "1"), ("prev", "1"), ("next", "3"), ("last", last_page.as_str())] {
        let (path, pairs) = l.get(rel).unwrap_or_else(|| panic!("rel={rel} in {:?}", r.header("link")));
        assert_eq!(path, "/api/v1/ozg-leistungen");
        assert_eq!(param(pairs, "page"), Some(page), "{rel}");
        assert_eq!(param(pairs, "themenfeld"), Some("6"), "{rel}");
        assert_eq!(param(pairs, "per_page"), Some("5"), "{rel}");
        assert_eq!(param(pairs, "sort"), Some("-name"), "{rel}");
        assert_eq!(pairs.iter().filter(|(k, _)| k == "page").count(), 1, "{rel}: one page parameter");
    }

    // Following `next` gives the next slice.
    let next_pairs = &l["next"].1;
    let next_uri = format!("/api/v1/ozg-leistungen?{}", serde_urlencoded::to_string(next_pairs).unwrap());
    let next = ok_json(app, &next_uri).await;
    assert_eq!(next["page"], 3);

    // A search word with an umlaut survives the round trip through the Link header.
    let r = get(app, "/api/v1/ozg-leistungen?q=f%C3%BChrerschein&per_page=1").await;
    let l = links(&r);
    assert_eq!(param(&l["first"].1, "q"), Some("führerschein"));
    assert!(!l.contains_key("prev"), "no prev on page 1");
});

api_test!(ozg_leistung_detail_with_leika_and_online_services, |app| {
    let r = get(app, "/api/v1/ozg-leistungen/10092").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/json");
    let body = r.json();
    assert_eq!(body["ozg_id"], 10092);
    assert_eq!(body["name"], "Wohngeld");
    assert_eq!(body["themenfeld"]["id"], 1);
    assert!(body.get("matched_on").is_none(), "matched_on only on search results");
    let mut keys: Vec<&str> = body["leika_leistungen"].as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
    keys.sort();
    let mut expected: Vec<String> = seed_csv("ozg_leika_leistungen.csv")
        .into_iter()
        .filter(|r| r["ozg_id"] == "10092")
        .map(|r| r["leika_schluessel"].clone())
        .collect();
    expected.sort();
    assert_eq!(keys, expected);
    assert!(keys.contains(&"99107023000000"));
    assert_eq!(body["leika_count"], 9);
    assert!(body["online_services"].is_array());
    assert_eq!(body["online_services"].as_array().unwrap().len() as u64, body["online_services_count"].as_u64().unwrap());

    // One with services: 10519 Bauvorbescheid und Baugenehmigung (Digitaler Bauantrag, EfA).
    let bau = ok_json(app, "/api/v1/ozg-leistungen/10519").await;
    let services = bau["online_services"].as_array().unwrap();
    assert_eq!(services.len() as u64, bau["online_services_count"].as_u64().unwrap());
    assert!(services.iter().any(|s| s["efa"] == true && s["lead_land"]["code"] == "13"), "{services:?}");
    assert!(services.iter().all(|s| s["ozg_leistungen"].as_array().unwrap().iter().any(|o| o["ozg_id"] == 10519)));
});

api_test!(ozg_leistung_detail_etag_and_304, |app| {
    let r = get(app, "/api/v1/ozg-leistungen/10092").await;
    let etag = r.header("etag").expect("ETag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2, "strong ETag {etag}");
    assert_eq!(get(app, "/api/v1/ozg-leistungen/10092").await.header("etag"), Some(etag.as_str()), "stable");

    let not_modified = send(app, TestRequest::get().uri("/api/v1/ozg-leistungen/10092").insert_header(("If-None-Match", etag.as_str()))).await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));

    // Another resource's tag does not match.
    let other = get(app, "/api/v1/ozg-leistungen/10000").await.header("etag").unwrap().to_owned();
    assert_ne!(other, etag);
    let changed = send(app, TestRequest::get().uri("/api/v1/ozg-leistungen/10092").insert_header(("If-None-Match", other.as_str()))).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.json()["ozg_id"], 10092);
});

api_test!(ozg_leistung_detail_errors, |app| {
    let p = get_problem(app, "/api/v1/ozg-leistungen/99999", 404).await;
    assert!(p["detail"].as_str().unwrap().contains("99999"), "{p}");
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/not-found");
    assert_bad_param(app, "/api/v1/ozg-leistungen/abc", "ozg_id").await;
    assert_bad_param(app, "/api/v1/ozg-leistungen/0", "ozg_id").await;
    assert_bad_param(app, "/api/v1/ozg-leistungen/100000", "ozg_id").await;
});

api_test!(leika_by_key_with_its_ozg_leistung, |app| {
    let r = get(app, "/api/v1/leika/99107023000000").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("etag").is_some());
    let body = r.json();
    assert_eq!(body["key"], "99107023000000");
    assert_eq!(body["name"], "Wohngeld");
    assert_eq!(body["ozg_leistung"]["ozg_id"], 10092);
    assert_eq!(body["ozg_leistung"]["name"], "Wohngeld");

    let other = ok_json(app, "/api/v1/leika/99050047000000").await;
    assert_eq!(other["name"], "Hufbeschlagschmied");
    assert_eq!(other["ozg_leistung"]["ozg_id"], 10069);

    let p = get_problem(app, "/api/v1/leika/99999999999999", 404).await;
    assert!(p["detail"].as_str().unwrap().contains("99999999999999"));
    assert_bad_param(app, "/api/v1/leika/123", "key").await;
    assert_bad_param(app, "/api/v1/leika/9910702300000x", "key").await;
    assert_bad_param(app, "/api/v1/leika/991070230000000", "key").await;
});
