//! Concurrent writers: the If-Match guard lets exactly one of many racing edits through,
//! and a listing is submitted, approved (and versioned) once however many requests race.
//! A racer that read the row before the winner wrote must get 409/412, never a 500 (on
//! SQLite that needs write transactions that take the write lock first, BEGIN IMMEDIATE).

use crate::helpers::{join_all, send, Resp};
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::json;


/// Like `world_test!`, with a pool large enough for every racer to hold a connection.
macro_rules! race_test {
    ($name:ident, |$w:ident, $app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run(backend: efa_store::Backend) {
                let key = efa_api::auth::DevKey::generate().unwrap();
                let jwks = key.jwks();
                let (world, app) = start_with(backend, key, &jwks, 24).await;
                #[allow(unused_variables)]
                let ($w, $app) = (&world, &app);
                $body
            }
            #[actix_web::test]
            async fn sqlite() {
                run(efa_store::Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                run(efa_store::Backend::Postgres).await
            }
        }
    };
}

fn statuses(rs: &[Resp]) -> Vec<u16> {
    rs.iter().map(|r| r.status.as_u16()).collect()
}

race_test!(twenty_racing_patches_with_one_etag_let_exactly_one_through, |w, app| {
    let token = w.nrw_publisher();
    let id = created(app, &token, &listing(&nrw(), "Wettlauftest Anwohnerparkausweis", 10092)).await;
    let before = w.counts();
    let requests: Vec<_> = (0..20).map(|i| send(app, patch_request(&id, Some(&token), Some(&etag(1)), &json!({"name": format!("Wettlauf {i}")})))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "exactly one winner: {codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 412).count(), 19, "the others are stale: {codes:?}; bodies: {:?}", responses.iter().filter(|r| r.status.as_u16() != 200 && r.status.as_u16() != 412).map(|r| r.text()).collect::<Vec<_>>());
    for r in responses.iter().filter(|r| r.status.as_u16() == 412) {
        assert_eq!(r.content_type(), "application/problem+json");
    }
    let winner = responses.iter().find(|r| r.status.as_u16() == 200).unwrap().json();
    assert_eq!(winner["revision"], 2);

    // Revision up by exactly one; the stored name is the winner's; one event.
    let copy = working_copy(app, &id, &token).await;
    assert_eq!(copy["revision"], 2);
    assert_eq!(copy["content"]["name"], winner["content"]["name"]);
    assert_eq!(w.row_state(&id).1, 2);
    let after = w.counts();
    assert_eq!(after.events, before.events + 1, "one event for the one change");
    assert_eq!(after.services, before.services);
    let update = w.events_of(&id).pop().unwrap();
    let stored: serde_json::Value = serde_json::from_str(update.after.as_deref().unwrap()).unwrap();
    assert_eq!(stored["name"], winner["content"]["name"]);
});

race_test!(racing_approvals_publish_one_version, |w, app| {
    let token = w.nrw_publisher();
    let operator = w.operator();
    let id = created(app, &token, &listing(&nrw(), "Wettlauftest Freigabe", 10092)).await;
    act_ok(app, &id, "submit", &token).await;
    let before = w.counts();
    let uri = format!("/api/v1/online-services/{id}/approve");
    let requests: Vec<_> = (0..20).map(|_| send(app, bearer(TestRequest::post().uri(&uri), Some(&operator)))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{codes:?}");
    // The losers either saw the listing already published (409) or lost the revision race (412).
    assert!(codes.iter().all(|&c| c == 200 || c == 409 || c == 412), "{codes:?}: {:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    let after = w.counts();
    assert_eq!((after.versions, after.events), (before.versions + 1, before.events + 1));
    assert_eq!(w.row_state(&id), ("published".to_owned(), 3, Some(1), None));
    let versions = ok_as(app, &format!("/api/v1/online-services/{id}/versions"), None).await;
    assert_eq!(versions["total"], 1);
});

race_test!(racing_submits_move_the_listing_once, |w, app| {
    let token = w.nrw_publisher();
    let id = created(app, &token, &listing(&nrw(), "Wettlauftest Einreichung", 10092)).await;
    let before = w.counts();
    let uri = format!("/api/v1/online-services/{id}/submit");
    let requests: Vec<_> = (0..20).map(|_| send(app, bearer(TestRequest::post().uri(&uri), Some(&token)))).collect();
    let responses = join_all(requests).await;
    let codes = statuses(&responses);
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|&c| c == 200 || c == 409 || c == 412), "{codes:?}: {:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    assert_eq!(w.counts().events, before.events + 1);
    assert_eq!(w.row_state(&id), ("in_review".to_owned(), 2, None, None));
});

race_test!(racing_creates_each_get_their_own_listing_and_event, |w, app| {
    let token = w.nrw_publisher();
    let before = w.counts();
    let bodies: Vec<_> = (0..8).map(|i| listing(&nrw(), &format!("Parallelanlage {i}"), 10092)).collect();
    let requests: Vec<_> = bodies.iter().map(|b| create(app, Some(&token), b)).collect();
    let responses = join_all(requests).await;
    assert!(statuses(&responses).iter().all(|&c| c == 201), "{:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    let mut ids: Vec<String> = responses.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    let after = w.counts();
    assert_eq!((after.services, after.events), (before.services + 8, before.events + 8));
});

race_test!(racing_approvals_of_different_listings_all_reach_the_catalogue, |w, app| {
    // Each approval rebuilds the read model after its commit; a rebuild that read the database
    // before another approval committed must not replace the snapshot that has both.
    let token = w.nrw_publisher();
    let operator = w.operator();
    let mut ids = Vec::new();
    for i in 0..8 {
        let id = created(app, &token, &listing(&nrw(), &format!("Gleichzeitig freigegeben {i}"), 10092)).await;
        act_ok(app, &id, "submit", &token).await;
        ids.push(id);
    }
    let uris: Vec<String> = ids.iter().map(|id| format!("/api/v1/online-services/{id}/approve")).collect();
    let requests: Vec<_> = uris.iter().map(|uri| send(app, bearer(TestRequest::post().uri(uri), Some(&operator)))).collect();
    let responses = join_all(requests).await;
    assert!(statuses(&responses).iter().all(|&c| c == 200), "{:?}", responses.iter().map(|r| r.text()).collect::<Vec<_>>());
    // Once every approval has answered, the public catalogue shows all eight.
    let found = ok_as(app, "/api/v1/online-services?q=gleichzeitig%20freigegeben&per_page=100", None).await;
    let mut shown: Vec<&str> = found["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    shown.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(shown, want);
});

/// The read model's rows come from one consistent snapshot of the database: a writer that
/// commits a Kreis and an organisation together (read far apart by the loader) is seen with
/// both or with neither, however the commits fall between the loader's statements.
mod snapshot_is_never_torn {
    use diesel::prelude::*;
    use efa_store::schema::{kreise, organisations};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn run(backend: efa_store::Backend) {
        let db = efa_store::test_util::TestDb::seeded(backend);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (mut conn, stop) = (db.conn(), stop.clone());
            std::thread::spawn(move || {
                let mut i = 0u32;
                // Kreis codes are five digits; no real one starts with 9.
                while !stop.load(Ordering::SeqCst) && i < 10_000 {
                    let code = format!("9{i:04}");
                    conn.transaction::<_, diesel::result::Error, _>(|c| {
                        diesel::insert_into(kreise::table)
                            .values((kreise::code.eq(&code), kreise::name.eq("Testkreis"), kreise::kind.eq("Kreis"), kreise::land_code.eq("05"), kreise::population.eq(1i64), kreise::gemeinden_count.eq(0)))
                            .execute(c)?;
                        let now = chrono::Utc::now().naive_utc();
                        diesel::insert_into(organisations::table)
                            .values((organisations::id.eq(format!("torn-{code}")), organisations::name.eq(format!("Testorganisation {code}")), organisations::kind.eq("it_dienstleister"), organisations::created_at.eq(now), organisations::updated_at.eq(now)))
                            .execute(c)?;
                        Ok(())
                    })
                    .expect("writer transaction");
                    i += 1;
                }
                i
            })
        };
        let mut conn = db.conn();
        let mut torn = Vec::new();
        for round in 0..15 {
            let rows = efa_api::catalogue::load_rows(&mut conn).expect("load rows");
            let kreise: std::collections::HashSet<String> = rows.kreise.iter().filter(|k| k.code.starts_with('9')).map(|k| k.code.clone()).collect();
            let orgs: std::collections::HashSet<String> = rows.orgs.iter().filter_map(|o| o.id.strip_prefix("torn-")).map(str::to_owned).collect();
            if kreise != orgs {
                torn.push(format!("round {round}: {} Kreise, {} organisations", kreise.len(), orgs.len()));
            }
        }
        stop.store(true, Ordering::SeqCst);
        let written = writer.join().expect("writer");
        assert!(written > 0, "the writer wrote nothing");
        assert!(torn.is_empty(), "torn snapshots ({written} pairs written): {torn:?}");
    }

    #[test]
    fn sqlite() {
        run(efa_store::Backend::Sqlite)
    }

    #[test]
    fn postgres() {
        run(efa_store::Backend::Postgres)
    }
}
