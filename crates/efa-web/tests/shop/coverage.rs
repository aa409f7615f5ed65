//! "Was kann meine Gemeinde schon online?": the chooser, a Gemeinde's, a Kreis's and a Land's
//! coverage pages with their charts, tables and CSV downloads, checked against the API's
//! answers for the same place.

use crate::shop_test;
use crate::support::{self, location, Page};
use actix_web::http::StatusCode;
use actix_web::test::TestRequest;
use efa_domain::reuse::OnboardingStep;
use efa_domain::{LandCode, Principal, Role};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use serde_json::Value;

const KOELN: &str = "05315000";
const KLEVE: &str = "05154";

fn json(p: &Page) -> Value {
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    serde_json::from_str(&p.body).expect("JSON")
}

/// A share as the pages write it (one decimal, comma; the non-breaking space collapsed).
fn percent(v: &Value) -> String {
    format!("{:.1} %", v.as_f64().expect("share") * 100.0).replace('.', ",")
}

/// Cents as the pages write euros: 123456 → "1.234,56 €".
fn euro(cents: i64) -> String {
    let digits = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{grouped},{:02} €", cents % 100)
}

fn int(v: &Value) -> usize {
    usize::try_from(v.as_u64().expect("count")).expect("fits")
}

fn cells(p: &Page, css: &str) -> Vec<usize> {
    p.select(css).iter().map(|e| e.text().collect::<String>().trim().parse().expect("a count")).collect()
}

/// The records of an RFC 4180 CSV text (quoted fields with commas, doubled quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    rows
}

/// The chart `#id` is an image named by its title and described, with text labels.
fn assert_accessible_chart(p: &Page, id: &str) {
    let svg = format!("svg#{id}");
    assert_eq!(p.attr(&svg, "role"), "img");
    let labelled = p.attr(&svg, "aria-labelledby");
    let targets: Vec<&str> = labelled.split_whitespace().collect();
    assert_eq!(targets, [format!("{id}-titel"), format!("{id}-beschreibung")]);
    assert!(!p.text(&format!("{svg} title[id='{id}-titel']")).is_empty(), "the chart has a title");
    assert!(!p.text(&format!("{svg} desc[id='{id}-beschreibung']")).is_empty(), "the chart has a description");
    assert!(p.select(&format!("{svg} text")).len() >= 2, "bars are labelled in text");
}

/// Köln's organisation accedes to a framework agreement for `service` and onboards: a live
/// agreement of its own, made through the operations the shop and the API share.
async fn live_agreement_for_koeln(db: &TestDb, service: &str) -> String {
    use efa_api::operations::{agreements, frameworks};
    let state = support::state(db).await;
    let ctx = efa_api::write::Ctx::default();
    let provider_org = state.catalogue().expect("catalogue").service(service).expect("published").detail.service.provider.id.clone();
    let provider = Principal { subject: "anbieter".into(), org_id: provider_org, roles: vec![Role::ProviderPublisher], land: None };
    let nrw = Principal { subject: "koordination-nrw".into(), org_id: seed_id("land", "05"), roles: vec![Role::LandCoordinator], land: Some(LandCode::parse("05").expect("05")) };
    let koeln = Principal { subject: "kommune-koeln".into(), org_id: seed_id("kommune", KOELN), roles: vec![Role::MunicipalityUser], land: None };
    let offer = frameworks::NewFramework { online_service_id: service.into(), land: "05".into(), terms_text: "Rahmenvertrag für die Nachnutzung in NRW.".into(), terms_version: "RV-1".into() };
    let framework = frameworks::offer(&state, &provider, &ctx, offer).await.expect("offer").body().expect("body")["id"].as_str().expect("id").to_owned();
    frameworks::approve(&state, &nrw, &ctx, &framework).await.expect("approve");
    let accession = frameworks::accede(&state, &koeln, &ctx, &framework, frameworks::Accession { municipality: None, start_date: None }).await.expect("accede");
    let number = accession.body().expect("body")["number"].as_str().expect("number").to_owned();
    for step in [OnboardingStep::FitConnectDestination, OnboardingStep::PvogResponsibility, OnboardingStep::FachverfahrenConnected] {
        agreements::step(&state, &koeln, &ctx, &number, agreements::AgreementStep::Onboard(step)).await.expect("onboarding step");
    }
    let live = agreements::step(&state, &provider, &ctx, &number, agreements::AgreementStep::Onboard(OnboardingStep::TestCasePassed)).await.expect("test case");
    assert_eq!(serde_json::to_value(&live).expect("agreement")["state"], "live");
    number
}

shop_test!(gemeinde_page_shows_the_apis_numbers_chart_and_suggestions, |s| {
    let api = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}")).await);
    let p = s.page(&format!("/abdeckung/gemeinden/{KOELN}")).await;
    assert_eq!(p.select("h1").len(), 1);
    assert!(p.text("h1").contains("Köln"));
    assert_eq!(p.text("#abdeckung-online"), api["covered"].to_string());
    assert_eq!(p.text("#abdeckung-umfang"), api["in_scope"].to_string());
    assert_eq!(p.text("#abdeckung-anteil"), percent(&api["share"]));
    assert_eq!(p.attr("#gemeinde-kreis", "href"), "/abdeckung/kreise/05315");
    assert_eq!(p.attr("#gemeinde-land", "href"), "/abdeckung/laender/05");
    // Chart and table by Themenfeld: the same totals as the API.
    assert_accessible_chart(&p, "diagramm-themenfelder");
    assert!(p.has("#themenfelder-tabelle caption") && p.has("#themenfelder-tabelle th[scope=col]") && p.has("#themenfelder-tabelle th[scope=row]"));
    assert_eq!(cells(&p, "#themenfelder-tabelle td[data-testid=online]").iter().sum::<usize>(), int(&api["covered"]));
    assert_eq!(cells(&p, "#themenfelder-tabelle td[data-testid=umfang]").iter().sum::<usize>(), int(&api["in_scope"]));
    assert_eq!(p.select("svg#diagramm-themenfelder rect.bar").len(), p.select("#themenfelder-tabelle tbody tr").len(), "one bar per table row");
    // Every in-scope Leistung listed; the Land-wide NRW services show with service and way.
    let items = api["items"].as_array().expect("items");
    assert_eq!(p.select("#leistungen tr.leistung").len(), items.len().min(100), "a page of the list");
    assert_eq!(all_rows(&s, &format!("/abdeckung/gemeinden/{KOELN}")).await.len(), items.len(), "every in-scope Leistung over the pages");
    let covered = items.iter().find(|i| i["covered"] == true).expect("Köln has Land-wide services");
    let row = format!("#leistungen tr[data-ozg='{}']", covered["ozg_id"]);
    assert_eq!(p.attr(&format!("{row} a[data-testid=dienst]"), "href"), format!("/onlinedienste/{}", covered["online_service"]["id"].as_str().expect("id")));
    assert_eq!(p.text(&format!("{row} a[data-testid=dienst]")), covered["online_service"]["name"].as_str().expect("name"));
    assert_eq!(p.text(&format!("{row} td[data-testid=wodurch]")), "Landesweit freigeschaltet");
    // What to order next: the API's first suggestion with a service, linked, with its cost.
    let next = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}/next")).await);
    let first = next["items"].as_array().expect("items").iter().find(|i| !i["online_service"].is_null()).expect("a suggestion with a service");
    let first_row = p.select("#naechste tr.vorschlag");
    assert!(!first_row.is_empty() && first_row.len() <= 10);
    assert_eq!(first_row[0].value().attr("data-ozg"), Some(first["ozg_id"].to_string().as_str()));
    let srow = format!("#naechste tr[data-ozg='{}']", first["ozg_id"]);
    assert_eq!(p.attr(&format!("{srow} a"), "href"), format!("/onlinedienste/{}", first["online_service"]["id"].as_str().expect("id")));
    let cents = first["cost_estimate"]["first_year"]["total_cents"].as_i64().expect("cents");
    let euros = p.text(&format!("{srow} td[data-testid=erstes-jahr]"));
    assert!(euros.starts_with(&euro(cents)), "{euros} for {cents} ct");
    assert_eq!(p.attr("#naechste-csv", "href"), format!("/abdeckung/gemeinden/{KOELN}/naechste.csv"));
});

shop_test!(gemeinde_filter_lists_only_the_missing_or_the_covered, |s| {
    let api = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}?covered=false")).await);
    let missing = s.page(&format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=nein")).await;
    let rows = all_rows(&s, &format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=nein")).await;
    assert_eq!(rows.len(), api["items"].as_array().expect("items").len());
    assert_eq!(rows.len(), int(&api["in_scope"]) - int(&api["covered"]));
    assert!(rows.iter().all(|r| r == "false"), "only missing ones");
    assert!(!missing.has("#leistungen a[data-testid=dienst]"));
    assert_eq!(missing.attr("#filter a[aria-current=page]", "href"), format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=nein#leistungen-titel"));
    assert_eq!(missing.text("#abdeckung-umfang"), api["in_scope"].to_string(), "the numbers still speak of all in scope");
    let rows = all_rows(&s, &format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=ja")).await;
    assert_eq!(rows.len(), int(&api["covered"]));
    assert!(rows.iter().all(|r| r == "true"));
    let bad = s.get(&format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=vielleicht")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.header("content-type").unwrap_or_default().starts_with("text/html"), "a page, not a problem document");
});

shop_test!(csv_downloads_are_the_apis_csv, |s| {
    for (page, api, file) in [
        (format!("/abdeckung/gemeinden/{KOELN}.csv"), format!("/api/v1/coverage/gemeinden/{KOELN}"), format!("abdeckung-{KOELN}.csv")),
        (format!("/abdeckung/gemeinden/{KOELN}.csv?abgedeckt=nein"), format!("/api/v1/coverage/gemeinden/{KOELN}?covered=false"), format!("abdeckung-{KOELN}.csv")),
        (format!("/abdeckung/kreise/{KLEVE}.csv"), format!("/api/v1/coverage/kreise/{KLEVE}"), format!("abdeckung-kreis-{KLEVE}.csv")),
        ("/abdeckung/laender/05.csv".to_owned(), "/api/v1/coverage/laender/05".to_owned(), "abdeckung-land-05.csv".to_owned()),
        (format!("/abdeckung/gemeinden/{KOELN}/naechste.csv"), format!("/api/v1/coverage/gemeinden/{KOELN}/next"), format!("naechste-bestellungen-{KOELN}.csv")),
    ] {
        let d = s.page(&page).await;
        assert_eq!(d.header("content-type"), Some("text/csv; charset=utf-8"), "{page}");
        assert_eq!(d.header("content-disposition"), Some(format!("attachment; filename=\"{file}\"").as_str()), "{page}");
        let from_api = s.send(TestRequest::get().uri(&api).insert_header(("accept", "text/csv"))).await;
        assert_eq!(from_api.status, StatusCode::OK);
        assert_eq!(d.body, from_api.body, "{page} is the API's CSV");
        let rows = parse_csv(&d.body);
        assert!(rows.len() > 1, "{page}: a header and rows");
        assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{page}: every row as wide as the header");
    }
    // The Gemeinde's CSV: one row per in-scope Leistung, the API's header.
    let api = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}")).await);
    let rows = parse_csv(&s.page(&format!("/abdeckung/gemeinden/{KOELN}.csv")).await.body);
    assert_eq!(rows[0], ["ags", "gemeinde", "ozg_id", "ozg_leistung", "covered", "through", "online_service_id", "online_service", "agreement", "reifegrad"]);
    assert_eq!(rows.len() - 1, int(&api["in_scope"]));
    assert!(rows[1..].iter().all(|r| r[0] == KOELN && r[1] == "Köln, Stadt"), "the quoted name parses back");
    let p = s.page(&format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=nein")).await;
    assert_eq!(p.attr("#csv-download", "href"), format!("/abdeckung/gemeinden/{KOELN}.csv?abgedeckt=nein"));
});

shop_test!(an_own_live_agreement_shows_as_covered_with_its_service, |s| {
    let next = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}/next")).await);
    let pick = next["items"].as_array().expect("items").iter().find(|i| !i["online_service"].is_null()).expect("a service to order").clone();
    let service = pick["online_service"]["id"].as_str().expect("id").to_owned();
    let number = live_agreement_for_koeln(s.db, &service).await;
    // The app as `efa serve` starts it over this database now.
    let app = support::app(s.db).await;
    let b = support::Browser::new(&app, s.db);
    let api = json(&b.get(&format!("/api/v1/coverage/gemeinden/{KOELN}")).await);
    let item = api["items"].as_array().expect("items").iter().find(|i| i["ozg_id"] == pick["ozg_id"]).expect("in scope");
    assert_eq!(item["through"], "own_agreement");
    let p = b.page(&format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=ja")).await;
    assert_eq!(p.text("#abdeckung-online"), api["covered"].to_string());
    let row = format!("#leistungen tr[data-ozg='{}']", pick["ozg_id"]);
    assert_eq!(p.attr(&row, "data-covered"), "true");
    assert_eq!(p.attr(&format!("{row} a[data-testid=dienst]"), "href"), format!("/onlinedienste/{service}"));
    assert_eq!(p.text(&format!("{row} a[data-testid=dienst]")), pick["online_service"]["name"].as_str().expect("name"));
    assert_eq!(p.text(&format!("{row} td[data-testid=wodurch]")), format!("Eigener Nachnutzungsvertrag Vertrag {number}"));
    let missing = b.page(&format!("/abdeckung/gemeinden/{KOELN}?abgedeckt=nein")).await;
    assert!(!missing.has(&row), "no longer missing");
    assert!(!missing.has(&format!("#naechste tr[data-ozg='{}']", pick["ozg_id"])), "no longer suggested");
});

shop_test!(kreis_and_land_pages_show_the_apis_spread, |s| {
    for (page, api) in [(format!("/abdeckung/kreise/{KLEVE}"), format!("/api/v1/coverage/kreise/{KLEVE}")), ("/abdeckung/laender/05".to_owned(), "/api/v1/coverage/laender/05".to_owned())] {
        let a = json(&s.get(&api).await);
        let p = s.page(&page).await;
        assert_eq!(p.select("h1").len(), 1);
        assert!(p.text("h1").contains(a["name"].as_str().expect("name")), "{page}");
        assert_eq!(p.text("#anteil-min"), percent(&a["share_min"]), "{page}");
        assert_eq!(p.text("#anteil-median"), percent(&a["share_median"]), "{page}");
        assert_eq!(p.text("#anteil-max"), percent(&a["share_max"]), "{page}");
        assert_eq!(p.text("#anteil-gewichtet"), percent(&a["population_weighted_share"]), "{page}");
        assert_eq!(p.text("#gebiet-umfang"), a["in_scope"].to_string());
        // Histogram and table: every Gemeinde counted once, ten buckets.
        assert_accessible_chart(&p, "diagramm-verteilung");
        assert!(p.has("#verteilung-tabelle caption"));
        let counts = cells(&p, "#verteilung-tabelle td[data-testid=gemeinden]");
        assert_eq!(counts.len(), 10);
        assert_eq!(counts.iter().sum::<usize>(), int(&a["gemeinden"]), "{page}");
        // Furthest behind: the API's, in its order, linked.
        let behind: Vec<String> = p.select("#zurueck tbody tr").iter().map(|r| r.value().attr("data-ags").expect("ags").to_owned()).collect();
        let expected: Vec<String> = a["furthest_behind"].as_array().expect("list").iter().map(|g| g["ags"].as_str().expect("ags").to_owned()).collect();
        assert_eq!(behind, expected, "{page}");
        assert_eq!(p.attr("#zurueck tbody tr a", "href"), format!("/abdeckung/gemeinden/{}", expected[0]));
    }
    let k = s.page(&format!("/abdeckung/kreise/{KLEVE}")).await;
    let kleve = json(&s.get(&format!("/api/v1/coverage/kreise/{KLEVE}")).await);
    assert_eq!(k.select("#gemeinden tbody tr").len(), int(&kleve["gemeinden"]), "every Gemeinde of the Kreis");
    assert_eq!(k.attr("#gebiet-land", "href"), "/abdeckung/laender/05");
    // The Land ranks its Kreise, Kleve among them, each linked.
    let l = s.page("/abdeckung/laender/05").await;
    let kreise = json(&s.get("/api/v1/kreise?land=05&per_page=100").await);
    assert_eq!(l.select("#kreise tbody tr").len(), kreise["items"].as_array().expect("items").len());
    assert_eq!(l.attr(&format!("#kreise tr[data-kreis='{KLEVE}'] a"), "href"), format!("/abdeckung/kreise/{KLEVE}"));
    assert_eq!(l.text("#kreise tbody tr td"), "1", "ranked");
});

shop_test!(chooser_finds_places_and_goes_straight_to_exact_codes, |s| {
    let p = s.page("/abdeckung").await;
    assert_eq!(p.select("#alle-laender li a").len(), 16, "the 16 Länder");
    assert_eq!(p.attr("#f-ort", "name"), "ort");
    assert!(!p.has("#fehler-zusammenfassung"));
    let found = s.page("/abdeckung?ort=K%C3%B6ln").await;
    assert_eq!(found.attr("#treffer-gemeinden li a", "href"), format!("/abdeckung/gemeinden/{KOELN}"), "Köln first");
    assert_eq!(found.attr("#f-ort", "value"), "Köln");
    let kreis = s.page("/abdeckung?ort=kleve").await;
    assert!(kreis.select("#treffer-kreise li a").iter().any(|a| a.value().attr("href") == Some("/abdeckung/kreise/05154")));
    let land = s.page("/abdeckung?ort=nordrhein").await;
    assert_eq!(land.attr("#treffer-laender li a", "href"), "/abdeckung/laender/05");
    assert_eq!(location(&s.get(&format!("/abdeckung?ort={KOELN}")).await), format!("/abdeckung/gemeinden/{KOELN}"));
    assert_eq!(location(&s.get("/abdeckung?ort=+05154+").await), "/abdeckung/kreise/05154");
    assert_eq!(location(&s.get("/abdeckung?ort=05").await), "/abdeckung/laender/05");
    // A logged-in Kommune finds its own Gemeinde on the start page.
    s.login(KOELN, "municipality_user").await;
    let start = s.page("/").await;
    assert_eq!(start.attr("#own-coverage", "href"), format!("/abdeckung/gemeinden/{KOELN}"));
});

shop_test!(chooser_without_a_match_says_so_at_the_field_and_escapes_the_value, |s| {
    let none = s.get("/abdeckung?ort=Xyzzyquux").await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.assert_error_summary(), ["ort"]);
    assert_eq!(none.attr("#f-ort", "value"), "Xyzzyquux", "the value is kept");
    assert!(none.text("#f-ort-fehler").starts_with("Zu dieser Eingabe gibt es keine Gemeinde"));
    let empty = s.get("/abdeckung?ort=+").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.assert_error_summary(), ["ort"]);
    let xss = s.get("/abdeckung?ort=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    assert_eq!(xss.status, StatusCode::BAD_REQUEST);
    assert_eq!(xss.attr("#f-ort", "value"), "<script>alert(1)</script>", "kept as typed");
    assert!(!xss.body.contains("<script>alert(1)"), "shown escaped");
    assert!(xss.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || xss.body.contains("&#60;script&#62;"), "escaped in the field");
    assert!(xss.select("script").iter().all(|e| e.value().attr("src").is_some()), "no inline script");
});

shop_test!(unknown_or_malformed_places_answer_the_shops_404_page, |s| {
    for uri in [
        "/abdeckung/gemeinden/99999999",
        "/abdeckung/gemeinden/0531500",
        "/abdeckung/gemeinden/k%C3%B6ln",
        "/abdeckung/gemeinden/99999999.csv",
        "/abdeckung/gemeinden/99999999/naechste.csv",
        "/abdeckung/kreise/99999",
        "/abdeckung/kreise/5154",
        "/abdeckung/laender/99",
        "/abdeckung/laender/nrw.csv",
    ] {
        let p = s.get(uri).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{uri}:\n{}", p.body);
        assert!(p.header("content-type").unwrap_or_default().starts_with("text/html"), "{uri}: a page");
        assert_eq!(p.text("h1"), "Seite nicht gefunden", "{uri}");
    }
});

/// The `data-covered` of every row of a Gemeinde's list, following the pager to the last page.
async fn all_rows<S, B>(s: &crate::support::Browser<'_, S>, first: &str) -> Vec<String>
where
    S: actix_web::dev::Service<crate::support::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut out = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(uri) = next {
        let p = s.page(&uri).await;
        out.extend(p.select("#leistungen tr.leistung").iter().map(|r| r.value().attr("data-covered").unwrap_or_default().to_owned()));
        next = p.select(".pager a[rel=next]").first().and_then(|a| a.value().attr("href")).map(str::to_owned);
    }
    out
}

shop_test!(land_page_charts_its_kreise_ranked_and_its_adoption_per_month, |s| {
    // The Kreise as bars in the ranking's order, each with its share as text.
    let l = s.page("/abdeckung/laender/05").await;
    assert_accessible_chart(&l, "diagramm-kreise");
    let ranked: Vec<String> = l.select("#kreise tbody tr th a").iter().map(|a| a.text().collect::<String>().trim().to_owned()).collect();
    let labels: Vec<String> = l.select("svg#diagramm-kreise g.chart__row text:first-child").iter().map(|t| t.text().collect::<String>()).collect();
    assert_eq!(labels, ranked, "one bar per Kreis, best first");
    let shares: Vec<String> = l.select("#kreise tbody tr td:nth-of-type(3)").iter().map(|t| t.text().collect::<String>().trim().replace('\u{a0}', " ")).collect();
    let values: Vec<String> = l.select("svg#diagramm-kreise g.chart__row text:last-of-type").iter().map(|t| t.text().collect::<String>().replace('\u{a0}', " ")).collect();
    assert_eq!(values, shares, "each bar says its share");
    // No agreement of a customer in NRW is signed yet: no adoption to chart.
    assert!(l.has("#nachnutzung-leer") && !l.has("svg#diagramm-nachnutzung"));
    assert_eq!(json(&s.get("/api/v1/coverage/adoption?land=05").await)["items"], serde_json::json!([]));

    let next = json(&s.get(&format!("/api/v1/coverage/gemeinden/{KOELN}/next")).await);
    let pick = next["items"].as_array().expect("items").iter().find(|i| !i["online_service"].is_null()).expect("a service to order").clone();
    live_agreement_for_koeln(s.db, pick["online_service"]["id"].as_str().expect("id")).await;
    // Now the month of Köln's agreement: the API's numbers, as a table and as bars.
    let api = json(&s.get("/api/v1/coverage/adoption?land=05").await);
    let months = api["items"].as_array().expect("items");
    assert!(!months.is_empty());
    let l = s.page("/abdeckung/laender/05").await;
    assert!(!l.has("#nachnutzung-leer"));
    assert_accessible_chart(&l, "diagramm-nachnutzung");
    assert!(l.has("#nachnutzung-tabelle caption") && l.has("#nachnutzung-tabelle th[scope=row]"));
    let signed: Vec<usize> = months.iter().map(|m| int(&m["agreements_signed"])).collect();
    let live: Vec<usize> = months.iter().map(|m| int(&m["went_live"])).collect();
    assert_eq!(cells(&l, "#nachnutzung-tabelle td[data-testid=unterzeichnet]"), signed);
    assert_eq!(cells(&l, "#nachnutzung-tabelle td[data-testid=live]"), live);
    assert_eq!((signed.iter().sum::<usize>(), live.iter().sum::<usize>()), (1, 1), "Köln's one agreement, signed and live");
    assert_eq!(l.select("svg#diagramm-nachnutzung g.chart__row").len(), 2 * months.len(), "a bar signed and a bar live per month");
    // Another Land's page shows none of it; a Kreis page has no adoption section.
    assert!(s.page("/abdeckung/laender/09").await.has("#nachnutzung-leer"));
    assert!(!s.page(&format!("/abdeckung/kreise/{KLEVE}")).await.has("#nachnutzung-titel"));
});
