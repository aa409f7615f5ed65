//! Keeping the catalogue current (issue 14): a newer OZG catalogue compared (dry run) and
//! applied without losing a link, retired OZG-Leistungen with successor, flagged listings, the
//! history of an OZG-Leistung, operators' corrections, malformed files and files of another
//! shape, and the federal dashboard's export shown beside coverage.
//!
//! The newer catalogue is written by the tests from the real seed files with a few changes.

use crate::helpers::{assert_problem, send};
use crate::support::*;
use crate::world_test;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use efa_store::schema::{audit_events, catalogue_versions, known_online, listing_flags, online_service_ozg_leistungen, ozg_leistungen, ozg_retirements};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn seed_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../seed-data/{name}", env!("CARGO_MANIFEST_DIR"))).expect("seed file")
}

/// A CSV file's text with `edit` applied to its records (header kept).
fn rewrite(name: &str, edit: impl Fn(Vec<String>) -> Option<Vec<String>>, extra: &[&[&str]]) -> String {
    let text = seed_file(name);
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(r.headers().unwrap()).unwrap();
    for rec in r.records() {
        let rec: Vec<String> = rec.unwrap().iter().map(str::to_owned).collect();
        if let Some(out) = edit(rec) {
            w.write_record(&out).unwrap();
        }
    }
    for e in extra {
        w.write_record(*e).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The newer catalogue: Wohngeld (10092) renamed, 10001 moved to Lebenslage 1 / Themenfeld 1,
/// Elterngeld (10000) left out with successor 10001, 10999 added; three of Elterngeld's LeiKa
/// keys moved to 10001, one removed, one new key.
fn newer_files() -> BTreeMap<String, String> {
    let ozg = rewrite(
        "ozg_leistungen.csv",
        |mut r| match r[0].as_str() {
            "10000" => None,
            "10092" => {
                r[1] = "Wohngeld (Mietzuschuss und Lastenzuschuss)".into();
                Some(r)
            }
            "10001" => {
                r[2] = "1".into();
                r[4] = "1".into();
                Some(r)
            }
            _ => Some(r),
        },
        &[&["10999", "Digitaler Familienzuschuss", "26", "Geburt", "6", "Familie & Kind", "1", "1", "4"]],
    );
    let leika = rewrite(
        "ozg_leika_leistungen.csv",
        |mut r| match r[0].as_str() {
            "99041006013000" => None,
            "99041006000000" | "99041006151000" | "99041006017000" => {
                r[2] = "10001".into();
                Some(r)
            }
            _ => Some(r),
        },
        &[&["99999999000001", "Digitaler Familienzuschuss Antrag", "10999", "4", "", "", "", "0", "0"]],
    );
    BTreeMap::from([
        ("ozg_leistungen.csv".to_owned(), ozg),
        ("ozg_leika_leistungen.csv".to_owned(), leika),
        ("ozg_nachfolger.csv".to_owned(), "ozg_id,nachfolger_ozg_id\r\n10000,10001\r\n".to_owned()),
    ])
}

async fn import<S, B>(app: &S, token: &str, files: &BTreeMap<String, String>, dry_run: bool) -> crate::helpers::Resp
where
    S: actix_web::dev::Service<crate::helpers::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let uri = if dry_run { "/api/v1/catalogue/imports?dry_run=true" } else { "/api/v1/catalogue/imports" };
    post_json(app, uri, Some(token), &json!({"source": "OZG-Umsetzungskatalog (Test)", "source_date": "2024-06-30", "files": files})).await
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    list.as_array().unwrap_or_else(|| panic!("not a list: {list}")).iter().map(|x| x[key].as_i64().unwrap()).collect()
}

fn keys(list: &Value) -> Vec<String> {
    let mut k: Vec<String> = list.as_array().unwrap().iter().map(|x| x["leika_key"].as_str().unwrap().to_owned()).collect();
    k.sort();
    k
}

/// Rows of a table, read straight from the database.
macro_rules! count {
    ($w:expr, $t:ident) => {
        $t::table.count().get_result::<i64>(&mut $w.conn()).expect("count")
    };
}

fn ozg_name(w: &World, id: i32) -> String {
    ozg_leistungen::table.find(id).select(ozg_leistungen::name).first(&mut w.conn()).expect("ozg row")
}

world_test!(a_dry_run_shows_every_difference_and_writes_nothing, |w, app| {
    let op = w.operator();
    let events_before = count!(w, audit_events);
    let r = import(app, &op, &newer_files(), true).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let body = r.json();
    let c = &body["changes"];
    assert_eq!(body["dry_run"], true);
    assert!(body["version"].is_null(), "{body}");
    assert_eq!(ids(&c["ozg_added"], "ozg_id"), vec![10999]);
    assert_eq!(c["ozg_renamed"], json!([{"ozg_id": 10092, "from": "Wohngeld", "to": "Wohngeld (Mietzuschuss und Lastenzuschuss)"}]));
    assert_eq!(ids(&c["ozg_moved"], "ozg_id"), vec![10001]);
    assert_eq!(c["ozg_moved"][0]["to"], json!({"lebenslage_id": 1, "themenfeld_id": 1}));
    assert_eq!(c["ozg_retired"], json!([{"ozg_id": 10000, "name": "Elterngeld", "successor_ozg_id": 10001}]));
    assert_eq!(keys(&c["leika_added"]), vec!["99999999000001"]);
    assert_eq!(keys(&c["leika_moved"]), vec!["99041006000000", "99041006017000", "99041006151000"]);
    assert!(c["leika_moved"].as_array().unwrap().iter().all(|m| m["from_ozg_id"] == 10000 && m["to_ozg_id"] == 10001));
    assert_eq!(keys(&c["leika_removed"]), vec!["99041006013000"]);
    assert_eq!(body["counts"]["ozg_leistungen"], 557);
    // Nothing was written.
    assert_eq!(count!(w, catalogue_versions), 0);
    assert_eq!(count!(w, ozg_retirements), 0);
    assert_eq!(count!(w, audit_events), events_before);
    assert_eq!(ozg_name(w, 10092), "Wohngeld");
    let ozg = ok_as(app, "/api/v1/ozg-leistungen/10000", None).await;
    assert!(ozg.get("retired").is_none(), "{ozg}");
});

world_test!(applying_retires_instead_of_deleting_and_flags_the_listings, |w, app| {
    let op = w.operator();
    let provider = w.nrw_publisher();
    // A published listing for Elterngeld, and a reuse request for it.
    let id = created(app, &provider, &listing(&nrw(), "Elterngeld digital NRW", 10000)).await;
    publish(app, w, &id).await;
    let rq = post_json(app, "/api/v1/reuse-requests", Some(&w.koeln_user()), &json!({"online_service_id": id})).await;
    assert_eq!(rq.status.as_u16(), 201, "{}", rq.text());
    let request_id = rq.json()["id"].as_str().unwrap().to_owned();

    let r = import(app, &op, &newer_files(), false).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let body = r.json();
    let version = body["version"]["id"].as_str().expect("version id").to_owned();
    assert_eq!(r.header("location"), Some(format!("/api/v1/catalogue/versions/{version}").as_str()));
    assert_eq!(body["version"]["source"], "OZG-Umsetzungskatalog (Test)");
    assert_eq!(body["version"]["source_date"], "2024-06-30");
    assert_eq!(body["version"]["counts"]["ozg_leistungen"], 557);
    let affected = body["changes"]["listings_affected"].as_array().unwrap();
    assert!(affected.iter().any(|a| a["online_service_id"] == id.as_str() && a["change"] == "retired" && a["ozg_id"] == 10000), "{affected:?}");

    // The database: the row is still there, retired with its successor; the link is kept.
    assert_eq!(ozg_name(w, 10092), "Wohngeld (Mietzuschuss und Lastenzuschuss)");
    let (successor,): (Option<i32>,) = ozg_retirements::table.find(10000).select((ozg_retirements::successor_ozg_id,)).first(&mut w.conn()).unwrap();
    assert_eq!(successor, Some(10001));
    let links: i64 = online_service_ozg_leistungen::table.filter(online_service_ozg_leistungen::online_service_id.eq(&id)).count().get_result(&mut w.conn()).unwrap();
    assert_eq!(links, 1, "the listing still links Elterngeld");
    let flags: i64 = listing_flags::table.filter(listing_flags::online_service_id.eq(&id)).count().get_result(&mut w.conn()).unwrap();
    assert_eq!(flags, 1);

    // The public catalogue shows it retired, with a link to the successor, and the service still.
    let ozg = ok_as(app, "/api/v1/ozg-leistungen/10000", None).await;
    assert_eq!(ozg["retired"]["successor"], json!({"id": 10001, "name": "Erklärung zur Vaterschafts-/Mutterschaftsanerkennung"}), "{ozg}");
    assert!(ozg["online_services"].as_array().unwrap().iter().any(|s| s["id"] == id.as_str()));
    let moved = ok_as(app, "/api/v1/ozg-leistungen/10001", None).await;
    assert_eq!(moved["lebenslage"]["id"], 1);
    assert_eq!(moved["leika_count"], 7, "four of its own and three moved from Elterngeld");
    let added = ok_as(app, "/api/v1/leika/99999999000001", None).await;
    assert_eq!(added["ozg_leistung"]["ozg_id"], 10999);
    assert_problem(&get_as(app, "/api/v1/leika/99041006013000", None).await, 404);

    // The provider sees the flag on its listing; the request still points at the service.
    let l = working_copy(app, &id, &provider).await;
    assert_eq!(l["flags"], json!([{"reason": "ozg_retired", "ozg_id": 10000, "successor_ozg_id": 10001, "catalogue_version": version, "created_at": l["flags"][0]["created_at"]}]));
    let req = ok_as(app, &format!("/api/v1/reuse-requests/{request_id}"), Some(&w.koeln_user())).await;
    assert_eq!(req["online_service_id"], id.as_str(), "{req}");

    // No new listing may link the retired OZG-Leistung.
    let p = assert_problem(&create(app, Some(&provider), &listing(&nrw(), "Noch ein Elterngeld", 10000)).await, 422);
    assert!(p.to_string().contains("OZG-Leistung 10000 is retired from the catalogue; link its successor 10001 instead"), "{p}");

    // A new version linking the successor settles the flag once published.
    let current = working_copy(app, &id, &provider).await;
    let r = patch(app, &id, Some(&provider), Some(&etag(current["revision"].as_i64().unwrap())), &json!({"ozg_ids": [10001]})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    publish(app, w, &id).await;
    assert!(working_copy(app, &id, &provider).await.get("flags").is_none());

    // The history of Elterngeld and of Wohngeld.
    let h = ok_as(app, "/api/v1/ozg-leistungen/10000/history", None).await;
    let actions: Vec<&str> = h["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"ozg.retired") && actions.iter().filter(|a| **a == "ozg.leika_removed").count() == 4, "{actions:?}");
    assert!(h["items"].as_array().unwrap().iter().all(|e| e["catalogue_version"] == version.as_str() && e["source"] == "OZG-Umsetzungskatalog (Test)"));
    let h = ok_as(app, "/api/v1/ozg-leistungen/10092/history", None).await;
    assert_eq!(h["items"][0]["action"], "ozg.changed");
    assert_eq!(h["items"][0]["before"]["name"], "Wohngeld");
    assert_eq!(h["items"][0]["after"]["name"], "Wohngeld (Mietzuschuss und Lastenzuschuss)");

    // The version is listed; the same import again changes nothing and records nothing.
    let v = ok_as(app, "/api/v1/catalogue/versions", Some(&op)).await;
    assert_eq!(v["total"], 1);
    let again = import(app, &op, &newer_files(), false).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.text());
    assert!(again.json()["version"].is_null());
    assert_eq!(count!(w, catalogue_versions), 1);
    // The import is in the audit log, with the flag for the provider.
    let audit = ok_as(app, &format!("/api/v1/audit-events?resource_type=online_service&resource={id}"), Some(&provider)).await;
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "listing.flagged"), "{audit}");
});

world_test!(malformed_files_and_files_of_another_shape_write_nothing, |w, app| {
    let op = w.operator();
    let mut files = newer_files();
    let bad = files["ozg_leistungen.csv"].replacen("\n10001,", "\n1000x,", 1);
    let line = bad.lines().position(|l| l.starts_with("1000x,")).unwrap() + 1;
    files.insert("ozg_leistungen.csv".into(), bad);
    let p = assert_problem(&import(app, &op, &files, false).await, 422);
    assert!(p.to_string().contains(&format!("ozg_leistungen.csv:{line}: column \\\"ozg_id\\\"")), "{p}");

    // A LeiKa-Leistung under an OZG-Leistung the catalogue leaves out: named at its line.
    let mut files = newer_files();
    files.insert("ozg_leika_leistungen.csv".into(), seed_file("ozg_leika_leistungen.csv"));
    let p = assert_problem(&import(app, &op, &files, false).await, 422);
    assert!(p.to_string().contains("ozg_leika_leistungen.csv:1646: column \\\"ozg_id\\\": OZG-Leistung 10000 is not in the new catalogue"), "{p}");

    // Another shape: the Lebenslagen file given as the OZG-Leistungen.
    let files = BTreeMap::from([("ozg_leistungen.csv".to_owned(), seed_file("ozg_lebenslagen.csv"))]);
    let p = assert_problem(&import(app, &op, &files, true).await, 422);
    assert!(p.to_string().contains("ozg_leistungen.csv:1: column \\\"ozg_id\\\": this is not a list of OZG-Leistungen: the header lacks ozg_id, name"), "{p}");
    // An unknown file, no OZG-Leistungen, a successor that is not in the catalogue.
    let files = BTreeMap::from([("gemeinden.csv".to_owned(), "ags\n".to_owned())]);
    assert!(assert_problem(&import(app, &op, &files, true).await, 422).to_string().contains("is not a file of the catalogue"));
    let files = BTreeMap::from([("ozg_nachfolger.csv".to_owned(), "ozg_id,nachfolger_ozg_id\n".to_owned())]);
    assert!(assert_problem(&import(app, &op, &files, true).await, 422).to_string().contains("a catalogue import needs at least the OZG-Leistungen"));
    let mut files = newer_files();
    files.insert("ozg_nachfolger.csv".into(), "ozg_id,nachfolger_ozg_id\n10000,12345\n".into());
    assert!(assert_problem(&import(app, &op, &files, false).await, 422).to_string().contains("ozg_nachfolger.csv:2: column \\\"nachfolger_ozg_id\\\": the successor 12345 is not in the new catalogue"));

    // Unknown fields, a missing source, and callers who are not operators.
    let r = post_json(app, "/api/v1/catalogue/imports", Some(&op), &json!({"source": "x", "files": {}, "extra": 1})).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "extra");
    let r = post_json(app, "/api/v1/catalogue/imports", Some(&op), &json!({"source": " ", "files": newer_files()})).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "source");
    assert_problem(&import(app, &w.nrw_publisher(), &newer_files(), true).await, 403);
    assert_unauthorized(&post_json(app, "/api/v1/catalogue/imports", None, &json!({})).await);
    let r = send(app, bearer(TestRequest::post().uri("/api/v1/catalogue/imports?dry_run=maybe").set_json(json!({})), Some(&op))).await;
    assert_eq!(assert_problem(&r, 400)["parameter"], "dry_run");

    assert_eq!(count!(w, catalogue_versions), 0);
    assert_eq!(count!(w, ozg_retirements), 0);
    assert_eq!(ozg_name(w, 10092), "Wohngeld");
});

world_test!(operators_correct_one_leistung_a_leika_link_and_a_lead_land, |w, app| {
    let op = w.operator();
    let send_json = |method: &str, uri: &str, body: Value| {
        let req = match method {
            "PATCH" => TestRequest::patch(),
            "PUT" => TestRequest::put(),
            _ => TestRequest::post(),
        };
        bearer(req.uri(uri).set_json(body), Some(&op))
    };
    // Add one, rename one.
    let r = send(app, send_json("POST", "/api/v1/ozg-leistungen", json!({"ozg_id": 10998, "name": "Kita-Gutschein", "lebenslage_id": 26, "themenfeld_id": 6, "reason": "Nachtrag 2024"}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    assert_eq!(ok_as(app, "/api/v1/ozg-leistungen/10998", None).await["name"], "Kita-Gutschein");
    let r = send(app, send_json("POST", "/api/v1/ozg-leistungen", json!({"ozg_id": 10998, "name": "X", "lebenslage_id": 26, "themenfeld_id": 6}))).await;
    assert_problem(&r, 409);
    let r = send(app, send_json("PATCH", "/api/v1/ozg-leistungen/10092", json!({"name": "Wohngeld digital"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.json()["version"]["kind"], "edit");
    assert_eq!(ok_as(app, "/api/v1/ozg-leistungen/10092", None).await["name"], "Wohngeld digital");
    // Invalid corrections answer 422 at the field and write nothing.
    let r = send(app, send_json("PATCH", "/api/v1/ozg-leistungen/10092", json!({"lebenslage_id": 999}))).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "lebenslage_id");
    let r = send(app, send_json("PATCH", "/api/v1/ozg-leistungen/10092", json!({"nme": "x"}))).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "nme");
    // Move a LeiKa key to the new OZG-Leistung.
    let r = send(app, send_json("PUT", "/api/v1/leika/99107023011000", json!({"ozg_id": 10998}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.json()["changes"]["leika_moved"][0]["from_ozg_id"], 10092);
    assert_eq!(ok_as(app, "/api/v1/leika/99107023011000", None).await["ozg_leistung"]["ozg_id"], 10998);
    let r = send(app, send_json("PUT", "/api/v1/leika/99107023011000", json!({"ozg_id": 77777}))).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "ozg_id");
    // Retire one with a successor through the API, then take it back.
    let r = send(app, send_json("PATCH", "/api/v1/ozg-leistungen/10998", json!({"retired": true, "successor_ozg_id": 10092}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(ok_as(app, "/api/v1/ozg-leistungen/10998", None).await["retired"]["successor"]["id"], 10092);
    let r = send(app, send_json("PATCH", "/api/v1/ozg-leistungen/10998", json!({"retired": false}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert!(ok_as(app, "/api/v1/ozg-leistungen/10998", None).await.get("retired").is_none());
    let h = ok_as(app, "/api/v1/ozg-leistungen/10998/history", None).await;
    let actions: Vec<&str> = h["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["ozg.added", "ozg.leika_added", "ozg.retired", "ozg.reinstated"]);
    // The lead Land of Themenfeld 6.
    let r = send(app, send_json("PATCH", "/api/v1/themenfelder/6", json!({"lead_land_code": "05"}))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let tf = ok_as(app, "/api/v1/themenfelder", None).await;
    let six = tf["items"].as_array().unwrap().iter().find(|t| t["id"] == 6).unwrap().clone();
    assert_eq!(six["lead_land"]["code"], "05", "{six}");
    let r = send(app, send_json("PATCH", "/api/v1/themenfelder/6", json!({"lead_land_code": "99"}))).await;
    assert_eq!(assert_problem(&r, 422)["errors"][0]["field"], "lead_land_code");
    // A publisher may not.
    let r = send(app, bearer(TestRequest::patch().uri("/api/v1/themenfelder/6").set_json(json!({"lead_land_code": "09"})), Some(&w.nrw_publisher()))).await;
    assert_problem(&r, 403);
    let v = ok_as(app, "/api/v1/catalogue/versions?kind=edit", Some(&op)).await;
    assert_eq!(v["total"], 6, "{v}");
});

fn dashboard_fixture() -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/dashboard_open_pvog.csv", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

world_test!(the_dashboard_export_is_shown_beside_coverage_never_in_it, |w, app| {
    let op = w.operator();
    let before = ok_as(app, "/api/v1/coverage/gemeinden/05315000", None).await;
    assert_eq!(before["known_online_elsewhere"], json!([]));
    let body = json!({"source": "Dashboard Digitale Verwaltung (Test)", "csv": dashboard_fixture()});
    let dry = post_json(app, "/api/v1/availability/imports?dry_run=true", Some(&op), &body).await;
    assert_eq!(dry.status.as_u16(), 200, "{}", dry.text());
    assert_eq!((dry.json()["records"].as_i64(), dry.json()["online"].as_i64()), (Some(6), Some(4)));
    assert_eq!(count!(w, known_online), 0, "a dry run writes nothing");

    let r = post_json(app, "/api/v1/availability/imports", Some(&op), &body).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.text());
    let report = r.json();
    assert_eq!((report["online"].as_i64(), report["mapped_to_ozg"].as_i64(), report["areas"].as_i64()), (Some(4), Some(4), Some(3)));
    assert_eq!(report["version"]["source_date"], "2024-06-30", "the export's datenstand");
    assert_eq!(count!(w, known_online), 4);

    let after = ok_as(app, "/api/v1/coverage/gemeinden/05315000", None).await;
    assert_eq!((&after["covered"], &after["in_scope"], &after["share"]), (&before["covered"], &before["in_scope"], &before["share"]), "coverage counts only the marketplace");
    let known = after["known_online_elsewhere"].as_array().unwrap();
    let ids: Vec<i64> = known.iter().map(|k| k["ozg_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![10001, 10092], "{known:?}");
    let wohngeld = &known[1];
    assert_eq!(wohngeld["area"], "gemeinde");
    assert_eq!(wohngeld["leika_keys"], json!(["99107023000000", "99107023011000"]));
    assert_eq!(wohngeld["urls"][0], "https://wohngeld.example.koeln.de/antrag");
    assert_eq!(known[0]["area"], "land");
    assert_eq!(known[0]["art_flaechendeckung"], "landesweit flächendeckend");
    // München sees its own record, not Köln's.
    let m = ok_as(app, "/api/v1/coverage/gemeinden/09162000", None).await;
    assert_eq!(m["known_online_elsewhere"].as_array().unwrap().len(), 1);

    // Malformed and of another shape: refused, nothing replaced.
    let bad = dashboard_fixture().replacen(",053150000000,", ",05315,", 1);
    let p = assert_problem(&post_json(app, "/api/v1/availability/imports", Some(&op), &json!({"source": "x", "csv": bad})).await, 422);
    assert!(p.to_string().contains("csv:2: column \\\"ars\\\": ARS must be exactly 12 digits"), "{p}");
    let p = assert_problem(&post_json(app, "/api/v1/availability/imports", Some(&op), &json!({"source": "x", "csv": seed_file("ozg_lebenslagen.csv")})).await, 422);
    assert!(p.to_string().contains("is not an export of the Dashboard Digitale Verwaltung (open-pvog): the header lacks leika_key, ars, online_status, aktiv"), "{p}");
    let unknown = dashboard_fixture().replacen(",091620000000,", ",099990000000,", 1);
    let p = assert_problem(&post_json(app, "/api/v1/availability/imports", Some(&op), &json!({"source": "x", "csv": unknown})).await, 422);
    assert!(p.to_string().contains("csv:7: column \\\"ars\\\": ARS 099990000000 is no Gemeinde, Kreis or Land"), "{p}");
    assert_problem(&post_json(app, "/api/v1/availability/imports", Some(&w.koeln_user()), &body).await, 403);
    assert_eq!(count!(w, known_online), 4);
});
