//! What to order next: uncovered in-scope Leistungen ranked by how many similar Gemeinden
//! (same Land, same population class) have them live, with the listing to order and its cost.

use crate::world_test;
use crate::helpers::{items, ok_json};
use crate::support::*;
use serde_json::{json, Value};

/// Dithmarschen (Schleswig-Holstein), all under 2,000 inhabitants (population class 0).
const AVERLAK: &str = "01051003"; // 554
const BRICKELN: &str = "01051010"; // 212
const BUCHHOLZ: &str = "01051012"; // 998
const DINGEN: &str = "01051022"; // 627
const EDDELAK: &str = "01051024"; // 1,330

struct Fixture {
    a: Listing,
    b: Listing,
}

/// Familienversicherung (A) is live in Averlak, Brickeln and Buchholz; Hebammenhilfe (B) in
/// Dingen. A is priced per inhabitant (25 ct) with a 100.00 € Anbindung; B at 1,200.00 € a
/// year with a 500.00 € Anbindung.
async fn fixture<A: TestApp>(app: &A, w: &World) -> Fixture {
    let mut body = listing("Familienversicherung Nord", "01", &[OZG_A], 3, "agreements");
    body["price"] = json!({"model": "per_inhabitant", "per_inhabitant_cents": 25, "one_off_anbindung_fee_cents": 10000, "pro_rata_first_year": false});
    let a = publish(app, w, &body).await;
    let b = published(app, w, "Hebammenhilfe Nord", "01", &[OZG_B], 3, "agreements").await;
    let fa = framework(app, w, &a, "01").await;
    let fb = framework(app, w, &b, "01").await;
    for ags in [AVERLAK, BRICKELN, BUCHHOLZ] {
        live_by_accession(app, w, &a, &fa, ags).await;
    }
    live_by_accession(app, w, &b, &fb, DINGEN).await;
    Fixture { a, b }
}

async fn next<A: TestApp>(app: &A, ags: &str) -> Value {
    ok_json(app, &format!("/api/v1/coverage/gemeinden/{ags}/next")).await
}

fn ranked(body: &Value) -> Vec<(i64, u64)> {
    items(body).iter().map(|i| (i["ozg_id"].as_i64().unwrap(), i["similar_gemeinden_live"].as_u64().unwrap())).collect()
}

world_test!(next_ranks_what_similar_gemeinden_already_have, |w, app| {
    let f = fixture(app, w).await;
    // Similar to Eddelak: the other Gemeinden of Schleswig-Holstein under 2,000 inhabitants.
    let class0 = gemeinden().iter().filter(|g| g.ags.starts_with("01") && g.population < 2_000).count();
    assert_eq!(class0, 894);

    let body = next(app, EDDELAK).await;
    assert_eq!(body["ags"], EDDELAK);
    let list = items(&body);
    // Nothing is covered in Eddelak: all 460 in-scope Leistungen are candidates.
    assert_eq!(list.len(), 460);
    assert!(list.iter().all(|i| i["similar_gemeinden"] == 893), "894 minus Eddelak itself");
    // A live in 3 similar Gemeinden, B in 1, everything else in none: A, then B.
    let r = ranked(&body);
    assert_eq!(r[..2], [(i64::from(OZG_A), 3), (i64::from(OZG_B), 1)]);
    assert!(r[2..].iter().all(|&(_, n)| n == 0));
    // Among the rest: those with a listing to order first, then by OZG-ID.
    let rest: Vec<(bool, i64)> = list[2..].iter().map(|i| (i["online_service"].is_object(), i["ozg_id"].as_i64().unwrap())).collect();
    let mut sorted = rest.clone();
    sorted.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    assert_eq!(rest, sorted);

    // The listing to order, and what Eddelak (1,330 inhabitants) would pay.
    let a = &list[0];
    assert_eq!((a["online_service"]["id"].as_str(), a["online_service"]["name"].as_str()), (Some(f.a.id.as_str()), Some("Familienversicherung Nord")));
    let e = &a["cost_estimate"];
    assert_eq!((e["online_service_id"].as_str(), e["ags"].as_str(), e["population"].as_i64()), (Some(f.a.id.as_str()), Some(EDDELAK), Some(1_330)));
    assert_eq!(e["price_model"], "per_inhabitant");
    // 25 ct × 1,330 = 33,250 ct a year (no pro rata); first year + 10,000 ct Anbindung = 43,250 ct.
    assert_eq!((e["first_year"]["one_off_anbindung_fee_cents"].as_i64(), e["first_year"]["annual_fee_cents"].as_i64(), e["first_year"]["total_cents"].as_i64()), (Some(10_000), Some(33_250), Some(43_250)));
    assert_eq!(e["following_year"]["total_cents"].as_i64(), Some(33_250));
    let b = &list[1];
    assert_eq!(b["online_service"]["id"].as_str(), Some(f.b.id.as_str()));
    // 120,000 ct a year + 50,000 ct Anbindung = 170,000 ct in the first year.
    assert_eq!((b["cost_estimate"]["first_year"]["total_cents"].as_i64(), b["cost_estimate"]["following_year"]["total_cents"].as_i64()), (Some(170_000), Some(120_000)));

    // Averlak has A: not offered again; B (Dingen) leads. Dingen has B: A (3) leads.
    let av = next(app, AVERLAK).await;
    assert_eq!(items(&av).len(), 459);
    assert!(items(&av).iter().all(|i| i["ozg_id"] != OZG_A));
    assert_eq!(ranked(&av)[0], (i64::from(OZG_B), 1));
    let di = next(app, DINGEN).await;
    assert_eq!(ranked(&di)[0], (i64::from(OZG_A), 3));
    assert!(items(&di).iter().all(|i| i["ozg_id"] != OZG_B));
});

world_test!(similar_means_same_land_and_same_population_class, |w, app| {
    fixture(app, w).await;
    let count = |body: &Value, ozg: i32| items(body).iter().find(|i| i["ozg_id"] == ozg).map(|i| i["similar_gemeinden_live"].as_u64().unwrap());
    // Kiel (246,794 inhabitants, class 100,000–499,999): its only peer in the Land is Lübeck.
    let kiel = next(app, KIEL).await;
    assert!(items(&kiel).iter().all(|i| i["similar_gemeinden"] == 1));
    assert_eq!((count(&kiel, OZG_A), count(&kiel, OZG_B)), (Some(0), Some(0)));
    // Staudach-Egerndach (1,152, Bayern): same class, another Land.
    let bayern = next(app, "09189146").await;
    assert_eq!((count(&bayern, OZG_A), count(&bayern, OZG_B)), (Some(0), Some(0)));
    // The listings can still be ordered there; they are the best live ones for A and B.
    assert!(items(&bayern).iter().find(|i| i["ozg_id"] == OZG_A).unwrap()["online_service"].is_object());
});
