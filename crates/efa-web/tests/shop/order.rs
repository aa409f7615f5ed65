//! Ordering: the Beitrittserklärung to an approved framework agreement and the reuse request
//! as a draft, each with the costs shown first and created once on a double submit; a
//! bundler chooses its member Gemeinden. The world they need (a published NRW listing with a
//! price, an approved framework, a bundler of Köln and Bonn) is set up through the store and
//! `efa_api::operations`, never over HTTP.

use crate::support::{self, location};
use actix_web::http::StatusCode;
use efa_api::operations::{agreements, frameworks, reuse};
use efa_api::write::Ctx;
use efa_domain::{LandCode, Principal, Role};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;

pub const KOELN: &str = "05315000";
pub const BONN: &str = "05314000";
pub const FRAMEWORK_TERMS: &str = "Rahmenvertrag Wohngeld NRW: Beitritt durch Beitrittserklärung.";
pub const BUNDLER_NAME: &str = "Zweckverband Shoptest Rheinland";

/// What the order tests order: a published listing with a price and an approved framework
/// agreement of NRW; `state` runs operations beside the shop (as provider, coordinator …).
pub struct World {
    pub service: String,
    pub framework: String,
    pub state: efa_api::AppState,
}

pub fn org(ags: &str) -> String {
    seed_id("kommune", ags)
}

pub fn bundler_org() -> String {
    seed_id("org", BUNDLER_NAME)
}

/// A publisher of Land NRW, the listing's provider.
pub fn provider() -> Principal {
    Principal { subject: "nrw-publisher".into(), org_id: seed_id("land", "05"), roles: vec![Role::ProviderPublisher], land: None }
}

/// The coordinator of NRW.
pub fn coordinator() -> Principal {
    Principal { subject: "coordinator-05".into(), org_id: seed_id("land", "05"), roles: vec![Role::LandCoordinator], land: Some(LandCode::parse("05").expect("05")) }
}

/// A municipality user of `ags` other than the one logged in to the shop.
pub fn kommune(ags: &str, subject: &str) -> Principal {
    Principal { subject: subject.into(), org_id: org(ags), roles: vec![Role::MunicipalityUser], land: None }
}

/// Publishes the NRW Wohngeld listing (1.200,00 € a year, pro rata in the first; 500,00 €
/// Anbindung) through the store, adds the bundler of Köln and Bonn, offers and approves the
/// framework (operations). Call before the shop's app is built: its catalogue must hold them.
pub async fn world(db: &TestDb) -> World {
    let service = crate::catalogue::publish_wohngeld(db);
    db.insert_bundler(&bundler_org(), BUNDLER_NAME, "05", &[org(KOELN), org(BONN)]);
    let state = support::state(db).await;
    let offer = frameworks::NewFramework { online_service_id: service.clone(), land: "05".into(), terms_text: FRAMEWORK_TERMS.into(), terms_version: "RV-2026.1".into() };
    let created = frameworks::offer(&state, &provider(), &Ctx::default(), offer).await.expect("offer");
    let framework = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    frameworks::approve(&state, &coordinator(), &Ctx::default(), &framework).await.expect("approve");
    World { service, framework, state }
}

/// `shop_test!` over the order world: `|s, w| { … }`, the shop built after the world.
#[macro_export]
macro_rules! order_test {
    ($name:ident, |$s:ident, $w:ident| $body:block) => {
        $crate::shop_test!($name, |first| {
            let $w = $crate::order::world(first.db).await;
            let app = $crate::support::app(first.db).await;
            let $s = $crate::support::Browser::new(&app, first.db);
            $body
        });
    };
}

/// How many agreements Köln has, read through the operation.
pub async fn agreements_of(w: &World, p: &Principal) -> usize {
    agreements::list(&w.state, p, Default::default(), efa_api::params::Page { page: 1, per_page: 100 }).await.expect("list").1
}

crate::order_test!(accession_makes_an_active_agreement_once, |s, w| {
    s.login(KOELN, "municipality_user").await;
    let uri = format!("/onlinedienste/{}/beitritt/{}", w.service, w.framework);
    let form = s.page(&uri).await;
    assert_eq!(form.text("h1"), "Beitrittserklärung");
    assert_eq!(form.text("#rv-land"), "Nordrhein-Westfalen");
    assert!(form.text("#rv-version").contains("RV-2026.1"));
    assert_eq!(form.text("#rv-text"), FRAMEWORK_TERMS);
    assert!(form.text("[data-testid=kosten-zeile] th").contains("Köln"));
    assert!(form.text("[data-testid=kosten-folgejahr]").starts_with("1.200,00 €"), "next year: the full annual fee");
    assert!(!form.has("#f-gemeinde"), "a Gemeinde accedes for itself");
    let key = form.attr("input[name=_key]", "value");

    // Not confirmed: 400 at the checkbox, nothing made.
    let bad = s.post(&uri, &form, &[("_key", &key)]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["beitritt"]);
    assert_eq!(agreements_of(&w, &kommune(KOELN, "x")).await, 0);

    // Confirmed, twice with the same key: one agreement, the same answer.
    let ok = s.post(&uri, &form, &[("_key", &key), ("beitritt", "ja")]).await;
    let to = location(&ok);
    assert!(to.starts_with("/vertraege/EFA-"), "{to}");
    let again = s.post(&uri, &form, &[("_key", &key), ("beitritt", "ja")]).await;
    assert_eq!(location(&again), to, "a double submit replays the first answer");
    assert_eq!(agreements_of(&w, &kommune(KOELN, "x")).await, 1);

    let a = s.page(&to).await;
    assert_eq!(a.attr("#stand", "data-state"), "active");
    assert_eq!(a.text("#stand"), "Aktiv");
    assert!(a.text(".flash").contains("Beitritt erklärt"));
    assert!(a.text("#grundlage").contains("Rahmenvertrag"));
    assert_eq!(a.text("#bedingungen"), FRAMEWORK_TERMS);
    assert!(!a.has("#unterschreiben"), "nothing left to sign");

    // A second accession for Köln: the page again with the reason on top.
    let form = s.page(&uri).await;
    let key = form.attr("input[name=_key]", "value");
    let twice = s.post(&uri, &form, &[("_key", &key), ("beitritt", "ja")]).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert!(twice.text("#problem").contains("schon ein Vertrag"), "{}", twice.body);
    assert_eq!(agreements_of(&w, &kommune(KOELN, "x")).await, 1);
});

crate::order_test!(a_framework_not_yet_approved_cannot_be_acceded_to, |s, w| {
    let offer = frameworks::NewFramework { online_service_id: w.service.clone(), land: "05".into(), terms_text: "Zweiter Rahmenvertrag.".into(), terms_version: "RV-2".into() };
    let created = frameworks::offer(&w.state, &provider(), &Ctx::default(), offer).await.expect("offer");
    let second = created.body().expect("body")["id"].as_str().expect("id").to_owned();
    s.login(KOELN, "municipality_user").await;
    let uri = format!("/onlinedienste/{}/beitritt/{second}", w.service);
    let form = s.page(&uri).await;
    let key = form.attr("input[name=_key]", "value");
    let refused = s.post(&uri, &form, &[("_key", &key), ("beitritt", "ja")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.has("#problem"), "{}", refused.body);
    assert_eq!(agreements_of(&w, &kommune(KOELN, "x")).await, 0);
    // A framework of another service is no page here.
    assert_eq!(s.get(&format!("/onlinedienste/{}/beitritt/{}", uuid::Uuid::new_v4(), w.framework)).await.status, StatusCode::NOT_FOUND);
});

crate::order_test!(a_request_is_filed_as_a_draft_once_with_its_costs_shown_first, |s, w| {
    s.login(KOELN, "municipality_user").await;
    let uri = format!("/onlinedienste/{}/anfrage", w.service);
    let form = s.page(&uri).await;
    assert!(form.text("#kosten [data-testid=kosten-zeile] th").contains("Köln"), "the cost before submitting");
    assert!(!form.has("#f-gemeinden"), "a Gemeinde asks for itself");
    let key = form.attr("input[name=_key]", "value");

    let long = "x".repeat(5001);
    let bad = s.post(&uri, &form, &[("_key", &key), ("notiz", &long)]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["notiz"]);
    assert_eq!(bad.text("#f-notiz").len(), 5001, "value kept");

    let xss = "<script>alert(1)</script> Bitte ab Juli.";
    let ok = s.post(&uri, &form, &[("_key", &key), ("notiz", xss)]).await;
    let to = location(&ok);
    assert!(to.starts_with("/anfragen/"), "{to}");
    assert_eq!(location(&s.post(&uri, &form, &[("_key", &key), ("notiz", xss)]).await), to, "a double submit files once");
    let (_, total) = reuse::list_requests(&w.state, &kommune(KOELN, "x"), Default::default(), efa_api::params::Page { page: 1, per_page: 10 }).await.expect("list");
    assert_eq!(total, 1);

    let draft = s.page(&to).await;
    assert_eq!(draft.text("#stand"), "Entwurf");
    assert_eq!(draft.text("#notiz"), xss, "shown as text");
    assert!(!draft.body.contains("<script>alert(1)"), "escaped");
    assert!(draft.has("#kosten"), "the cost again on the draft");
    assert!(draft.has("#einreichen") && draft.has("#zurueckziehen"));
    assert_eq!(draft.text("#awaiting-count"), "1 offen", "the draft awaits submission");

    let submitted = s.post(&format!("{to}/einreichen"), &draft, &[]).await;
    assert_eq!(location(&submitted), to);
    let p = s.page(&to).await;
    assert_eq!(p.text("#stand"), "Eingereicht");
    assert!(!p.has("#einreichen"));
    assert!(p.has("#zurueckziehen"), "still possible to withdraw");
    assert!(!p.has("#awaiting-count"), "nothing awaits Köln now");
    assert!(p.select("[data-testid=verlauf-eintrag]").iter().any(|e| e.text().collect::<String>().contains("Eingereicht")), "the timeline records the submission");
});

crate::order_test!(a_bundler_chooses_among_its_member_gemeinden, |s, w| {
    s.login(BUNDLER_NAME, "bundler").await;
    let uri = format!("/onlinedienste/{}/anfrage", w.service);
    let form = s.page(&uri).await;
    assert_eq!(form.text("#f-gemeinden legend"), "Für welche Gemeinden fragen Sie an?");
    let labels: Vec<String> = form.select("#f-gemeinden label").iter().map(|l| l.text().collect()).collect();
    assert_eq!(labels, vec!["Bonn, Stadt", "Köln, Stadt"]);
    assert_eq!(form.select("#kosten [data-testid=kosten-zeile]").len(), 2, "the cost for each member");
    let key = form.attr("input[name=_key]", "value");

    let none = s.post(&uri, &form, &[("_key", &key), ("notiz", "Für den Verband")]).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert_eq!(none.assert_error_summary(), vec!["gemeinden"]);
    assert_eq!(none.text("#f-notiz"), "Für den Verband", "value kept");

    let koeln = org(KOELN);
    let ok = s.post(&uri, &form, &[("_key", &key), ("gemeinden", &koeln)]).await;
    let to = location(&ok);
    let draft = s.page(&to).await;
    assert_eq!(draft.text("#gemeinden"), "Köln, Stadt");

    // The Beitritt: the bundler names the member Gemeinde.
    let uri = format!("/onlinedienste/{}/beitritt/{}", w.service, w.framework);
    let form = s.page(&uri).await;
    let options: Vec<String> = form.select("#f-gemeinde option").iter().map(|o| o.text().collect()).collect();
    assert_eq!(options, vec!["Bitte wählen", "Bonn, Stadt", "Köln, Stadt"]);
    let key = form.attr("input[name=_key]", "value");
    let bad = s.post(&uri, &form, &[("_key", &key), ("gemeinde", "")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.assert_error_summary(), vec!["gemeinde", "beitritt"]);
    let bonn = org(BONN);
    let ok = s.post(&uri, &form, &[("_key", &key), ("gemeinde", &bonn), ("beitritt", "ja")]).await;
    let a = s.page(&location(&ok)).await;
    assert_eq!(a.text("#kunde"), "Bonn, Stadt");
    assert_eq!(a.text("#unterzeichner"), BUNDLER_NAME);
});
