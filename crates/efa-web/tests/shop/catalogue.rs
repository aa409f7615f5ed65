//! Finding and comparing: the search with the API's facets, the service page with the cost for
//! a Gemeinde, the OZG-Leistung page, the comparison tray.

use crate::support::{location, Browser};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use serde_json::{json, Value};

const KOELN: &str = "05315000";

/// A published Wohngeld listing of Land NRW with prices, written as an approval writes it
/// (the seed has no Wohngeld service); its id.
pub fn publish_wohngeld(db: &TestDb) -> String {
    let content: efa_domain::listing::ListingContent = serde_json::from_value(json!({
        "name": "Wohngeld digital NRW",
        "description": "Antrag auf Wohngeld vollständig online, mit Nachweisupload und Bescheid ins Postfach.",
        "provider_org_id": seed_id("land", "05"),
        "ozg_ids": [10092],
        "lead_land": "05",
        "efa": true,
        "status": "live",
        "reifegrad": 3,
        "anbindung": ["fit_connect", "xoev_standard"],
        "url": "https://service.example.nrw.de/wohngeld",
        "price": {"model": "annual", "annual_fee_cents": 120000, "one_off_anbindung_fee_cents": 50000, "pro_rata_first_year": true},
        "conformance": [{"criterion": "MA-01.1", "level": "fulfilled", "evidence_url": "https://example.nrw.de/nachweis"}, {"criterion": "MA-01.2", "level": "partly"}],
        "terms": {"text": "Nutzungsbedingungen 1.0 für die Nachnutzung des Online-Dienstes.", "version": "1.0"},
        "contact": {"name": "EfA-Servicedesk NRW", "email": "efa@example.nrw.de"},
        "availability": {"nationwide": true, "laender": []},
        "anbindung_details": {"fit_connect_destination_required": true, "xoev_standard": "XWohngeld", "xoev_version": "2.1", "fachverfahren_interfaces": ["Dialog Wohngeld"]},
        "reach": "agreements"
    }))
    .expect("listing content");
    let id = uuid::Uuid::new_v4().to_string();
    let now = chrono::Utc::now().naive_utc();
    let mut conn = db.conn();
    let row = efa_store::listings::create(&mut conn, &id, &content, now).expect("create listing");
    let (done, _) = efa_store::listings::publish(&mut conn, &row, &content, "test-operator", now).expect("publish listing");
    assert_eq!(done, efa_store::listings::Guarded::Done);
    id
}

/// Runs the body on both databases with the Wohngeld listing published before the app starts:
/// `catalogue_test!(name, |s, wohngeld| { ... })`.
macro_rules! catalogue_test {
    ($name:ident, |$s:ident, $id:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[actix_web::test]
            async fn sqlite() {
                let db = crate::support::seeded(efa_store::Backend::Sqlite);
                let $id = publish_wohngeld(&db);
                let app = crate::support::app(&db).await;
                let $s = Browser::new(&app, &db);
                $body
            }
            #[actix_web::test]
            async fn postgres() {
                let db = crate::support::seeded(efa_store::Backend::Postgres);
                let $id = publish_wohngeld(&db);
                let app = crate::support::app(&db).await;
                let $s = Browser::new(&app, &db);
                $body
            }
        }
    };
}

/// A tray change posted from page `from`.
macro_rules! tray {
    ($s:expr, $from:expr, $aktion:expr, $id:expr, $back:expr) => {
        $s.post("/vergleich", $from, &[("aktion", $aktion), ("id", $id), ("zurueck", $back)]).await
    };
}

/// The leading number of "N Onlinedienste gefunden".
fn found(p: &crate::support::Page) -> u64 {
    let t = p.text("#ergebnis-status");
    t.split_whitespace().next().and_then(|n| n.replace('.', "").parse().ok()).unwrap_or_else(|| panic!("a count in {t:?}"))
}

fn json(p: &crate::support::Page) -> Value {
    serde_json::from_str(&p.body).unwrap_or_else(|e| panic!("JSON ({e}): {}", p.body))
}

catalogue_test!(searching_wohngeld_finds_the_wohngeld_service_and_its_page_opens, |s, id| {
    let p = s.page("/onlinedienste?q=Wohngeld").await;
    assert_eq!(p.attr("#ergebnis-status", "role"), "status");
    assert!(found(&p) >= 1, "{}", p.text("#ergebnis-status"));
    assert!(p.text("#ergebnis-status").ends_with("Onlinedienste gefunden"));
    let href = format!("/onlinedienste/{id}");
    assert!(p.text(&format!("#treffer a[href='{href}']")).contains("Wohngeld"));
    assert_eq!(p.attr("#f-q", "value"), "Wohngeld", "the search is kept");
    assert_eq!(p.attr("#tab-leistungen", "href"), "/leistungen?q=Wohngeld", "the tabs carry q");
    let form = p.select("form#suche");
    assert_eq!(form[0].value().attr("hx-get"), Some("/onlinedienste"));
    assert_eq!(form[0].value().attr("hx-select"), Some("#ergebnisse"));
    let page = s.page(&href).await;
    assert_eq!(page.text("h1"), "Wohngeld digital NRW");
    let ozg = s.page("/leistungen?q=Wohngeld").await;
    assert!(ozg.has("#treffer a[href='/leistungen/10092']"), "the OZG-Leistung is found too");
    assert_eq!(ozg.attr("#tab-onlinedienste", "href"), "/onlinedienste?q=Wohngeld");
});

catalogue_test!(a_typo_finds_the_service_with_its_words_marked_and_nothing_found_proposes_a_word, |s, id| {
    // One wrong letter: the Wohngeld service, its matched word marked in the result's name.
    let p = s.page("/onlinedienste?q=Wohngled").await;
    assert!(p.has(&format!("#treffer a[href='/onlinedienste/{id}']")), "{}", p.text("#treffer"));
    assert_eq!(p.text(&format!("#treffer a[href='/onlinedienste/{id}'] mark")), "Wohngeld");
    assert!(!p.has("#vorschlag"), "no proposal while something is found");
    // The OZG-Leistungen' list marks too, and a word that is too far off gets "Meinten Sie".
    let ozg = s.page("/leistungen?q=Sterbeurkunfe").await;
    assert_eq!(ozg.text("#treffer a[href='/leistungen/10237'] mark"), "Sterbeurkunde");
    let none = s.page("/leistungen?q=wohnglt&themenfeld=1").await;
    assert!(none.text("#ergebnis-status").starts_with("0 "), "{}", none.text("#ergebnis-status"));
    assert_eq!(none.text("#vorschlag-link"), "wohngeld");
    assert_eq!(none.attr("#vorschlag-link", "href"), "/leistungen?q=wohngeld&themenfeld=1", "the filters are kept");
    let services = s.page("/onlinedienste?q=wohnglt").await;
    assert_eq!(services.attr("#vorschlag-link", "href"), "/onlinedienste?q=wohngeld");
});

catalogue_test!(facets_narrow_and_count_as_the_api_does, |s, _id| {
    let all = s.page("/onlinedienste").await;
    let narrowed = s.page("/onlinedienste?lead_land=05&status=live&status=pilot").await;
    assert!(found(&narrowed) < found(&all), "the filter narrows");
    let api = json(&s.get("/api/v1/online-services?lead_land=05&status=live,pilot").await);
    assert_eq!(found(&narrowed), api["total"].as_u64().unwrap(), "the same total as the API");
    for facet in ["status", "lead_land", "anbindung", "price_model"] {
        for v in api["facets"][facet].as_array().unwrap().iter().filter(|v| v["count"].as_u64() > Some(0)) {
            let value = v["value"].as_str().unwrap();
            let input = narrowed.select(&format!("#f-{facet} input[value='{value}']"));
            assert_eq!(input.len(), 1, "a checkbox for {facet}={value}");
            let label = narrowed.text(&format!("label[for='{}']", input[0].value().attr("id").unwrap()));
            assert!(label.ends_with(&format!("({})", v["count"])), "{facet}={value}: {label} vs {}", v["count"]);
        }
    }
    assert!(narrowed.select("#f-status input[value='live']")[0].value().attr("checked").is_some(), "the chosen values stay checked");
    assert!(narrowed.select("#f-lead_land input[value='05']")[0].value().attr("checked").is_some());
});

catalogue_test!(pages_carry_the_query_and_mark_the_current_one, |s, _id| {
    let p = s.page("/onlinedienste?efa=false&sort=-name").await;
    assert!(found(&p) > 20, "more than one page");
    assert_eq!(p.select("#treffer > li").len(), 20, "20 per page");
    assert!(p.text("#seite").starts_with("Seite 1 von "));
    assert_eq!(p.text(".pager a[aria-current=page]"), "Seite 1");
    let next = p.attr(".pager a[rel=next]", "href");
    assert!(next.contains("efa=false") && next.contains("sort=-name") && next.contains("page=2"), "{next}");
    let two = s.page(&next).await;
    assert_eq!(two.text(".pager a[aria-current=page]"), "Seite 2");
    assert!(two.text("#seite").starts_with("Seite 2 von "));
    assert_ne!(two.text("#treffer > li h2"), p.text("#treffer > li h2"), "another page of results");
});

catalogue_test!(bad_filter_values_answer_400_in_the_shops_look, |s, _id| {
    for uri in ["/onlinedienste?status=kaputt", "/onlinedienste?reifegrad_min=9", "/onlinedienste?sort=preis", "/onlinedienste?page=0", "/onlinedienste?gibtsnicht=1", "/leistungen?themenfeld=sechs"] {
        let p = s.get(uri).await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(p.text("h1"), "Ungültige Anfrage", "{uri}");
        assert!(p.has("header.site-header") && p.has("footer.site-footer"), "{uri} in the shop's look");
    }
    let tf = s.page("/leistungen?themenfeld=6").await;
    assert!(tf.select("#treffer > li").len() > 1, "the start page's Themenfeld link lists OZG-Leistungen");
});

catalogue_test!(service_page_shows_listing_and_the_cost_for_koeln_as_the_api, |s, id| {
    s.login(KOELN, "municipality_user").await;
    let p = s.page(&format!("/onlinedienste/{id}")).await;
    let api = json(&s.get(&format!("/api/v1/online-services/{id}")).await);
    assert_eq!(p.text("#anbieter"), api["provider"]["name"].as_str().unwrap());
    assert!(p.text("#reifegrad").starts_with("3 – vollständig online"), "{}", p.text("#reifegrad"));
    assert!(p.text("#preise").contains("1.200,00") && p.text("#preise").contains("500,00"), "{}", p.text("#preise"));
    assert!(p.text("#anbindung").contains("FIT-Connect") && p.text("#anbindung").contains("XWohngeld"));
    assert!(p.text("#mindestanforderungen caption").contains("1 von 2"));
    assert!(p.has("#ozg-leistungen a[href='/leistungen/10092']"));
    assert_eq!(p.text("#bedingungen-version"), "Version 1.0");
    assert_eq!(p.select("#versionen tbody tr").len(), 1, "one published version");
    assert_eq!(p.attr("#anfrage-link", "href"), format!("/onlinedienste/{id}/anfrage"));
    assert_eq!(p.attr("#f-kosten_ags", "value"), KOELN, "the user's own Gemeinde by default");
    let est = json(&s.get(&format!("/api/v1/online-services/{id}/cost-estimate?ags={KOELN}")).await);
    assert_eq!(p.attr("#kosten-dieses-jahr", "data-cents"), est["first_year"]["total_cents"].to_string());
    assert_eq!(p.attr("#kosten-naechstes-jahr", "data-cents"), est["following_year"]["total_cents"].to_string());
    assert!(p.text("#kosten-tabelle caption").contains("Köln"));
    assert!(p.text("#kosten-erklaerung").contains("anteilig nach Tagen"), "{}", p.text("#kosten-erklaerung"));
    assert!(s.get("/onlinedienste/keine-uuid").await.status == StatusCode::NOT_FOUND);
    assert_eq!(s.get(&format!("/onlinedienste/{}", uuid::Uuid::new_v4())).await.status, StatusCode::NOT_FOUND);
});

catalogue_test!(a_bad_ags_in_the_cost_form_is_a_400_at_its_field, |s, id| {
    let anonymous = s.page(&format!("/onlinedienste/{id}")).await;
    assert_eq!(anonymous.attr("#f-kosten_ags", "value"), "", "anonymous: an empty form");
    assert!(!anonymous.has("#kosten-tabelle"));
    let p = s.get(&format!("/onlinedienste/{id}?kosten_ags=%3Cscript%3Ealert(1)%3C%2Fscript%3E&kosten_kreis=")).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.assert_error_summary(), vec!["kosten_ags"]);
    assert_eq!(p.attr("#f-kosten_ags", "value"), "<script>alert(1)</script>", "value kept");
    assert!(!p.body.contains("<script>alert(1)"), "escaped");
    let unknown = s.get(&format!("/onlinedienste/{id}?kosten_ags=05999999&kosten_kreis=")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.assert_error_summary(), vec!["kosten_ags"]);
    let kreis = s.page(&format!("/onlinedienste/{id}?kosten_ags=&kosten_kreis=05334")).await;
    let est = json(&s.get(&format!("/api/v1/online-services/{id}/cost-estimate?kreis=05334")).await);
    assert_eq!(kreis.attr("#kosten-naechstes-jahr", "data-cents"), est["following_year"]["total_cents"].to_string());
});

catalogue_test!(ozg_page_lists_its_leika_services_and_where_it_is_live, |s, id| {
    let p = s.page("/leistungen/10092").await;
    let api = json(&s.get("/api/v1/ozg-leistungen/10092").await);
    assert_eq!(p.text("h1"), "Wohngeld");
    let leika = api["leika_leistungen"].as_array().unwrap();
    assert_eq!(p.select("#leika tbody tr").len(), leika.len());
    assert!(p.text("#leika").contains(leika[0]["name"].as_str().unwrap()));
    assert!(p.has(&format!("#dienste a[href='/onlinedienste/{id}']")));
    let cov = json(&s.get("/api/v1/coverage/ozg-leistungen/10092").await);
    assert!(p.text("#live-zahl").contains(&format!("In {} Gemeinden", cov["gemeinden"])), "{}", p.text("#live-zahl"));
    assert_eq!(s.get("/leistungen/99999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/leistungen/abc").await.status, StatusCode::NOT_FOUND);
});

catalogue_test!(the_tray_holds_up_to_four_and_compares_them_side_by_side, |s, id| {
    let list = s.page("/onlinedienste?efa=false").await;
    let ids: Vec<String> = std::iter::once(id.clone()).chain(list.select("#treffer input[name=id]").iter().filter_map(|i| i.value().attr("value").map(str::to_owned))).take(5).collect();
    let here = "/onlinedienste?efa=false";
    assert_eq!(location(&tray!(s, &list, "hinzufuegen", &ids[0], here)), here, "back to the list");
    tray!(s, &list, "hinzufuegen", &ids[1], here);
    let cmp = s.page("/vergleich").await;
    assert_eq!(cmp.select("#vergleich th[scope=col]").len(), 2);
    assert!(cmp.has("#vergleich th[scope=row]"));
    assert!(cmp.text("#vergleich").contains("Wohngeld digital NRW"));
    assert_eq!(cmp.text("#tray-count"), "2 Dienste");
    tray!(s, &list, "hinzufuegen", &ids[2], here);
    tray!(s, &list, "hinzufuegen", &ids[3], here);
    let refused = tray!(s, &list, "hinzufuegen", &ids[4], here);
    assert_eq!(location(&refused), here);
    let after = s.page(here).await;
    assert!(after.text(".flash").contains("höchstens 4"), "{}", after.text(".flash"));
    assert_eq!(after.text("#tray-count"), "4 Dienste", "still four");
    let cmp = s.page("/vergleich").await;
    assert_eq!(cmp.select("#vergleich th[scope=col]").len(), 4);
    let removed = s.post("/vergleich", &cmp, &[("aktion", "entfernen"), ("id", &ids[0]), ("zurueck", "/vergleich")]).await;
    assert_eq!(location(&removed), "/vergleich");
    let cmp = s.page("/vergleich").await;
    assert_eq!(cmp.select("#vergleich th[scope=col]").len(), 3);
    assert!(!cmp.text("#vergleich").contains("Wohngeld digital NRW"));
    let unknown = s.post("/vergleich", &cmp, &[("aktion", "hinzufuegen"), ("id", &uuid::Uuid::new_v4().to_string()), ("zurueck", "/vergleich")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let foreign = s.post("/vergleich", &cmp, &[("aktion", "leeren"), ("zurueck", "//evil.example/")]).await;
    assert_eq!(location(&foreign), "/vergleich", "only paths on this site");
    let empty = s.page("/vergleich").await;
    assert!(empty.has("#vergleich-hinweis"), "fewer than two: how to add");
});

catalogue_test!(comparison_shows_the_cost_for_the_own_gemeinde, |s, id| {
    s.login(KOELN, "municipality_user").await;
    let page = s.page(&format!("/onlinedienste/{id}")).await;
    assert_eq!(location(&s.post("/vergleich", &page, &[("aktion", "hinzufuegen"), ("id", &id), ("zurueck", &format!("/onlinedienste/{id}"))]).await), format!("/onlinedienste/{id}"));
    let cmp = s.page("/vergleich").await;
    let est = json(&s.get(&format!("/api/v1/online-services/{id}/cost-estimate?ags={KOELN}")).await);
    assert!(cmp.text("#vergleich").contains("Kosten für Köln"), "{}", cmp.text("#vergleich"));
    let cents = est["following_year"]["total_cents"].as_i64().unwrap();
    assert!(cmp.text("#vergleich").contains(&efa_web::pages::euro(cents).replace('\u{a0}', " ")), "{}", cmp.text("#vergleich"));
    let bad = s.get("/vergleich?kosten_ags=12").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["kosten_ags"]);
    assert_eq!(bad.attr("#f-kosten_ags", "value"), "12");
});

catalogue_test!(a_search_for_a_script_is_shown_escaped, |s, _id| {
    let p = s.page("/onlinedienste?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(p.attr("#f-q", "value"), "<script>alert(1)</script>");
    assert!(!p.body.contains("<script>alert(1)"), "escaped, not executed");
    assert_eq!(found(&p), 0);
});

catalogue_test!(htmx_gets_only_the_main_part_and_the_answer_varies_by_it, |s, _id| {
    let p = s.send(TestRequest::get().uri("/onlinedienste?q=wohngeld").insert_header(("HX-Request", "true"))).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("<html") && !p.body.contains("site-header"), "no layout:\n{}", p.body);
    assert!(p.has("#ergebnisse #ergebnis-status"));
    assert!(p.header("vary").is_some_and(|v| v.contains("HX-Request")));
    let full = s.page("/onlinedienste?q=wohngeld").await;
    assert!(full.body.contains("<html"));
});

catalogue_test!(htmx_tray_buttons_swap_inline_and_update_the_header_count, |s, id| {
    let list = s.page("/onlinedienste?q=Wohngeld").await;
    let csrf = list.attr("input[name=_csrf]", "value");
    let body = serde_urlencoded::to_string([("_csrf", csrf.as_str()), ("aktion", "hinzufuegen"), ("id", id.as_str()), ("zurueck", "/onlinedienste?q=Wohngeld")]).unwrap();
    let req = TestRequest::post().uri("/vergleich").insert_header(("origin", crate::support::ORIGIN)).insert_header(("HX-Request", "true")).insert_header(("content-type", "application/x-www-form-urlencoded")).set_payload(body);
    let p = s.send(req).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains("<html"));
    assert_eq!(p.attr("form.tray-form input[name=aktion]", "value"), "entfernen", "the button now removes");
    assert_eq!(p.attr("#tray-link", "hx-swap-oob"), "true");
    assert_eq!(p.text("#tray-count"), "1 Dienste");
    assert!(p.text("form.tray-form [role=status]").contains("im Vergleich"), "the change is announced");
    let again = s.page("/onlinedienste?q=Wohngeld").await;
    assert_eq!(again.text("#tray-count"), "1 Dienste", "the tray is in the session");
});
