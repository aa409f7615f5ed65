//! Organisations: Land governments, IT-Dienstleister, Zweckverbände … and their detail.

use crate::api_test;
use crate::helpers::*;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

const LIST: &str = "/api/v1/organisations";

api_test!(organisations_filter_by_kind_land_and_name, |app| {
    let all = ok_json(app, &format!("{LIST}?per_page=100")).await;
    assert!(total(&all) >= 16 + 6, "16 Land governments and the hand-made organisations: {}", total(&all));
    assert_eq!(items(&all).len() as u64, total(&all).min(100));

    let laender = ok_json(app, &format!("{LIST}?kind=land&per_page=100")).await;
    assert_eq!(total(&laender), 16);
    assert!(items(&laender).iter().all(|o| o["kind"] == "land"));
    let mut codes: Vec<&str> = items(&laender).iter().map(|o| o["land"]["code"].as_str().unwrap()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 16, "one government per Land");

    let nrw = ok_json(app, &format!("{LIST}?land=05&per_page=100")).await;
    assert!(total(&nrw) >= 3, "the Land, KDN, regio iT: {nrw}");
    assert!(items(&nrw).iter().all(|o| o["land"]["code"] == "05" && o["land"]["name"] == "Nordrhein-Westfalen"));
    let nrw_it = ok_json(app, &format!("{LIST}?land=05&kind=it_dienstleister")).await;
    assert_eq!(strs(&nrw_it, "name"), vec!["regio iT"]);
    let nrw_land = ok_json(app, &format!("{LIST}?land=05&kind=land")).await;
    assert_eq!(strs(&nrw_land, "name"), vec!["Land Nordrhein-Westfalen"]);

    let kdn = ok_json(app, &format!("{LIST}?q=kdn")).await;
    assert_eq!(total(&kdn), 1);
    assert_eq!(items(&kdn)[0]["kind"], "zweckverband");
    // Folded search: "Wuerttemberg" finds "Baden-Württemberg".
    let bw = ok_json(app, &format!("{LIST}?q=Wuerttemberg&kind=land")).await;
    assert_eq!(strs(&bw, "name"), vec!["Land Baden-Württemberg"]);
    assert_eq!(total(&ok_json(app, &format!("{LIST}?q=xyzzy")).await), 0);

    // Every organisation kind is a valid filter, even where none is seeded.
    for kind in ["bund", "land", "kommune", "it_dienstleister", "zweckverband", "bundler"] {
        let body = ok_json(app, &format!("{LIST}?kind={kind}&per_page=100")).await;
        assert!(items(&body).iter().all(|o| o["kind"] == kind), "{kind}");
    }
});

api_test!(organisations_paginate_with_links, |app| {
    let r = get(app, &format!("{LIST}?kind=land&per_page=2&page=3")).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json();
    assert_eq!(items(&body).len(), 2);
    assert_eq!(total(&body), 16);
    let l = links(&r);
    assert_eq!(param(&l["last"].1, "page"), Some("8"));
    assert_eq!(param(&l["next"].1, "page"), Some("4"));
    assert_eq!(param(&l["prev"].1, "page"), Some("2"));
    assert_eq!(param(&l["first"].1, "kind"), Some("land"));
    assert_eq!(l["first"].0, LIST);
});

api_test!(organisation_detail, |app| {
    let list = ok_json(app, &format!("{LIST}?kind=land&land=05")).await;
    let nrw = &items(&list)[0];
    let id = nrw["id"].as_str().unwrap();
    let r = get(app, &format!("{LIST}/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let detail = r.json();
    assert_eq!(&detail, nrw, "detail equals the list entry");
    assert_eq!(detail["name"], "Land Nordrhein-Westfalen");

    // The count of online services agrees with the provider filter of /online-services.
    let services = ok_json(app, &format!("/api/v1/online-services?provider={id}")).await;
    assert_eq!(detail["online_services_count"].as_u64().unwrap(), total(&services));
    assert!(total(&services) >= 84, "NRW provides the WSP services");

    let etag = r.header("etag").expect("ETag").to_owned();
    let cached = send(app, TestRequest::get().uri(&format!("{LIST}/{id}")).insert_header(("If-None-Match", etag.as_str()))).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
});

api_test!(organisations_errors, |app| {
    let p = get_problem(app, &format!("{LIST}/6f1c1f3e-0000-4000-8000-000000000000"), 404).await;
    assert!(p["detail"].as_str().unwrap().contains("6f1c1f3e-0000-4000-8000-000000000000"));
    assert_bad_param(app, &format!("{LIST}/nrw"), "id").await;
    assert_bad_param(app, &format!("{LIST}?kind=ministry"), "kind").await;
    assert_bad_param(app, &format!("{LIST}?land=5"), "land").await;
    assert_bad_param(app, &format!("{LIST}?land=17"), "land").await;
    assert_bad_param(app, &format!("{LIST}?per_page=1000"), "per_page").await;
    assert_bad_param(app, &format!("{LIST}?page=0"), "page").await;
});
