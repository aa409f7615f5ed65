//! Länder, Kreise, Gemeinden, checked against the Destatis seed files.

use crate::api_test;
use crate::helpers::*;
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;

api_test!(laender_match_the_seed, |app| {
    let body = ok_json(app, "/api/v1/laender").await;
    assert_eq!(items(&body).len(), 16);
    assert_eq!(total(&body), 16);
    let rows = seed_csv("laender.csv");
    let expected: i64 = rows.iter().map(|r| r["einwohner_summe"].parse::<i64>().unwrap()).sum();
    let got: i64 = items(&body).iter().map(|l| l["population"].as_i64().unwrap()).sum();
    assert_eq!(got, expected);
    for row in &rows {
        let land = items(&body).iter().find(|l| l["code"] == row["land_code"].as_str()).unwrap_or_else(|| panic!("Land {}", row["land_code"]));
        assert_eq!(land["name"], row["name"].as_str());
        assert_eq!(land["gemeinden_count"].as_i64().unwrap().to_string(), row["anzahl_gemeinden"]);
    }
    let kreise: u64 = items(&body).iter().map(|l| l["kreise_count"].as_u64().unwrap()).sum();
    assert_eq!(kreise, 401);
    let pop_2023: i64 = items(&body).iter().map(|l| l["population_2023"].as_i64().unwrap()).sum();
    assert_eq!(pop_2023, 83_456_045);
    assert_eq!(strs(&body, "code")[0], "01");
});

api_test!(kreise_of_a_land, |app| {
    let all = ok_json(app, "/api/v1/kreise").await;
    assert_eq!(total(&all), 401);
    assert_eq!(items(&all).len(), 20);

    let rows = seed_csv("kreise.csv");
    let bayern: Vec<&str> = rows.iter().filter(|r| r["land_code"] == "09").map(|r| r["kreis_code"].as_str()).collect();
    assert!(bayern.len() > 20);
    let body = ok_json(app, "/api/v1/kreise?land=09&per_page=100").await;
    assert_eq!(total(&body), bayern.len() as u64);
    assert!(items(&body).iter().all(|k| k["land"]["code"] == "09" && k["land"]["name"] == "Bayern"));
    let mut got: Vec<&str> = strs(&body, "code");
    got.sort();
    let mut want = bayern.clone();
    want.sort();
    assert_eq!(got, want);
    let munich = items(&body).iter().find(|k| k["code"] == "09162").expect("München, Landeshauptstadt");
    assert_eq!(munich["kind"], "Kreisfreie Stadt");

    assert_bad_param(app, "/api/v1/kreise?land=9", "land").await;
    assert_bad_param(app, "/api/v1/kreise?land=bayern", "land").await;
    assert_bad_param(app, "/api/v1/kreise?per_page=0", "per_page").await;
});

api_test!(gemeinden_search_finds_muenchen_first, |app| {
    let all = ok_json(app, "/api/v1/gemeinden").await;
    assert_eq!(total(&all), 11_004);

    let body = ok_json(app, "/api/v1/gemeinden?q=Muenchen").await;
    let first = &items(&body)[0];
    assert_eq!(first["ags"], "09162000");
    assert_eq!(first["name"], "München, Landeshauptstadt");
    assert!(total(&body) > 1, "other Gemeinden contain the word too");
    assert!(items(&body).iter().all(|g| efa_domain::fold(g["name"].as_str().unwrap()).contains("muenchen")));
    let umlaut = ok_json(app, "/api/v1/gemeinden?q=m%C3%BCnchen").await;
    assert_eq!(strs(&umlaut, "ags"), strs(&body, "ags"));

    // Larger Gemeinden first among those starting with the word.
    let koeln = ok_json(app, "/api/v1/gemeinden?q=koeln").await;
    assert_eq!(items(&koeln)[0]["ags"], "05315000");
});

api_test!(gemeinden_filter_by_land_and_kreis, |app| {
    let rows = seed_csv("gemeinden.csv");
    let nrw = rows.iter().filter(|r| r["land_code"] == "05").count() as u64;
    let body = ok_json(app, "/api/v1/gemeinden?land=05&per_page=100").await;
    assert_eq!(total(&body), nrw);
    assert!(items(&body).iter().all(|g| g["land"]["code"] == "05"));

    let in_kreis = rows.iter().filter(|r| r["kreis_code"] == "09175").count() as u64;
    assert!(in_kreis > 1);
    let body = ok_json(app, "/api/v1/gemeinden?kreis=09175&per_page=100").await;
    assert_eq!(total(&body), in_kreis);
    assert!(items(&body).iter().all(|g| g["kreis"]["code"] == "09175"));

    let koeln = ok_json(app, "/api/v1/gemeinden?land=05&kreis=05315").await;
    assert_eq!(strs(&koeln, "ags"), vec!["05315000"]);
    let none = ok_json(app, "/api/v1/gemeinden?land=09&kreis=05315").await;
    assert_eq!(total(&none), 0, "land and kreis combine with AND");
    let q_and_land = ok_json(app, "/api/v1/gemeinden?q=muenchen&land=05").await;
    assert_eq!(total(&q_and_land), 0);

    assert_bad_param(app, "/api/v1/gemeinden?kreis=5315", "kreis").await;
    assert_bad_param(app, "/api/v1/gemeinden?land=00", "land").await;
    assert_bad_param(app, "/api/v1/gemeinden?page=abc", "page").await;
});

api_test!(gemeinde_by_ags, |app| {
    let r = get(app, "/api/v1/gemeinden/05315000").await;
    assert_eq!(r.status, StatusCode::OK);
    let g = r.json();
    assert_eq!(g["name"], "Köln, Stadt");
    assert_eq!(g["ars"], "053150000000");
    assert_eq!(g["land"]["code"], "05");
    assert_eq!(g["kreis"]["code"], "05315");
    assert_eq!(g["kind"], "Kreisfreie Stadt");
    assert_eq!(g["gemeindefrei"], false);
    let row = seed_csv("gemeinden.csv").into_iter().find(|r| r["ags"] == "05315000").unwrap();
    assert_eq!(g["population"].as_i64().unwrap().to_string(), row["einwohner"]);
    assert_eq!(g["postcode"], row["plz_verwaltungssitz"].as_str());
    let lat = g["coordinates"]["latitude"].as_f64().unwrap();
    assert!((lat - row["breitengrad"].parse::<f64>().unwrap()).abs() < 1e-6);

    let etag = r.header("etag").expect("ETag").to_owned();
    let cached = send(app, TestRequest::get().uri("/api/v1/gemeinden/05315000").insert_header(("If-None-Match", etag.as_str()))).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);

    let p = get_problem(app, "/api/v1/gemeinden/01999999", 404).await;
    assert!(p["detail"].as_str().unwrap().contains("01999999"));
    assert_bad_param(app, "/api/v1/gemeinden/123", "ags").await;
    assert_bad_param(app, "/api/v1/gemeinden/99000000", "ags").await;
    assert_bad_param(app, "/api/v1/gemeinden/0531500x", "ags").await;
});
