//! "Protokoll": the operator filters the audit log by organisation, action, resource and days
//! in Berlin, reads who did what and why, and pages through it; bad filter input is a 400 at
//! the fields with the values kept; anyone else reads only their organisation's events, as
//! `GET /api/v1/audit-events` answers them.

use crate::order::{coordinator, kommune, World, BONN, KOELN};
use crate::support::{location, Page};
use actix_web::http::StatusCode;
use efa_api::operations::reuse::{self, Decision, NewReuseRequest, Step};
use efa_api::write::Ctx;
use efa_store::audit::AuditEventRow;

pub const OPERATOR_ORG: &str = "FITKO (Föderale IT-Kooperation)";

/// Köln's request filed and submitted, Bonn's filed, submitted and rejected with a reason:
/// the two request ids.
async fn requests(w: &World) -> (String, String) {
    let mut ids = Vec::new();
    for ags in [KOELN, BONN] {
        let p = kommune(ags, &format!("user-{ags}"));
        let created = reuse::create_request(&w.state, &p, &Ctx::default(), NewReuseRequest { online_service_id: w.service.clone(), ..Default::default() }).await.expect("file");
        let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
        reuse::step(&w.state, &p, &Ctx::default(), &id, Step::Submit, Decision::default()).await.expect("submit");
        ids.push(id);
    }
    let reason = Decision { reason: Some("Kein Bedarf in Bonn".into()), ..Default::default() };
    reuse::step(&w.state, &coordinator(), &Ctx::default(), &ids[1], Step::Reject, reason).await.expect("reject");
    (ids.remove(0), ids.remove(0))
}

/// An event written straight to the log, at `at` (RFC 3339).
fn old_event(w: &crate::support::Browser<'_, impl Sized>, id: &str, at: &str, resource: &str) {
    let row = AuditEventRow {
        id: id.into(),
        occurred_at: at.parse::<chrono::DateTime<chrono::Utc>>().expect("instant").naive_utc(),
        actor: "system".into(),
        actor_org_id: None,
        action: "webhook.disable".into(),
        resource_type: "webhook".into(),
        resource_id: resource.into(),
        owner_org_id: None,
        before: Some(r#"{"enabled":true}"#.into()),
        after: Some(r#"{"enabled":false}"#.into()),
        request_id: None,
    };
    efa_store::audit::append(&mut w.db.conn(), &row).expect("append");
}

fn actions(p: &Page) -> Vec<String> {
    p.select("[data-testid=ereignis]").iter().map(|r| r.value().attr("data-action").unwrap_or_default().to_owned()).collect()
}

fn ids(p: &Page) -> Vec<String> {
    p.select("[data-testid=ereignis]").iter().map(|r| r.value().attr("data-id").unwrap_or_default().to_owned()).collect()
}

crate::order_test!(the_operator_filters_the_log, |s, w| {
    let (koeln, bonn) = requests(&w).await;
    // 23:30 UTC on 15 January is half past midnight on the 16th in Berlin.
    old_event(&s, "00000000-0000-4000-8000-000000000001", "2026-01-15T23:30:00Z", "hook-a");
    // Köln's user logged in once: the log names the person.
    let login = efa_store::mail::Login { id: "user-05315000", org_id: &crate::order::org(KOELN), roles: &["municipality_user"], land_code: None, display_name: "Erika Mustermann", email: None, at: chrono::Utc::now().naive_utc() };
    efa_store::mail::record_login(&mut s.db.conn(), &login).expect("record");
    s.login(OPERATOR_ORG, "operator").await;
    let all = s.page("/protokoll").await;
    assert_eq!(all.text("h1"), "Protokoll");
    assert_eq!(all.attr("nav.site-nav a[href='/protokoll']", "href"), "/protokoll", "the operator's nav links the log");
    let every = actions(&all);
    for a in ["framework.offer", "framework.approve", "reuse_request.create", "reuse_request.submit", "reuse_request.land_reject", "webhook.disable"] {
        assert!(every.iter().any(|x| x == a), "{a} in {every:?}");
    }
    assert_eq!(all.text("#anzahl"), format!("{} Einträge", every.len()));

    // By organisation (the name as typed): Köln's two steps, newest first, Köln as the actor.
    let p = s.page("/protokoll?organisation=K%C3%B6ln%2C+Stadt").await;
    assert_eq!(actions(&p), ["reuse_request.submit", "reuse_request.create"]);
    assert!(p.select("[data-testid=wer]").iter().all(|c| c.text().collect::<String>() == "Erika Mustermann, Köln, Stadt"), "{}", p.text("[data-testid=wer]"));
    assert_eq!(p.attr("#f-organisation", "value"), "Köln, Stadt", "the filter stays in the form");
    assert_eq!(p.text("[data-testid=ereignis] [data-testid=aktion]"), "Anfrage: Eingereicht");

    // By action: both requests were filed.
    let p = s.page("/protokoll?aktion=reuse_request.create").await;
    assert_eq!(actions(&p), ["reuse_request.create", "reuse_request.create"]);
    assert_eq!(p.attr("#f-aktion option[selected]", "value"), "reuse_request.create");

    // By resource: Köln's request, linked to its page; by kind: the framework's two steps.
    let p = s.page(&format!("/protokoll?ressource={koeln}")).await;
    assert_eq!(p.select("[data-testid=ereignis]").len(), 2);
    assert_eq!(p.attr("[data-testid=vorgang] a", "href"), format!("/anfragen/{koeln}"));
    let p = s.page("/protokoll?typ=framework_agreement").await;
    assert_eq!(actions(&p), ["framework.approve", "framework.offer"]);
    assert!(!p.has("[data-testid=vorgang] a"), "a framework agreement has no page of its own");

    // The rejection with its reason in the disclosure.
    let p = s.page(&format!("/protokoll?ressource={bonn}&aktion=reuse_request.land_reject")).await;
    assert_eq!(p.select("[data-testid=ereignis]").len(), 1);
    let details = p.text("[data-testid=einzelheiten]");
    assert!(details.contains("Begründung") && details.contains("Kein Bedarf in Bonn"), "{details}");
    assert_eq!(p.text("[data-testid=aktion]"), "Anfrage: Vom Land abgelehnt");

    // Days are Berlin's: the event of 23:30 UTC on the 15th is on the 16th.
    let p = s.page("/protokoll?von=16.01.2026&bis=16.01.2026").await;
    assert_eq!(ids(&p), ["00000000-0000-4000-8000-000000000001"]);
    assert_eq!(p.text("[data-testid=wann]"), "16.01.2026, 00:30 Uhr");
    assert_eq!(s.page("/protokoll?von=15.01.2026&bis=15.01.2026").await.text("#anzahl"), "0 Einträge");
    assert!(s.page("/protokoll?bis=2026-01-15").await.has("#keine-eintraege"), "the date input's format counts too");
    let today = efa_domain::calendar::today().format("%d.%m.%Y").to_string();
    let p = s.page(&format!("/protokoll?von={today}")).await;
    assert_eq!(p.select("[data-testid=ereignis]").len(), every.len() - 1, "all but the January event");
});

crate::order_test!(the_log_is_paged, |s, _w| {
    for i in 0..60 {
        old_event(&s, &format!("00000000-0000-4000-8000-{i:012}"), &format!("2026-02-01T10:{i:02}:00Z"), "hook-paged");
    }
    s.login(OPERATOR_ORG, "operator").await;
    let first = s.page("/protokoll?ressource=hook-paged").await;
    assert_eq!(first.text("#anzahl"), "60 Einträge");
    assert_eq!(first.select("[data-testid=ereignis]").len(), 50);
    assert_eq!(ids(&first)[0], "00000000-0000-4000-8000-000000000059", "newest first");
    let next = first.attr("a[rel=next]", "href");
    assert_eq!(next, "/protokoll?ressource=hook-paged&seite=2", "the filter goes along");
    let second = s.page(&next).await;
    assert_eq!(ids(&second), (0..10).rev().map(|i| format!("00000000-0000-4000-8000-{i:012}")).collect::<Vec<_>>());
    assert!(!second.has("a[rel=next]"));
    assert_eq!(s.get("/protokoll?seite=0").await.status, StatusCode::BAD_REQUEST);
});

crate::order_test!(bad_filter_input_is_shown_at_its_fields, |s, _w| {
    s.login(OPERATOR_ORG, "operator").await;
    let p = s.get("/protokoll?organisation=Gibt+es+nicht+GmbH&von=31.02.2026&ressource=EFA-1").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.assert_error_summary(), ["organisation", "von"]);
    assert!(p.text("#f-von-fehler").contains("TT.MM.JJJJ"));
    assert_eq!(p.attr("#f-organisation", "value"), "Gibt es nicht GmbH", "values kept");
    assert_eq!(p.attr("#f-von", "value"), "31.02.2026");
    assert_eq!(p.attr("#f-ressource", "value"), "EFA-1");
    assert!(!p.has("#protokoll"), "no results for a filter in error");

    let p = s.get("/protokoll?von=02.12.2026&bis=01.12.2026").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.assert_error_summary(), ["bis"]);
    assert_eq!(p.attr("#f-bis", "value"), "01.12.2026");

    // Many match "Stadt": the name must be complete.
    let p = s.get("/protokoll?organisation=Stadt&aktion=gibt.es.nicht").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert_eq!(p.assert_error_summary(), ["organisation", "aktion"]);
    assert!(p.text("#f-organisation-fehler").contains("Mehrere"));
});

crate::order_test!(others_read_their_organisations_events_only, |s, w| {
    assert_eq!(location(&s.get("/protokoll").await), "/anmelden?zurueck=/protokoll");
    let (koeln, bonn) = requests(&w).await;
    s.login(KOELN, "municipality_user").await;
    let p = s.page("/protokoll").await;
    assert_eq!(p.text("h1"), "Protokoll: Köln, Stadt");
    assert!(!p.has("nav.site-nav a[href='/protokoll']"), "the nav links the log for operators");
    let shown: Vec<String> = p.select("[data-testid=vorgang]").iter().map(|c| c.text().collect()).collect();
    assert_eq!(shown.len(), 2, "Köln's request filed and submitted: {shown:?}");
    assert!(shown.iter().all(|r| r.contains(&koeln)), "{shown:?}");
    assert!(!p.body.contains(&bonn), "nothing of Bonn's request");
    // The same answer as the API's policy gives: the operation counts the same events.
    let (_, total) = efa_api::operations::audit::events(&w.state, &kommune(KOELN, "x"), efa_store::audit::AuditQuery { limit: 100, ..Default::default() }).await.expect("events");
    assert_eq!(total, 2);
});
