//! Liveness, readiness, metrics and request ids.

use crate::helpers::*;
use crate::{api_test, backend_test};
use actix_web::test::TestRequest;
use efa_store::test_util::TestDb;

api_test!(healthz_and_readyz_on_a_seeded_database, |app| {
    let r = get(app, "/healthz").await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.json()["status"], "ok");
    let r = get(app, "/readyz").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.json()["status"], "ok");
});

backend_test!(readyz_is_503_when_migrations_are_missing, |backend| {
    // Migrated, then every migration reverted: reachable but not migrated.
    let db = TestDb::new(backend);
    efa_store::migrations::revert_all(&mut db.conn()).expect("revert");
    let app = init_with(efa_api::AppState::new(db.pool())).await;
    let r = get(&app, "/readyz").await;
    let p = assert_problem(&r, 503);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/unavailable");
    // Liveness does not depend on the database; the catalogue answers 503, not an empty list.
    assert_eq!(get(&app, "/healthz").await.status.as_u16(), 200);
    assert_problem(&get(&app, "/api/v1/ozg-leistungen").await, 503);
    assert_problem(&get(&app, "/api/v1/laender").await, 503);
});

/// A SQLite file that exists but was never migrated, removed at the end.
struct FreshFile(std::path::PathBuf);

impl Drop for FreshFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

#[actix_web::test]
async fn readyz_is_503_on_a_never_migrated_sqlite_file() {
    let file = FreshFile(std::env::temp_dir().join(format!("efa-api-unmigrated-{}.db", uuid::Uuid::new_v4().simple())));
    let state = efa_api::AppState::new(efa_store::pool(&file.0.display().to_string(), 2));
    assert!(state.reload_catalogue().await.is_err(), "no tables to load from");
    let app = init_with(state).await;
    assert_problem(&get(&app, "/readyz").await, 503);
    assert_problem(&get(&app, "/api/v1/themenfelder").await, 503);
    assert_eq!(get(&app, "/healthz").await.status.as_u16(), 200);
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    // Nothing listens on port 1; the pool connects lazily, so the app still starts.
    let state = efa_api::AppState::new(efa_store::pool("postgres://nobody@127.0.0.1:1/none?connect_timeout=1", 1));
    let app = init_with(state).await;
    assert_problem(&get(&app, "/readyz").await, 503);
}

backend_test!(readyz_loads_the_catalogue_when_it_was_not_loaded, |backend| {
    // An empty, migrated database, and an app whose catalogue was never loaded.
    let db = TestDb::new(backend);
    let app = init_with(efa_api::AppState::new(db.pool())).await;
    assert_problem(&get(&app, "/api/v1/themenfelder").await, 503);
    assert_eq!(get(&app, "/readyz").await.status.as_u16(), 200);
    let body = ok_json(&app, "/api/v1/themenfelder").await;
    assert_eq!(total(&body), 0);
});

api_test!(metrics_count_requests_per_route_with_histograms, |app| {
    for _ in 0..3 {
        assert_eq!(get(app, "/api/v1/laender").await.status.as_u16(), 200);
    }
    assert_eq!(get(app, "/api/v1/ozg-leistungen/10092").await.status.as_u16(), 200);
    assert_eq!(get(app, "/api/v1/ozg-leistungen/99999").await.status.as_u16(), 404);
    assert_eq!(get(app, "/no/such/route").await.status.as_u16(), 404);

    let r = get(app, "/metrics").await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.content_type().starts_with("text/plain"), "{}", r.content_type());
    let text = r.text();
    assert!(text.contains("# TYPE efa_http_requests_total counter"));
    assert!(text.contains("# TYPE efa_http_request_duration_seconds histogram"));
    assert!(text.contains("efa_http_requests_total{route=\"/api/v1/laender\",method=\"GET\",status=\"200\"} 3"), "{text}");
    // Routes are labelled by template, not by the concrete path.
    assert!(text.contains("efa_http_requests_total{route=\"/api/v1/ozg-leistungen/{ozg_id}\",method=\"GET\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("efa_http_requests_total{route=\"/api/v1/ozg-leistungen/{ozg_id}\",method=\"GET\",status=\"404\"} 1"), "{text}");
    assert!(!text.contains("/no/such/route"), "unmatched paths do not create series");
    // The catalogue loaded once at start: one full rebuild of the read model.
    assert!(text.contains("efa_read_model_rebuilds_total{what=\"full\"} 1"), "{text}");
    let laender = "route=\"/api/v1/laender\",method=\"GET\",status=\"200\"";
    assert!(text.contains(&format!("efa_http_request_duration_seconds_bucket{{{laender},le=\"+Inf\"}} 3")), "{text}");
    assert!(text.contains(&format!("efa_http_request_duration_seconds_count{{{laender}}} 3")), "{text}");
    assert!(text.contains(&format!("efa_http_request_duration_seconds_sum{{{laender}}}")), "{text}");
    let buckets: Vec<u64> = text
        .lines()
        .filter(|l| l.starts_with(&format!("efa_http_request_duration_seconds_bucket{{{laender},")))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(buckets.len() >= 5, "{buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "cumulative buckets: {buckets:?}");
});

api_test!(request_id_is_echoed_or_generated, |app| {
    let sent = send(app, TestRequest::get().uri("/api/v1/laender").insert_header(("X-Request-Id", "trace-abc-123"))).await;
    assert_eq!(sent.header("x-request-id"), Some("trace-abc-123"));

    let generated = get(app, "/api/v1/laender").await;
    let id = generated.header("x-request-id").expect("generated X-Request-Id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let other = get(app, "/api/v1/laender").await;
    assert_ne!(other.header("x-request-id"), Some(id), "a new id per request");

    // Errors carry it too, and an unusable id (too long) is replaced, not echoed.
    let err = send(app, TestRequest::get().uri("/nope").insert_header(("X-Request-Id", "err-1"))).await;
    assert_eq!(err.status.as_u16(), 404);
    assert_eq!(err.header("x-request-id"), Some("err-1"));
    let long = "x".repeat(129);
    let r = send(app, TestRequest::get().uri("/healthz").insert_header(("X-Request-Id", long.as_str()))).await;
    assert!(uuid::Uuid::parse_str(r.header("x-request-id").unwrap()).is_ok());
});

#[actix_web::test]
async fn a_failed_rebuild_after_a_write_is_retried_until_the_database_answers() {
    // The database file is not there yet (its folder is missing): the rebuild after a write
    // fails, the write's caller is not told, and the read model is still empty.
    let seeded = TestDb::seeded(efa_store::Backend::Sqlite);
    let dir = std::env::temp_dir().join(format!("efa-api-later-{}", uuid::Uuid::new_v4().simple()));
    let path = dir.join("efa.db");
    let state = efa_api::AppState::new(efa_store::pool(&path.display().to_string(), 1));
    state.rebuild_after_write(true).await;
    assert!(state.catalogue().is_err(), "nothing to load from yet");
    // The database appears; the background retry (1 s, then 2 s …) loads it without another write.
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::copy(seeded.url(), &path).expect("copy the seeded database");
    let started = std::time::Instant::now();
    // The rebuild puts the catalogue in place first, then the coverage built on it.
    while (state.catalogue().is_err() || state.coverage().is_err()) && started.elapsed() < std::time::Duration::from_secs(30) {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let c = state.catalogue().expect("the read model caught up");
    assert_eq!((c.ozg.len(), c.gemeinden.len()), (557, 11_004));
    assert!(state.coverage().is_ok(), "and the coverage built on it");
    let _ = std::fs::remove_dir_all(&dir);
}
