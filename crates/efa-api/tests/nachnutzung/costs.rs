//! The cost estimate before ordering: annual with pro rata and Anbindung, per inhabitant
//! (population from seed-data/gemeinden.csv), and the Land's Königsteiner share, whose
//! shares over all 16 Länder add up to the total exactly. Expectations computed here.

use crate::helpers::{assert_bad_param, seed_csv};
use crate::world_test;
use crate::support::*;
use serde_json::{json, Value};

async fn estimate<A: TestApp>(app: &A, service: &str, ags: &str, start: &str) -> Value {
    expect(&get_as(app, &format!("/api/v1/online-services/{service}/cost-estimate?ags={ags}&start={start}"), None).await, 200)
}

/// Largest remainder (Hamilton), written out here: floor shares, then one cent each to the
/// largest remainders, ties to the earlier Land.
fn hamilton(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    let exact: Vec<(i128, i128)> = weights.iter().map(|&w| ((i128::from(total) * i128::from(w)) / sum, (i128::from(total) * i128::from(w)) % sum)).collect();
    let mut shares: Vec<i64> = exact.iter().map(|(q, _)| *q as i64).collect();
    let left = total - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

/// The latest year's Königsteiner Schlüssel from the seed, as (Land, share in 1/100,000 %).
fn koenigsteiner() -> Vec<(String, i64)> {
    let rows = seed_csv("koenigsteiner_schluessel.csv");
    let latest = rows.iter().map(|r| r["year"].parse::<i32>().unwrap()).max().unwrap();
    let mut out: Vec<(String, i64)> = rows
        .iter()
        .filter(|r| r["year"].parse::<i32>().unwrap() == latest)
        .map(|r| {
            let (whole, frac) = r["share_percent"].split_once('.').unwrap();
            let frac = format!("{frac:0<5}");
            (r["land_ags"].clone(), whole.parse::<i64>().unwrap() * 100_000 + frac[..5].parse::<i64>().unwrap())
        })
        .collect();
    out.sort();
    out
}

world_test!(an_annual_fee_is_estimated_exactly_and_bad_input_is_refused, |w, app| {
    let service = published_service(app, w).await;
    let e = estimate(app, &service, KOELN, "2027-07-01").await;
    // 1 July 2027: 184 of 365 days of 1,200.00 € = 604.93 €; plus the 500.00 € Anbindung.
    let first = pro_rata(120_000, date(2027, 7, 1));
    assert_eq!(first, 60_493);
    assert_eq!(e["ags"], KOELN);
    assert_eq!(e["start"], "2027-07-01");
    assert_eq!(e["price_model"], "annual");
    assert_eq!(e["first_year"], json!({"year": 2027, "one_off_anbindung_fee_cents": 50_000, "annual_fee_cents": first, "total_cents": 50_000 + first}));
    assert_eq!(e["following_year"], json!({"year": 2028, "one_off_anbindung_fee_cents": 0, "annual_fee_cents": 120_000, "total_cents": 120_000}));
    assert!(e["land_share_cents"].is_null());
    assert!(e["basis"].as_str().unwrap().contains("pro rata"), "{e}");
    // A leap year and its last day: 1 of 366 days of 1,200.00 € = 3.28 €.
    let e = estimate(app, &service, BONN, "2028-12-31").await;
    assert_eq!(e["first_year"]["annual_fee_cents"], pro_rata(120_000, date(2028, 12, 31)));
    assert_eq!(pro_rata(120_000, date(2028, 12, 31)), 328);
    // The estimate is what an agreement starting then freezes.
    let e = estimate(app, &service, KOELN, "2027-03-01").await;
    assert_eq!(e["first_year"]["annual_fee_cents"], 100_603);

    let base = format!("/api/v1/online-services/{service}/cost-estimate");
    assert_bad_param(app, &format!("{base}?start=2027-07-01"), "ags").await;
    assert_bad_param(app, &format!("{base}?ags=0531500&start=2027-07-01"), "ags").await;
    assert_bad_param(app, &format!("{base}?ags={KOELN}&start=2027-13-01"), "start").await;
    assert_bad_param(app, &format!("/api/v1/online-services/not-a-uuid/cost-estimate?ags={KOELN}"), "id").await;
    // Well-formed but unknown Gemeinde, unknown service: 404.
    let p = expect(&get_as(app, &format!("{base}?ags=05999999&start=2027-07-01"), None).await, 404);
    assert!(p["detail"].as_str().unwrap().contains("05999999"), "{p}");
    expect(&get_as(app, &format!("/api/v1/online-services/{}/cost-estimate?ags={KOELN}", uuid::Uuid::new_v4()), None).await, 404);
    // Without a start: today.
    let e = expect(&get_as(app, &format!("{base}?ags={KOELN}"), None).await, 200);
    assert_eq!(e["start"], efa_domain::calendar::today().to_string());
});

world_test!(a_per_inhabitant_price_multiplies_by_the_population, |w, app| {
    let price = json!({"model": "per_inhabitant", "per_inhabitant_cents": 3, "one_off_anbindung_fee_cents": 10_000});
    let service = publish(app, w, &listing_body("Hundesteuer online (je Einwohner)", price)).await;
    for ags in [KOELN, BONN, KIEL, MUENCHEN] {
        let people = population(ags);
        assert!(people > 100_000, "{ags}: {people}");
        let e = estimate(app, &service, ags, "2027-07-01").await;
        assert_eq!(e["population"], people, "{ags}");
        // Not pro rata: the whole yearly amount in the first year too.
        assert_eq!(e["first_year"], json!({"year": 2027, "one_off_anbindung_fee_cents": 10_000, "annual_fee_cents": 3 * people, "total_cents": 10_000 + 3 * people}), "{ags}");
        assert_eq!(e["following_year"]["total_cents"], 3 * people, "{ags}");
    }
    // Per inhabitant plus a base fee, pro rata: (base + rate × population) × days / year days.
    let price = json!({"model": "per_inhabitant", "per_inhabitant_cents": 7, "annual_fee_cents": 99_999, "pro_rata_first_year": true});
    let service = publish(app, w, &listing_body("Gewerbeanmeldung (Sockel und je Einwohner)", price)).await;
    let yearly = 99_999 + 7 * population(BONN);
    let e = estimate(app, &service, BONN, "2027-10-15").await;
    assert_eq!(e["following_year"]["annual_fee_cents"], yearly);
    assert_eq!(e["first_year"]["annual_fee_cents"], pro_rata(yearly, date(2027, 10, 15)));
    assert_eq!(e["first_year"]["one_off_anbindung_fee_cents"], 0);
});

world_test!(koenigsteiner_shares_of_all_laender_add_up_to_the_total, |w, app| {
    let total: i64 = 123_456_789;
    let price = json!({"model": "koenigsteiner_share", "koenigsteiner_total_cents": total});
    let service = publish(app, w, &listing_body("Elterngeld digital (Länderfinanzierung)", price)).await;
    let key = koenigsteiner();
    assert_eq!(key.len(), 16);
    assert_eq!(key.iter().map(|(_, s)| s).sum::<i64>(), 10_000_000, "the shares of a year make 100 %");
    let expected = hamilton(total, &key.iter().map(|(_, s)| *s).collect::<Vec<_>>());

    let mut sum = 0;
    for ((land, weight), want) in key.iter().zip(&expected) {
        let (ags, _) = gemeinden_of(land).into_iter().next().unwrap_or_else(|| panic!("a Gemeinde of {land}"));
        let e = estimate(app, &service, &ags, "2027-01-01").await;
        let share = e["land_share_cents"].as_i64().unwrap_or_else(|| panic!("{land}: {e}"));
        assert_eq!(share, *want, "Land {land}");
        let exact = total as f64 * *weight as f64 / 10_000_000.0;
        assert!((share as f64 - exact).abs() < 1.0, "Land {land}: {share} vs {exact}");
        // The Land pays; the Gemeinde itself pays nothing a year.
        assert_eq!(e["following_year"]["total_cents"], 0, "{land}");
        sum += share;
    }
    assert_eq!(sum, total, "16 shares add up to the total to the cent");
    // NRW, 21.07592 % in 2019: 26,019,654.08… ct.
    let nrw_share = estimate(app, &service, KOELN, "2027-01-01").await["land_share_cents"].as_i64().unwrap();
    assert!((nrw_share - 26_019_654).abs() <= 1, "{nrw_share}");

    // Only the Länder where the service is available share its cost.
    let mut body = listing_body("Elterngeld digital (nur SH und NRW)", json!({"model": "koenigsteiner_share", "koenigsteiner_total_cents": 1_000_001}));
    body["availability"] = json!({"nationwide": false, "laender": ["01", "05"]});
    let service = publish(app, w, &body).await;
    let sh = estimate(app, &service, KIEL, "2027-01-01").await["land_share_cents"].as_i64().unwrap();
    let nw = estimate(app, &service, KOELN, "2027-01-01").await["land_share_cents"].as_i64().unwrap();
    let weights: Vec<i64> = key.iter().filter(|(l, _)| l == "01" || l == "05").map(|(_, s)| *s).collect();
    assert_eq!(vec![sh, nw], hamilton(1_000_001, &weights));
    assert_eq!(sh + nw, 1_000_001);
    assert_eq!(estimate(app, &service, MUENCHEN, "2027-01-01").await["land_share_cents"], 0, "Bayern does not take part");
});
