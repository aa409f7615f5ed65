//! The coverage endpoints on the real seed, no fixtures: the seeded NRW WSP services are live
//! Land-wide for all 396 NRW Gemeinden; nothing else is live anywhere (the EfA projects need
//! agreements, and the seed holds none). Expectations are derived from the seed files.

use crate::world_test;
use crate::helpers::{get, items, links, ok_json, param, seed_csv, total};
use crate::support::*;
use std::collections::{BTreeSet, HashMap};

/// The in-scope OZG-IDs the live WSP services reach: wsp_live_onlinedienste.csv (live = Ja)
/// → LeiKa key → OZG-ID (ozg_leika_leistungen.csv) → in scope.
fn wsp_ozg() -> BTreeSet<i64> {
    let ozg_of: HashMap<String, i64> =
        seed_csv("ozg_leika_leistungen.csv").into_iter().filter(|l| !l["leika_schluessel"].is_empty() && !l["ozg_id"].is_empty()).map(|l| (l["leika_schluessel"].clone(), l["ozg_id"].parse().unwrap())).collect();
    let rows = seed_csv("wsp_live_onlinedienste.csv");
    let live: BTreeSet<&str> = rows.iter().filter(|r| r["live"] == "Ja").map(|r| r["onlinedienst"].as_str()).collect();
    let scope: BTreeSet<i64> = in_scope_ids().into_iter().collect();
    rows.iter().filter(|r| live.contains(r["onlinedienst"].as_str())).filter_map(|r| ozg_of.get(&r["leika_schluessel"]).copied()).filter(|o| scope.contains(o)).collect()
}

world_test!(every_nrw_gemeinde_has_the_wsp_baseline, |w, app| {
    let wsp = wsp_ozg();
    assert_eq!(wsp.len(), 22);
    // 22 / 460 = 0.047826… → 0.0478 for every NRW Gemeinde.
    let koeln = gemeinde(app, KOELN).await;
    assert_eq!((koeln["name"].as_str(), koeln["covered"].as_u64(), koeln["share"].as_f64()), (Some("Köln, Stadt"), Some(22), Some(0.0478)));
    assert_eq!(covered_ids(&koeln), wsp.iter().copied().collect::<Vec<_>>());
    let services: BTreeSet<String> = seed_csv("wsp_live_onlinedienste.csv").into_iter().map(|r| r["onlinedienst"].clone()).collect();
    for i in items(&koeln).iter().filter(|i| i["covered"] == true) {
        assert_eq!((i["through"].as_str(), i["agreement"].is_null(), i["reifegrad"].is_null()), (Some("land_wide"), true, true), "{i}");
        assert!(services.contains(i["online_service"]["name"].as_str().unwrap()), "{i}");
    }

    let nrw: Vec<Place> = gemeinden().into_iter().filter(|g| g.ags.starts_with("05")).collect();
    let l = ok_json(app, "/api/v1/coverage/laender/05").await;
    assert_eq!((l["gemeinden"].as_u64(), l["population"].as_i64()), (Some(396), Some(nrw.iter().map(|g| g.population).sum::<i64>())));
    let per = l["per_gemeinde"].as_array().unwrap();
    assert_eq!(per.len(), 396);
    assert!(per.iter().all(|g| g["covered"] == 22 && g["share"].as_f64() == Some(0.0478)), "every NRW Gemeinde: 22 covered");
    for f in ["share_min", "share_median", "share_max", "population_weighted_share"] {
        assert_eq!(l[f].as_f64(), Some(0.0478), "{f}");
    }
    // All equal: furthest behind are simply the most populous.
    let mut big = nrw.clone();
    big.sort_by_key(|g| std::cmp::Reverse(g.population));
    let behind: Vec<&str> = l["furthest_behind"].as_array().unwrap().iter().map(|g| g["ags"].as_str().unwrap()).collect();
    assert_eq!(behind, big.iter().take(10).map(|g| g.ags.as_str()).collect::<Vec<_>>());
    // A Kreis and a kreisfreie Stadt of NRW.
    let kleve = ok_json(app, "/api/v1/coverage/kreise/05154").await;
    assert_eq!((kleve["gemeinden"].as_u64(), kleve["share_min"].as_f64(), kleve["share_max"].as_f64()), (Some(16), Some(0.0478), Some(0.0478)));
    let stadt = ok_json(app, "/api/v1/coverage/kreise/05315").await;
    assert_eq!((stadt["name"].as_str(), stadt["gemeinden"].as_u64(), stadt["population"].as_i64()), (Some("Köln, Stadt"), Some(1), Some(1_087_863)));
});

world_test!(outside_nrw_nothing_is_covered, |w, app| {
    let m = gemeinde(app, MUENCHEN).await;
    assert_eq!((m["name"].as_str(), m["in_scope"].as_u64(), m["covered"].as_u64(), m["share"].as_f64()), (Some("München, Landeshauptstadt"), Some(460), Some(0), Some(0.0)));
    assert!(items(&m).iter().all(|i| i["covered"] == false));
    let by: Vec<Place> = gemeinden().into_iter().filter(|g| g.ags.starts_with("09")).collect();
    let l = ok_json(app, "/api/v1/coverage/laender/09").await;
    assert_eq!((l["name"].as_str(), l["gemeinden"].as_u64()), (Some("Bayern"), Some(by.len() as u64)));
    for f in ["share_min", "share_median", "share_max", "population_weighted_share"] {
        assert_eq!(l[f].as_f64(), Some(0.0), "{f}");
    }
    assert_eq!(l["furthest_behind"][0]["name"], "München, Landeshauptstadt");
    // The city-states: one Gemeinde each.
    for (code, name) in [("02", "Hamburg"), ("11", "Berlin")] {
        let l = ok_json(app, &format!("/api/v1/coverage/laender/{code}")).await;
        assert_eq!((l["name"].as_str(), l["gemeinden"].as_u64(), l["share_max"].as_f64()), (Some(name), Some(1), Some(0.0)));
    }
});

world_test!(where_an_ozg_leistung_is_live_on_the_seed, |w, app| {
    let all = gemeinden();
    let nrw: Vec<&Place> = all.iter().filter(|g| g.ags.starts_with("05")).collect();
    let kreise: BTreeSet<&str> = nrw.iter().map(|g| g.kreis.as_str()).collect();
    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{OSTERFEUER}")).await;
    assert_eq!((o["name"].as_str(), o["in_scope_for_gemeinden"].as_bool()), (Some("Osterfeuer"), Some(true)));
    assert_eq!((o["laender"].as_u64(), o["kreise"].as_u64(), o["gemeinden"].as_u64()), (Some(1), Some(kreise.len() as u64), Some(396)));
    assert_eq!(kreise.len(), 53);
    assert_eq!(o["population"].as_i64(), Some(nrw.iter().map(|g| g.population).sum::<i64>()));
    // One row per Land, with the Land's number of Gemeinden.
    let per = o["per_land"].as_array().unwrap();
    let codes: Vec<&str> = per.iter().map(|r| r["land"].as_str().unwrap()).collect();
    assert_eq!(codes, ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16"]);
    for r in per {
        let land = r["land"].as_str().unwrap();
        assert_eq!(r["gemeinden_total"].as_u64(), Some(all.iter().filter(|g| g.ags.starts_with(land)).count() as u64), "{land}");
        assert_eq!(r["gemeinden_covered"], if land == "05" { 396 } else { 0 }, "{land}");
    }
    // Out of scope (LeiKa-Typ 1), and in scope but live nowhere.
    let k = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{KINDERZUSCHLAG}")).await;
    assert_eq!((k["in_scope_for_gemeinden"].as_bool(), k["gemeinden"].as_u64(), k["laender"].as_u64()), (Some(false), Some(0), Some(0)));
    let wg = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await;
    assert_eq!((wg["in_scope_for_gemeinden"].as_bool(), wg["gemeinden"].as_u64(), wg["population"].as_i64()), (Some(true), Some(0), Some(0)));
});

world_test!(dashboard_and_next_on_the_seed, |w, app| {
    // NRW at Land level: one record per LeiKa key of the 22 OZG-Leistungen, all landesweit.
    let wsp = wsp_ozg();
    let keys: usize = wsp.iter().map(|&o| leika_keys(o as i32)).sum();
    assert_eq!(keys, 1_043);
    let r = get(app, "/api/v1/coverage/dashboard/050000000000?includeBelow=false&per_page=100").await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(total(&body) as usize, keys);
    assert_eq!(param(&links(&r)["last"].1, "page"), Some("11"), "1,043 records, 100 a page");
    for rec in items(&body) {
        assert_eq!((rec["ars"].as_str(), rec["bundesland"].as_str(), rec["online_status"].as_str()), (Some("050000000000"), Some("Nordrhein-Westfalen"), Some("ok")));
        assert_eq!(rec["art_flaechendeckung"], "landesweit flächendeckend");
        assert!(rec["url"].as_str().is_some_and(|u| u.starts_with("https://")), "the Land-wide service's URL: {rec}");
        assert_eq!((rec["gemeinden_covered"].as_u64(), rec["gemeinden_total"].as_u64(), rec["coarse_class_overstates"].as_bool()), (Some(396), Some(396), Some(false)));
        assert!(wsp.contains(&rec["ozgid"].as_i64().unwrap()));
    }
    // Köln with the levels above: Land, its Kreis (the kreisfreie Stadt) and itself.
    let k = ok_json(app, "/api/v1/coverage/dashboard/053150000000?includeAbove=true&per_page=1").await;
    assert_eq!(total(&k) as usize, 3 * keys);
    let own = ok_json(app, "/api/v1/coverage/dashboard/053150000000?includeAbove=false&per_page=100&page=11").await;
    assert!(items(&own).iter().all(|r| r["ars"] == "053150000000" && r["url"].as_str().is_some_and(|u| u.starts_with("https://"))));
    // A Land-wide service live in all 396 Gemeinden of NRW: Köln's records say landesweit too.
    assert!(items(&own).iter().all(|r| r["art_flaechendeckung"] == "landesweit flächendeckend" && r["coarse_class_overstates"] == false));
    // The federal API's defaults include the levels below: the Land with its Kreise and Gemeinden.
    let all = ok_json(app, "/api/v1/coverage/dashboard/050000000000?per_page=1").await;
    let kreise = seed_csv("kreise.csv").iter().filter(|k| k["land_code"] == "05").count();
    assert_eq!(total(&all) as usize, (1 + kreise + 396) * keys);
    // Bayern: no records.
    let by = ok_json(app, "/api/v1/coverage/dashboard/090000000000?includeBelow=true").await;
    assert_eq!((total(&by), items(&by).len()), (0, 0));

    // Köln next: the 438 uncovered, none of the WSP's; its peers (NRW, 500,000 and more) have
    // nothing else live either.
    let peers = gemeinden().iter().filter(|g| g.ags.starts_with("05") && g.population >= 500_000).count() - 1;
    let next = ok_json(app, &format!("/api/v1/coverage/gemeinden/{KOELN}/next")).await;
    let list = items(&next);
    assert_eq!(list.len(), 460 - 22);
    assert!(list.iter().all(|i| !wsp.contains(&i["ozg_id"].as_i64().unwrap()) && i["similar_gemeinden_live"] == 0 && i["similar_gemeinden"] == peers as u64));
});
