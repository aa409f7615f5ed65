//! Keeping the catalogue current (issue 14) in the shop: a retired OZG-Leistung shows as
//! retired with its successor and its history; the provider sees the flag on its listing; the
//! Gemeinde's coverage page shows the dashboard's export beside the marketplace's coverage.

use crate::shop_test;
use diesel::prelude::*;
use efa_api::operations::catalogue::{self as op, AvailabilityImportBody, CatalogueImportBody};
use efa_api::write::Ctx;
use efa_domain::{Principal, Role};
use efa_store::schema::{online_service_ozg_leistungen as so, online_services as os};
use std::collections::BTreeMap;

fn operator() -> Principal {
    Principal { subject: "shop-test-operator".into(), org_id: efa_store::seed::seed_id("org", "FITKO (Föderale IT-Kooperation)"), roles: vec![Role::Operator], land: None }
}

fn seed_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../../seed-data/{name}", env!("CARGO_MANIFEST_DIR"))).expect("seed file")
}

/// A published listing of Land NRW (seeded) and the OZG-Leistung it implements (not one of
/// those the import below renames or retires otherwise).
fn nrw_listing(db: &efa_store::test_util::TestDb) -> (String, String, i32) {
    so::table
        .inner_join(os::table)
        .filter(os::provider_org_id.eq(efa_store::seed::seed_id("land", "05")))
        .filter(os::published_version.is_not_null())
        .filter(so::ozg_id.ne_all(vec![10000, 10001, 10092]))
        .select((os::id, os::name, so::ozg_id))
        .order(os::id)
        .first(&mut db.conn())
        .expect("a published NRW listing")
}

/// Imports the seed catalogue with Wohngeld renamed, Elterngeld (10000) and `retire` left out
/// (Elterngeld's successor: 10001).
async fn import(state: &efa_api::AppState, retire: i32) {
    let ozg: String = seed_file("ozg_leistungen.csv")
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("10000,") && !l.starts_with(&format!("{retire},")))
        .map(|l| l.replacen("10092,Wohngeld,", "10092,Wohngeld digital,", 1))
        .collect();
    let files = BTreeMap::from([("ozg_leistungen.csv".to_owned(), ozg), ("ozg_nachfolger.csv".to_owned(), "ozg_id,nachfolger_ozg_id\n10000,10001\n".to_owned())]);
    let body = CatalogueImportBody { source: "OZG-Katalog Shoptest".into(), source_date: None, files };
    let report = op::import(state, &operator(), &Ctx::default(), body, false).await.expect("import");
    assert_eq!(report.changes.ozg_retired.len(), 2, "{report}");
}

shop_test!(a_retired_leistung_shows_its_successor_history_and_the_providers_flag, |s| {
    let state = crate::support::state(s.db).await;
    let app = crate::support::app_of(state.clone(), s.db).await;
    let b = crate::support::Browser::new(&app, s.db);
    let before = b.page("/leistungen/10092").await;
    assert!(before.has("#keine-aenderungen") && !before.has("#aufgehoben"));
    let (listing, listing_name, ozg) = nrw_listing(s.db);
    import(&state, ozg).await;

    let p = b.page("/leistungen/10000").await;
    assert!(p.text("#aufgehoben").contains("nicht mehr im OZG-Umsetzungskatalog"), "{}", p.body);
    assert_eq!(p.attr("#aufgehoben a", "href"), "/leistungen/10001");
    let rows: Vec<String> = p.select("#verlauf tbody th").iter().map(|t| t.text().collect::<String>()).collect();
    assert_eq!(rows, vec!["Aufgehoben; Nachfolgerin ist OZG-Leistung 10001"]);
    assert!(p.text("#verlauf tbody tr").contains("OZG-Katalog Shoptest"));
    let list = b.page("/leistungen?q=Elterngeld").await;
    assert!(list.body.contains("aufgehoben</strong>, Nachfolgerin: <a class=\"kern-link\" href=\"/leistungen/10001\">OZG-ID 10001</a>"), "{}", list.body);
    let w = b.page("/leistungen/10092").await;
    assert_eq!(w.text("h1"), "Wohngeld digital");
    assert_eq!(w.text("#verlauf tbody th"), "Geändert: umbenannt von „Wohngeld“ in „Wohngeld digital“");

    // The listing's provider sees the flag; another OZG-Leistung's listing has none.
    b.login("05", "provider_publisher").await;
    let l = b.page(&format!("/angebote/{listing}")).await;
    assert!(l.text("h1").contains(listing_name.trim()), "{}", l.body);
    let flag = l.text(&format!("#katalog-hinweis p[data-ozg='{ozg}']"));
    assert!(flag.contains("ist nicht mehr im OZG-Umsetzungskatalog"), "{flag}");
    assert_eq!(l.attr("#katalog-hinweis a", "href"), format!("/leistungen/{ozg}"));
});

shop_test!(the_gemeinde_page_shows_the_dashboard_export_beside_its_coverage, |s| {
    let state = crate::support::state(s.db).await;
    let app = crate::support::app_of(state.clone(), s.db).await;
    let b = crate::support::Browser::new(&app, s.db);
    let before = b.page("/abdeckung/gemeinden/05315000").await;
    assert!(before.has("#anderweitig-leer"));
    let csv = std::fs::read_to_string(format!("{}/../efa-api/tests/fixtures/dashboard_open_pvog.csv", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    let body = AvailabilityImportBody { source: "Dashboard Shoptest".into(), source_date: None, csv };
    let r = op::import_availability(&state, &operator(), &Ctx::default(), body, false).await.expect("availability import");
    assert_eq!(r.online, 4);

    let p = b.page("/abdeckung/gemeinden/05315000").await;
    assert_eq!(p.text("#abdeckung-online"), before.text("#abdeckung-online"), "the marketplace's coverage is unchanged");
    let rows: Vec<&str> = p.select("#anderweitig tr.anderweitig").iter().filter_map(|r| r.value().attr("data-ozg")).collect();
    assert_eq!(rows, vec!["10001", "10092"]);
    assert_eq!(p.text("#anderweitig tr[data-ozg='10001'] td"), "im ganzen Land");
    assert_eq!(p.attr("#anderweitig tr[data-ozg='10092'] a", "href"), "https://wohngeld.example.koeln.de/antrag");
    assert!(p.has("#anderweitig caption") && p.has("#anderweitig th[scope=col]"));
    assert!(p.text("#anderweitig-summe").starts_with("2 OZG-Leistungen"));
});
