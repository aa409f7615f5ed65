//! "Meine Anfragen": the login it needs, the list with its German states and filter, the
//! Abstimmung (messages, escaped; an empty one refused at the field) and the 404 page for
//! another Gemeinde's request.

use crate::order::{kommune, BONN, KOELN};
use crate::support::location;
use actix_web::http::StatusCode;
use efa_api::operations::reuse::{self, NewReuseRequest};
use efa_api::write::Ctx;

crate::shop_test!(my_requests_need_a_login, |s| {
    let p = s.get("/anfragen").await;
    assert_eq!(location(&p), "/anmelden?zurueck=/anfragen");
    assert_eq!(location(&s.get("/vertraege").await), "/anmelden?zurueck=/vertraege");
    assert_eq!(location(&s.get("/aufgaben").await), "/anmelden?zurueck=/aufgaben");
});

crate::order_test!(another_gemeindes_request_is_the_404_page, |s, w| {
    let bonn = kommune(BONN, "user-bonn");
    let created = reuse::create_request(&w.state, &bonn, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("Bonn files");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    s.login(KOELN, "municipality_user").await;
    let p = s.get(&format!("/anfragen/{id}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert_eq!(p.text("h1"), "Seite nicht gefunden");
    assert_eq!(s.get("/anfragen/keine-uuid").await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/vertraege/EFA-2026-999999").await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get("/vertraege/kein-vertrag").await.status, StatusCode::NOT_FOUND);
    let list = s.page("/anfragen").await;
    assert_eq!(list.text("#anzahl"), "0 Anfragen", "Bonn's request is not Köln's");
});

crate::order_test!(the_abstimmung_and_the_list_of_requests, |s, w| {
    s.login(KOELN, "municipality_user").await;
    let form = s.page(&format!("/onlinedienste/{}/anfrage", w.service)).await;
    let key = form.attr("input[name=_key]", "value");
    let to = location(&s.post(&format!("/onlinedienste/{}/anfrage", w.service), &form, &[("_key", &key), ("notiz", "")]).await);
    let id = to.trim_start_matches("/anfragen/").to_owned();

    let page = s.page(&to).await;
    assert!(page.has("#keine-nachrichten"));
    let empty = s.post(&format!("{to}/nachrichten"), &page, &[("_key", &page.attr("input[name=_key]", "value")), ("nachricht", "   ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.assert_error_summary(), vec!["nachricht"]);
    assert_eq!(empty.text("#f-nachricht-fehler"), "Geben Sie eine Nachricht ein.");

    let xss = "<script>alert(1)</script> Wann geht es los?";
    let sent = s.post(&format!("{to}/nachrichten"), &page, &[("_key", &page.attr("input[name=_key]", "value")), ("nachricht", xss)]).await;
    assert_eq!(location(&sent), format!("{to}#nachrichten"));
    let page = s.page(&to).await;
    assert_eq!(page.select("[data-testid=nachricht]").len(), 1);
    assert_eq!(page.text("[data-testid=nachricht] .nachricht-text"), xss);
    assert!(page.text("[data-testid=nachricht] .meta").contains("Köln, Stadt"), "the author's organisation");
    assert!(!page.body.contains("<script>alert(1)"), "escaped");
    let messages = reuse::messages(&w.state, &kommune(KOELN, "x"), &id).await.expect("messages");
    assert_eq!(messages.len(), 1);

    // The list: German states, filtered by a select.
    let list = s.page("/anfragen").await;
    assert_eq!(list.text("#anzahl"), "1 Anfrage");
    assert_eq!(list.text("[data-testid=anfrage] [data-testid=stand]"), "Entwurf");
    assert!(list.text("[data-testid=anfrage] th").contains("Wohngeld digital NRW"));
    assert_eq!(list.attr("[data-testid=anfrage] th a", "href"), to);
    let options: Vec<String> = list.select("#f-status option").iter().map(|o| o.text().collect()).collect();
    assert_eq!(options.len(), 12);
    assert!(options.contains(&"Vom Land genehmigt".to_owned()) && options.contains(&"Zurückgezogen".to_owned()));
    assert_eq!(s.page("/anfragen?status=draft").await.text("#anzahl"), "1 Anfrage");
    let submitted = s.page("/anfragen?status=submitted").await;
    assert!(submitted.has("#keine-anfragen"));
    assert_eq!(submitted.attr("#f-status option[selected]", "value"), "submitted", "the filter is kept");
    assert_eq!(s.get("/anfragen?status=kaputt").await.status, StatusCode::BAD_REQUEST);

    // Withdrawn: the state says so, nothing left to do.
    let page = s.page(&to).await;
    assert_eq!(location(&s.post(&format!("{to}/zurueckziehen"), &page, &[]).await), to);
    let page = s.page(&to).await;
    assert_eq!(page.text("#stand"), "Zurückgezogen");
    assert!(!page.has("#einreichen") && !page.has("#zurueckziehen"));
    // Submitting it now: the page again with the current state.
    let stale = s.post(&format!("{to}/einreichen"), &page, &[]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(stale.text("#stand"), "Zurückgezogen");
    assert!(stale.has("#problem"));
});
