//! The other side of a request in the shop: the Land's coordinator approves or rejects it (a
//! reason required), the provider accepts — with the terms and fees to be frozen shown and the
//! contract's start, term and notice entered — or declines; a coordinator of another Land finds
//! nothing; every refused form writes nothing and keeps what was entered.

use crate::order::{agreements_of, coordinator, kommune, World, KOELN};
use crate::support::location;
use actix_web::http::StatusCode;
use efa_api::operations::{agreements, frameworks};
use efa_api::operations::reuse::{self, Decision, NewReuseRequest, Step};
use efa_api::write::Ctx;
use efa_domain::reuse::RequestState;

/// Köln's request for the world's service, submitted to NRW.
async fn submitted(w: &World) -> String {
    let koeln = kommune(KOELN, "user-koeln");
    let created = reuse::create_request(&w.state, &koeln, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("Köln files");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    reuse::step(&w.state, &koeln, &Ctx::default(), &id, Step::Submit, Decision::default()).await.expect("submit");
    id
}

async fn state_of(w: &World, id: &str) -> RequestState {
    reuse::get_request(&w.state, &coordinator(), id).await.expect("request").state
}

crate::order_test!(the_coordinator_approves_and_the_provider_accepts_with_the_terms_entered, |s, w| {
    let id = submitted(&w).await;
    let to = format!("/anfragen/{id}");

    // The coordinator of NRW decides.
    s.login("05", "land_coordinator").await;
    let page = s.page(&to).await;
    assert_eq!(page.text("#entscheidung"), "Entscheidung der Landeskoordination");
    assert!(page.has("#genehmigen") && page.has("#ablehnen") && !page.has("#annehmen"));
    let no_reason = s.post(&format!("{to}/ablehnen"), &page, &[("begruendung", "  ")]).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_reason.assert_error_summary(), vec!["begruendung"]);
    assert_eq!(no_reason.text("#f-begruendung-fehler"), "Geben Sie eine Begründung ein.");
    assert!(no_reason.text("title").starts_with("Fehler: "));
    assert_eq!(state_of(&w, &id).await, RequestState::Submitted, "nothing written");
    assert_eq!(location(&s.post(&format!("{to}/genehmigen"), &page, &[]).await), to);
    let page = s.page(&to).await;
    assert_eq!(page.text("#stand"), "Vom Land genehmigt");
    assert!(!page.has("#genehmigen") && !page.has("#entscheidung"), "decided: nothing left for the coordinator");
    let approved = page.select("[data-testid=verlauf-eintrag]").iter().map(|e| e.text().collect::<String>()).find(|t| t.contains("Vom Land genehmigt")).expect("the approval in the timeline");
    assert!(approved.contains("Landeskoordination") && approved.contains("Uhr"), "who and when: {approved}");

    // The provider accepts, seeing what the agreements will hold.
    s.login("05", "provider_publisher").await;
    let page = s.page(&to).await;
    assert_eq!(page.text("#entscheidung"), "Entscheidung des Anbieters");
    assert!(page.has("#festgehalten") && page.has("#kosten"), "terms and fees before accepting");
    assert_eq!(page.attr("#f-mindestlaufzeit", "value"), "12");
    assert_eq!(page.attr("#f-kuendigungsfrist", "value"), "3");
    let bad = s.post(&format!("{to}/annehmen"), &page, &[("beginn", "31.02.2027"), ("mindestlaufzeit", "zwölf"), ("kuendigungsfrist", "3"), ("vorgaenger", "")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["beginn", "mindestlaufzeit"]);
    assert_eq!(bad.attr("#f-beginn", "value"), "31.02.2027", "kept");
    assert_eq!(bad.attr("#f-mindestlaufzeit", "value"), "zwölf", "kept");
    let too_long = s.post(&format!("{to}/annehmen"), &page, &[("beginn", ""), ("mindestlaufzeit", "12"), ("kuendigungsfrist", "30"), ("vorgaenger", "")]).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert_eq!(too_long.text("#f-kuendigungsfrist-fehler"), "Geben Sie eine Zahl von 0 bis 24 ein.");
    let no_parent = s.post(&format!("{to}/annehmen"), &page, &[("beginn", ""), ("mindestlaufzeit", "12"), ("kuendigungsfrist", "3"), ("vorgaenger", "EFA-2020-999999")]).await;
    assert_eq!(no_parent.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_parent.assert_error_summary(), vec!["vorgaenger"]);
    assert_eq!(state_of(&w, &id).await, RequestState::LandApproved, "nothing written");
    assert_eq!(agreements_of(&w, &kommune(KOELN, "x")).await, 0);

    let done = s.post(&format!("{to}/annehmen"), &page, &[("beginn", "01.07.2027"), ("mindestlaufzeit", "24"), ("kuendigungsfrist", "6"), ("vorgaenger", "")]).await;
    assert_eq!(location(&done), to);
    let page = s.page(&to).await;
    assert!(page.has("#vertraege"), "the agreement is linked");
    assert!(!page.has("#entscheidung"));
    let (list, total) = agreements::list(&w.state, &kommune(KOELN, "x"), Default::default(), efa_api::params::Page { page: 1, per_page: 10 }).await.expect("list");
    assert_eq!(total, 1);
    let a = &list[0];
    assert_eq!((a.start_date.to_string().as_str(), a.minimum_term_months, a.notice_months), ("2027-07-01", 24, 6));
    assert_eq!(page.attr("#vertraege a", "href"), format!("/vertraege/{}", a.number));
});

crate::order_test!(the_provider_declines_with_a_reason_and_another_land_sees_nothing, |s, w| {
    let id = submitted(&w).await;
    let to = format!("/anfragen/{id}");

    // Bavaria's coordinator: the 404 page, for the page and for its forms.
    s.login("09", "land_coordinator").await;
    let page = s.get(&to).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let home = s.page("/").await;
    assert_eq!(s.post(&format!("{to}/genehmigen"), &home, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(state_of(&w, &id).await, RequestState::Submitted);

    // Köln itself is not asked to decide; the provider is not asked before the Land.
    s.login(KOELN, "municipality_user").await;
    assert!(!s.page(&to).await.has("#entscheidung"));
    s.login("05", "provider_publisher").await;
    let page = s.page(&to).await;
    assert!(!page.has("#entscheidung"), "not before the Land approved");
    assert_eq!(s.post(&format!("{to}/annehmen"), &page, &[("mindestlaufzeit", "12"), ("kuendigungsfrist", "3")]).await.status, StatusCode::CONFLICT);

    reuse::step(&w.state, &coordinator(), &Ctx::default(), &id, Step::Approve, Decision::default()).await.expect("approve");
    let page = s.page(&to).await;
    let none = s.post(&format!("{to}/ablehnen"), &page, &[("begruendung", "")]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.assert_error_summary(), vec!["begruendung"]);
    let declined = s.post(&format!("{to}/ablehnen"), &page, &[("begruendung", "Für Köln bieten wir den Dienst erst 2028 an.")]).await;
    assert_eq!(location(&declined), to);
    let page = s.page(&to).await;
    assert_eq!(page.text("#stand"), "Abgelehnt");
    assert_eq!(page.text("#begruendung"), "Für Köln bieten wir den Dienst erst 2028 an.");
    assert_eq!(state_of(&w, &id).await, RequestState::ProviderDeclined);
});

crate::order_test!(a_provider_offers_a_framework_and_the_lands_coordinator_approves_it, |s, w| {
    s.login("05", "provider_publisher").await;
    let page = s.page("/rahmenvertraege").await;
    assert_eq!(page.select("[data-testid=rahmenvertrag]").len(), 1, "the world's NRW framework");
    assert!(page.text("[data-testid=rahmenvertrag] [data-testid=stand]").contains("genehmigt"), "who approved it and when");
    assert!(page.text("[data-testid=rahmenvertrag] [data-testid=stand]").contains("Uhr"));
    let key = page.attr("input[name=_key]", "value");

    // Nothing chosen, then the operation's own limits: errors at the fields, values kept, nothing offered.
    let empty = s.post("/rahmenvertraege", &page, &[("_key", &key), ("dienst", ""), ("land", ""), ("fassung", ""), ("bedingungen", "")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.assert_error_summary(), vec!["dienst", "land"]);
    let no_terms = s.post("/rahmenvertraege", &page, &[("_key", &key), ("dienst", &w.service), ("land", "09"), ("fassung", "RV-BY-1"), ("bedingungen", " ")]).await;
    assert_eq!(no_terms.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_terms.assert_error_summary(), vec!["bedingungen"]);
    assert_eq!(no_terms.attr("#f-fassung", "value"), "RV-BY-1", "kept");
    assert_eq!(no_terms.attr("#f-land option[selected]", "value"), "09", "kept");
    assert_eq!(frameworks::list(&w.state, Some("09".into()), None).await.expect("list").len(), 0, "nothing written");

    let offered = s.post("/rahmenvertraege", &page, &[("_key", &key), ("dienst", &w.service), ("land", "09"), ("fassung", "RV-BY-1"), ("bedingungen", "Rahmenvertrag Wohngeld für Bayern.")]).await;
    assert_eq!(location(&offered), "/rahmenvertraege");
    // The same form sent twice offers once.
    assert_eq!(location(&s.post("/rahmenvertraege", &page, &[("_key", &key), ("dienst", &w.service), ("land", "09"), ("fassung", "RV-BY-1"), ("bedingungen", "Rahmenvertrag Wohngeld für Bayern.")]).await), "/rahmenvertraege");
    let bayern = frameworks::list(&w.state, Some("09".into()), None).await.expect("list");
    assert_eq!((bayern.len(), bayern[0].state.as_str()), (1, "offered"));
    let page = s.page("/rahmenvertraege").await;
    assert_eq!(page.select("[data-testid=rahmenvertrag]").len(), 2);

    // NRW's coordinator has nothing to approve; Bavaria's has it, counted in the header.
    s.login("05", "land_coordinator").await;
    assert!(s.page("/rahmenvertraege").await.has("#nichts-zu-genehmigen"));
    s.login("09", "land_coordinator").await;
    let page = s.page("/rahmenvertraege").await;
    assert_eq!(page.select("[data-testid=angebot]").len(), 1);
    assert_eq!(page.text("#awaiting-count"), "1 offen");
    assert_eq!(s.page("/aufgaben").await.text("#anzahl-rahmenvertraege").split_whitespace().next(), Some("1"));
    let approve = page.attr("[data-testid=angebot] form", "action");
    assert_eq!(location(&s.post(&approve, &page, &[]).await), "/rahmenvertraege");
    let page = s.page("/rahmenvertraege").await;
    assert!(page.has("#nichts-zu-genehmigen") && !page.has("#awaiting-count"));
    assert_eq!(page.attr("[data-testid=rahmenvertrag] [data-testid=stand]", "data-state"), "approved");
    assert!(page.text("[data-testid=rahmenvertrag] [data-testid=stand]").contains("Landeskoordination"), "{}", page.text("[data-testid=rahmenvertrag]"));
    // Approving it again: nothing changes.
    assert_eq!(location(&s.post(&approve, &page, &[]).await), "/rahmenvertraege");
    assert_eq!(frameworks::list(&w.state, Some("09".into()), None).await.expect("list")[0].state, "approved");

    // Köln sees the approved ones only, without forms.
    s.login(KOELN, "municipality_user").await;
    let page = s.page("/rahmenvertraege").await;
    assert!(!page.has("#anbieten-form") && !page.has("#zu-genehmigen"));
    assert_eq!(page.select("[data-testid=rahmenvertrag]").len(), 2);
});

crate::order_test!(the_coordinators_inbox_is_oldest_first_and_filtered_by_service_kreis_and_state, |s, w| {
    use crate::order::BONN;
    let bonn = kommune(BONN, "user-bonn");
    let created = reuse::create_request(&w.state, &bonn, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("Bonn files");
    let bonn_id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    reuse::step(&w.state, &bonn, &Ctx::default(), &bonn_id, Step::Submit, Decision::default()).await.expect("submit");
    reuse::create_message(&w.state, &bonn, &Ctx::default(), &bonn_id, reuse::NewMessage { body: "Ab wann?".into() }).await.expect("message");
    let koeln_id = submitted(&w).await;

    s.login("05", "land_coordinator").await;
    let inbox = s.page("/anfragen").await;
    assert_eq!(inbox.text("h1"), "Anfragen");
    let rows = |p: &crate::support::Page| p.select("[data-testid=anfrage]").iter().map(|r| r.value().attr("data-id").unwrap_or_default().to_owned()).collect::<Vec<_>>();
    assert_eq!(rows(&inbox), vec![bonn_id.clone(), koeln_id.clone()], "oldest first");
    assert_eq!(inbox.text("[data-testid=anfrage] [data-testid=anfragende]"), "Bonn, Stadt");
    assert_eq!(inbox.text("[data-testid=anfrage] [data-testid=nachrichten]"), "1");
    assert!(inbox.text("[data-testid=anfrage] [data-testid=kosten]").ends_with("€"));
    assert_eq!(inbox.text("#awaiting-count"), "2 offen", "both await the coordinator");

    assert_eq!(rows(&s.page("/anfragen?reihenfolge=neueste").await), vec![koeln_id.clone(), bonn_id.clone()]);
    assert_eq!(rows(&s.page("/anfragen?kreis=05315").await), vec![koeln_id.clone()], "Köln's Kreis");
    let by_name = s.page("/anfragen?dienst=wohngeld+digital+nrw&kreis=05314").await;
    assert_eq!(rows(&by_name), vec![bonn_id.clone()]);
    assert_eq!(by_name.attr("#f-dienst", "value"), "wohngeld digital nrw", "kept");
    let by_link = s.page(&inbox.attr("[data-testid=anfrage] th a.kern-body--small", "href")).await;
    assert_eq!(rows(&by_link).len(), 2, "the row's service filter");
    assert_eq!(rows(&s.page("/anfragen?status=draft").await).len(), 0);

    let unknown = s.get("/anfragen?dienst=Hundesteuer+Mondbasis&kreis=99999").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.assert_error_summary(), vec!["dienst", "kreis"]);
    assert!(unknown.text("#f-dienst-fehler").contains("Hundesteuer Mondbasis"));
    assert_eq!(unknown.attr("#f-dienst", "value"), "Hundesteuer Mondbasis");
    assert_eq!(s.get("/anfragen?reihenfolge=zufall").await.status, StatusCode::BAD_REQUEST);

    // The Kreise offered are those of NRW.
    let kreise: Vec<String> = inbox.select("#f-kreis option").iter().map(|o| o.value().attr("value").unwrap_or_default().to_owned()).collect();
    assert!(kreise.contains(&"05315".to_owned()) && !kreise.iter().any(|k| k.starts_with("09")), "the Kreise of NRW");

    // Bavaria's coordinator: nothing of NRW.
    s.login("09", "land_coordinator").await;
    let other = s.page("/anfragen").await;
    assert!(other.has("#keine-anfragen"));
    assert_eq!(other.text("#anzahl"), "0 Anfragen");
});

crate::order_test!(the_timeline_names_the_people_who_decided, |s, w| {
    let id = submitted(&w).await;
    // A coordinator who logged in through the identity provider: the subject says nothing.
    let nils = efa_domain::Principal { subject: "f3c1a9e0-oidc-subject".into(), ..coordinator() };
    let login = efa_store::mail::Login { id: &nils.subject, org_id: &nils.org_id, roles: &["land_coordinator"], land_code: Some("05"), display_name: "Nils Koordination", email: Some("nils@nrw.example.org"), at: chrono::Utc::now().naive_utc() };
    efa_store::mail::record_login(&mut w.state.pool.get().expect("conn"), &login).expect("login recorded");
    reuse::step(&w.state, &nils, &Ctx::default(), &id, Step::Approve, Decision::default()).await.expect("approve");
    reuse::create_message(&w.state, &nils, &Ctx::default(), &id, reuse::NewMessage { body: "Genehmigt, viel Erfolg.".into() }).await.expect("message");
    s.login(KOELN, "municipality_user").await;
    let page = s.page(&format!("/anfragen/{id}")).await;
    let approved = page.select("[data-testid=verlauf-eintrag]").iter().map(|e| e.text().collect::<String>()).find(|t| t.contains("Vom Land genehmigt")).expect("in the timeline");
    assert!(approved.contains("Nils Koordination"), "{approved}");
    assert!(!approved.contains("oidc-subject"), "{approved}");
    assert!(page.text("[data-testid=nachricht] .meta").starts_with("Nils Koordination"), "{}", page.text("[data-testid=nachricht] .meta"));
});
