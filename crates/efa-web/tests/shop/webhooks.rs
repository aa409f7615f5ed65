//! "Webhooks": an organisation registers an endpoint (the secret shown once), sees its delivery
//! log, removes it; a private address is refused at the field with the value kept; another
//! organisation's endpoint is the 404 page.

use crate::order::{kommune, BONN, KOELN};
use crate::support::location;
use actix_web::http::StatusCode;
use efa_api::webhooks::{self as op, NewEndpoint};
use efa_api::write::Ctx;

crate::order_test!(an_organisation_registers_reads_and_removes_its_webhooks, |s, w| {
    assert_eq!(location(&s.get("/webhooks").await), "/anmelden?zurueck=/webhooks");
    s.login(KOELN, "municipality_user").await;
    let page = s.page("/webhooks").await;
    assert_eq!(page.text("h1"), "Webhooks");
    assert!(page.has("#keine-webhooks"));
    assert!(page.select("#f-ereignisse input[type=checkbox]").len() > 20, "every event type can be chosen");
    let key = page.attr("input[name=_key]", "value");

    // A private address: refused at the field, in German, the value and choices kept.
    let bad = s.post("/webhooks", &page, &[("_key", &key), ("url", "https://10.0.0.7/efa"), ("ereignisse", "request.approved")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["url"]);
    assert!(!bad.text("#f-url-fehler").is_empty());
    assert_eq!(bad.attr("#f-url", "value"), "https://10.0.0.7/efa");
    assert!(bad.has("#f-ereignisse input[value='request.approved'][checked]"));
    let empty = s.post("/webhooks", &page, &[("_key", &key), ("url", " ")]).await;
    assert_eq!((empty.status, empty.assert_error_summary()), (StatusCode::BAD_REQUEST, vec!["url".to_owned()]));

    // A public address: registered; the next page shows the secret once.
    let done = s.post("/webhooks", &page, &[("_key", &key), ("url", "https://9.9.9.9/efa/hook"), ("ereignisse", "request.approved"), ("ereignisse", "agreement.created")]).await;
    let to = location(&done);
    assert!(to.starts_with("/webhooks/"), "{to}");
    let shown = s.page(&to).await;
    assert!(shown.text(".kern-alert").contains("whsec_"), "the secret, once: {}", shown.text(".kern-alert"));
    assert_eq!(shown.text("#adresse"), "https://9.9.9.9/efa/hook");
    assert_eq!(shown.text("#ereignisse"), "Anfrage vom Land genehmigt, Vertrag zur Unterschrift");
    assert_eq!(shown.text("#anzahl"), "0 Zustellungen");
    let again = s.page(&to).await;
    assert!(!again.body.contains("whsec_"), "shown only once");
    // A double submit of the same form makes no second endpoint.
    s.post("/webhooks", &page, &[("_key", &key), ("url", "https://9.9.9.9/efa/hook"), ("ereignisse", "request.approved"), ("ereignisse", "agreement.created")]).await;
    let list = s.page("/webhooks").await;
    assert_eq!(list.select("[data-testid=webhook]").len(), 1);
    assert_eq!(list.text("[data-testid=webhook] [data-testid=stand]"), "Eingeschaltet");

    // Bonn's endpoint does not exist for Köln.
    let bonn = op::register(&w.state, &kommune(BONN, "user-bonn"), &Ctx::default(), NewEndpoint { url: "https://9.9.9.9/bonn".into(), event_types: vec![] }).await.expect("Bonn registers");
    let bonn_id = bonn.body().unwrap()["id"].as_str().unwrap().to_owned();
    let p = s.get(&format!("/webhooks/{bonn_id}")).await;
    assert_eq!((p.status, p.text("h1")), (StatusCode::NOT_FOUND, "Seite nicht gefunden".to_owned()));
    assert_eq!(s.get("/webhooks/keine-uuid").await.status, StatusCode::NOT_FOUND);

    // Removed: gone from the list.
    let gone = s.post(&format!("{to}/loeschen"), &again, &[]).await;
    assert_eq!(location(&gone), "/webhooks");
    let list = s.page("/webhooks").await;
    assert!(list.has("#keine-webhooks"));
    assert_eq!(s.get(&to).await.status, StatusCode::NOT_FOUND);
});
