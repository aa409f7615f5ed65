//! From an approved request to live: Köln signs in the shop, the provider through the
//! operations; the onboarding checklist ticked on both sides; the header's count and the
//! task list follow; a stale signature answers 409 with the current state, written once.

use crate::order::{bundler_org, coordinator, kommune, org, provider, World, BUNDLER_NAME, KOELN};
use crate::support::location;
use actix_web::http::StatusCode;
use efa_api::operations::agreements::{self, AgreementStep};
use efa_api::operations::reuse::{self, Decision, NewReuseRequest, Step};
use efa_api::write::Ctx;
use efa_domain::reuse::{AgreementState, OnboardingStep};

/// Köln's request, submitted, approved by NRW and accepted by the provider: its agreement number.
async fn accepted(w: &World) -> (String, String) {
    let koeln = kommune(KOELN, "user-koeln");
    let created = reuse::create_request(&w.state, &koeln, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("file");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    reuse::step(&w.state, &koeln, &Ctx::default(), &id, Step::Submit, Decision::default()).await.expect("submit");
    reuse::step(&w.state, &coordinator(), &Ctx::default(), &id, Step::Approve, Decision::default()).await.expect("approve");
    let r = reuse::step(&w.state, &provider(), &Ctx::default(), &id, Step::Accept, Decision::default()).await.expect("accept");
    (id, r.agreements.first().expect("an agreement").clone())
}

fn count(p: &crate::support::Page) -> Option<String> {
    p.has("#awaiting-count").then(|| p.text("#awaiting-count"))
}

crate::order_test!(from_an_accepted_request_to_live, |s, w| {
    let (id, number) = accepted(&w).await;
    s.login(KOELN, "municipality_user").await;
    let uri = format!("/vertraege/{number}");

    // It awaits Köln's signature: counted in the header, listed in the tasks.
    let tasks = s.page("/aufgaben").await;
    assert_eq!(count(&tasks).as_deref(), Some("1 offen"));
    assert_eq!(tasks.text("#anzahl-unterschreiben"), "1");
    assert_eq!(tasks.attr("[data-testid=aufgabe-unterschreiben] a", "href"), uri);
    let list = s.page("/vertraege").await;
    assert_eq!(list.text("[data-testid=vertrag] [data-testid=stand]"), "Wartet auf Unterschriften");
    assert_eq!(s.page("/vertraege?status=live").await.text("#anzahl"), "0 Verträge");

    let a = s.page(&uri).await;
    assert_eq!(a.text("h1"), format!("Nachnutzungsvertrag {number}"));
    assert_eq!(a.text("#stand"), "Wartet auf Unterschriften");
    assert_eq!(a.text("#anbieter"), "Land Nordrhein-Westfalen");
    assert_eq!(a.text("#kunde"), "Köln, Stadt");
    assert_eq!(a.text("#jaehrlich"), "1.200,00 €");
    assert_eq!(a.text("#einmalig"), "500,00 €");
    assert!(a.text("#eintrag-version").starts_with("Version 1"));
    assert!(a.has("#drucken-hinweis.no-print"), "the print hint, hidden in print");
    assert_eq!(a.select("[data-testid=schritt]").len(), 4, "the whole checklist");
    assert!(!a.has("[data-testid=schritt] form"), "no onboarding before the agreement is active");
    let folder: Vec<String> = a.select("[data-testid=dokument] strong").iter().map(|d| d.text().collect()).collect();
    assert_eq!(folder.first().map(String::as_str), Some("Entscheidung: Als Entwurf angelegt"), "oldest first: {folder:?}");
    assert_eq!(folder.last().map(String::as_str), Some("Vertragstext"));

    let signed = s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    assert_eq!(location(&signed), uri);
    let a = s.page(&uri).await;
    assert!(a.text(".flash").contains("sobald die andere Seite"));
    assert!(!a.has("#unterschreiben"), "Köln's side has signed");
    assert_eq!(count(&a), None, "nothing awaits Köln now");
    let sigs: Vec<String> = a.select("[data-testid=unterschrift]").iter().map(|r| r.text().collect()).collect();
    assert!(sigs[0].contains("Noch nicht") && !sigs[1].contains("Noch nicht"), "{sigs:?}");

    // The provider signs through the operation: active, onboarding begins.
    agreements::step(&w.state, &provider(), &Ctx::default(), &number, AgreementStep::Sign).await.expect("provider signs");
    let a = s.page(&uri).await;
    assert_eq!(a.text("#stand"), "Aktiv");
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        assert!(a.has(&format!("#erledigt-{step}")), "Köln's step {step} has its button");
    }
    assert!(!a.has("#erledigt-test_case_passed"), "the test case is the provider's");
    assert!(a.text("[data-step=test_case_passed]").contains("Anbieter"));
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        let page = s.page(&uri).await;
        assert_eq!(location(&s.post(&format!("{uri}/onboarding/{step}"), &page, &[]).await), uri);
    }
    let a = s.page(&uri).await;
    assert_eq!(a.attr("[data-step=pvog_responsibility]", "data-done"), "ja");
    assert!(a.text("[data-step=pvog_responsibility]").contains("Köln, Stadt"), "who did it");
    assert_eq!(a.text("#stand"), "Aktiv", "the provider's step is still open");
    assert_eq!(s.post(&format!("{uri}/onboarding/gibt_es_nicht"), &a, &[]).await.status, StatusCode::NOT_FOUND);

    agreements::step(&w.state, &provider(), &Ctx::default(), &number, AgreementStep::Onboard(OnboardingStep::TestCasePassed)).await.expect("test case");
    let a = s.page(&uri).await;
    assert_eq!(a.text("#stand"), "Live");
    assert_eq!(a.select("[data-testid=schritt][data-done=ja]").len(), 4);
    assert_eq!(s.page("/vertraege?status=live").await.text("#anzahl"), "1 Vertrag");
    let r = s.page(&format!("/anfragen/{id}")).await;
    assert_eq!(r.text("#stand"), "Live");
    assert_eq!(r.attr("#vertraege a", "href"), uri);
    assert!(r.select("[data-testid=verlauf-eintrag]").iter().any(|e| e.text().collect::<String>().contains("Vom Land genehmigt")), "the coordinator's decision in the timeline");
});

crate::order_test!(a_stale_signature_shows_the_current_state_and_writes_nothing, |s, w| {
    let (_, number) = accepted(&w).await;
    s.login(KOELN, "municipality_user").await;
    let uri = format!("/vertraege/{number}");
    let a = s.page(&uri).await;
    assert!(a.has("#unterschreiben"));
    // A colleague signs meanwhile.
    agreements::step(&w.state, &kommune(KOELN, "colleague"), &Ctx::default(), &number, AgreementStep::Sign).await.expect("colleague signs");
    let stale = s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.text("#problem").contains("Der Vertrag wurde inzwischen geändert"));
    assert!(!stale.has("#unterschreiben"), "the current state: signed");
    let d = agreements::get(&w.state, &kommune(KOELN, "x"), &number).await.expect("get");
    assert_eq!(d.folder.iter().filter(|f| f.kind == "signature").count(), 1, "signed once");
});

/// The bundler's request for Köln, submitted, approved and accepted: its agreement number.
async fn bundlers_agreement(w: &World) -> String {
    let bundler = efa_domain::Principal { subject: "bundler-user".into(), org_id: bundler_org(), roles: vec![efa_domain::Role::Bundler], land: None };
    let input = NewReuseRequest { online_service_id: w.service.clone(), municipalities: vec![org(KOELN)], ..Default::default() };
    let created = reuse::create_request(&w.state, &bundler, &Ctx::default(), input).await.expect("the bundler files for Köln");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    reuse::step(&w.state, &bundler, &Ctx::default(), &id, Step::Submit, Decision::default()).await.expect("submit");
    reuse::step(&w.state, &coordinator(), &Ctx::default(), &id, Step::Approve, Decision::default()).await.expect("approve");
    let r = reuse::step(&w.state, &provider(), &Ctx::default(), &id, Step::Accept, Decision::default()).await.expect("accept");
    r.agreements.first().expect("an agreement").clone()
}

crate::order_test!(a_bundler_sees_and_signs_its_members_agreement, |s, w| {
    let number = bundlers_agreement(&w).await;
    let uri = format!("/vertraege/{number}");
    s.login(BUNDLER_NAME, "bundler").await;
    let list = s.page("/vertraege").await;
    assert_eq!(list.attr("[data-testid=vertrag]", "data-number"), number);
    assert_eq!(list.text("[data-testid=vertrag] td:nth-child(3)"), "Köln, Stadt", "the member is the customer");
    assert_eq!(count(&list).as_deref(), Some("1 offen"), "awaiting the bundler's signature");

    let a = s.page(&uri).await;
    assert_eq!(a.text("#kunde"), "Köln, Stadt");
    assert_eq!(a.text("#unterzeichner"), BUNDLER_NAME);
    let signed = s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    assert_eq!(location(&signed), uri);
    let a = s.page(&uri).await;
    assert!(!a.has("#unterschreiben"));
    let customer = &a.select("[data-testid=unterschrift]")[1];
    let text: String = customer.text().collect();
    assert!(text.contains(BUNDLER_NAME) && text.contains("Bündelnde Organisation"), "who signed: {text}");
    let d = agreements::get(&w.state, &provider(), &number).await.expect("get");
    assert_eq!(d.agreement.customer_signed_by.as_deref(), Some(format!("dev:bundler:{}", bundler_org()).as_str()), "signed in the database");

    // Its member Gemeinden, each with its coverage.
    let members = s.page("/meine-gemeinden").await;
    let names: Vec<String> = members.select("[data-testid=mitglied] th").iter().map(|t| t.text().collect()).collect();
    assert_eq!(names, ["Bonn, Stadt", "Köln, Stadt"]);
    assert_eq!(members.attr(&format!("[data-id='{}'] [data-testid=abdeckung]", org(KOELN)), "href"), format!("/abdeckung/gemeinden/{KOELN}"));
    assert_eq!(members.attr("nav.site-nav a[href='/meine-gemeinden']", "href"), "/meine-gemeinden");

    // A Gemeinde has no such page.
    s.login(KOELN, "municipality_user").await;
    assert_eq!(s.get("/meine-gemeinden").await.status, StatusCode::NOT_FOUND);
});

crate::order_test!(the_agreement_page_says_who_signed_and_when, |s, w| {
    let (_, number) = accepted(&w).await;
    let uri = format!("/vertraege/{number}");
    agreements::step(&w.state, &provider(), &Ctx::default(), &number, AgreementStep::Sign).await.expect("provider signs");
    s.login(KOELN, "municipality_user").await;
    let a = s.page(&uri).await;
    assert_eq!(a.text("[data-testid=unterschrift] [data-testid=unterschrieben-von]"), "nrw-publisher");
    let when = a.text("[data-testid=unterschrift] [data-testid=unterschrieben-am]");
    let signed_at = agreements::get(&w.state, &provider(), &number).await.expect("get").agreement.provider_signed_at.expect("signed");
    assert_eq!(when, efa_web::pages::datetime(signed_at), "the time in Berlin");
    assert_eq!(a.select("[data-testid=unterschrieben-von]")[1].text().collect::<String>(), "–", "Köln has not signed yet");
    s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    let a = s.page(&uri).await;
    assert_eq!(a.select("[data-testid=unterschrieben-von]")[1].text().collect::<String>(), "Kommune (Köln, Stadt)");

    // Notice given through the operation: when and by whom.
    agreements::step(&w.state, &provider(), &Ctx::default(), &number, AgreementStep::Terminate(None)).await.expect("terminate");
    let a = s.page(&uri).await;
    assert_eq!(a.text("#stand"), "Gekündigt");
    let t = a.text("#gekuendigt");
    assert!(t.starts_with(&efa_domain::calendar::today().format("%d.%m.%Y").to_string()) && t.ends_with("nrw-publisher"), "{t}");
});

/// The last day of the month of `d`.
fn month_end(d: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    let next = if d.month() == 12 { chrono::NaiveDate::from_ymd_opt(d.year() + 1, 1, 1) } else { chrono::NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1) };
    next.and_then(|n| n.pred_opt()).expect("a day")
}

fn german_date(d: chrono::NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

async fn agreement_state(w: &World, number: &str) -> efa_api::operations::agreements::Agreement {
    agreements::get(&w.state, &provider(), number).await.expect("get").agreement
}

crate::order_test!(koeln_gives_notice_in_the_shop_with_errors_at_the_fields, |s, w| {
    let (_, number) = accepted(&w).await;
    let uri = format!("/vertraege/{number}");
    s.login(KOELN, "municipality_user").await;
    // Awaiting signatures: the state machine lets nothing end yet, so no form.
    let a = s.page(&uri).await;
    assert!(!a.has("#kuendigen-form"), "no notice before the agreement is active");
    let refused = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", ""), ("bestaetigung", "ja")]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.text("#problem").contains("inzwischen geändert"));
    assert_eq!(agreement_state(&w, &number).await.state, AgreementState::Pending, "nothing written");

    s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    agreements::step(&w.state, &provider(), &Ctx::default(), &number, AgreementStep::Sign).await.expect("provider signs");
    let a = s.page(&uri).await;
    assert_eq!(a.text("#stand"), "Aktiv");
    assert_eq!(a.text("#kuendigung"), "Vertrag kündigen");
    // Start today, 12 months minimum, 3 months' notice: the minimum term decides the end.
    let today = efa_domain::calendar::today();
    let expected_end = month_end(today.checked_add_months(chrono::Months::new(12)).and_then(|d| d.pred_opt()).expect("a day"));
    assert_eq!(a.text("#ende-bei-kuendigung"), german_date(expected_end));
    assert!(a.text("#kuendigung-hinweis").contains("3 Monate") && a.text("#kuendigung-hinweis").contains("12 Monate"));

    // Not a date, not confirmed: both at their fields, the value kept, nothing written.
    let bad = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", "31.02.2027")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["kuendigungstag", "bestaetigung"]);
    assert_eq!(bad.attr("#f-kuendigungstag", "value"), "31.02.2027", "kept");
    assert_eq!(bad.text("#f-bestaetigung-fehler"), "Bestätigen Sie, dass Sie den Vertrag kündigen.");
    assert!(!bad.has("#f-bestaetigung[checked]"));
    // A past day: the operation refuses it, said at the field; the tick kept.
    let yesterday = german_date(today.pred_opt().expect("yesterday"));
    let past = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", &yesterday), ("bestaetigung", "ja")]).await;
    assert_eq!(past.status, StatusCode::BAD_REQUEST);
    assert_eq!(past.assert_error_summary(), vec!["kuendigungstag"]);
    assert_eq!(past.text("#f-kuendigungstag-fehler"), "Der Tag der Kündigung darf nicht in der Vergangenheit liegen: frühestens heute.");
    assert_eq!(past.attr("#f-kuendigungstag", "value"), yesterday, "kept");
    assert!(past.has("#f-bestaetigung[checked]"), "the tick kept");
    let stored = agreement_state(&w, &number).await;
    assert_eq!((stored.state, stored.end_date), (AgreementState::Active, None), "nothing written");

    // NRW's coordinator sees the agreement but is no party: no form, and the post refused.
    s.login("05", "land_coordinator").await;
    let seen = s.page(&uri).await;
    assert!(!seen.has("#kuendigen-form"));
    assert_eq!(s.post(&format!("{uri}/kuendigen"), &seen, &[("kuendigungstag", ""), ("bestaetigung", "ja")]).await.status, StatusCode::FORBIDDEN);
    // Bavaria's finds nothing.
    s.login("09", "land_coordinator").await;
    assert_eq!(s.get(&uri).await.status, StatusCode::NOT_FOUND);
    let home = s.page("/").await;
    assert_eq!(s.post(&format!("{uri}/kuendigen"), &home, &[("kuendigungstag", ""), ("bestaetigung", "ja")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(agreement_state(&w, &number).await.state, AgreementState::Active);

    // Köln gives notice today, confirmed.
    s.login(KOELN, "municipality_user").await;
    let a = s.page(&uri).await;
    let done = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", ""), ("bestaetigung", "ja")]).await;
    assert_eq!(location(&done), uri);
    let a = s.page(&uri).await;
    assert_eq!(a.text(".flash"), format!("Gekündigt. Der Vertrag endet am {}.", german_date(expected_end)));
    assert_eq!(a.text("#stand"), "Gekündigt");
    assert_eq!(a.text("#ende"), german_date(expected_end));
    let t = a.text("#gekuendigt");
    assert!(t.starts_with(&german_date(today)) && t.contains("Uhr") && t.contains("Köln, Stadt"), "who and when: {t}");
    assert!(!a.has("#kuendigen-form"), "ended: nothing more to give notice on");
    let stored = agreement_state(&w, &number).await;
    assert_eq!((stored.state, stored.end_date), (AgreementState::Terminated, Some(expected_end)), "in the database");
    // Sent again (a second tab): the current state, written once.
    let again = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", ""), ("bestaetigung", "ja")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let d = agreements::get(&w.state, &provider(), &number).await.expect("get");
    assert_eq!(d.folder.iter().filter(|f| f.kind == "termination").count(), 1, "terminated once");
});

crate::order_test!(the_provider_gives_notice_for_a_later_day, |s, w| {
    let koeln = kommune(KOELN, "user-koeln");
    let created = reuse::create_request(&w.state, &koeln, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("file");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    reuse::step(&w.state, &koeln, &Ctx::default(), &id, Step::Submit, Decision::default()).await.expect("submit");
    reuse::step(&w.state, &coordinator(), &Ctx::default(), &id, Step::Approve, Decision::default()).await.expect("approve");
    let terms = Decision { minimum_term_months: Some(0), notice_months: Some(1), ..Decision::default() };
    let r = reuse::step(&w.state, &provider(), &Ctx::default(), &id, Step::Accept, terms).await.expect("accept");
    let number = r.agreements[0].clone();
    agreements::step(&w.state, &koeln, &Ctx::default(), &number, AgreementStep::Sign).await.expect("Köln signs");
    let uri = format!("/vertraege/{number}");

    s.login("05", "provider_publisher").await;
    let a = s.page(&uri).await;
    assert!(a.has("#unterschreiben") && !a.has("#kuendigen-form"), "pending: sign first");
    s.post(&format!("{uri}/unterschreiben"), &a, &[]).await;
    let a = s.page(&uri).await;
    assert!(a.has("#kuendigen-form"), "the provider's side may give notice too");
    let notice = efa_domain::calendar::today() + chrono::Days::new(40);
    // No minimum term, one month's notice: the end of the month a month after the notice.
    let expected_end = month_end(notice.checked_add_months(chrono::Months::new(1)).expect("a day"));
    let done = s.post(&format!("{uri}/kuendigen"), &a, &[("kuendigungstag", &german_date(notice)), ("bestaetigung", "ja")]).await;
    assert_eq!(location(&done), uri);
    let a = s.page(&uri).await;
    assert_eq!(a.text("#stand"), "Gekündigt");
    assert_eq!(a.text("#ende"), german_date(expected_end));
    assert!(a.text("#gekuendigt").ends_with("Anbieter (Land Nordrhein-Westfalen)"), "who: {}", a.text("#gekuendigt"));
    let d = agreements::get(&w.state, &provider(), &number).await.expect("get");
    assert_eq!(d.agreement.end_date, Some(expected_end));
    assert!(d.folder.iter().any(|f| f.kind == "termination" && f.title.contains(&notice.to_string())), "notice given for the day entered");
});

crate::order_test!(the_tasks_list_the_oldest_twenty_agreements_to_sign_and_count_them_all, |s, w| {
    // The provider's side of Köln's agreement, and twenty more for other Gemeinden of NRW.
    let (_, first) = accepted(&w).await;
    w.state
        .db(move |conn| {
            use diesel::prelude::*;
            use efa_store::schema::organisations as o;
            let row = efa_store::reuse::find_agreement(conn, &first)?.expect("the agreement");
            let others: Vec<String> = o::table.filter(o::kind.eq("kommune")).filter(o::land_code.eq("05")).filter(o::id.ne(&row.customer_org_id)).order(o::id).limit(20).select(o::id).load(conn)?;
            for (i, customer) in others.into_iter().enumerate() {
                let a = efa_store::reuse::AgreementRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    number: efa_store::reuse_number(2099, 100 + i as i64),
                    request_id: None,
                    customer_org_id: customer.clone(),
                    signatory_org_id: customer,
                    ..row.clone()
                };
                assert!(efa_store::reuse::insert_agreement(conn, &a)?, "inserted");
            }
            Ok(())
        })
        .await
        .expect("agreements");
    s.login("05", "provider_publisher").await;
    let tasks = s.page("/aufgaben").await;
    assert_eq!(tasks.text("#anzahl-unterschreiben"), "21");
    let listed = tasks.select("[data-testid=aufgabe-unterschreiben]");
    assert_eq!(listed.len(), 20, "the first twenty");
    assert!(tasks.text("#weitere-unterschreiben").starts_with("Die 20 ältesten von 21 Verträgen."), "{}", tasks.text("#weitere-unterschreiben"));
    assert_eq!(tasks.attr("#weitere-unterschreiben a", "href"), "/vertraege?status=pending");
    assert_eq!(count(&tasks).as_deref(), Some("21 offen"), "the header counts all of them");
    // The agreements list counts them from what the writes keep, and lists them.
    assert_eq!(s.page("/vertraege?status=pending").await.text("#anzahl"), "21 Verträge");
});
