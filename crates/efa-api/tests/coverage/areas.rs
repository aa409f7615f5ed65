//! Kreis and Land coverage (distribution, population-weighted share, furthest behind) and
//! where one OZG-Leistung is live, on fixtures whose numbers are worked out by hand.

use crate::world_test;
use crate::fixtures::*;
use crate::helpers::ok_json;
use crate::support::*;
use serde_json::Value;

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect()
}

world_test!(kreis_ammerland_by_hand, |w, app| {
    let f = ammerland(app, w).await;
    // Per Gemeinde: A and C through the Kreis, Edewecht also B through its own agreement.
    for (ags, name, _) in AMMERLAND_GEMEINDEN {
        let cov = gemeinde(app, ags).await;
        let expected: Vec<i64> = if ags == EDEWECHT { vec![10002, 10004, 10016] } else { vec![10002, 10016] };
        assert_eq!(covered_ids(&cov), expected, "{name}");
        for ozg in [OZG_A, OZG_C] {
            let i = item(&cov, ozg);
            assert_eq!((i["through"].as_str(), i["agreement"].as_str(), i["reifegrad"].as_u64()), (Some("kreis"), Some(f.kreis_agreement.as_str()), Some(3)), "{name}");
            assert_eq!(i["online_service"]["id"].as_str(), Some(f.familie.id.as_str()));
        }
    }
    let b = item(&gemeinde(app, EDEWECHT).await, OZG_B).clone();
    assert_eq!((b["through"].as_str(), b["agreement"].as_str(), b["reifegrad"].as_u64()), (Some("own_agreement"), Some(f.edewecht_agreement.as_str()), Some(2)));
    assert_eq!(w.agreement_row(&f.apen_agreement).state, "active");
    assert_eq!(item(&gemeinde(app, APEN).await, OZG_B)["covered"], false, "Apen's agreement is only active");

    let k = ok_json(app, "/api/v1/coverage/kreise/03451").await;
    assert_eq!((k["code"].as_str(), k["name"].as_str()), (Some("03451"), Some("Ammerland")));
    assert_eq!((k["gemeinden"].as_u64(), k["population"].as_i64(), k["in_scope"].as_u64()), (Some(6), Some(AMMERLAND_POPULATION), Some(460)));
    // Shares: five Gemeinden 2/460 = 0.004347… → 0.0043, Edewecht 3/460 = 0.006521… → 0.0065.
    // Sorted: 2,2,2,2,2,3 (/460): min 2/460, median (2+2)/2/460, max 3/460.
    assert_eq!((k["share_min"].as_f64(), k["share_median"].as_f64(), k["share_max"].as_f64()), (Some(0.0043), Some(0.0043), Some(0.0065)));
    // Population-weighted: (124,859 × 2 + 22,453 × 1) / (124,859 × 460)
    //   = (249,718 + 22,453) / 57,435,140 = 272,171 / 57,435,140 = 0.0047388… → 0.0047.
    assert_share(&k["population_weighted_share"], 272_171.0 / 57_435_140.0, "population_weighted_share");
    assert_eq!(k["population_weighted_share"].as_f64(), Some(0.0047));
    // Per Gemeinde, by AGS.
    let per = k["per_gemeinde"].as_array().unwrap();
    let rows: Vec<(&str, &str, i64, u64, f64)> = per
        .iter()
        .map(|g| (g["ags"].as_str().unwrap(), g["name"].as_str().unwrap(), g["population"].as_i64().unwrap(), g["covered"].as_u64().unwrap(), g["share"].as_f64().unwrap()))
        .collect();
    let expected: Vec<(&str, &str, i64, u64, f64)> = AMMERLAND_GEMEINDEN
        .iter()
        .map(|&(ags, name, pop)| if ags == EDEWECHT { (ags, name, pop, 3, 0.0065) } else { (ags, name, pop, 2, 0.0043) })
        .collect();
    assert_eq!(rows, expected);
    // Furthest behind: fewest covered first, then most inhabitants:
    // Bad Zwischenahn 28,896 > Westerstede 22,952 > Rastede 22,704 > Wiefelstede 16,162 > Apen 11,692, then Edewecht.
    assert_eq!(names(&k["furthest_behind"]), ["Bad Zwischenahn", "Westerstede, Stadt", "Rastede", "Wiefelstede", "Apen", "Edewecht"]);

    // Where A and B are live.
    let a = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{OZG_A}")).await;
    assert_eq!((a["laender"].as_u64(), a["kreise"].as_u64(), a["gemeinden"].as_u64(), a["population"].as_i64()), (Some(1), Some(1), Some(6), Some(124_859)));
    let b = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{OZG_B}")).await;
    assert_eq!((b["laender"].as_u64(), b["kreise"].as_u64(), b["gemeinden"].as_u64(), b["population"].as_i64()), (Some(1), Some(1), Some(1), Some(22_453)));
    let ni = |o: &Value| o["per_land"].as_array().unwrap().iter().find(|r| r["land"] == "03").unwrap()["gemeinden_covered"].as_u64();
    assert_eq!((ni(&a), ni(&b)), (Some(6), Some(1)));

    // The reports are kept per coverage snapshot: once Apen's agreement goes live, the Kreis's
    // and the Land's reports asked for again show it.
    let covered_in = |r: &Value, ags: &str| r["per_gemeinde"].as_array().unwrap().iter().find(|g| g["ags"] == ags).unwrap()["covered"].as_u64();
    let land_before = ok_json(app, "/api/v1/coverage/laender/03").await;
    assert_eq!(covered_in(&land_before, APEN), Some(2));
    crate::live::onboard(app, w, &f.apen_agreement, &w.kommune(APEN), &f.hebamme).await;
    assert_eq!(covered_in(&ok_json(app, "/api/v1/coverage/kreise/03451").await, APEN), Some(3));
    assert_eq!(covered_in(&ok_json(app, "/api/v1/coverage/laender/03").await, APEN), Some(3));
});

world_test!(land_niedersachsen_with_the_ammerland_fixture, |w, app| {
    ammerland(app, w).await;
    let ni: Vec<Place> = gemeinden().into_iter().filter(|g| g.ags.starts_with("03")).collect();
    let p_ni: i64 = ni.iter().map(|g| g.population).sum();
    let l = ok_json(app, "/api/v1/coverage/laender/03").await;
    assert_eq!((l["code"].as_str(), l["name"].as_str()), (Some("03"), Some("Niedersachsen")));
    assert_eq!((l["gemeinden"].as_u64(), l["population"].as_i64()), (Some(ni.len() as u64), Some(p_ni)));
    // All but six Gemeinden cover nothing: min and median 0, max Edewecht's 3/460 → 0.0065.
    assert_eq!((l["share_min"].as_f64(), l["share_median"].as_f64(), l["share_max"].as_f64()), (Some(0.0), Some(0.0), Some(0.0065)));
    // Weighted: the Ammerland numerator over the whole Land: 272,171 / (P_NI × 460).
    assert_share(&l["population_weighted_share"], 272_171.0 / (p_ni as f64 * 460.0), "population_weighted_share");
    // Furthest behind: ten Gemeinden at 0, the most populous first (Ammerland is not among them).
    let mut zero: Vec<&Place> = ni.iter().filter(|g| g.kreis != AMMERLAND).collect();
    zero.sort_by(|a, b| b.population.cmp(&a.population).then(a.ags.cmp(&b.ags)));
    let expected: Vec<&str> = zero.iter().take(10).map(|g| g.name.as_str()).collect();
    assert_eq!(names(&l["furthest_behind"]), expected);
    assert!(expected[0].starts_with("Hannover"), "{expected:?}");
    assert!(l["furthest_behind"].as_array().unwrap().iter().all(|g| g["covered"] == 0));
    assert_eq!(l["per_gemeinde"].as_array().unwrap().len(), ni.len());
});

world_test!(kreis_kleve_and_nrw_over_the_wsp_baseline, |w, app| {
    // Baseline b: what the Land-wide WSP services cover in every NRW Gemeinde (22 of 460).
    let b = gemeinde(app, KOELN).await["covered"].as_u64().unwrap();
    assert_eq!(b, 22);
    let l = published(app, w, "Wohngeld Niederrhein", "05", &[WOHNGELD], 3, "agreements").await;
    kreis_agreement(w, &l, "05154", at(2025, 5, 2), chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).await;

    // Kleve: 16 Gemeinden, 312,465 inhabitants, each at b + 1 = 23: 23/460 = 0.05 exactly.
    let kleve: Vec<Place> = gemeinden().into_iter().filter(|g| g.kreis == "05154").collect();
    let p_kleve: i64 = kleve.iter().map(|g| g.population).sum();
    assert_eq!((kleve.len(), p_kleve), (16, 312_465));
    let k = ok_json(app, "/api/v1/coverage/kreise/05154").await;
    assert_eq!((k["name"].as_str(), k["gemeinden"].as_u64(), k["population"].as_i64()), (Some("Kleve"), Some(16), Some(312_465)));
    for field in ["share_min", "share_median", "share_max", "population_weighted_share"] {
        assert_eq!(k[field].as_f64(), Some(0.05), "{field}");
    }
    // All equal: furthest behind by population: Kleve 52,388, Goch 34,205, Geldern 33,730, …
    assert_eq!(
        names(&k["furthest_behind"]),
        ["Kleve, Stadt", "Goch, Stadt", "Geldern, Stadt", "Emmerich am Rhein, Stadt", "Kevelaer, Stadt", "Rees, Stadt", "Straelen, Stadt", "Kalkar, Stadt", "Bedburg-Hau", "Kerken"]
    );

    // NRW: 396 Gemeinden, 380 at 22, 16 at 23.
    let nrw: Vec<Place> = gemeinden().into_iter().filter(|g| g.ags.starts_with("05")).collect();
    let p_nrw: i64 = nrw.iter().map(|g| g.population).sum();
    assert_eq!((nrw.len(), p_nrw), (396, 17_947_221));
    let n = ok_json(app, "/api/v1/coverage/laender/05").await;
    // min 22/460 = 0.047826… → 0.0478; the median of 396 values is the mean of the 198th and
    // 199th, both 22/460 → 0.0478; max 23/460 = 0.05.
    assert_eq!((n["share_min"].as_f64(), n["share_median"].as_f64(), n["share_max"].as_f64()), (Some(0.0478), Some(0.0478), Some(0.05)));
    // Weighted: (17,947,221 × 22 + 312,465 × 1) / (17,947,221 × 460)
    //   = (394,838,862 + 312,465) / 8,255,721,660 = 395,151,327 / 8,255,721,660 = 0.047864… → 0.0479
    // (the unweighted median says 0.0478: the Kreis agreement reached 1.7 % of the people).
    assert_share(&n["population_weighted_share"], 395_151_327.0 / 8_255_721_660.0, "population_weighted_share");
    assert_eq!(n["population_weighted_share"].as_f64(), Some(0.0479));
    // Furthest behind: the ten most populous Gemeinden outside Kleve, all at 22.
    let mut rest: Vec<&Place> = nrw.iter().filter(|g| g.kreis != "05154").collect();
    rest.sort_by_key(|g| std::cmp::Reverse(g.population));
    let expected: Vec<&str> = rest.iter().take(10).map(|g| g.name.as_str()).collect();
    assert_eq!(names(&n["furthest_behind"]), expected);
    assert_eq!(expected[0], "Köln, Stadt");

    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await;
    assert_eq!((o["laender"].as_u64(), o["kreise"].as_u64(), o["gemeinden"].as_u64(), o["population"].as_i64()), (Some(1), Some(1), Some(16), Some(312_465)));
    let row = o["per_land"].as_array().unwrap().iter().find(|r| r["land"] == "05").unwrap().clone();
    assert_eq!((row["gemeinden_covered"].as_u64(), row["gemeinden_total"].as_u64()), (Some(16), Some(396)));
});
