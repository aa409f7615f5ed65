//! The page cache for visitors without personal state: the same page for everyone, each with
//! its own CSRF token, and never older than the read model.

use crate::order::provider;
use crate::support::{app_of, location, seeded, state, Browser};
use actix_web::http::StatusCode;
use efa_api::operations::frameworks::{self, NewFramework};
use efa_api::write::Ctx;
use efa_store::Backend;

async fn cached_pages_carry_each_sessions_token_and_follow_the_read_model(backend: Backend) {
    let db = seeded(backend);
    let service = crate::catalogue::publish_wohngeld(&db);
    let st = state(&db).await;
    let app = app_of(st.clone(), &db).await;
    let uri = format!("/onlinedienste/{service}");

    // Two visitors: the second gets the page the first one's visit rendered, with its own token.
    let (one, two) = (Browser::new(&app, &db), Browser::new(&app, &db));
    let first = one.page(&uri).await;
    let second = two.page(&uri).await;
    let (t1, t2) = (first.attr("input[name=_csrf]", "value"), second.attr("input[name=_csrf]", "value"));
    assert_ne!(t1, t2, "each session has its own token");
    assert_eq!(first.body.replace(&t1, "T"), second.body.replace(&t2, "T"), "otherwise the same page");
    assert!(!second.body.contains('\u{1}'), "no slot is left in the page");
    // The cached page's token is the second visitor's: its comparison form works.
    let added = two.post("/vergleich", &second, &[("aktion", "hinzufuegen"), ("id", &service), ("zurueck", &uri)]).await;
    assert_eq!(location(&added), uri);
    let with_tray = two.page(&uri).await;
    assert!(with_tray.text(&format!("[data-testid='tray-{service}'] button")).contains("Aus dem Vergleich entfernen"), "personal state is never served from the cache");
    assert!(!first.has("a[href*='/beitritt/']"), "no framework agreement yet");

    // A framework agreement offered and approved: the next visitor sees it at once.
    let offer = NewFramework { online_service_id: service.clone(), land: "05".into(), terms_text: "Rahmenvertrag NRW".into(), terms_version: "RV-1".into() };
    let created = frameworks::offer(&st, &provider(), &Ctx::default(), offer).await.expect("offer");
    let id = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    let offered = Browser::new(&app, &db).page(&uri).await;
    assert!(offered.body.contains("RV-1") && !offered.has("a[href*='/beitritt/']"), "offered, not yet approved:\n{}", offered.body);
    frameworks::approve(&st, &crate::order::coordinator(), &Ctx::default(), &id).await.expect("approve");
    let third = Browser::new(&app, &db).page(&uri).await;
    assert!(third.has(&format!("a[href='/onlinedienste/{service}/beitritt/{id}']")), "the page follows the read model:\n{}", third.body);
    assert_eq!(Browser::new(&app, &db).get("/onlinedienste/not-a-uuid").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn cached_pages_sqlite() {
    cached_pages_carry_each_sessions_token_and_follow_the_read_model(Backend::Sqlite).await;
}

#[actix_web::test]
async fn cached_pages_postgres() {
    cached_pages_carry_each_sessions_token_and_follow_the_read_model(Backend::Postgres).await;
}
