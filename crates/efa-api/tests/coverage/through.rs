//! The ways an OZG-Leistung becomes covered for a Gemeinde: its own live agreement, a
//! bundler's agreement on its behalf, its Kreis's agreement, a Land-wide listing, a nationwide
//! listing; and which cover counts when several do.

use crate::world_test;
use crate::helpers::{items, ok_json};
use crate::support::*;
use crate::fixtures::{AMMERLAND_GEMEINDEN, AMMERLAND_POPULATION};
use std::collections::BTreeSet;

world_test!(a_gemeinde_is_covered_through_its_own_live_agreement, |w, app| {
    let n = in_scope();
    assert_eq!(n, 460, "557 OZG-Leistungen minus 97 executed by Bund or Land only");
    let before = gemeinde(app, UEBERSEE).await;
    assert_eq!((before["ags"].as_str(), before["name"].as_str()), (Some(UEBERSEE), Some("Übersee")));
    assert_eq!((before["land"].as_str(), before["kreis"].as_str(), before["population"].as_i64()), (Some("09"), Some("09189"), Some(4_997)));
    assert_eq!((before["in_scope"].as_u64(), before["covered"].as_u64(), before["share"].as_f64()), (Some(460), Some(0), Some(0.0)));
    // One item per in-scope OZG-Leistung, exactly the ones whose LeiKa types are municipal.
    let mut ids: Vec<i64> = items(&before).iter().map(|i| i["ozg_id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, in_scope_ids());
    assert!(items(&before).iter().all(|i| i["covered"] == false && i["through"].is_null() && i["online_service"].is_null() && i["agreement"].is_null() && i["reifegrad"].is_null()));

    // Reports carry an ETag: a client holding the current one gets 304 without a body.
    let uri = format!("/api/v1/coverage/gemeinden/{UEBERSEE}");
    let conditional = |tag: String| actix_web::test::TestRequest::get().uri(&uri).insert_header(("if-none-match", tag));
    let first = crate::helpers::get(app, &uri).await;
    let tag = first.header("etag").expect("an ETag").to_owned();
    let again = crate::helpers::send(app, conditional(tag.clone())).await;
    assert_eq!((again.status.as_u16(), again.body.len()), (304, 0));
    let csv = get_csv(app, &uri).await;
    assert_ne!(csv.header("etag"), Some(tag.as_str()), "JSON and CSV are different representations");

    // The listing also names Kinderzuschlag (LeiKa-Typ 1, executed by the Bund): never in scope.
    let l = published(app, w, "Wohngeld Chiemgau", "09", &[WOHNGELD, KINDERZUSCHLAG], 3, "agreements").await;
    let number = live_by_request(app, w, &l, UEBERSEE).await;
    assert_eq!(w.agreement_row(&number).state, "live");

    // The agreement went live: the tag the client holds is stale, it gets the new report.
    let stale = crate::helpers::send(app, conditional(tag.clone())).await;
    assert_eq!(stale.status.as_u16(), 200);
    assert_ne!(stale.header("etag"), Some(tag.as_str()));
    let after = gemeinde(app, UEBERSEE).await;
    // 1 of 460 covered: 1 / 460 = 0.002173… → 0.0022.
    assert_eq!((after["in_scope"].as_u64(), after["covered"].as_u64()), (Some(460), Some(1)));
    assert_share(&after["share"], 1.0 / 460.0, "share");
    assert_eq!(after["share"].as_f64(), Some(0.0022));
    assert_eq!(covered_ids(&after), [i64::from(WOHNGELD)]);
    let i = item(&after, WOHNGELD);
    assert_eq!((i["covered"].as_bool(), i["through"].as_str(), i["reifegrad"].as_u64()), (Some(true), Some("own_agreement"), Some(3)));
    assert_eq!((i["online_service"]["id"].as_str(), i["online_service"]["name"].as_str()), (Some(l.id.as_str()), Some("Wohngeld Chiemgau")));
    assert_eq!(i["agreement"].as_str(), Some(number.as_str()));
    assert!(items(&after).iter().all(|i| i["ozg_id"] != KINDERZUSCHLAG));
    // Chieming, in the same Kreis, has no agreement: nothing.
    assert_eq!(gemeinde(app, CHIEMING).await["covered"], 0);

    // What is there and what is missing: the items narrowed, the counts about all in scope.
    let have = ok_json(app, &format!("/api/v1/coverage/gemeinden/{UEBERSEE}?covered=true")).await;
    assert_eq!((covered_ids(&have), items(&have).len()), (vec![i64::from(WOHNGELD)], 1));
    assert_eq!((have["in_scope"].as_u64(), have["covered"].as_u64()), (Some(460), Some(1)));
    let missing = ok_json(app, &format!("/api/v1/coverage/gemeinden/{UEBERSEE}?covered=false")).await;
    assert_eq!(items(&missing).len(), 459);
    assert!(items(&missing).iter().all(|i| i["covered"] == false && i["ozg_id"] != WOHNGELD));
    let (_, rows) = parse_csv(&get_csv(app, &format!("/api/v1/coverage/gemeinden/{UEBERSEE}?covered=false")).await);
    assert_eq!(rows.len(), 459);
    for (query, parameter) in [("covered=maybe", "covered"), ("uncovered=true", "uncovered")] {
        let p = crate::helpers::get_problem(app, &format!("/api/v1/coverage/gemeinden/{UEBERSEE}?{query}"), 400).await;
        assert_eq!(p["parameter"], parameter, "{query}: {p}");
    }
});

world_test!(a_bundler_agreement_covers_its_member_through_bundler, |w, app| {
    let l = published(app, w, "Familienversicherung Bayern", "09", &[OZG_A], 2, "agreements").await;
    let fw = framework(app, w, &l, "09").await;
    let bundler = w.bundler();
    let number = accede(app, &fw, &bundler, Some(&org(NUSSDORF))).await;
    let row = w.agreement_row(&number);
    assert_eq!((row.customer_org_id, row.signatory_org_id), (org(NUSSDORF), bundler_org()));
    onboard(app, w, &number, &bundler, &l).await;

    let cov = gemeinde(app, NUSSDORF).await;
    assert_eq!(cov["name"], "Nußdorf");
    // 1 / 460 → 0.0022.
    assert_eq!((cov["covered"].as_u64(), cov["share"].as_f64()), (Some(1), Some(0.0022)));
    let i = item(&cov, OZG_A);
    assert_eq!((i["through"].as_str(), i["agreement"].as_str(), i["reifegrad"].as_u64()), (Some("bundler"), Some(number.as_str()), Some(2)));
    assert_eq!(i["online_service"]["id"].as_str(), Some(l.id.as_str()));
    assert_eq!(gemeinde(app, UEBERSEE).await["covered"], 0, "not a member, no agreement");
});

world_test!(a_kreis_agreement_covers_every_gemeinde_of_the_kreis, |w, app| {
    // Kreis Kleve (05154) in NRW, where the seeded WSP services are live Land-wide: every NRW
    // Gemeinde starts from the same baseline b.
    let baseline = gemeinde(app, "05154036").await;
    assert_eq!(baseline["name"], "Kleve, Stadt");
    let b = baseline["covered"].as_u64().unwrap();
    assert!(b > 0);
    assert!(items(&baseline).iter().filter(|i| i["covered"] == true).all(|i| i["through"] == "land_wide" && i["agreement"].is_null()));
    assert!(!covered_ids(&baseline).contains(&i64::from(WOHNGELD)));
    assert_eq!(gemeinde(app, KOELN).await["covered"].as_u64(), Some(b));

    let l = published(app, w, "Wohngeld Niederrhein", "05", &[WOHNGELD], 3, "agreements").await;
    let number = kreis_agreement(w, &l, "05154", at(2025, 5, 2), chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).await;

    // The 16 Gemeinden of Kleve (gemeinden.csv) now cover b + 1, Wohngeld through the Kreis.
    let kleve: Vec<Place> = gemeinden().into_iter().filter(|g| g.kreis == "05154").collect();
    assert_eq!(kleve.len(), 16);
    for g in &kleve {
        let cov = gemeinde(app, &g.ags).await;
        assert_eq!(cov["covered"].as_u64(), Some(b + 1), "{}", g.name);
        assert_share(&cov["share"], (b + 1) as f64 / 460.0, &g.name);
        let i = item(&cov, WOHNGELD);
        assert_eq!((i["through"].as_str(), i["agreement"].as_str(), i["reifegrad"].as_u64()), (Some("kreis"), Some(number.as_str()), Some(3)), "{}", g.name);
    }
    // Outside the Kreis: the baseline only (Köln is kreisfrei, Moers lies in Kreis Wesel).
    for ags in [KOELN, "05170024"] {
        let cov = gemeinde(app, ags).await;
        assert_eq!(cov["covered"].as_u64(), Some(b), "{ags}");
        assert_eq!(item(&cov, WOHNGELD)["covered"], false);
    }
});

world_test!(a_land_wide_listing_covers_every_gemeinde_of_its_lead_land, |w, app| {
    let koeln_before = gemeinde(app, KOELN).await["covered"].as_u64().unwrap();
    let l = published(app, w, "Familienversicherung Nord", "01", &[OZG_A], 2, "land_wide").await;
    for ags in [KIEL, "01051003"] {
        let cov = gemeinde(app, ags).await;
        assert_eq!(cov["covered"], 1, "{ags}");
        let i = item(&cov, OZG_A);
        assert_eq!((i["through"].as_str(), i["reifegrad"].as_u64(), i["online_service"]["id"].as_str()), (Some("land_wide"), Some(2), Some(l.id.as_str())));
        assert!(i["agreement"].is_null(), "no agreement makes a Land-wide service live");
    }
    assert_eq!(gemeinde(app, MUENCHEN).await["covered"], 0, "another Land");
    assert_eq!(gemeinde(app, KOELN).await["covered"].as_u64(), Some(koeln_before));

    // Where it is live: every Gemeinde of Schleswig-Holstein, nowhere else.
    let sh: Vec<Place> = gemeinden().into_iter().filter(|g| g.ags.starts_with("01")).collect();
    let kreise: BTreeSet<&str> = sh.iter().map(|g| g.kreis.as_str()).collect();
    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{OZG_A}")).await;
    assert_eq!((o["ozg_id"].as_i64(), o["in_scope_for_gemeinden"].as_bool()), (Some(i64::from(OZG_A)), Some(true)));
    assert_eq!((o["laender"].as_u64(), o["kreise"].as_u64()), (Some(1), Some(kreise.len() as u64)));
    assert_eq!(o["gemeinden"].as_u64(), Some(sh.len() as u64));
    assert_eq!(o["population"].as_i64(), Some(sh.iter().map(|g| g.population).sum::<i64>()));
    let per_land = o["per_land"].as_array().unwrap();
    assert_eq!(per_land.len(), 16);
    let sh_row = per_land.iter().find(|r| r["land"] == "01").unwrap();
    assert_eq!((sh_row["gemeinden_covered"].as_u64(), sh_row["gemeinden_total"].as_u64()), (Some(sh.len() as u64), Some(sh.len() as u64)));
    assert!(per_land.iter().filter(|r| r["land"] != "01").all(|r| r["gemeinden_covered"] == 0));
});

world_test!(a_nationwide_listing_covers_every_gemeinde, |w, app| {
    let koeln_before = gemeinde(app, KOELN).await;
    let b = koeln_before["covered"].as_u64().unwrap();
    assert_eq!((item(&koeln_before, OSTERFEUER)["through"].as_str(), item(&koeln_before, OSTERFEUER)["reifegrad"].as_u64()), (Some("land_wide"), None));

    let l = published(app, w, "Familienpass und Osterfeuer", "06", &[OZG_C, OSTERFEUER], 2, "nationwide").await;
    // München and Kiel: both OZG-Leistungen, through the nationwide listing, no agreement.
    for ags in [MUENCHEN, KIEL] {
        let cov = gemeinde(app, ags).await;
        assert_eq!(covered_ids(&cov), [i64::from(OZG_C), i64::from(OSTERFEUER)], "{ags}");
        // 2 / 460 = 0.004347… → 0.0043.
        assert_eq!(cov["share"].as_f64(), Some(0.0043));
        for ozg in [OZG_C, OSTERFEUER] {
            let i = item(&cov, ozg);
            assert_eq!((i["through"].as_str(), i["reifegrad"].as_u64(), i["online_service"]["id"].as_str()), (Some("nationwide"), Some(2), Some(l.id.as_str())));
            assert!(i["agreement"].is_null());
        }
    }
    // Köln: Familienpass is new (b + 1); Osterfeuer was already covered by the WSP (no
    // Reifegrad stated), and now the nationwide service with Reifegrad 2 is the better cover.
    let koeln = gemeinde(app, KOELN).await;
    assert_eq!(koeln["covered"].as_u64(), Some(b + 1));
    let o = item(&koeln, OSTERFEUER);
    assert_eq!((o["through"].as_str(), o["reifegrad"].as_u64(), o["online_service"]["id"].as_str()), (Some("nationwide"), Some(2), Some(l.id.as_str())));

    // Live in every Gemeinde of every Land.
    let all = gemeinden();
    let kreise: BTreeSet<&str> = all.iter().map(|g| g.kreis.as_str()).collect();
    let population: i64 = all.iter().map(|g| g.population).sum();
    for ozg in [OZG_C, OSTERFEUER] {
        let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{ozg}")).await;
        assert_eq!((o["laender"].as_u64(), o["kreise"].as_u64(), o["gemeinden"].as_u64()), (Some(16), Some(kreise.len() as u64), Some(all.len() as u64)), "{ozg}");
        assert_eq!(o["population"].as_i64(), Some(population), "{ozg}");
    }
});

world_test!(the_best_reifegrad_wins_then_the_closest_way, |w, app| {
    // Übersee has its own agreement for a service of Wohngeld and Familienversicherung at
    // Reifegrad 3. Nationwide: Wohngeld at Reifegrad 4, Familienversicherung at Reifegrad 3.
    let own = published(app, w, "Wohngeld und Familienversicherung", "09", &[WOHNGELD, OZG_A], 3, "agreements").await;
    let fw = framework(app, w, &own, "09").await;
    let number = live_by_accession(app, w, &own, &fw, UEBERSEE).await;
    let wohngeld4 = published(app, w, "Wohngeld bundesweit", "06", &[WOHNGELD], 4, "nationwide").await;
    let famv3 = published(app, w, "Familienversicherung bundesweit", "06", &[OZG_A], 3, "nationwide").await;

    let cov = gemeinde(app, UEBERSEE).await;
    // Two Leistungen, each counted once however many services cover it.
    assert_eq!(cov["covered"], 2);
    // Wohngeld: 4 beats 3, so the nationwide service counts.
    let i = item(&cov, WOHNGELD);
    assert_eq!((i["through"].as_str(), i["reifegrad"].as_u64(), i["online_service"]["id"].as_str()), (Some("nationwide"), Some(4), Some(wohngeld4.id.as_str())));
    assert!(i["agreement"].is_null());
    // Familienversicherung: 3 and 3; the closer way (own agreement) is shown.
    let i = item(&cov, OZG_A);
    assert_eq!((i["through"].as_str(), i["reifegrad"].as_u64(), i["online_service"]["id"].as_str()), (Some("own_agreement"), Some(3), Some(own.id.as_str())));
    assert_eq!(i["agreement"].as_str(), Some(number.as_str()));
    // Chieming has only the nationwide services.
    let cov = gemeinde(app, CHIEMING).await;
    assert_eq!(cov["covered"], 2);
    assert_eq!((item(&cov, OZG_A)["through"].as_str(), item(&cov, OZG_A)["online_service"]["id"].as_str()), (Some("nationwide"), Some(famv3.id.as_str())));
});

world_test!(a_kreis_orders_through_the_api_for_all_its_gemeinden, |w, app| {
    // 2 ct per inhabitant and year: the Kreis pays for its 124,859 inhabitants.
    let mut body = listing("Wohngeld Ammerland", "03", &[WOHNGELD], 3, "agreements");
    body["price"] = serde_json::json!({"model": "per_inhabitant", "per_inhabitant_cents": 2, "one_off_anbindung_fee_cents": 50000, "pro_rata_first_year": false});
    let l = publish(app, w, &body).await;
    let kreis = w.token("user-kreis-03451", &kreis_org(AMMERLAND), &[efa_domain::Role::MunicipalityUser], None);

    let estimate = ok_json(app, &format!("/api/v1/online-services/{}/cost-estimate?kreis={AMMERLAND}&start=2027-01-01", l.id)).await;
    assert_eq!((estimate["ags"].as_str(), estimate["population"].as_i64()), (Some(AMMERLAND), Some(AMMERLAND_POPULATION)));
    // 2 ct × 124,859 = 249,718 ct a year; 50,000 ct once.
    assert_eq!(estimate["following_year"]["annual_fee_cents"], 249_718);
    assert_eq!(estimate["first_year"]["total_cents"], 299_718);

    // The Kreis files for itself: no municipalities named, its own organisation is the customer.
    let r = expect(&post(app, "/api/v1/reuse-requests", &kreis, Some(&serde_json::json!({"online_service_id": l.id}))).await, 201);
    assert_eq!((r["municipalities"][0].as_str(), r["land"].as_str()), (Some(kreis_org(AMMERLAND).as_str()), Some("03")));
    let id = r["id"].as_str().unwrap();
    post_ok(app, &format!("/api/v1/reuse-requests/{id}/submit"), &kreis, None).await;
    post_ok(app, &format!("/api/v1/reuse-requests/{id}/approve"), &w.coordinator("03"), None).await;
    let accepted = post_ok(app, &format!("/api/v1/reuse-requests/{id}/accept"), &w.publisher("03"), Some(&serde_json::json!({}))).await;
    let number = accepted["agreements"][0].as_str().unwrap().to_owned();
    let row = w.agreement_row(&number);
    assert_eq!((row.customer_org_id.as_str(), row.signatory_org_id.as_str()), (kreis_org(AMMERLAND).as_str(), kreis_org(AMMERLAND).as_str()));
    assert_eq!((row.annual_fee_cents, row.one_off_fee_cents), (249_718, 50_000));

    // Signed but not live yet: nobody is covered.
    sign_both(app, w, &number, &kreis, &l).await;
    assert_eq!(gemeinde(app, EDEWECHT).await["covered"], 0);
    onboard(app, w, &number, &kreis, &l).await;

    // Live: each of the six Gemeinden has Wohngeld through the Kreis, 1 of 460 → 0.0022.
    for (ags, name, _) in AMMERLAND_GEMEINDEN {
        let cov = gemeinde(app, ags).await;
        assert_eq!(covered_ids(&cov), [i64::from(WOHNGELD)], "{name}");
        let i = item(&cov, WOHNGELD);
        assert_eq!((i["through"].as_str(), i["agreement"].as_str(), i["reifegrad"].as_u64()), (Some("kreis"), Some(number.as_str()), Some(3)), "{name}");
    }
    let k = ok_json(app, &format!("/api/v1/coverage/kreise/{AMMERLAND}")).await;
    assert_eq!((k["share_min"].as_f64(), k["share_max"].as_f64(), k["population_weighted_share"].as_f64()), (Some(0.0022), Some(0.0022), Some(0.0022)));
    let o = ok_json(app, &format!("/api/v1/coverage/ozg-leistungen/{WOHNGELD}")).await;
    assert_eq!((o["kreise"].as_u64(), o["gemeinden"].as_u64(), o["population"].as_i64()), (Some(1), Some(6), Some(AMMERLAND_POPULATION)));
    // Oldenburg (Oldb), next door but kreisfrei, stays uncovered.
    assert_eq!(gemeinde(app, "03403000").await["covered"], 0);
});
