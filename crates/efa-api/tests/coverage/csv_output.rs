//! Every coverage response also as CSV (`Accept: text/csv`): UTF-8, a header row, and values
//! that parse back (the csv crate) to exactly what the JSON says — names with commas, quotes
//! and umlauts included.

use crate::world_test;
use crate::fixtures::*;
use crate::helpers::{items, links, ok_json};
use crate::support::*;
use serde_json::Value;
use std::collections::HashMap;

/// A CSV cell equals a JSON value: null is empty, numbers compare as numbers.
fn same(cell: &str, v: &Value) -> bool {
    match v {
        Value::Null => cell.is_empty(),
        Value::String(s) => cell == s,
        Value::Bool(b) => cell == b.to_string(),
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        other => panic!("not a cell: {other}"),
    }
}

/// Each row against its JSON object: (column, JSON pointer into the object).
fn compare(rows: &[HashMap<String, String>], objects: &[Value], columns: &[(&str, &str)]) {
    assert_eq!(rows.len(), objects.len(), "one row per item");
    for (row, obj) in rows.iter().zip(objects) {
        for &(col, ptr) in columns {
            let v = obj.pointer(ptr).unwrap_or_else(|| panic!("{ptr} in {obj}"));
            assert!(same(&row[col], v), "column {col}: {:?} vs JSON {v}", row[col]);
        }
    }
}

const GEMEINDE_HEADER: [&str; 10] = ["ags", "gemeinde", "ozg_id", "ozg_leistung", "covered", "through", "online_service_id", "online_service", "agreement", "reifegrad"];
const GEMEINDE_COLUMNS: [(&str, &str); 8] = [
    ("ozg_id", "/ozg_id"),
    ("ozg_leistung", "/name"),
    ("covered", "/covered"),
    ("through", "/through"),
    ("online_service_id", "/online_service/id"),
    ("online_service", "/online_service/name"),
    ("agreement", "/agreement"),
    ("reifegrad", "/reifegrad"),
];

async fn gemeinde_csv<A: TestApp>(app: &A, ags: &str) -> (Value, Vec<HashMap<String, String>>) {
    let json = gemeinde(app, ags).await;
    let r = get_csv(app, &format!("/api/v1/coverage/gemeinden/{ags}")).await;
    let (header, rows) = parse_csv(&r);
    assert_eq!(header, GEMEINDE_HEADER);
    assert!(rows.iter().all(|row| row["ags"] == ags && row["gemeinde"] == json["name"].as_str().unwrap()));
    // Items without a service have no online_service object: compare those columns as empty.
    let objects: Vec<Value> = items(&json)
        .iter()
        .map(|i| {
            let mut i = i.clone();
            if i["online_service"].is_null() {
                i["online_service"] = serde_json::json!({"id": null, "name": null});
            }
            i
        })
        .collect();
    compare(&rows, &objects, &GEMEINDE_COLUMNS);
    (json, rows)
}

world_test!(gemeinde_csv_parses_back_to_the_json, |w, app| {
    // Köln, Stadt: a comma in the name, an umlaut, and OZG names with commas (WSP services).
    let (json, rows) = gemeinde_csv(app, KOELN).await;
    assert_eq!(rows.len(), 460);
    assert!(rows.iter().all(|r| r["gemeinde"] == "Köln, Stadt"));
    let r = get_csv(app, &format!("/api/v1/coverage/gemeinden/{KOELN}")).await;
    assert!(r.text().contains("\"Köln, Stadt\""), "a name with a comma is quoted");
    assert!(r.text().starts_with("ags,gemeinde,ozg_id,"), "no byte order mark, the header first");
    let covered = rows.iter().filter(|r| r["covered"] == "true").count();
    assert_eq!(covered as u64, json["covered"].as_u64().unwrap());
    assert!(rows.iter().filter(|r| r["covered"] == "true").all(|r| r["through"] == "land_wide" && r["agreement"].is_empty()));
    assert!(rows.iter().any(|r| r["ozg_leistung"].contains(',')), "an OZG name with a comma survives");

    // A fixture Gemeinde: agreements and Reifegrade in the cells.
    let f = ammerland(app, w).await;
    let (_, rows) = gemeinde_csv(app, EDEWECHT).await;
    let b = rows.iter().find(|r| r["ozg_id"] == "10004").unwrap();
    assert_eq!((b["through"].as_str(), b["agreement"].as_str(), b["reifegrad"].as_str()), ("own_agreement", f.edewecht_agreement.as_str(), "2"));
    assert_eq!(b["online_service"], "Hebammenhilfe digital");
    // Asking for JSON (or nothing) still gives JSON.
    let j = crate::helpers::send(app, actix_web::test::TestRequest::get().uri(&format!("/api/v1/coverage/gemeinden/{EDEWECHT}")).insert_header(("accept", "application/json"))).await;
    assert_eq!(j.content_type(), "application/json");
    // A browser-style Accept list naming text/csv gets CSV.
    let c = crate::helpers::send(app, actix_web::test::TestRequest::get().uri(&format!("/api/v1/coverage/gemeinden/{EDEWECHT}")).insert_header(("accept", "text/csv;q=0.9, application/json;q=0.5"))).await;
    assert_eq!(c.content_type(), "text/csv; charset=utf-8");
});

world_test!(area_csvs_parse_back_to_the_json, |w, app| {
    ammerland(app, w).await;
    let columns = [("ags", "/ags"), ("gemeinde", "/name"), ("population", "/population"), ("covered", "/covered"), ("share", "/share")];
    for (uri, code, area) in [
        ("/api/v1/coverage/kreise/03451", "03451", "Ammerland"),
        ("/api/v1/coverage/kreise/01001", "01001", "Flensburg, Stadt"),
        ("/api/v1/coverage/laender/03", "03", "Niedersachsen"),
        ("/api/v1/coverage/laender/05", "05", "Nordrhein-Westfalen"),
    ] {
        let json = ok_json(app, uri).await;
        let (header, rows) = parse_csv(&get_csv(app, uri).await);
        assert_eq!(header, ["code", "area", "ags", "gemeinde", "population", "covered", "in_scope", "share"], "{uri}");
        assert!(rows.iter().all(|r| r["code"] == code && r["area"] == area && r["in_scope"] == "460"), "{uri}");
        compare(&rows, json["per_gemeinde"].as_array().unwrap(), &columns);
    }
    // Edewecht's row in the Ammerland CSV: 3 covered, 3/460 → 0.0065.
    let (_, rows) = parse_csv(&get_csv(app, "/api/v1/coverage/kreise/03451").await);
    let e = rows.iter().find(|r| r["ags"] == EDEWECHT).unwrap();
    assert_eq!((e["population"].as_str(), e["covered"].as_str(), e["share"].parse::<f64>().unwrap()), ("22453", "3", 0.0065));
});

world_test!(ozg_next_dashboard_and_adoption_csvs_parse_back, |w, app| {
    let f = ammerland(app, w).await;
    // Where Familienversicherung is live: one row per Land.
    let uri = format!("/api/v1/coverage/ozg-leistungen/{OZG_A}");
    let json = ok_json(app, &uri).await;
    let (header, rows) = parse_csv(&get_csv(app, &uri).await);
    assert_eq!(header, ["ozg_id", "ozg_leistung", "land", "gemeinden_covered", "gemeinden_total"]);
    assert!(rows.iter().all(|r| r["ozg_id"] == "10002" && r["ozg_leistung"] == "Familienversicherung"));
    compare(&rows, json["per_land"].as_array().unwrap(), &[("land", "/land"), ("gemeinden_covered", "/gemeinden_covered"), ("gemeinden_total", "/gemeinden_total")]);
    assert_eq!(rows.iter().find(|r| r["land"] == "03").unwrap()["gemeinden_covered"], "6");

    // What Apen should order next, with costs.
    let uri = format!("/api/v1/coverage/gemeinden/{APEN}/next");
    let json = ok_json(app, &uri).await;
    let (header, rows) = parse_csv(&get_csv(app, &uri).await);
    assert_eq!(header, ["ags", "ozg_id", "ozg_leistung", "similar_gemeinden_live", "similar_gemeinden", "online_service_id", "online_service", "first_year_total_cents", "following_year_total_cents"]);
    let objects: Vec<Value> = items(&json)
        .iter()
        .map(|i| {
            let mut i = i.clone();
            if i["online_service"].is_null() {
                i["online_service"] = serde_json::json!({"id": null, "name": null});
                i["cost_estimate"] = serde_json::json!({"first_year": {"total_cents": null}, "following_year": {"total_cents": null}});
            }
            i
        })
        .collect();
    compare(
        &rows,
        &objects,
        &[
            ("ozg_id", "/ozg_id"),
            ("ozg_leistung", "/name"),
            ("similar_gemeinden_live", "/similar_gemeinden_live"),
            ("similar_gemeinden", "/similar_gemeinden"),
            ("online_service_id", "/online_service/id"),
            ("online_service", "/online_service/name"),
            ("first_year_total_cents", "/cost_estimate/first_year/total_cents"),
            ("following_year_total_cents", "/cost_estimate/following_year/total_cents"),
        ],
    );
    // Hebammenhilfe: 500.00 € Anbindung + 1,200.00 € a year = 170,000 ct, then 120,000 ct.
    let b = rows.iter().find(|r| r["ozg_id"] == "10004").unwrap();
    assert_eq!((b["online_service_id"].as_str(), b["first_year_total_cents"].as_str(), b["following_year_total_cents"].as_str()), (f.hebamme.id.as_str(), "170000", "120000"));

    // Dashboard records, a page of them, with the Link header on the CSV answer too.
    let uri = "/api/v1/coverage/dashboard/034510004004?includeAbove=true&per_page=5";
    let json = ok_json(app, uri).await;
    let r = get_csv(app, uri).await;
    assert!(links(&r).contains_key("next"));
    let (header, rows) = parse_csv(&r);
    let cols = [
        "leika_key", "leika_name", "ars", "ars_name", "ars_federal_state", "bundesland", "leika_bezeichnung", "ozgid", "ozg_bezeichnung", "url", "online_status", "aktiv",
        "art_flaechendeckung", "gemeinden_covered", "gemeinden_total", "coarse_class_overstates",
    ];
    assert_eq!(header, cols);
    let pointers: Vec<(&str, String)> = cols.iter().map(|c| (*c, format!("/{c}"))).collect();
    let columns: Vec<(&str, &str)> = pointers.iter().map(|(c, p)| (*c, p.as_str())).collect();
    compare(&rows, items(&json), &columns);
    assert_eq!(rows[0]["art_flaechendeckung"], "in mind. einer Kommune verfügbar");

    // Adoption.
    let json = ok_json(app, "/api/v1/coverage/adoption").await;
    let (header, rows) = parse_csv(&get_csv(app, "/api/v1/coverage/adoption").await);
    assert_eq!(header, ["month", "agreements_signed", "went_live"]);
    compare(&rows, items(&json), &[("month", "/month"), ("agreements_signed", "/agreements_signed"), ("went_live", "/went_live")]);
    assert_eq!((rows[0]["month"].as_str(), rows[0]["agreements_signed"].as_str()), ("2025-02", "1"));
});
