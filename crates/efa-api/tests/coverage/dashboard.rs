//! The federal dashboard's records (LeiKa key × ARS) from our data: includeAbove for a
//! Gemeinde, includeBelow for a Kreis, the Flächendeckung classes beside our per-Gemeinde
//! truth, and pagination with a Link header.

use crate::world_test;
use crate::fixtures::*;
use crate::helpers::{self, get, items, links, ok_json, param, total};
use crate::support::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const EDEWECHT_ARS: &str = "034510004004";
const KREIS_ARS: &str = "034510000000";
const LAND_ARS: &str = "030000000000";
const EINER_KOMMUNE: &str = "in mind. einer Kommune verfügbar";

/// The LeiKa keys of an OZG-Leistung (seed-data/ozg_leika_leistungen.csv).
fn keys_of(ozg: i32) -> BTreeSet<String> {
    let id = ozg.to_string();
    helpers::seed_csv("ozg_leika_leistungen.csv").into_iter().filter(|l| l["ozg_id"] == id && !l["leika_schluessel"].is_empty()).map(|l| l["leika_schluessel"].clone()).collect()
}

/// Records grouped by (ARS, OZG-ID): the set of LeiKa keys, and the one record's facts.
fn by_area(records: &[Value]) -> BTreeMap<(String, i64), (BTreeSet<String>, Value)> {
    let mut m: BTreeMap<(String, i64), (BTreeSet<String>, Value)> = BTreeMap::new();
    for r in records {
        let k = (r["ars"].as_str().unwrap().to_owned(), r["ozgid"].as_i64().unwrap());
        let e = m.entry(k).or_insert_with(|| (BTreeSet::new(), r.clone()));
        assert!(e.0.insert(r["leika_key"].as_str().unwrap().to_owned()), "a LeiKa key twice: {r}");
        for f in ["art_flaechendeckung", "gemeinden_covered", "gemeinden_total", "coarse_class_overstates", "url", "online_status"] {
            assert_eq!(e.1[f], r[f], "{f} differs between LeiKa keys of one OZG-Leistung");
        }
    }
    m
}

/// (class, covered, total, overstates) of a record.
fn facts(v: &Value) -> (&str, u64, u64, bool) {
    (v["art_flaechendeckung"].as_str().unwrap(), v["gemeinden_covered"].as_u64().unwrap(), v["gemeinden_total"].as_u64().unwrap(), v["coarse_class_overstates"].as_bool().unwrap())
}

world_test!(a_gemeinde_with_the_levels_above, |w, app| {
    let f = ammerland(app, w).await;
    let ni = gemeinden().iter().filter(|g| g.ags.starts_with("03")).count() as u64;
    assert_eq!(place(EDEWECHT).ars, EDEWECHT_ARS);
    // Edewecht alone: A (1 key), B (2 keys), C (1 key) = 4 records.
    let own = ok_json(app, &format!("/api/v1/coverage/dashboard/{EDEWECHT_ARS}?includeAbove=false")).await;
    assert_eq!(total(&own), 4);
    assert!(items(&own).iter().all(|r| r["ars"] == EDEWECHT_ARS));
    let r = &items(&own)[0];
    assert_eq!((r["ars_federal_state"].as_str(), r["aktiv"].as_str(), r["leika_bezeichnung"].is_null()), (Some("03"), Some("ja"), true));
    // As in the federal API, the levels above are included unless asked not to be.
    assert_eq!(total(&ok_json(app, &format!("/api/v1/coverage/dashboard/{EDEWECHT_ARS}")).await), 12);

    // With the levels above: its Land and its Kreis too, 3 × 4 = 12 records, Land first.
    let body = ok_json(app, &format!("/api/v1/coverage/dashboard/{EDEWECHT_ARS}?includeAbove=true&per_page=100")).await;
    assert_eq!((total(&body), body["page"].as_u64(), body["per_page"].as_u64()), (12, Some(1), Some(100)));
    let records = items(&body);
    let order: Vec<&str> = records.iter().map(|r| r["ars"].as_str().unwrap()).collect();
    assert_eq!(order, [[LAND_ARS; 4], [KREIS_ARS; 4], [EDEWECHT_ARS; 4]].concat());
    assert!(records.iter().all(|r| r["online_status"] == "ok"));
    let m = by_area(records);
    assert_eq!(m.len(), 9);
    for ((ars, ozg), (keys, _)) in &m {
        assert_eq!(*keys, keys_of(*ozg as i32), "{ars} {ozg}");
    }
    let get = |ars: &str, ozg: i32| &m[&(ars.to_owned(), i64::from(ozg))].1;
    // Land Niedersachsen: A and C in 6 of its Gemeinden, B in 1 — available somewhere, and
    // the coarse "ok" for the Land overstates it.
    assert_eq!((get(LAND_ARS, OZG_A)["ars_name"].as_str(), get(LAND_ARS, OZG_A)["bundesland"].as_str()), (Some("Niedersachsen"), Some("Niedersachsen")));
    assert_eq!(facts(get(LAND_ARS, OZG_A)), (EINER_KOMMUNE, 6, ni, true));
    assert_eq!(facts(get(LAND_ARS, OZG_B)), (EINER_KOMMUNE, 1, ni, true));
    assert_eq!(facts(get(LAND_ARS, OZG_C)), (EINER_KOMMUNE, 6, ni, true));
    // Kreis Ammerland: A and C in all 6 (kreisweit), B in 1 of 6.
    assert_eq!(get(KREIS_ARS, OZG_A)["ars_name"], "Ammerland");
    assert_eq!(facts(get(KREIS_ARS, OZG_A)), ("kreisweit flächendeckend", 6, 6, false));
    assert_eq!(facts(get(KREIS_ARS, OZG_C)), ("kreisweit flächendeckend", 6, 6, false));
    assert_eq!(facts(get(KREIS_ARS, OZG_B)), (EINER_KOMMUNE, 1, 6, true));
    // Edewecht itself: each live there; A and C as everywhere in its Kreis (kreisweit, as
    // the federal dashboard marks a Gemeinde of a fully covered Kreis), B only here.
    for (ozg, class) in [(OZG_A, "kreisweit flächendeckend"), (OZG_B, EINER_KOMMUNE), (OZG_C, "kreisweit flächendeckend")] {
        let r = get(EDEWECHT_ARS, ozg);
        assert_eq!((r["ars_name"].as_str(), facts(r)), (Some("Edewecht"), (class, 1, 1, false)), "{ozg}");
    }
    assert_eq!(get(EDEWECHT_ARS, OZG_A)["url"], "https://dienste.example.de/familienleistungen-ammerland");
    assert_eq!(get(EDEWECHT_ARS, OZG_B)["url"], "https://dienste.example.de/hebammenhilfe-digital");
    // The Kreis record names the service of the Kreis agreement; B is only Edewecht's, and
    // no service spans the Land: no URL there.
    assert_eq!(get(KREIS_ARS, OZG_A)["url"], "https://dienste.example.de/familienleistungen-ammerland");
    assert!(get(KREIS_ARS, OZG_B)["url"].is_null() && get(LAND_ARS, OZG_A)["url"].is_null());
    assert_eq!((get(EDEWECHT_ARS, OZG_A)["ozg_bezeichnung"].as_str(), get(EDEWECHT_ARS, OZG_A)["ozgid"].as_i64()), (Some("Familienversicherung"), Some(10002)));
    let _ = f;

    // Apen (its B agreement only active): A and C only.
    let apen = ok_json(app, &format!("/api/v1/coverage/dashboard/{}?includeAbove=false", place(APEN).ars)).await;
    let ozgs: BTreeSet<i64> = items(&apen).iter().map(|r| r["ozgid"].as_i64().unwrap()).collect();
    assert_eq!(ozgs, BTreeSet::from([10002, 10016]));
});

world_test!(a_kreis_with_the_levels_below_paginated, |w, app| {
    ammerland(app, w).await;
    // The Kreis alone: A (1) + B (2) + C (1) = 4 records.
    assert_eq!(total(&ok_json(app, &format!("/api/v1/coverage/dashboard/{KREIS_ARS}?includeAbove=false&includeBelow=false")).await), 4);
    // By default (as in the federal API) with the Land above, 4 records, and the 14 below.
    assert_eq!(total(&ok_json(app, &format!("/api/v1/coverage/dashboard/{KREIS_ARS}")).await), 4 + 4 + 14);
    // With its Gemeinden: 4 + 6 × (A 1 + C 1) + Edewecht's B 2 = 4 + 12 + 2 = 18 records,
    // 5 a page: pages of 5, 5, 5, 3.
    let mut all: Vec<Value> = Vec::new();
    for page in 1..=4u32 {
        let uri = format!("/api/v1/coverage/dashboard/{KREIS_ARS}?includeAbove=false&includeBelow=true&per_page=5&page={page}");
        let r = get(app, &uri).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let body = r.json();
        assert_eq!((total(&body), body["page"].as_u64(), body["per_page"].as_u64()), (18, Some(u64::from(page)), Some(5)));
        assert_eq!(items(&body).len(), if page < 4 { 5 } else { 3 });
        let l = links(&r);
        assert_eq!(l["first"].0, format!("/api/v1/coverage/dashboard/{KREIS_ARS}"));
        assert_eq!(param(&l["first"].1, "page"), Some("1"));
        assert_eq!(param(&l["last"].1, "page"), Some("4"));
        assert_eq!(param(&l["last"].1, "includeBelow"), Some("true"), "other parameters kept");
        assert_eq!(param(&l["last"].1, "per_page"), Some("5"));
        assert_eq!(l.get("prev").map(|p| param(&p.1, "page").unwrap().to_owned()), (page > 1).then(|| (page - 1).to_string()));
        assert_eq!(l.get("next").map(|p| param(&p.1, "page").unwrap().to_owned()), (page < 4).then(|| (page + 1).to_string()));
        all.extend(items(&body).iter().cloned());
    }
    // Beyond the last page: empty.
    assert!(items(&ok_json(app, &format!("/api/v1/coverage/dashboard/{KREIS_ARS}?includeAbove=false&includeBelow=true&per_page=5&page=5")).await).is_empty());
    assert!(all[..4].iter().all(|r| r["ars"] == KREIS_ARS), "the Kreis first");
    let m = by_area(&all);
    assert_eq!(m.len(), 3 + 13);
    for (ags, name, _) in AMMERLAND_GEMEINDEN {
        let ars = place(ags).ars;
        let mut expected = vec![10002, 10016];
        if ags == EDEWECHT {
            expected.insert(1, 10004);
        }
        let got: Vec<i64> = m.keys().filter(|(a, _)| *a == ars).map(|(_, o)| *o).collect();
        assert_eq!(got, expected, "{name}");
        assert_eq!(facts(&m[&(ars.clone(), 10002)].1), ("kreisweit flächendeckend", 1, 1, false), "{name}");
    }
    assert_eq!(facts(&m[&(KREIS_ARS.to_owned(), 10004)].1), (EINER_KOMMUNE, 1, 6, true), "only Edewecht has it");
});

world_test!(a_nationwide_service_is_bundesweit_flaechendeckend, |w, app| {
    published(app, w, "Familienpass bundesweit", "06", &[OZG_C], 2, "nationwide").await;
    let sh = gemeinden().iter().filter(|g| g.ags.starts_with("01")).count() as u64;
    let body = ok_json(app, "/api/v1/coverage/dashboard/010000000000?includeBelow=true&per_page=100").await;
    // The Land, its Kreise and its Gemeinden: every record says bundesweit; none overstates.
    let land: Vec<&Value> = items(&body).iter().filter(|r| r["ars"] == "010000000000").collect();
    assert_eq!(land.len(), leika_keys(OZG_C));
    assert_eq!(facts(land[0]), ("bundesweit flächendeckend", sh, sh, false));
    assert!(items(&body).iter().all(|r| r["art_flaechendeckung"] == "bundesweit flächendeckend" && r["coarse_class_overstates"] == false));
    // One record per LeiKa key of Familienpass for the Land, each Kreis and each Gemeinde.
    let kreise = helpers::seed_csv("kreise.csv").iter().filter(|k| k["land_code"] == "01").count();
    assert_eq!(kreise, 15);
    let expected = (1 + kreise + sh as usize) * leika_keys(OZG_C);
    assert_eq!(total(&body) as usize, expected);
});
