//! The snapshot a listing write leaves behind: it shares the parts that only places, catalogue
//! and organisations make with the snapshot before, and the entries of the listings the write
//! did not touch (so that both, alive at once while readers finish, hold them once); and what
//! depends on the listings is as a full reload makes it.

use crate::backend_test;
use crate::support::*;
use efa_api::catalogue::{Catalogue, ServiceEntry};
use serde::Serialize;
use serde_json::Value;

/// The parts of two snapshots that no listing changes are one and the same in memory.
fn assert_shared(a: &Catalogue, b: &Catalogue, after: &str) {
    let same = [
        ("laender", a.laender.as_ptr() == b.laender.as_ptr()),
        ("kreise", a.kreise.as_ptr() == b.kreise.as_ptr()),
        ("gemeinden", a.gemeinden.as_ptr() == b.gemeinden.as_ptr()),
        ("lebenslagen", a.lebenslagen.as_ptr() == b.lebenslagen.as_ptr()),
        ("ozg", a.ozg.as_ptr() == b.ozg.as_ptr()),
        ("leika", a.leika.as_ptr() == b.leika.as_ptr()),
        ("orgs", a.orgs.as_ptr() == b.orgs.as_ptr()),
        ("koenigsteiner", a.koenigsteiner.as_ptr() == b.koenigsteiner.as_ptr()),
    ];
    let copied: Vec<&str> = same.iter().filter(|(_, s)| !s).map(|(name, _)| *name).collect();
    assert!(copied.is_empty(), "after {after}, the new snapshot holds its own copy of {copied:?}");
}

/// Where an entry is in memory.
fn addr(e: &ServiceEntry) -> *const ServiceEntry {
    e
}

/// The entry of `id` in two snapshots is one and the same.
fn assert_same_entry(a: &Catalogue, b: &Catalogue, id: &str, after: &str) {
    let (x, y) = (a.service(id).expect("in the first snapshot"), b.service(id).expect("in the second snapshot"));
    assert!(addr(x) == addr(y), "after {after}, the new snapshot made its own entry of the untouched service {id}");
}

fn json_of<T: Serialize>(items: impl Iterator<Item = T>) -> Vec<Value> {
    items.map(|i| serde_json::to_value(i).expect("serialise")).collect()
}

/// What a client sees of the parts a listing write may change: counts per organisation,
/// OZG-Leistung and Themenfeld, and the services implementing an OZG-Leistung.
async fn listing_dependent<S, B>(app: &S, ozg_id: i64) -> Vec<Value>
where
    S: actix_web::dev::Service<crate::helpers::Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let mut out = Vec::new();
    for uri in [
        format!("/api/v1/organisations/{}", nrw()),
        format!("/api/v1/ozg-leistungen/{ozg_id}"),
        "/api/v1/ozg-leistungen?q=Wohngeld&per_page=100".to_owned(),
        "/api/v1/organisations?q=Nordrhein&per_page=100".to_owned(),
        "/api/v1/themenfelder".to_owned(),
    ] {
        out.push(ok_as(app, &uri, None).await);
    }
    out
}

backend_test!(a_listing_write_shares_the_static_parts_of_the_snapshot, |backend| {
    let (w, state, app) = start_with_state(backend).await;
    let app = &app;
    let provider = w.nrw_publisher();
    let ozg_id = 10092;
    let first = state.catalogue.current();
    let untouched = first.services[0].detail.service.id.clone();
    let before = listing_dependent(app, ozg_id).await;

    let id = created(app, &provider, &listing(&nrw(), "Schnappschusstest Wohngeld digital", ozg_id)).await;
    let draft = state.catalogue.current();
    assert!(!std::sync::Arc::ptr_eq(&first, &draft), "the write made a new snapshot");
    assert!(draft.draft(&id).is_some(), "the new snapshot holds the draft");
    assert_shared(&first, &draft, "creating a draft");
    assert_same_entry(&first, &draft, &untouched, "creating a draft");

    publish(app, &w, &id).await;
    let published = state.catalogue.current();
    assert!(published.service(&id).is_some(), "the new snapshot holds the published service");
    assert_shared(&first, &published, "publishing");
    assert_same_entry(&first, &published, &untouched, "publishing");
    let after = listing_dependent(app, ozg_id).await;
    let count = |v: &Value| v["online_services_count"].as_u64().unwrap_or_else(|| panic!("no count in {v}"));
    assert_eq!(count(&after[0]), count(&before[0]) + 1, "NRW provides one more service");
    assert_eq!(count(&after[1]), count(&before[1]) + 1, "the OZG-Leistung has one more service");
    assert!(after[1]["online_services"].as_array().unwrap().iter().any(|s| s["id"] == id.as_str()), "the OZG-Leistung lists the new service");

    // Editing the published listing: a working copy beside the published version, whose
    // entry is made anew (its row changed); the other entries stay shared.
    let r = patch(app, &id, Some(&provider), Some("*"), &serde_json::json!({"description": "Zweite Fassung"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let edited = state.catalogue.current();
    assert_eq!(edited.draft(&id).and_then(|d| d.detail.description.as_deref()), Some("Zweite Fassung"));
    assert_shared(&first, &edited, "editing");
    assert_same_entry(&first, &edited, &untouched, "editing");

    // A full reload builds everything anew from the database: the shared parts hold what it
    // holds, and so does everything a client sees that depends on the listings.
    state.reload_catalogue().await.expect("full reload");
    let full = state.catalogue.current();
    assert!(full.gemeinden.as_ptr() != edited.gemeinden.as_ptr(), "a full reload builds the places anew");
    assert_eq!(json_of(full.gemeinden.iter().map(|g| &g.view)), json_of(edited.gemeinden.iter().map(|g| &g.view)), "Gemeinden");
    assert_eq!(json_of(full.leika.iter().map(|l| &l.view)), json_of(edited.leika.iter().map(|l| &l.view)), "LeiKa");
    assert_eq!(json_of(full.orgs.iter().map(|o| &o.view)), json_of(edited.orgs.iter().map(|o| &o.view)), "organisations");
    assert_eq!(json_of(full.ozg.iter().map(|o| &o.view)), json_of(edited.ozg.iter().map(|o| &o.view)), "OZG-Leistungen");
    assert_eq!(json_of(full.kreise.iter()), json_of(edited.kreise.iter()), "Kreise");
    assert_eq!(json_of(full.services.iter().map(|s| &s.detail)), json_of(edited.services.iter().map(|s| &s.detail)), "published services");
    assert_eq!(json_of(full.drafts.iter().map(|s| &s.detail)), json_of(edited.drafts.iter().map(|s| &s.detail)), "working copies");
    assert_eq!(listing_dependent(app, ozg_id).await, after, "what depends on the listings, against a full reload");
});
