//! "Organisationen": searched by name, kind and Land and paged; one organisation with its
//! public facts for everyone (as the API's), and for the operator the people who logged in
//! for it and its requests and agreements.

use crate::audit::OPERATOR_ORG;
use crate::order::{kommune, org, bundler_org, BUNDLER_NAME, KOELN};
use crate::support::location;
use actix_web::http::StatusCode;
use efa_api::operations::reuse::{self, NewReuseRequest};
use efa_api::write::Ctx;

crate::order_test!(the_operator_sees_who_logged_in_for_an_organisation, |s, w| {
    let koeln = kommune(KOELN, "user-koeln");
    let created = reuse::create_request(&w.state, &koeln, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("file");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    let uri = format!("/organisationen/{}", org(KOELN));

    // Before anyone of Köln logged in: no people.
    s.login(OPERATOR_ORG, "operator").await;
    let p = s.page(&uri).await;
    assert!(p.has("#keine-personen"), "{}", p.body);

    // Köln's user logs in with an address: the login is recorded.
    let form = s.page("/anmelden").await;
    let ok = s.post("/anmelden", &form, &[("organisation", KOELN), ("role", "municipality_user"), ("email", "digital@stadt-koeln.example"), ("zurueck", "/")]).await;
    assert_eq!(location(&ok), "/");
    // Köln's own user sees the public facts only.
    let own = s.page(&uri).await;
    assert_eq!(own.text("h1"), "Köln, Stadt");
    assert!(!own.has("#personen") && !own.has("#anzahl-anfragen"), "people and dealings are the operator's");

    s.login(OPERATOR_ORG, "operator").await;
    let p = s.page(&uri).await;
    assert_eq!(p.text("#art"), "Kommune");
    assert_eq!(p.text("#land"), "Nordrhein-Westfalen");
    assert_eq!(p.text("#ags"), KOELN);
    assert_eq!(p.attr("#abdeckung", "href"), format!("/abdeckung/gemeinden/{KOELN}"));
    let people = p.select("[data-testid=person]");
    assert_eq!(people.len(), 1);
    assert_eq!(p.text("[data-testid=person] [data-testid=email]"), "digital@stadt-koeln.example");
    assert_eq!(p.text("[data-testid=person] [data-testid=rollen]"), "Kommune");
    let today = efa_domain::calendar::today().format("%d.%m.%Y").to_string();
    assert!(p.text("[data-testid=letzte-anmeldung]").starts_with(&today), "{}", p.text("[data-testid=letzte-anmeldung]"));
    assert!(p.text("#anzahl-anfragen").starts_with("1 Anfrage,"));
    assert_eq!(p.attr("[data-testid=anfrage] a", "href"), format!("/anfragen/{id}"));
    assert!(p.text("#anzahl-vertraege").starts_with("0 Verträge"));
    assert_eq!(p.attr("#protokoll-link", "href"), format!("/protokoll?organisation={}", org(KOELN)));
    assert_eq!(s.page(&p.attr("#protokoll-link", "href")).await.select("[data-testid=ereignis]").len(), 1, "Köln filed its request");

    // The provider's page: its published service counted and linked.
    let nrw = s.page(&format!("/organisationen/{}", efa_store::seed::seed_id("land", "05"))).await;
    assert_eq!(nrw.attr("#onlinedienste a", "href"), format!("/onlinedienste?provider={}", efa_store::seed::seed_id("land", "05")));
    assert!(nrw.text("#anzahl-anfragen").starts_with("0 Anfragen"), "a draft is not yet the provider's business");
});

crate::order_test!(organisations_are_searched_filtered_and_paged, |s, _w| {
    s.login(OPERATOR_ORG, "operator").await;
    let home = s.page("/").await;
    assert_eq!(home.attr("nav.site-nav a[href='/organisationen']", "href"), "/organisationen");
    let p = s.page("/organisationen?q=shoptest").await;
    assert_eq!(p.text("#anzahl"), "1 Organisation");
    assert_eq!(p.text("[data-testid=organisation] th"), BUNDLER_NAME);
    assert_eq!(p.attr("[data-testid=organisation] a", "href"), format!("/organisationen/{}", bundler_org()));
    let p = s.page("/organisationen?art=bundler&land=05").await;
    let names: Vec<String> = p.select("[data-testid=organisation] th").iter().map(|t| t.text().collect()).collect();
    assert!(names.contains(&BUNDLER_NAME.to_owned()), "{names:?}");
    assert!(p.select("[data-testid=organisation] td:nth-child(2)").iter().all(|t| t.text().collect::<String>() == "Bündelnde Organisation"));
    assert_eq!(p.attr("#f-art option[selected]", "value"), "bundler");

    // NRW's Kommunen fill many pages; the pager keeps the filter.
    let first = s.page("/organisationen?art=kommune&land=05").await;
    assert_eq!(first.select("[data-testid=organisation]").len(), 25);
    let next = first.attr("a[rel=next]", "href");
    assert_eq!(next, "/organisationen?art=kommune&land=05&seite=2");
    let second = s.page(&next).await;
    assert_eq!(second.select("[data-testid=organisation]").len(), 25);
    assert_ne!(first.text("[data-testid=organisation] th"), second.text("[data-testid=organisation] th"));
    assert!(second.select("[data-testid=organisation] td:nth-child(3)").iter().all(|t| t.text().collect::<String>() == "Nordrhein-Westfalen"));
});

crate::order_test!(bad_organisation_filters_and_addresses, |s, _w| {
    let long = "x".repeat(201);
    let p = s.get(&format!("/organisationen?q={long}&art=planet")).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.assert_error_summary(), ["q", "art"]);
    assert_eq!(p.attr("#f-q", "value"), long, "value kept");
    // Public, as in the API; an address that names no organisation is the 404 page.
    assert_eq!(s.page(&format!("/organisationen/{}", org(KOELN))).await.text("h1"), "Köln, Stadt");
    assert_eq!(s.get("/organisationen/keine-uuid").await.status, StatusCode::NOT_FOUND);
    let unknown = s.get("/organisationen/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.text("h1"), "Seite nicht gefunden");
});
